//! Byte strings written as hex, the way every byte string in a key file is written.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Bytes that (de)serialize as a hex string without separators.
///
/// Reading accepts upper and lower case; writing always produces lower case, as the
/// key file schema prescribes.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hex(pub Vec<u8>);

impl Hex {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

/// Why a string is not hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HexError {
    OddLength(usize),
    /// A character that is not a hex digit, at this byte position of the string.
    InvalidDigit {
        position: usize,
        found: char,
    },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::OddLength(len) => write!(f, "hex string has odd length {len}"),
            HexError::InvalidDigit { position, found } => {
                write!(f, "invalid hex digit {found:?} at position {position}")
            }
        }
    }
}

impl std::error::Error for HexError {}

impl FromStr for Hex {
    type Err = HexError;

    fn from_str(text: &str) -> Result<Self, HexError> {
        if let Some((position, found)) = text.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
            return Err(HexError::InvalidDigit { position, found });
        }
        if !text.len().is_multiple_of(2) {
            return Err(HexError::OddLength(text.len()));
        }
        // Every byte is an ASCII hex digit now, so the fallback value is never used.
        let nibbles: Vec<u8> =
            text.bytes().map(|digit| char::from(digit).to_digit(16).unwrap_or(0) as u8).collect();
        Ok(Hex(nibbles.chunks_exact(2).map(|pair| pair[0] << 4 | pair[1]).collect()))
    }
}

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hex({self})")
    }
}

impl Deref for Hex {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Hex {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Hex {
    fn from(bytes: Vec<u8>) -> Self {
        Hex(bytes)
    }
}

impl From<&[u8]> for Hex {
    fn from(bytes: &[u8]) -> Self {
        Hex(bytes.to_vec())
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HexVisitor;

        impl Visitor<'_> for HexVisitor {
            type Value = Hex;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a hex string")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Hex, E> {
                text.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(HexVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_cases_and_prints_lowercase() {
        let hex: Hex = "00ffAb10".parse().unwrap();
        assert_eq!(hex.as_slice(), &[0x00, 0xff, 0xab, 0x10]);
        assert_eq!(hex.to_string(), "00ffab10");
    }

    #[test]
    fn empty_string_is_empty_bytes() {
        assert_eq!("".parse::<Hex>().unwrap(), Hex(Vec::new()));
    }

    #[test]
    fn rejects_odd_length_and_bad_digits_with_position() {
        assert_eq!("abc".parse::<Hex>(), Err(HexError::OddLength(3)));
        assert_eq!("ab0x".parse::<Hex>(), Err(HexError::InvalidDigit { position: 3, found: 'x' }));
        assert_eq!("a:bc".parse::<Hex>(), Err(HexError::InvalidDigit { position: 1, found: ':' }));
    }

    #[test]
    fn rejects_non_ascii_by_character_position() {
        assert_eq!("0é".parse::<Hex>(), Err(HexError::InvalidDigit { position: 1, found: 'é' }));
    }

    #[test]
    fn serde_round_trip_as_json_string() {
        let hex = Hex(vec![0xde, 0xad, 0xbe, 0xef]);
        let json = serde_json::to_string(&hex).unwrap();
        assert_eq!(json, "\"deadbeef\"");
        assert_eq!(serde_json::from_str::<Hex>(&json).unwrap(), hex);
        assert!(serde_json::from_str::<Hex>("42").is_err());
    }
}
