//! The IP packet a tunnel-mode ESP packet carries: addresses, protocol, the
//! IPv4 header checksum and, for ICMP, type and code. Just enough to say what
//! went through the tunnel; nothing here trusts a length field blindly.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// ESP Next Header values of tunnel mode (IANA protocol numbers).
const NEXT_HEADER_IPV4: u8 = 4;
const NEXT_HEADER_IPV6: u8 = 41;
const PROTOCOL_ICMP: u8 = 1;
const PROTOCOL_ICMPV6: u8 = 58;

const IPV4_MIN_HEADER_LEN: usize = 20;
const IPV6_HEADER_LEN: usize = 40;

/// The inner packet of a decapsulated ESP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InnerPacket {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 Protocol or IPv6 Next Header.
    pub protocol: u8,
    /// Whether the IPv4 header checksum verifies (RFC 791 3.1); `None` for IPv6,
    /// which has none.
    pub header_checksum_valid: Option<bool>,
    pub icmp: Option<IcmpHeader>,
}

/// ICMP or ICMPv6 type and code (RFC 792, RFC 4443 2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpHeader {
    pub icmp_type: u8,
    pub code: u8,
}

/// Why the bytes after ESP decryption are not an IP packet we can describe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InnerPacketError {
    /// Transport mode or anything else than IPv4/IPv6 in tunnel mode.
    NotIp {
        next_header: u8,
    },
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    VersionMismatch {
        next_header: u8,
        version: u8,
    },
}

impl fmt::Display for InnerPacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotIp { next_header } => write!(f, "next header {next_header} is not IPv4 or IPv6"),
            Self::Truncated { what, needed, available } => {
                write!(f, "inner {what} needs {needed} bytes, {available} left")
            }
            Self::VersionMismatch { next_header, version } => {
                write!(f, "next header {next_header} announces IP but the version nibble is {version}")
            }
        }
    }
}

impl InnerPacket {
    /// Reads the packet ESP's Next Header says follows.
    pub fn parse(next_header: u8, packet: &[u8]) -> Result<Self, InnerPacketError> {
        match next_header {
            NEXT_HEADER_IPV4 => Self::ipv4(packet),
            NEXT_HEADER_IPV6 => Self::ipv6(packet),
            _ => Err(InnerPacketError::NotIp { next_header }),
        }
    }

    fn ipv4(packet: &[u8]) -> Result<Self, InnerPacketError> {
        need(packet, IPV4_MIN_HEADER_LEN, "IPv4 header")?;
        check_version(packet, NEXT_HEADER_IPV4, 4)?;
        let header_len = usize::from(packet[0] & 0x0f) * 4;
        need(packet, header_len.max(IPV4_MIN_HEADER_LEN), "IPv4 header with options")?;
        let header = &packet[..header_len.max(IPV4_MIN_HEADER_LEN)];
        let protocol = header[9];
        let src = Ipv4Addr::new(header[12], header[13], header[14], header[15]);
        let dst = Ipv4Addr::new(header[16], header[17], header[18], header[19]);
        let payload = &packet[header.len()..];
        Ok(Self {
            src: src.into(),
            dst: dst.into(),
            protocol,
            header_checksum_valid: Some(
                header_len >= IPV4_MIN_HEADER_LEN && ones_complement_sum(header) == 0xffff,
            ),
            icmp: (protocol == PROTOCOL_ICMP).then(|| icmp_header(payload)).flatten(),
        })
    }

    fn ipv6(packet: &[u8]) -> Result<Self, InnerPacketError> {
        need(packet, IPV6_HEADER_LEN, "IPv6 header")?;
        check_version(packet, NEXT_HEADER_IPV6, 6)?;
        let address = |at: usize| {
            let mut octets = [0; 16];
            octets.copy_from_slice(&packet[at..at + 16]);
            Ipv6Addr::from(octets)
        };
        let next_header = packet[6];
        let payload = &packet[IPV6_HEADER_LEN..];
        Ok(Self {
            src: address(8).into(),
            dst: address(24).into(),
            protocol: next_header,
            header_checksum_valid: None,
            // Extension headers before ICMPv6 are not followed: rare inside tunnels.
            icmp: (next_header == PROTOCOL_ICMPV6).then(|| icmp_header(payload)).flatten(),
        })
    }

