//! ICMP echo request and reply (RFC 792; ICMPv6, RFC 4443 4.1-4.2): what a
//! userspace stack needs to ping through a tunnel and to answer pings.

use std::net::IpAddr;

use super::{IpError, IpPacket, IpVersion, Ipv4Header, Ipv6Header, internet_checksum, protocol};

/// Type, code, checksum, identifier, sequence number.
const ECHO_HEADER_LEN: usize = 8;
const CHECKSUM_AT: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoKind {
    Request,
    Reply,
}

impl EchoKind {
    /// The ICMP type: 8 and 0 for IPv4 (RFC 792), 128 and 129 for IPv6 (RFC 4443).
    const fn icmp_type(self, version: IpVersion) -> u8 {
        match (self, version) {
            (Self::Request, IpVersion::V4) => 8,
            (Self::Reply, IpVersion::V4) => 0,
            (Self::Request, IpVersion::V6) => 128,
            (Self::Reply, IpVersion::V6) => 129,
        }
    }

    fn from_icmp_type(icmp_type: u8, version: IpVersion) -> Option<Self> {
        [Self::Request, Self::Reply].into_iter().find(|kind| kind.icmp_type(version) == icmp_type)
    }
}

/// An echo message, borrowing its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpEcho<'a> {
    pub kind: EchoKind,
    pub identifier: u16,
    pub sequence: u16,
    pub data: &'a [u8],
}

impl<'a> IcmpEcho<'a> {
    /// The echo an IP packet carries: ICMP over IPv4, ICMPv6 over IPv6 (directly
    /// after the fixed header), with a checksum that verifies.
    pub fn from_packet(packet: &IpPacket<'a>) -> Result<Self, IpError> {
        let version = packet.version();
        let expected_protocol = icmp_protocol(version);
        if packet.protocol() != expected_protocol {
            return Err(IpError::NotIcmp { protocol: packet.protocol() });
        }
        let message = packet.payload();
        let header: &[u8; ECHO_HEADER_LEN] =
            message.get(..ECHO_HEADER_LEN).and_then(|h| h.try_into().ok()).ok_or(IpError::Truncated {
                what: "ICMP echo header",
                needed: ECHO_HEADER_LEN,
                available: message.len(),
            })?;
        let ipv6 = match packet {
            IpPacket::V4(_) => None,
            IpPacket::V6(ipv6) => Some(&ipv6.header),
        };
        if message_checksum(ipv6, message)? != 0 {
            return Err(IpError::BadChecksum);
        }
        let (icmp_type, code) = (header[0], header[1]);
        let kind = EchoKind::from_icmp_type(icmp_type, version)
            .filter(|_| code == 0)
            .ok_or(IpError::NotEcho { icmp_type, code })?;
        Ok(Self {
            kind,
            identifier: u16::from_be_bytes([header[4], header[5]]),
            sequence: u16::from_be_bytes([header[6], header[7]]),
            data: &message[ECHO_HEADER_LEN..],
        })
    }

    /// The reply to this message: same identifier, sequence number and data
    /// (RFC 792 "Echo or Echo Reply Message", RFC 4443 4.2).
    pub fn reply(&self) -> Self {
        Self { kind: EchoKind::Reply, ..*self }
    }

