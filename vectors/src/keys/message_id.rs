//! ISAKMP message IDs as key files write them.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A 32-bit ISAKMP Message ID. Read from `"0x7902290f"` or `"7902290f"`, written with `0x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u32);

impl FromStr for MessageId {
    type Err = std::num::ParseIntError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.strip_prefix("0x").unwrap_or(text);
        u32::from_str_radix(digits, 16).map(MessageId)
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.0)
    }
}

impl Serialize for MessageId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MessageId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MessageIdVisitor;

        impl Visitor<'_> for MessageIdVisitor {
            type Value = MessageId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a hex message ID such as \"0x7902290f\"")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<MessageId, E> {
                text.parse().map_err(|error| E::custom(format!("message ID {text:?}: {error}")))
            }
        }

        deserializer.deserialize_str(MessageIdVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_with_and_without_prefix_writes_with() {
        assert_eq!("0x7902290f".parse(), Ok(MessageId(0x7902_290f)));
        assert_eq!("f2d92342".parse(), Ok(MessageId(0xf2d9_2342)));
        assert_eq!(MessageId(0x2a).to_string(), "0x0000002a");
        assert_eq!(serde_json::to_string(&MessageId(0)).unwrap(), "\"0x00000000\"");
    }

    #[test]
    fn rejects_what_is_not_32_bit_hex() {
        assert!("0x1_0000_0000".parse::<MessageId>().is_err());
        assert!("100000000".parse::<MessageId>().is_err());
        assert!(serde_json::from_str::<MessageId>("\"0xzz\"").is_err());
        assert!(serde_json::from_str::<MessageId>("7").is_err());
    }
}
