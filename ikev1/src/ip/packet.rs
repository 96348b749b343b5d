//! An IP packet of either version, told apart by its version nibble.

use std::net::IpAddr;

use serde::Serialize;

use super::{IpError, Ipv4Packet, Ipv6Packet, protocol};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IpVersion {
    V4,
    V6,
}

impl IpVersion {
    /// The version nibble of a packet's first byte, if it is 4 or 6.
    pub fn of_packet(packet: &[u8]) -> Result<Self, IpError> {
        let first =
            packet.first().ok_or(IpError::Truncated { what: "IP version", needed: 1, available: 0 })?;
        match first >> 4 {
            4 => Ok(Self::V4),
            6 => Ok(Self::V6),
            other => Err(IpError::UnknownVersion(other)),
        }
    }

    pub fn of_address(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(_) => Self::V4,
            IpAddr::V6(_) => Self::V6,
        }
    }

    /// The protocol number that says "an IP packet of this version follows" in an
    /// ESP Next Header field (tunnel mode, RFC 4303 2.6) or an outer header.
    pub const fn encapsulation_protocol(self) -> u8 {
        match self {
            Self::V4 => protocol::IPV4,
            Self::V6 => protocol::IPV6,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpPacket<'a> {
    V4(Ipv4Packet<'a>),
    V6(Ipv6Packet<'a>),
}

impl<'a> IpPacket<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, IpError> {
        Self::parse_as(IpVersion::of_packet(bytes)?, bytes)
    }

    /// A packet that must be of `version` (an ESP Next Header said so).
    pub fn parse_as(version: IpVersion, bytes: &'a [u8]) -> Result<Self, IpError> {
        match version {
            IpVersion::V4 => Ipv4Packet::parse(bytes).map(Self::V4),
            IpVersion::V6 => Ipv6Packet::parse(bytes).map(Self::V6),
        }
    }

    pub fn version(&self) -> IpVersion {
        match self {
            Self::V4(_) => IpVersion::V4,
            Self::V6(_) => IpVersion::V6,
        }
    }

    pub fn src(&self) -> IpAddr {
        match self {
            Self::V4(packet) => packet.header.src.into(),
            Self::V6(packet) => packet.header.src.into(),
        }
    }

    pub fn dst(&self) -> IpAddr {
        match self {
            Self::V4(packet) => packet.header.dst.into(),
            Self::V6(packet) => packet.header.dst.into(),
        }
    }

    /// IPv4 Protocol, or the Next Header of the IPv6 fixed header.
    pub fn protocol(&self) -> u8 {
        match self {
            Self::V4(packet) => packet.header.protocol,
            Self::V6(packet) => packet.header.next_header,
        }
    }

    pub fn traffic_class(&self) -> u8 {
        match self {
            Self::V4(packet) => packet.header.traffic_class,
            Self::V6(packet) => packet.header.traffic_class,
        }
    }

    /// TTL or Hop Limit.
    pub fn hop_limit(&self) -> u8 {
        match self {
            Self::V4(packet) => packet.header.ttl,
            Self::V6(packet) => packet.header.hop_limit,
        }
    }

    /// What follows the (fixed) header and, for IPv4, the options.
    pub fn payload(&self) -> &'a [u8] {
        match self {
            Self::V4(packet) => packet.payload,
            Self::V6(packet) => packet.payload,
        }
    }

    /// The packet's length as its header states it.
    pub fn total_len(&self) -> usize {
        match self {
            Self::V4(packet) => packet.total_len(),
            Self::V6(packet) => packet.total_len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip::{Ipv4Header, Ipv6Header};
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn dispatches_on_the_version_nibble() {
        let mut v4 = Ipv4Header::new(Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2), 17)
            .to_bytes(3)
            .unwrap()
            .to_vec();
        v4.extend_from_slice(&[7, 8, 9]);
        let packet = IpPacket::parse(&v4).unwrap();
        assert_eq!(
            (packet.version(), packet.protocol(), packet.payload(), packet.total_len()),
            (IpVersion::V4, 17, &[7, 8, 9][..], 23)
        );
        assert_eq!((packet.src(), packet.hop_limit()), (IpAddr::from([192, 0, 2, 1]), 64));

        let v6 = Ipv6Header::new(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, 59).to_bytes(0).unwrap();
        let packet = IpPacket::parse(&v6).unwrap();
        assert_eq!((packet.version(), packet.protocol(), packet.total_len()), (IpVersion::V6, 59, 40));
        assert_eq!(packet.dst(), IpAddr::from(Ipv6Addr::LOCALHOST));

        assert_eq!(IpPacket::parse(&[0x50; 40]), Err(IpError::UnknownVersion(5)));
        assert_eq!(
            IpPacket::parse_as(IpVersion::V4, &v6),
            Err(IpError::WrongVersion { expected: 4, found: 6 })
        );
        assert!(matches!(IpPacket::parse(&[]), Err(IpError::Truncated { .. })));
        assert_eq!(IpVersion::V6.encapsulation_protocol(), 41);
    }
}
