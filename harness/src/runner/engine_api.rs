//! The engine API the runner needs beyond Phase 1, in one place.
//!
//! Quick Mode, the ESP data plane and key export are being added to `ikev1` now
//! (DESIGN.md, "ikev1 (engine)"). Every call the runner makes into them goes through
//! this file, so wiring them in is a change here only. Until then each function says
//! which API it is waiting for, and the checks that need it fail with that message;
//! nothing is faked.
//!
//! Awaited, as DESIGN.md draws it:
//! - `Endpoint::handle_esp(now, src, dst, bytes)`: raw ESP (IP protocol 50) in;
//! - `Endpoint::send_inner(now, ip_packet)`: a plaintext IPv4 packet to protect;
//! - a `Transmit` kind for ESP (raw protocol 50, or ESP-in-UDP on 4500 without the
//!   non-ESP marker), next to today's UDP datagrams;
//! - `Event::InnerPacket(bytes)`: a decrypted IPv4 packet for the local stack;
//! - `Event::IpsecSaEstablished(..)` / `IpsecSaDeleted`: Quick Mode outcomes with SPIs,
//!   transform, PFS group and lifetime;
//! - an export of each SA's keys (Ka per initiator cookie, ESP keys per SPI), so the
//!   capture opens decrypted also against Libreswan, which does not reveal Ka.

use std::net::SocketAddr;

use ikev1::{Endpoint, Event, Timestamp, Transmit};
use peers::KeyMaterial;

/// What the runner learns from the engine about one negotiated IPsec SA pair.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IpsecSaUp {
    pub connection: String,
    pub spi_in: u32,
    pub spi_out: u32,
    /// `aes128-sha256`
    pub proposal: String,
    pub pfs_group: Option<String>,
}

/// An engine capability that has not landed yet: the API it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending(pub &'static str);

impl std::fmt::Display for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the reference engine does not have {} yet (Quick Mode/ESP are being added)", self.0)
    }
}

/// Where an outgoing packet goes.
pub enum Outgoing {
    /// A UDP datagram from one of our ports (IKE, or ESP-in-UDP on 4500).
    Udp { local: SocketAddr, remote: SocketAddr, payload: Vec<u8> },
    /// A raw ESP packet (IP protocol 50) to `remote`.
    Esp { remote: SocketAddr, payload: Vec<u8> },
}

/// Sorts a transmit onto the UDP or raw ESP socket. Today every transmit is UDP.
pub fn outgoing(transmit: Transmit) -> Outgoing {
    Outgoing::Udp { local: transmit.local, remote: transmit.remote, payload: transmit.payload }
}

/// Hands a raw ESP packet (IP protocol 50) to the engine.
pub fn handle_esp(
    _endpoint: &mut Endpoint,
    _now: Timestamp,
    _source: SocketAddr,
    _destination: SocketAddr,
    _packet: &[u8],
) -> Result<(), Pending> {
    Err(Pending("Endpoint::handle_esp"))
}

/// Gives the engine a plaintext IPv4 packet to send through the tunnel.
pub fn send_inner(_endpoint: &mut Endpoint, _now: Timestamp, _packet: &[u8]) -> Result<(), Pending> {
    Err(Pending("Endpoint::send_inner"))
}

/// The decrypted IPv4 packet an event carries, if it is one.
pub fn inner_packet(_event: &Event) -> Option<&[u8]> {
    None
}

/// The IPsec SA an event announces, if it is one.
pub fn ipsec_sa_established(_event: &Event) -> Option<IpsecSaUp> {
    None
}

/// Whether the engine can negotiate Quick Mode at all; when it cannot, Phase 2 checks
/// fail at once with this instead of waiting out their timeout.
pub fn quick_mode_support() -> Result<(), Pending> {
    Err(Pending("Quick Mode (Event::IpsecSaEstablished)"))
}

/// The keys of every SA the engine negotiated.
pub fn keys(_endpoint: &Endpoint) -> Result<KeyMaterial, Pending> {
    Err(Pending("a key export (Ka per ISAKMP SA, ESP keys per SPI)"))
}
