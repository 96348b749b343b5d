//! The IPv4 header (RFC 791 3.1): parsed with its options left as bytes, built
//! without options and with its checksum.

use std::net::Ipv4Addr;

use super::{Checksum, IpError, internet_checksum};

const VERSION: u8 = 4;
const DONT_FRAGMENT: u16 = 0x4000;
const MORE_FRAGMENTS: u16 = 0x2000;
const FRAGMENT_OFFSET: u16 = 0x1fff;

/// The header fields, options aside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Header {
    /// The former Type of Service byte: DSCP and ECN (RFC 2474, RFC 3168).
    pub traffic_class: u8,
    pub identification: u16,
    pub dont_fragment: bool,
    pub more_fragments: bool,
    /// In units of 8 bytes.
    pub fragment_offset: u16,
    pub ttl: u8,
    pub protocol: u8,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
}

impl Ipv4Header {
    /// A header without options.
    pub const LEN: usize = 20;

    /// The TTL of the packets we originate (the Linux default).
    pub const DEFAULT_TTL: u8 = 64;

    /// An unfragmented packet's header with TTL 64 and everything else zero.
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8) -> Self {
        Self {
            traffic_class: 0,
            identification: 0,
            dont_fragment: false,
            more_fragments: false,
            fragment_offset: 0,
            ttl: Self::DEFAULT_TTL,
            protocol,
            src,
            dst,
        }
    }

    /// Part of a fragmented datagram (RFC 791 3.2).
    pub fn is_fragment(&self) -> bool {
        self.more_fragments || self.fragment_offset != 0
    }

    /// The 20 header bytes for a payload of `payload_len`, checksum filled in.
    pub fn to_bytes(&self, payload_len: usize) -> Result<[u8; Self::LEN], IpError> {
        let total_len = Self::LEN + payload_len;
        let total = u16::try_from(total_len).map_err(|_| IpError::TooLong { len: total_len })?;
        let mut flags = self.fragment_offset & FRAGMENT_OFFSET;
        if self.dont_fragment {
            flags |= DONT_FRAGMENT;
        }
        if self.more_fragments {
            flags |= MORE_FRAGMENTS;
        }
        let mut header = [0; Self::LEN];
        header[0] = VERSION << 4 | (Self::LEN / 4) as u8;
        header[1] = self.traffic_class;
        header[2..4].copy_from_slice(&total.to_be_bytes());
        header[4..6].copy_from_slice(&self.identification.to_be_bytes());
        header[6..8].copy_from_slice(&flags.to_be_bytes());
        header[8] = self.ttl;
        header[9] = self.protocol;
        header[12..16].copy_from_slice(&self.src.octets());
        header[16..20].copy_from_slice(&self.dst.octets());
        let checksum = internet_checksum(&header);
        header[10..12].copy_from_slice(&checksum.to_be_bytes());
        Ok(header)
    }

    /// The pseudo header that UDP and TCP checksums start from (RFC 768, RFC 793
    /// 3.1): source, destination, zero, protocol, upper-layer length.
    pub fn pseudo_header(&self, upper_layer_len: u16) -> Checksum {
        let mut sum = Checksum::new();
        sum.add(&self.src.octets()).add(&self.dst.octets()).add(&[0, self.protocol]).add_u16(upper_layer_len);
        sum
    }
}

/// An IPv4 packet borrowed from a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Packet<'a> {
    pub header: Ipv4Header,
    /// The options between the fixed header and the payload.
    pub options: &'a [u8],
    /// The payload as bounded by Total Length: bytes beyond it (link padding,
    /// ESP TFC padding) are not part of the packet.
    pub payload: &'a [u8],
    /// Whether the header checksum verifies (RFC 791 3.1).
    pub checksum_valid: bool,
}

