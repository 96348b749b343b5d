//! The reference side's minimal userspace stack: ICMP echo over IPv4 (RFC 792) on the
//! reference's inner address, which exists only inside the tunnel. The packet work is
//! the engine's (`ikev1::ip`); this keeps an owned record of each echo for the checks.

use std::net::{IpAddr, Ipv4Addr};

use ikev1::ip::{EchoKind, IcmpEcho, IpPacket};

/// An ICMP echo request or reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Echo {
    pub source: Ipv4Addr,
    pub destination: Ipv4Addr,
    pub request: bool,
    pub identifier: u16,
    pub sequence: u16,
    pub data: Vec<u8>,
}

impl Echo {
    /// The IPv4 packet carrying this echo.
    pub fn to_packet(&self) -> Vec<u8> {
        let kind = if self.request { EchoKind::Request } else { EchoKind::Reply };
        let echo = IcmpEcho { kind, identifier: self.identifier, sequence: self.sequence, data: &self.data };
        echo.to_packet(IpAddr::V4(self.source), IpAddr::V4(self.destination))
            .expect("an IPv4 echo always fits a packet")
    }

    /// Reads an echo out of an IPv4 packet; anything else is `None`.
    pub fn parse(packet: &[u8]) -> Option<Echo> {
        let ip = IpPacket::parse(packet).ok()?;
        let (IpAddr::V4(source), IpAddr::V4(destination)) = (ip.src(), ip.dst()) else { return None };
        let echo = IcmpEcho::from_packet(&ip).ok()?;
        Some(Echo {
            source,
            destination,
            request: echo.kind == EchoKind::Request,
            identifier: echo.identifier,
            sequence: echo.sequence,
            data: echo.data.to_vec(),
        })
    }

    /// The reply a host owning `destination` sends to this request.
    pub fn reply(&self) -> Echo {
        Echo { source: self.destination, destination: self.source, request: false, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Echo {
        Echo {
            source: Ipv4Addr::new(198, 51, 100, 1),
            destination: Ipv4Addr::new(198, 51, 100, 129),
            request: true,
            identifier: 0x1234,
            sequence: 7,
            data: b"ikelab".to_vec(),
        }
    }

    #[test]
    fn a_request_round_trips_and_its_reply_swaps_addresses() {
        let packet = request().to_packet();
        assert_eq!(ikev1::ip::internet_checksum(&packet[..20]), 0, "the IPv4 header checksum verifies");
        assert_eq!(Echo::parse(&packet), Some(request()));
        let reply = Echo::parse(&request().reply().to_packet()).unwrap();
        assert_eq!(
            (reply.source, reply.destination, reply.request),
            (request().destination, request().source, false)
        );
    }

    #[test]
    fn other_packets_are_not_echoes() {
        assert_eq!(Echo::parse(&[0x60; 40]), None);
        assert_eq!(Echo::parse(&[]), None);
    }
}
