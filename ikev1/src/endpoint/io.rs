//! What the engine hands back to its caller: datagrams to send and events.

use std::collections::VecDeque;
use std::net::SocketAddr;

use serde::Serialize;

use crate::counters::Counters;
use crate::time::Timestamp;
use crate::trace::{Trace, TraceEvent};

/// A datagram to send: UDP between the two socket addresses (on port 4500
/// IKE already carries its Non-ESP Marker, RFC 3948 2.2, and ESP-in-UDP
/// goes bare), or a raw ESP packet (IP protocol 50) between their addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub payload: Vec<u8>,
    pub protocol: Protocol,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Udp,
    /// IP protocol 50; the ports of the addresses mean nothing.
    Esp,
}

impl Transmit {
    pub fn udp(local: SocketAddr, remote: SocketAddr, payload: Vec<u8>) -> Self {
        Self { local, remote, payload, protocol: Protocol::Udp }
    }
}

/// Something the caller may want to know about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Trace(TraceEvent),
    /// Phase 1 completed and authenticated.
    IkeSaEstablished(IkeSaInfo),
    /// An IKE SA negotiation gave up or was refused.
    IkeSaFailed {
        connection: String,
        peer: SocketAddr,
        reason: String,
    },
    /// An established IKE SA was deleted (by us, the peer, or expiry).
    IkeSaDeleted {
        conn_id: u32,
        connection: String,
        reason: String,
    },
    /// Quick Mode completed: an IPsec SA pair is up.
    IpsecSaEstablished(crate::child_sa::IpsecSaInfo),
    /// A Quick Mode was refused or gave up.
    IpsecSaFailed {
        connection: String,
        peer: SocketAddr,
        reason: String,
    },
    /// An inner packet arrived through an IPsec SA (and was decapsulated).
    InnerPacket {
        connection: String,
        inbound_spi: u32,
        packet: Vec<u8>,
    },
    /// An IPsec SA pair went away (deleted, expired, invalid SPI).
    IpsecSaDeleted {
        connection: String,
        inbound_spi: String,
        outbound_spi: String,
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IkeSaInfo {
    pub conn_id: u32,
    pub connection: String,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub initiator_cookie: String,
    pub responder_cookie: String,
    /// e.g. `aes128-sha256-modp2048`
    pub proposal: String,
    pub lifetime_secs: u32,
    pub nat_detected: bool,
    pub aggressive: bool,
    pub we_initiated: bool,
}

/// Queues filled while the engine processes one input.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub transmits: VecDeque<Transmit>,
    pub events: VecDeque<Event>,
    pub counters: Counters,
}

impl Outbox {
    pub fn trace(&mut self, at: Timestamp, conn_id: u32, peer: Option<SocketAddr>, trace: Trace) {
        self.events.push_back(Event::Trace(TraceEvent { at, conn_id, peer, trace }));
    }

    pub fn event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    pub fn transmit(&mut self, transmit: Transmit) {
        self.counters.datagrams_sent += 1;
        self.transmits.push_back(transmit);
    }
}