    /// A whole IP packet from `src` to `dst` carrying this message, with a fresh
    /// header (TTL or Hop Limit 64) and both checksums filled in.
    pub fn to_packet(&self, src: IpAddr, dst: IpAddr) -> Result<Vec<u8>, IpError> {
        let message_len = ECHO_HEADER_LEN + self.data.len();
        let mut packet = Vec::with_capacity(Ipv6Header::LEN + message_len);
        let (version, ipv6) = match (src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                packet.extend_from_slice(&Ipv4Header::new(src, dst, protocol::ICMP).to_bytes(message_len)?);
                (IpVersion::V4, None)
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let header = Ipv6Header::new(src, dst, protocol::ICMPV6);
                packet.extend_from_slice(&header.to_bytes(message_len)?);
                (IpVersion::V6, Some(header))
            }
            _ => return Err(IpError::MixedFamilies),
        };
        let message_at = packet.len();
        packet.extend_from_slice(&[self.kind.icmp_type(version), 0, 0, 0]);
        packet.extend_from_slice(&self.identifier.to_be_bytes());
        packet.extend_from_slice(&self.sequence.to_be_bytes());
        packet.extend_from_slice(self.data);
        let checksum = message_checksum(ipv6.as_ref(), &packet[message_at..])?;
        let checksum_at = message_at + CHECKSUM_AT;
        packet[checksum_at..checksum_at + 2].copy_from_slice(&checksum.to_be_bytes());
        Ok(packet)
    }
}

/// ICMP for IPv4, ICMPv6 for IPv6.
const fn icmp_protocol(version: IpVersion) -> u8 {
    match version {
        IpVersion::V4 => protocol::ICMP,
        IpVersion::V6 => protocol::ICMPV6,
    }
}

/// The checksum of an ICMP `message`: over the message alone in IPv4 (RFC 792),
/// over the pseudo header of its `ipv6` header and the message for ICMPv6
/// (RFC 4443 2.3). Gives 0 for a message whose checksum field is right.
fn message_checksum(ipv6: Option<&Ipv6Header>, message: &[u8]) -> Result<u16, IpError> {
    match ipv6 {
        None => Ok(internet_checksum(message)),
        Some(header) => {
            let len = u32::try_from(message.len()).map_err(|_| IpError::TooLong { len: message.len() })?;
            Ok(header.pseudo_header(len).add(message).finish())
        }
    }
}