impl<'a> Ipv4Packet<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, IpError> {
        let fixed: &[u8; Ipv4Header::LEN] =
            bytes.get(..Ipv4Header::LEN).and_then(|fixed| fixed.try_into().ok()).ok_or(
                IpError::Truncated { what: "IPv4 header", needed: Ipv4Header::LEN, available: bytes.len() },
            )?;
        let version = fixed[0] >> 4;
        if version != VERSION {
            return Err(IpError::WrongVersion { expected: VERSION, found: version });
        }
        let ihl = fixed[0] & 0x0f;
        let header_len = usize::from(ihl) * 4;
        if header_len < Ipv4Header::LEN {
            return Err(IpError::HeaderLength(ihl));
        }
        let total_len = u16::from_be_bytes([fixed[2], fixed[3]]);
        if usize::from(total_len) < header_len {
            return Err(IpError::TotalLength { total_len, header_len });
        }
        let packet = bytes.get(..usize::from(total_len)).ok_or(IpError::Truncated {
            what: "IPv4 total length",
            needed: usize::from(total_len),
            available: bytes.len(),
        })?;
        let (header_bytes, payload) = packet.split_at(header_len);
        let flags = u16::from_be_bytes([fixed[6], fixed[7]]);
        let header = Ipv4Header {
            traffic_class: fixed[1],
            identification: u16::from_be_bytes([fixed[4], fixed[5]]),
            dont_fragment: flags & DONT_FRAGMENT != 0,
            more_fragments: flags & MORE_FRAGMENTS != 0,
            fragment_offset: flags & FRAGMENT_OFFSET,
            ttl: fixed[8],
            protocol: fixed[9],
            src: Ipv4Addr::new(fixed[12], fixed[13], fixed[14], fixed[15]),
            dst: Ipv4Addr::new(fixed[16], fixed[17], fixed[18], fixed[19]),
        };
        Ok(Self {
            header,
            options: &header_bytes[Ipv4Header::LEN..],
            payload,
            checksum_valid: internet_checksum(header_bytes) == 0,
        })
    }

    /// Header, options and payload: the Total Length.
    pub fn total_len(&self) -> usize {
        Ipv4Header::LEN + self.options.len() + self.payload.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ICMP echo request inside the first ESP packet of vectors/real case A
    /// (frame 10), as tshark decrypted it: 198.51.100.1 -> 198.51.100.129.
    const ECHO_REQUEST_HEADER: [u8; 20] = [
        0x45, 0x00, 0x00, 0x54, 0x6d, 0x06, 0x40, 0x00, 0x40, 0x01, 0x78, 0xb9, 0xc6, 0x33, 0x64, 0x01, 0xc6,
        0x33, 0x64, 0x81,
    ];

    fn echo_request_packet() -> Vec<u8> {
        let mut packet = ECHO_REQUEST_HEADER.to_vec();
        packet.resize(84, 0xab);
        packet
    }

    #[test]
    fn parses_a_real_header() {
        let bytes = echo_request_packet();
        let packet = Ipv4Packet::parse(&bytes).unwrap();
        let header = packet.header;
        assert_eq!(
            (header.src, header.dst),
            (Ipv4Addr::new(198, 51, 100, 1), Ipv4Addr::new(198, 51, 100, 129))
        );
        assert_eq!((header.protocol, header.ttl, header.identification), (1, 64, 0x6d06));
        assert!(header.dont_fragment && !header.is_fragment());
        assert!(packet.checksum_valid);
        assert_eq!((packet.options.len(), packet.payload.len(), packet.total_len()), (0, 64, 84));
    }

    #[test]
    fn builds_the_same_header_back() {
        let bytes = echo_request_packet();
        let packet = Ipv4Packet::parse(&bytes).unwrap();
        assert_eq!(packet.header.to_bytes(64).unwrap(), ECHO_REQUEST_HEADER);
    }

    #[test]
    fn total_length_bounds_the_payload() {
        let mut bytes = echo_request_packet();
        bytes.extend_from_slice(&[0; 10]);
        assert_eq!(Ipv4Packet::parse(&bytes).unwrap().payload.len(), 64);
        assert_eq!(
            Ipv4Packet::parse(&bytes[..83]),
            Err(IpError::Truncated { what: "IPv4 total length", needed: 84, available: 83 })
        );
    }

    #[test]
    fn a_changed_field_breaks_the_checksum() {
        let mut bytes = echo_request_packet();
        bytes[8] = 63;
        assert!(!Ipv4Packet::parse(&bytes).unwrap().checksum_valid);
    }

    #[test]
    fn options_are_kept_apart() {
        let header = Ipv4Header::new(Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2), 17);
        let mut bytes = header.to_bytes(8 + 4).unwrap().to_vec();
        bytes[0] = 0x46; // IHL 6: one word of options
        bytes.extend_from_slice(&[1, 1, 1, 0, 9, 9, 9, 9, 9, 9, 9, 9]);
        let packet = Ipv4Packet::parse(&bytes).unwrap();
        assert_eq!((packet.options, packet.payload), (&[1, 1, 1, 0][..], &[9; 8][..]));
    }

    #[test]
    fn malformed_headers_are_errors() {
        let bytes = echo_request_packet();
        assert!(matches!(Ipv4Packet::parse(&bytes[..19]), Err(IpError::Truncated { needed: 20, .. })));
        let mut wrong = bytes.clone();
        wrong[0] = 0x65;
        assert_eq!(Ipv4Packet::parse(&wrong), Err(IpError::WrongVersion { expected: 4, found: 6 }));
        wrong[0] = 0x44;
        assert_eq!(Ipv4Packet::parse(&wrong), Err(IpError::HeaderLength(4)));
        wrong[0] = 0x4f; // 60-byte header in an 84-byte packet: fine; total length 40 is not
        wrong[2..4].copy_from_slice(&40u16.to_be_bytes());
        assert_eq!(Ipv4Packet::parse(&wrong), Err(IpError::TotalLength { total_len: 40, header_len: 60 }));
    }

    #[test]
    fn fragments_and_oversized_payloads() {
        let mut header = Ipv4Header::new(Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, 6);
        header.fragment_offset = 185;
        let bytes = header.to_bytes(0).unwrap();
        assert_eq!(&bytes[6..8], &[0x00, 0xb9]);
        assert!(Ipv4Packet::parse(&bytes).unwrap().header.is_fragment());
        assert_eq!(header.to_bytes(65_516), Err(IpError::TooLong { len: 65_536 }));
        assert!(header.to_bytes(65_515).is_ok());
    }
}
