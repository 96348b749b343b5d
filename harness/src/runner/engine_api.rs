//! The engine's data-plane API as the runner uses it, in one place: which socket a
//! transmit goes to, raw ESP in, inner packets out, Quick Mode outcomes and key export.

use std::net::SocketAddr;

use ikev1::endpoint::KeyMaterial as EngineKeys;
use ikev1::{Endpoint, Event, Protocol, Timestamp, Transmit};
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
    pub lifetime_secs: u32,
    pub lifetime_kilobytes: Option<u32>,
    pub udp_encapsulated: bool,
}

/// Where an outgoing packet goes.
pub enum Outgoing {
    /// A UDP datagram from one of our ports (IKE, or ESP-in-UDP on 4500).
    Udp { local: SocketAddr, remote: SocketAddr, payload: Vec<u8> },
    /// A raw ESP packet (IP protocol 50) to `remote`.
    Esp { remote: SocketAddr, payload: Vec<u8> },
}

/// Sorts a transmit onto the UDP or the raw ESP socket.
pub fn outgoing(transmit: Transmit) -> Outgoing {
    match transmit.protocol {
        Protocol::Udp => {
            Outgoing::Udp { local: transmit.local, remote: transmit.remote, payload: transmit.payload }
        }
        Protocol::Esp => Outgoing::Esp { remote: transmit.remote, payload: transmit.payload },
    }
}

/// Hands a raw ESP packet (IP protocol 50) to the engine.
pub fn handle_esp(
    endpoint: &mut Endpoint,
    now: Timestamp,
    source: SocketAddr,
    destination: SocketAddr,
    packet: &[u8],
) {
    endpoint.handle_esp(now, source.ip(), destination.ip(), packet);
}

/// Gives the engine a plaintext IPv4 packet to send through the tunnel.
pub fn send_inner(endpoint: &mut Endpoint, now: Timestamp, packet: &[u8]) -> Result<(), String> {
    endpoint.send_inner(now, packet).map_err(|error| format!("cannot send through the tunnel: {error:?}"))
}

/// The decrypted IP packet an event carries, if it is one.
pub fn inner_packet(event: &Event) -> Option<&[u8]> {
    match event {
        Event::InnerPacket { packet, .. } => Some(packet),
        _ => None,
    }
}

/// The IPsec SA an event announces, if it is one.
pub fn ipsec_sa_established(event: &Event) -> Option<IpsecSaUp> {
    let Event::IpsecSaEstablished(info) = event else { return None };
    let spi = |text: &str| u32::from_str_radix(text, 16).ok();
    Some(IpsecSaUp {
        connection: info.connection.clone(),
        spi_in: spi(&info.inbound_spi)?,
        spi_out: spi(&info.outbound_spi)?,
        proposal: info.proposal.clone(),
        pfs_group: info.pfs.clone(),
        lifetime_secs: info.lifetime_secs,
        lifetime_kilobytes: info.lifetime_kilobytes,
        udp_encapsulated: info.udp_encapsulated,
    })
}

/// The keys of every SA the engine negotiated, in the drivers' shape.
pub fn keys(endpoint: &Endpoint) -> KeyMaterial {
    let EngineKeys { ike_sas, esp_sas } = endpoint.key_material();
    KeyMaterial {
        ike: ike_sas
            .into_iter()
            .map(|sa| peers::IkeSaKeys {
                initiator_cookie: sa.initiator_cookie,
                encryption_key: sa.encryption_key,
            })
            .collect(),
        esp: esp_sas
            .into_iter()
            .map(|sa| peers::EspSaKeys {
                spi: sa.spi,
                cipher: sa.cipher,
                encryption_key: sa.encryption_key,
                integrity: sa.integrity,
                integrity_key: sa.integrity_key,
            })
            .collect(),
    }
}
