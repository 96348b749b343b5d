//! One error type for every cryptographic operation. Peer-supplied input of the
//! wrong shape lands here, never in a panic.

use super::{DhGroupId, EspEncryption, EspIntegrity};
use core::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// Phase 1 Encryption Algorithm / Key Length attributes we do not implement.
    UnsupportedEncryption { algorithm: u16, key_length: Option<u16> },
    /// Phase 1 Hash Algorithm attribute we do not implement.
    UnsupportedHash(u16),
    /// Diffie-Hellman group we do not implement.
    UnsupportedGroup(DhGroupId),
    /// ESP transform ID / Key Length attribute we do not implement.
    UnsupportedEspTransform { transform_id: u8, key_length: Option<u16> },
    /// ESP Authentication Algorithm attribute we do not implement.
    UnsupportedEspIntegrity(u16),
    /// An AEAD with an integrity algorithm, or a CBC cipher without one.
    UnsupportedEspSuite { encryption: EspEncryption, integrity: Option<EspIntegrity> },
    /// A key of the wrong length for its algorithm.
    InvalidKeyLength { expected: usize, actual: usize },
    /// An IV that is not one cipher block long.
    InvalidIvLength { expected: usize, actual: usize },
    /// CBC data that is empty or not a whole number of blocks.
    NotBlockAligned { len: usize, block_len: usize },
    /// An ESP packet too short for its header, IV and ICV, or misaligned.
    InvalidPacketLength { len: usize },
    /// A KE payload whose length is not the group's modulus length (RFC 2409 5).
    InvalidPublicValueLength { expected: usize, actual: usize },
    /// A public value outside 1 < y < p-1 (degenerate keys, CVE-2015-3240).
    PublicValueOutOfRange,
    /// An ICV or tag that does not verify.
    IntegrityCheckFailed,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedEncryption { algorithm, key_length } => {
                write!(f, "unsupported encryption algorithm {algorithm} with key length {key_length:?}")
            }
            Self::UnsupportedHash(value) => write!(f, "unsupported hash algorithm {value}"),
            Self::UnsupportedGroup(group) => write!(f, "unsupported Diffie-Hellman group {}", group.0),
            Self::UnsupportedEspTransform { transform_id, key_length } => {
                write!(f, "unsupported ESP transform {transform_id} with key length {key_length:?}")
            }
            Self::UnsupportedEspIntegrity(value) => {
                write!(f, "unsupported ESP authentication algorithm {value}")
            }
            Self::UnsupportedEspSuite { encryption, integrity } => {
                write!(f, "unsupported ESP suite {encryption:?} with integrity {integrity:?}")
            }
            Self::InvalidKeyLength { expected, actual } => {
                write!(f, "key is {actual} bytes, expected {expected}")
            }
            Self::InvalidIvLength { expected, actual } => {
                write!(f, "IV is {actual} bytes, expected {expected}")
            }
            Self::NotBlockAligned { len, block_len } => {
                write!(f, "{len} bytes is not a non-empty multiple of the {block_len}-byte block")
            }
            Self::InvalidPacketLength { len } => write!(f, "ESP packet of {len} bytes has an invalid length"),
            Self::InvalidPublicValueLength { expected, actual } => {
                write!(f, "Diffie-Hellman public value is {actual} bytes, expected {expected}")
            }
            Self::PublicValueOutOfRange => f.write_str("Diffie-Hellman public value outside 1 < y < p-1"),
            Self::IntegrityCheckFailed => f.write_str("integrity check failed"),
        }
    }
}

impl std::error::Error for CryptoError {}