    /// `ICMP`, `TCP`... for the common protocols, the number otherwise.
    pub fn protocol_name(&self) -> String {
        match self.protocol {
            PROTOCOL_ICMP => "ICMP".to_owned(),
            6 => "TCP".to_owned(),
            17 => "UDP".to_owned(),
            PROTOCOL_ICMPV6 => "ICMPv6".to_owned(),
            other => other.to_string(),
        }
    }
}

fn need(packet: &[u8], needed: usize, what: &'static str) -> Result<(), InnerPacketError> {
    if packet.len() < needed {
        return Err(InnerPacketError::Truncated { what, needed, available: packet.len() });
    }
    Ok(())
}

fn check_version(packet: &[u8], next_header: u8, expected: u8) -> Result<(), InnerPacketError> {
    let version = packet[0] >> 4;
    if version != expected {
        return Err(InnerPacketError::VersionMismatch { next_header, version });
    }
    Ok(())
}

fn icmp_header(payload: &[u8]) -> Option<IcmpHeader> {
    match payload {
        [icmp_type, code, ..] => Some(IcmpHeader { icmp_type: *icmp_type, code: *code }),
        _ => None,
    }
}

/// The 16-bit ones' complement sum of RFC 1071; a header whose checksum field is
/// right sums to 0xffff (RFC 791 3.1).
fn ones_complement_sum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inner packet of case A frame 10 (tshark's esp.contained_data), first 28 bytes.
    const ECHO_REQUEST: [u8; 28] = [
        0x45, 0x00, 0x00, 0x54, 0x6d, 0x06, 0x40, 0x00, 0x40, 0x01, 0x78, 0xb9, 0xc6, 0x33, 0x64, 0x01, 0xc6,
        0x33, 0x64, 0x81, 0x08, 0x00, 0x3f, 0x7e, 0x76, 0x7c, 0x00, 0x01,
    ];

    #[test]
    fn reads_an_icmp_echo_request_with_a_good_checksum() {
        let packet = InnerPacket::parse(4, &ECHO_REQUEST).unwrap();
        assert_eq!(packet.src, "198.51.100.1".parse::<IpAddr>().unwrap());
        assert_eq!(packet.dst, "198.51.100.129".parse::<IpAddr>().unwrap());
        assert_eq!((packet.protocol, packet.protocol_name()), (1, "ICMP".to_owned()));
        assert_eq!(packet.header_checksum_valid, Some(true));
        assert_eq!(packet.icmp, Some(IcmpHeader { icmp_type: 8, code: 0 }));
    }

    #[test]
    fn a_damaged_header_fails_its_checksum() {
        let mut damaged = ECHO_REQUEST;
        damaged[8] = 0x3f; // TTL
        assert_eq!(InnerPacket::parse(4, &damaged).unwrap().header_checksum_valid, Some(false));
    }

    #[test]
    fn short_or_foreign_packets_are_errors() {
        assert!(matches!(
            InnerPacket::parse(4, &ECHO_REQUEST[..19]),
            Err(InnerPacketError::Truncated { .. })
        ));
        assert!(matches!(InnerPacket::parse(41, &ECHO_REQUEST), Err(InnerPacketError::Truncated { .. })));
        assert_eq!(InnerPacket::parse(17, &ECHO_REQUEST), Err(InnerPacketError::NotIp { next_header: 17 }));
        let mut ipv6_nibble = ECHO_REQUEST;
        ipv6_nibble[0] = 0x65;
        assert!(matches!(InnerPacket::parse(4, &ipv6_nibble), Err(InnerPacketError::VersionMismatch { .. })));
        // IHL of 15 words claims 60 header bytes.
        let mut long_ihl = ECHO_REQUEST;
        long_ihl[0] = 0x4f;
        assert!(matches!(InnerPacket::parse(4, &long_ihl), Err(InnerPacketError::Truncated { .. })));
    }
}
