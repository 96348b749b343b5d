//! The reference side's minimal userspace stack: ICMP echo over IPv4 (RFC 792) on the
//! reference's inner address, which exists only inside the tunnel.

use std::net::Ipv4Addr;

const IPV4_HEADER_LEN: usize = 20;
const ICMP: u8 = 1;
const ECHO_REPLY: u8 = 0;
const ECHO_REQUEST: u8 = 8;
const TTL: u8 = 64;

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
        let mut icmp = vec![if self.request { ECHO_REQUEST } else { ECHO_REPLY }, 0, 0, 0];
        icmp.extend_from_slice(&self.identifier.to_be_bytes());
        icmp.extend_from_slice(&self.sequence.to_be_bytes());
        icmp.extend_from_slice(&self.data);
        let checksum = internet_checksum(&icmp);
        icmp[2..4].copy_from_slice(&checksum.to_be_bytes());
        let total = (IPV4_HEADER_LEN + icmp.len()) as u16;
        let mut packet = vec![0x45, 0];
        packet.extend_from_slice(&total.to_be_bytes());
        packet.extend_from_slice(&self.sequence.to_be_bytes()); // identification
        packet.extend_from_slice(&[0x40, 0, TTL, ICMP, 0, 0]); // DF, TTL, protocol, checksum
        packet.extend_from_slice(&self.source.octets());
        packet.extend_from_slice(&self.destination.octets());
        let checksum = internet_checksum(&packet);
        packet[10..12].copy_from_slice(&checksum.to_be_bytes());
        packet.extend_from_slice(&icmp);
        packet
    }

    /// Reads an echo out of an IPv4 packet; anything else is `None`.
    pub fn parse(packet: &[u8]) -> Option<Echo> {
        let header_len = usize::from(packet.first()? & 0x0f) * 4;
        if packet.first()? >> 4 != 4 || header_len < IPV4_HEADER_LEN || packet.get(9) != Some(&ICMP) {
            return None;
        }
        let total = usize::from(u16::from_be_bytes([*packet.get(2)?, *packet.get(3)?])).min(packet.len());
        let icmp = packet.get(header_len..total)?;
        if icmp.len() < 8 || internet_checksum(icmp) != 0 {
            return None;
        }
        let request = match icmp[0] {
            ECHO_REQUEST => true,
            ECHO_REPLY => false,
            _ => return None,
        };
        let address =
            |at: usize| Some(Ipv4Addr::new(*packet.get(at)?, packet[at + 1], packet[at + 2], packet[at + 3]));
        Some(Echo {
            source: address(12)?,
            destination: address(16)?,
            request,
            identifier: u16::from_be_bytes([icmp[4], icmp[5]]),
            sequence: u16::from_be_bytes([icmp[6], icmp[7]]),
            data: icmp[8..].to_vec(),
        })
    }

    /// The reply a host owning `destination` sends to this request.
    pub fn reply(&self) -> Echo {
        Echo { source: self.destination, destination: self.source, request: false, ..self.clone() }
    }
}

/// RFC 1071: one's complement of the one's complement sum of 16-bit words.
fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
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
        assert_eq!(internet_checksum(&packet[..20]), 0, "the IPv4 header checksum verifies");
        assert_eq!(Echo::parse(&packet), Some(request()));
        let reply = Echo::parse(&request().reply().to_packet()).unwrap();
        assert!(!reply.request);
        assert_eq!((reply.source, reply.destination), (request().destination, request().source));
    }

    /// A minimal request laid out by hand (20-byte header, no data), checksums included.
    #[test]
    fn a_hand_assembled_request_parses() {
        let packet = [
            0x45, 0x00, 0x00, 0x1c, 0x4b, 0x2f, 0x40, 0x00, 0x40, 0x01, 0x9a, 0xc8, 0xc6, 0x33, 0x64, 0x81,
            0xc6, 0x33, 0x64, 0x01, 0x08, 0x00, 0xf7, 0xfe, 0x00, 0x01, 0x00, 0x00,
        ];
        let echo = Echo::parse(&packet).expect("an echo request");
        assert!(echo.request);
        assert_eq!(internet_checksum(&packet[..20]), 0);
        assert_eq!(echo.source, Ipv4Addr::new(198, 51, 100, 129));
        assert_eq!((echo.identifier, echo.sequence), (1, 0));
    }

    #[test]
    fn damaged_or_other_packets_are_not_echoes() {
        let mut packet = request().to_packet();
        packet[25] ^= 1;
        assert_eq!(Echo::parse(&packet), None);
        assert_eq!(Echo::parse(&[0x60; 40]), None);
    }
}
