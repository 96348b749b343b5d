//! Why a packet was not protected or not accepted. Every variant is counted
//! (see [`super::EspCounters`]); none comes from a panic.

use core::fmt;

use super::ReplayError;
use crate::crypto::CryptoError;
use crate::ip::IpError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EspError {
    /// Too short for the SPI, sequence number, IV, one aligned payload block and
    /// ICV of this SA, or a payload not a multiple of the cipher's alignment
    /// (RFC 4303 2, 2.4).
    Malformed { len: usize },
    /// The packet names another SA (the database looked up the wrong one).
    WrongSpi { expected: u32, received: u32 },
    /// Refused by the anti-replay window (RFC 4303 3.4.3).
    Replay { sequence: u32, reason: ReplayError },
    /// The ICV does not verify (RFC 4303 3.4.4).
    IntegrityCheckFailed { sequence: u32 },
    /// Pad Length beyond the payload, or padding other than 1, 2, 3... (RFC 4303
    /// 2.4: "the receiver SHOULD inspect the Padding field").
    BadPadding { sequence: u32 },
    /// A tunnel-mode Next Header other than IPv4 (4), IPv6 (41) or no next
    /// header (59) (RFC 4303 2.6).
    UnknownNextHeader { sequence: u32, next_header: u8 },
    /// The inner packet is not the IP packet it must be: outbound, what was handed
    /// in; inbound, what Next Header announced, or the rebuilt transport-mode packet.
    InvalidInnerPacket(IpError),
    /// Transport mode protects whole datagrams only (RFC 4303 3.3.4).
    FragmentInTransportMode,
    /// Sequence number 2^32-1 has been sent: a new SA must take over (RFC 4303 3.3.3).
    SequenceNumberExhausted,
    /// The transform refused in a way the checks above do not foresee.
    Crypto(CryptoError),
}

impl fmt::Display for EspError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { len } => write!(f, "malformed ESP packet of {len} bytes"),
            Self::WrongSpi { expected, received } => {
                write!(f, "SPI {received:#010x} reached the SA of SPI {expected:#010x}")
            }
            Self::Replay { sequence, reason } => write!(f, "replayed sequence number {sequence}: {reason}"),
            Self::IntegrityCheckFailed { sequence } => {
                write!(f, "ICV of sequence number {sequence} is invalid")
            }
            Self::BadPadding { sequence } => write!(f, "bad padding in sequence number {sequence}"),
            Self::UnknownNextHeader { sequence, next_header } => {
                write!(f, "next header {next_header} in sequence number {sequence} is not an IP packet")
            }
            Self::InvalidInnerPacket(error) => write!(f, "inner packet: {error}"),
            Self::FragmentInTransportMode => {
                f.write_str("transport mode protects whole datagrams, not fragments")
            }
            Self::SequenceNumberExhausted => {
                f.write_str("sequence numbers exhausted: the SA needs a successor")
            }
            Self::Crypto(error) => write!(f, "ESP transform: {error}"),
        }
    }
}

impl std::error::Error for EspError {}

impl From<IpError> for EspError {
    fn from(error: IpError) -> Self {
        Self::InvalidInnerPacket(error)
    }
}
