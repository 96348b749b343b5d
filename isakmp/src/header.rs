//! The ISAKMP header (RFC 2408 3.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !                          Initiator                            !
//! !                            Cookie                             !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !                          Responder                            !
//! !                            Cookie                             !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !                          Message ID                           !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !                            Length                             !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use core::fmt;

use crate::codec::{Reader, Writer};
use crate::error::Error;
use crate::numbers::{ExchangeType, PayloadType};

/// Length of the fixed ISAKMP header.
pub const HEADER_LEN: usize = 28;

/// An 8-byte ISAKMP cookie (RFC 2408 2.5.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Cookie(pub [u8; 8]);

impl Cookie {
    pub const ZERO: Self = Self([0; 8]);

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }
}

impl fmt::Display for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::hex::write(f, &self.0)
    }
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cookie({self})")
    }
}

/// The version octet: major in the high nibble, minor in the low one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Version(pub u8);

impl Version {
    /// ISAKMP 1.0, the only version IKEv1 speaks (RFC 2408 3.1).
    pub const V1_0: Self = Self(0x10);

    pub fn major(self) -> u8 {
        self.0 >> 4
    }

    pub fn minor(self) -> u8 {
        self.0 & 0x0f
    }
}

impl Default for Version {
    fn default() -> Self {
        Self::V1_0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major(), self.minor())
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({self})")
    }
}

/// The flags octet, all eight bits kept (RFC 2408 3.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Flags(pub u8);

impl Flags {
    /// E: the payloads after the header are encrypted.
    pub const ENCRYPTION: Self = Self(0x01);
    /// C: commit, the sender wants a CONNECTED notify before using the SA.
    pub const COMMIT: Self = Self(0x02);
    /// A: authentication only, payloads are not encrypted.
    pub const AUTHENTICATION_ONLY: Self = Self(0x04);

    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    pub fn is_encrypted(self) -> bool {
        self.contains(Self::ENCRYPTION)
    }

    /// Bits RFC 2408 3.1 leaves unused (they MUST be zero).
    pub fn reserved_bits(self) -> u8 {
        self.0 & !0x07
    }

    /// The set flags by letter, e.g. `["E", "C"]`.
    pub fn letters(self) -> Vec<&'static str> {
        [(Self::ENCRYPTION, "E"), (Self::COMMIT, "C"), (Self::AUTHENTICATION_ONLY, "A")]
            .into_iter()
            .filter(|(bit, _)| self.contains(*bit))
            .map(|(_, letter)| letter)
            .collect()
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#04x}", self.0)?;
        let letters = self.letters();
        if !letters.is_empty() {
            write!(f, " ({})", letters.join(""))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({self})")
    }
}

/// The 4-byte message ID (zero during Phase 1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MessageId(pub u32);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({self})")
    }
}

/// The header fields that are not derived from the body.
///
/// The Next Payload and Length fields are computed when a message is emitted
/// and checked when it is parsed; see [`crate::Message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Header {
    pub initiator_cookie: Cookie,
    pub responder_cookie: Cookie,
    pub version: Version,
    pub exchange: ExchangeType,
    pub flags: Flags,
    pub message_id: MessageId,
}

/// A header as read from the wire, with its two derived fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawHeader {
    pub header: Header,
    pub next_payload: PayloadType,
    pub length: u32,
}

impl RawHeader {
    pub fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let initiator_cookie = Cookie(reader.array("initiator cookie")?);
        let responder_cookie = Cookie(reader.array("responder cookie")?);
        let next_payload = PayloadType(reader.u8("next payload")?);
        let version = Version(reader.u8("version")?);
        let exchange = ExchangeType(reader.u8("exchange type")?);
        let flags = Flags(reader.u8("flags")?);
        let message_id = MessageId(reader.u32("message id")?);
        let length = reader.u32("message length")?;
        Ok(Self {
            header: Header { initiator_cookie, responder_cookie, version, exchange, flags, message_id },
            next_payload,
            length,
        })
    }

    /// Reads just the header of a datagram, e.g. to route it before parsing.
    pub fn peek(datagram: &[u8]) -> Result<Self, Error> {
        Self::parse(&mut Reader::new(datagram))
    }

    /// Writes the header; returns the offset of the length field for patching.
    pub fn emit(&self, writer: &mut Writer) -> usize {
        let h = &self.header;
        writer.bytes(&h.initiator_cookie.0);
        writer.bytes(&h.responder_cookie.0);
        writer.u8(self.next_payload.0);
        writer.u8(h.version.0);
        writer.u8(h.exchange.0);
        writer.u8(h.flags.0);
        writer.u32(h.message_id.0);
        let length_at = writer.len();
        writer.u32(self.length);
        length_at
    }
}
