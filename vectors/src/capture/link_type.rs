//! Link-layer header types of capture files (tcpdump.org/linktypes.html).

use std::fmt;

/// The LINKTYPE_ number that says what header starts each frame.
///
/// An open registry: any number is representable, the named ones are those the dissector
/// understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, possibly with 802.1Q / 802.1ad VLAN tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP: the frame starts with an IPv4 or IPv6 header.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like NULL but the address family is big-endian.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture, version 2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// Every link type the dissector understands.
    pub const SUPPORTED: [LinkType; 8] = [
        LinkType::NULL,
        LinkType::ETHERNET,
        LinkType::RAW,
        LinkType::LOOP,
        LinkType::LINUX_SLL,
        LinkType::IPV4,
        LinkType::IPV6,
        LinkType::LINUX_SLL2,
    ];

    fn name(self) -> Option<&'static str> {
        Some(match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "ETHERNET",
            LinkType::RAW => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => return None,
        })
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "link type {}", self.0),
        }
    }
}

impl From<pcap_file::DataLink> for LinkType {
    fn from(datalink: pcap_file::DataLink) -> Self {
        LinkType(u32::from(datalink))
    }
}
