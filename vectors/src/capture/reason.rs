//! Why a frame stops short of a UDP datagram or an ESP packet.

use std::fmt;

use super::LinkType;

/// Where in the frame dissection stopped, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotDissected {
    /// Byte offset from the start of the frame of the header that could not be read.
    pub offset: usize,
    pub reason: Reason,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The dissector does not know this link layer.
    UnsupportedLinkType(LinkType),
    /// The link layer carries something other than IP (ARP, LLDP, 802.3 LLC...).
    NotIp { ethertype: u16 },
    /// A loopback header names an address family that is neither IPv4 nor IPv6.
    UnsupportedAddressFamily(u32),
    /// The IP version nibble is not the one the link layer announced (or neither 4 nor 6).
    UnexpectedIpVersion(u8),
    /// Fewer bytes are left in the frame (or in the enclosing IP packet) than the header needs.
    Truncated { header: &'static str, needed: usize, available: usize },
    /// A length field has a value outside what its header allows.
    BadLength { field: &'static str, value: usize, min: usize, max: usize },
    /// IP carries a protocol that is neither UDP nor ESP (ICMP, TCP, AH, no next header...).
    OtherIpProtocol(u8),
}

impl fmt::Display for NotDissected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.reason)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::UnsupportedLinkType(link_type) => write!(f, "unsupported {link_type}"),
            Reason::NotIp { ethertype } => write!(f, "not IP (ethertype 0x{ethertype:04x})"),
            Reason::UnsupportedAddressFamily(family) => {
                write!(f, "loopback address family {family} is neither IPv4 nor IPv6")
            }
            Reason::UnexpectedIpVersion(version) => write!(f, "unexpected IP version {version}"),
            Reason::Truncated { header, needed, available } => {
                write!(f, "truncated {header}: {needed} bytes needed, {available} left")
            }
            Reason::BadLength { field, value, min, max } => {
                write!(f, "{field} is {value}, must be within {min}..={max}")
            }
            Reason::OtherIpProtocol(protocol) => {
                write!(f, "IP protocol {protocol} is neither UDP (17) nor ESP (50)")
            }
        }
    }
}