/// The echo reply to `packet` if it is an ICMP or ICMPv6 echo request, from its
/// destination back to its source; `None` for anything else. This is all a
/// userspace stack behind a tunnel needs to answer pings.
pub fn answer_echo(packet: &[u8]) -> Option<Vec<u8>> {
    let ip = IpPacket::parse(packet).ok()?;
    let echo = IcmpEcho::from_packet(&ip).ok()?;
    if echo.kind != EchoKind::Request {
        return None;
    }
    echo.reply().to_packet(ip.dst(), ip.src()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip::Ipv4Packet;
    use std::net::Ipv6Addr;

    /// The echo data of the pings in vectors/real case A: a timestamp, then 0x10..=0x37.
    fn ping_data() -> Vec<u8> {
        let mut data = vec![0x34, 0x8f, 0x08, 0x6b, 0, 0, 0, 0, 0x3f, 0x37, 0x07, 0, 0, 0, 0, 0];
        data.extend(0x10..=0x37);
        data
    }

    /// Case A, frame 10: the echo request strongSwan's initiator tunnelled,
    /// 198.51.100.1 -> 198.51.100.129, as tshark decrypted it.
    fn real_request() -> Vec<u8> {
        let mut packet = vec![
            0x45, 0x00, 0x00, 0x54, 0x6d, 0x06, 0x40, 0x00, 0x40, 0x01, 0x78, 0xb9, 0xc6, 0x33, 0x64, 0x01,
            0xc6, 0x33, 0x64, 0x81, 0x08, 0x00, 0x3f, 0x7e, 0x76, 0x7c, 0x00, 0x01,
        ];
        packet.extend(ping_data());
        packet
    }

    /// The ICMP part of the Linux kernel's reply to it (case A, frame 11).
    fn real_reply_message() -> Vec<u8> {
        let mut message = vec![0x00, 0x00, 0x47, 0x7e, 0x76, 0x7c, 0x00, 0x01];
        message.extend(ping_data());
        message
    }

    fn v6(last: u16) -> IpAddr {
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last).into()
    }

    #[test]
    fn reads_a_real_echo_request() {
        let request = real_request();
        let echo = IcmpEcho::from_packet(&IpPacket::parse(&request).unwrap()).unwrap();
        assert_eq!((echo.kind, echo.identifier, echo.sequence), (EchoKind::Request, 0x767c, 1));
        assert_eq!(echo.data, ping_data());
    }

    #[test]
    fn answers_a_real_request_as_the_kernel_did() {
        let reply = answer_echo(&real_request()).unwrap();
        assert_eq!(&reply[20..], real_reply_message(), "ICMP byte for byte, checksum 0x477e included");
        let ip = Ipv4Packet::parse(&reply).unwrap();
        assert!(ip.checksum_valid);
        let header = ip.header;
        assert_eq!((header.src.octets(), header.dst.octets()), ([198, 51, 100, 129], [198, 51, 100, 1]));
        assert_eq!((header.protocol, header.ttl, ip.total_len()), (1, 64, 84));
    }

    #[test]
    fn builds_icmpv6_with_the_pseudo_header_checksum() {
        let echo = IcmpEcho { kind: EchoKind::Request, identifier: 0x1234, sequence: 1, data: b"abcd" };
        let packet = echo.to_packet(v6(1), v6(2)).unwrap();
        assert_eq!(&packet[6..8], &[58, 64], "next header ICMPv6, hop limit 64");
        // Computed independently over RFC 8200 8.1's pseudo header.
        assert_eq!(&packet[40..48], &[128, 0, 0x4d, 0x48, 0x12, 0x34, 0, 1]);
        assert_eq!(IcmpEcho::from_packet(&IpPacket::parse(&packet).unwrap()), Ok(echo));

        let reply = answer_echo(&packet).unwrap();
        let parsed = IpPacket::parse(&reply).unwrap();
        assert_eq!((parsed.src(), parsed.dst()), (v6(2), v6(1)));
        assert_eq!(IcmpEcho::from_packet(&parsed), Ok(echo.reply()));
        assert_eq!(reply[40], 129);
    }

    #[test]
    fn answers_only_intact_requests() {
        let request = real_request();
        assert_eq!(answer_echo(&answer_echo(&request).unwrap()), None, "a reply is not answered");
        let mut damaged = request.clone();
        damaged[40] ^= 1;
        assert_eq!(IcmpEcho::from_packet(&IpPacket::parse(&damaged).unwrap()), Err(IpError::BadChecksum));
        assert_eq!(answer_echo(&damaged), None);
        assert_eq!(answer_echo(&request[..27]), None);
        assert_eq!(answer_echo(&[]), None);

        let udp = IcmpEcho { kind: EchoKind::Request, identifier: 1, sequence: 1, data: &[] }
            .to_packet(v6(1), v6(2))
            .map(|mut packet| {
                packet[6] = 17;
                packet
            })
            .unwrap();
        assert_eq!(
            IcmpEcho::from_packet(&IpPacket::parse(&udp).unwrap()),
            Err(IpError::NotIcmp { protocol: 17 })
        );
    }

    #[test]
    fn other_icmp_types_are_not_echoes() {
        // Destination unreachable, port unreachable, with a valid checksum.
        let mut message = vec![3, 3, 0, 0, 0, 0, 0, 0];
        let checksum = internet_checksum(&message);
        message[2..4].copy_from_slice(&checksum.to_be_bytes());
        let header = Ipv4Header::new([192, 0, 2, 1].into(), [192, 0, 2, 2].into(), 1);
        let mut packet = header.to_bytes(message.len()).unwrap().to_vec();
        packet.extend_from_slice(&message);
        assert_eq!(
            IcmpEcho::from_packet(&IpPacket::parse(&packet).unwrap()),
            Err(IpError::NotEcho { icmp_type: 3, code: 3 })
        );
    }

    #[test]
    fn mixed_families_cannot_be_addressed() {
        let echo = IcmpEcho { kind: EchoKind::Reply, identifier: 0, sequence: 0, data: &[] };
        assert_eq!(echo.to_packet(v6(1), IpAddr::from([192, 0, 2, 1])), Err(IpError::MixedFamilies));
    }
}
