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

    pub fn translate(&mut self, packet: &mut Packet) {
        match packet.from {
            Side::A => {
                let public = *self.mappings.entry(packet.source).or_insert_with(|| {
                    let port = self.next_port;
                    self.next_port = self.next_port.wrapping_add(1).max(40_000);
                    SocketAddr::new(self.public_address, port)
                });
                packet.source = public;
            }
            Side::B => {
                if let Some((private, _)) =
                    self.mappings.iter().find(|(_, public)| **public == packet.destination)
                {
                    packet.destination = *private;
                }
            }
        }
    }
}
