//! Why bytes are not the IP packet or ICMP message they should be.

use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpError {
    /// Fewer bytes than a header or a length field asks for.
    Truncated { what: &'static str, needed: usize, available: usize },
    /// The version nibble is not the one expected (4 or 6).
    WrongVersion { expected: u8, found: u8 },
    /// Neither 4 nor 6.
    UnknownVersion(u8),
    /// An IPv4 IHL below five words (RFC 791 3.1).
    HeaderLength(u8),
    /// An IPv4 Total Length shorter than the header it includes.
    TotalLength { total_len: u16, header_len: usize },
    /// A packet too long for the 16-bit length field it needs.
    TooLong { len: usize },
    /// Source and destination of different families.
    MixedFamilies,
    /// An ICMP message that is not an echo request or reply.
    NotEcho { icmp_type: u8, code: u8 },
    /// An IP packet whose protocol is not ICMP (or ICMPv6).
    NotIcmp { protocol: u8 },
    /// A checksum that does not verify (RFC 1071).
    BadChecksum,
}

impl fmt::Display for IpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { what, needed, available } => {
                write!(f, "{what} needs {needed} bytes, {available} available")
            }
            Self::WrongVersion { expected, found } => write!(f, "IP version {found}, expected {expected}"),
            Self::UnknownVersion(version) => write!(f, "IP version {version} is neither 4 nor 6"),
            Self::HeaderLength(ihl) => write!(f, "IPv4 header length of {ihl} words is below 5"),
            Self::TotalLength { total_len, header_len } => {
                write!(f, "IPv4 total length {total_len} is shorter than its {header_len}-byte header")
            }
            Self::TooLong { len } => write!(f, "{len} bytes do not fit a 16-bit length field"),
            Self::MixedFamilies => f.write_str("source and destination are of different address families"),
            Self::NotEcho { icmp_type, code } => {
                write!(f, "ICMP type {icmp_type} code {code} is not an echo")
            }
            Self::NotIcmp { protocol } => write!(f, "protocol {protocol} is not ICMP"),
            Self::BadChecksum => f.write_str("checksum does not verify"),
        }
    }
}

impl std::error::Error for IpError {}
