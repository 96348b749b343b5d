//! A masquerading NAT in front of side A: A's private source address and
//! port become a public address and a mapped port, and replies are mapped
//! back (what nft `masquerade to :40000-40099` does on the peers lab).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::{Packet, Side};

pub struct Nat {
    pub public_address: std::net::IpAddr,
    next_port: u16,
    /// Private (A's) socket -> public socket.
    mappings: BTreeMap<SocketAddr, SocketAddr>,
}

impl Nat {
    pub fn new(public_address: std::net::IpAddr) -> Self {
        Self { public_address, next_port: 40_000, mappings: BTreeMap::new() }
    }

    /// Forgets every mapping (the NAT rebooted or timed them out): A's next
    /// datagrams leave from new ports.
    pub fn flush(&mut self) {
        self.mappings.clear();
    }

    /// Rewrites a datagram crossing the NAT; false when it is for the
    /// public address but no mapping covers it (a mapping that timed out or
    /// was flushed): a real NAT drops it.
    pub fn translate(&mut self, packet: &mut Packet) -> bool {
        match packet.from {
            Side::A => {
                let public = *self.mappings.entry(packet.source).or_insert_with(|| {
                    let port = self.next_port;
                    self.next_port = self.next_port.wrapping_add(1).max(40_000);
                    SocketAddr::new(self.public_address, port)
                });
                packet.source = public;
                true
            }
            Side::B => match self.mappings.iter().find(|(_, public)| **public == packet.destination) {
                Some((private, _)) => {
                    packet.destination = *private;
                    true
                }
                None => packet.destination.ip() != self.public_address,
            },
        }
    }
}
