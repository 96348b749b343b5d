//! Just enough IP for the ESP data plane and a userspace ping: the IPv4 header
//! (RFC 791) with its checksum, the IPv6 fixed header (RFC 8200), the Internet
//! checksum (RFC 1071) and ICMP / ICMPv6 echo (RFC 792, RFC 4443).
//!
//! Parsing borrows from the buffer, never reads past a length field or the
//! bytes given, and never panics; building returns fixed-size headers the
//! caller places where it wants them.

mod checksum;
mod error;
mod icmp;
mod ipv4;
mod ipv6;
mod packet;

pub use checksum::{Checksum, internet_checksum};
pub use error::IpError;
pub use icmp::{EchoKind, IcmpEcho, answer_echo};
pub use ipv4::{Ipv4Header, Ipv4Packet};
pub use ipv6::{Ipv6Header, Ipv6Packet};
pub use packet::{IpPacket, IpVersion};

/// IP protocol numbers (IANA) the data plane names.
pub mod protocol {
    pub const ICMP: u8 = 1;
    /// IPv4 in IP: ESP's Next Header for a tunnelled IPv4 packet (RFC 4303 2.6).
    pub const IPV4: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    /// IPv6 in IP: ESP's Next Header for a tunnelled IPv6 packet.
    pub const IPV6: u8 = 41;
    /// The IPv6 Fragment extension header (RFC 8200 4.5).
    pub const IPV6_FRAGMENT: u8 = 44;
    pub const ESP: u8 = 50;
    pub const ICMPV6: u8 = 58;
    /// No Next Header: marks an ESP dummy packet (RFC 4303 2.6).
    pub const NO_NEXT_HEADER: u8 = 59;
}
