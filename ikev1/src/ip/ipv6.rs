//! The IPv6 fixed header (RFC 8200 3). Extension headers are payload here: the
//! data plane does not need to walk them.

use std::net::Ipv6Addr;

use super::{Checksum, IpError};

const VERSION: u8 = 6;
const FLOW_LABEL: u32 = 0x000f_ffff;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Header {
    /// DSCP and ECN (RFC 2474, RFC 3168).
    pub traffic_class: u8,
    /// 20 bits.
    pub flow_label: u32,
    pub next_header: u8,
    pub hop_limit: u8,
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
}

impl Ipv6Header {
    pub const LEN: usize = 40;

    /// The Hop Limit of the packets we originate (the Linux default).
    pub const DEFAULT_HOP_LIMIT: u8 = 64;

    /// A header with hop limit 64 and no traffic class or flow label.
    pub fn new(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8) -> Self {
        Self { traffic_class: 0, flow_label: 0, next_header, hop_limit: Self::DEFAULT_HOP_LIMIT, src, dst }
    }

    /// The 40 header bytes for a payload of `payload_len`.
    pub fn to_bytes(&self, payload_len: usize) -> Result<[u8; Self::LEN], IpError> {
        let payload_len = u16::try_from(payload_len).map_err(|_| IpError::TooLong { len: payload_len })?;
        let first_word =
            u32::from(VERSION) << 28 | u32::from(self.traffic_class) << 20 | self.flow_label & FLOW_LABEL;
        let mut header = [0; Self::LEN];
        header[0..4].copy_from_slice(&first_word.to_be_bytes());
        header[4..6].copy_from_slice(&payload_len.to_be_bytes());
        header[6] = self.next_header;
        header[7] = self.hop_limit;
        header[8..24].copy_from_slice(&self.src.octets());
        header[24..40].copy_from_slice(&self.dst.octets());
        Ok(header)
    }

    /// The pseudo header of upper-layer checksums (RFC 8200 8.1): source,
    /// destination, upper-layer length, three zero bytes, next header.
    pub fn pseudo_header(&self, upper_layer_len: u32) -> Checksum {
        let mut sum = Checksum::new();
        sum.add(&self.src.octets()).add(&self.dst.octets()).add_u32(upper_layer_len).add(&[
            0,
            0,
            0,
            self.next_header,
        ]);
        sum
    }
}

/// An IPv6 packet borrowed from a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Packet<'a> {
    pub header: Ipv6Header,
    /// Everything after the fixed header, bounded by Payload Length.
    pub payload: &'a [u8],
}

impl<'a> Ipv6Packet<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, IpError> {
        let fixed: &[u8; Ipv6Header::LEN] =
            bytes.get(..Ipv6Header::LEN).and_then(|fixed| fixed.try_into().ok()).ok_or(
                IpError::Truncated { what: "IPv6 header", needed: Ipv6Header::LEN, available: bytes.len() },
            )?;
        let first_word = u32::from_be_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]);
        let version = (first_word >> 28) as u8;
        if version != VERSION {
            return Err(IpError::WrongVersion { expected: VERSION, found: version });
        }
        let payload_len = usize::from(u16::from_be_bytes([fixed[4], fixed[5]]));
        let total_len = Ipv6Header::LEN + payload_len;
        let payload = bytes.get(Ipv6Header::LEN..total_len).ok_or(IpError::Truncated {
            what: "IPv6 payload length",
            needed: total_len,
            available: bytes.len(),
        })?;
        let address = |at: usize| {
            let mut octets = [0; 16];
            octets.copy_from_slice(&fixed[at..at + 16]);
            Ipv6Addr::from(octets)
        };
        let header = Ipv6Header {
            traffic_class: (first_word >> 20) as u8,
            flow_label: first_word & FLOW_LABEL,
            next_header: fixed[6],
            hop_limit: fixed[7],
            src: address(8),
            dst: address(24),
        };
        Ok(Self { header, payload })
    }

    /// Fixed header and payload.
    pub fn total_len(&self) -> usize {
        Ipv6Header::LEN + self.payload.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documentation(last: u16) -> Ipv6Addr {
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last)
    }

    #[test]
    fn builds_and_parses_every_field() {
        let header = Ipv6Header {
            traffic_class: 0xb8,
            flow_label: 0x12345,
            next_header: 58,
            hop_limit: 255,
            src: documentation(1),
            dst: documentation(2),
        };
        let mut bytes = header.to_bytes(4).unwrap().to_vec();
        assert_eq!(&bytes[..8], &[0x6b, 0x81, 0x23, 0x45, 0x00, 0x04, 58, 255]);
        bytes.extend_from_slice(&[1, 2, 3, 4, 0xee]);
        let packet = Ipv6Packet::parse(&bytes).unwrap();
        assert_eq!((packet.header, packet.payload, packet.total_len()), (header, &[1, 2, 3, 4][..], 44));
    }

    #[test]
    fn malformed_headers_are_errors() {
        let header = Ipv6Header::new(documentation(1), documentation(2), 17);
        let bytes = header.to_bytes(8).unwrap();
        assert_eq!(
            Ipv6Packet::parse(&bytes),
            Err(IpError::Truncated { what: "IPv6 payload length", needed: 48, available: 40 })
        );
        assert!(matches!(Ipv6Packet::parse(&bytes[..39]), Err(IpError::Truncated { needed: 40, .. })));
        let mut wrong = bytes;
        wrong[0] = 0x45;
        assert_eq!(Ipv6Packet::parse(&wrong), Err(IpError::WrongVersion { expected: 6, found: 4 }));
        assert_eq!(header.to_bytes(65_536), Err(IpError::TooLong { len: 65_536 }));
    }

    #[test]
    fn pseudo_header_follows_rfc_8200() {
        let header = Ipv6Header::new(documentation(1), documentation(2), 58);
        let mut expected = Vec::new();
        expected.extend_from_slice(&documentation(1).octets());
        expected.extend_from_slice(&documentation(2).octets());
        expected.extend_from_slice(&[0, 0, 0, 12, 0, 0, 0, 58]);
        assert_eq!(header.pseudo_header(12).finish(), crate::ip::internet_checksum(&expected));
    }
}
