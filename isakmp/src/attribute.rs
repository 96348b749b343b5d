//! Data attributes (RFC 2408 3.3), in TV (basic) and TLV (variable) form.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! !A!       Attribute Type        !    AF=0  Attribute Length     !
//! !F!                             !    AF=1  Attribute Value      !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! .                   AF=0  Attribute Value                       .
//! .                   AF=1  Not Transmitted                       .
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The form is kept as received: a lifetime of 3600 may arrive as TV or as a
//! 4-byte TLV, and re-emitting must not change which.

use crate::codec::{Reader, Writer, fits};
use crate::error::{EmitError, Error};

const ATTRIBUTE_FORMAT_BIT: u16 = 0x8000;

/// One data attribute. `kind` is the 15-bit attribute type; its meaning depends
/// on the protocol of the enclosing proposal (see [`crate::numbers`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attribute {
    pub kind: u16,
    pub value: AttributeValue,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AttributeValue {
    /// TV form: AF=1, a 16-bit value in place of the length.
    Basic(u16),
    /// TLV form: AF=0, a length and that many bytes.
    Variable(Vec<u8>),
}

impl Attribute {
    pub fn basic(kind: u16, value: u16) -> Self {
        Self { kind, value: AttributeValue::Basic(value) }
    }

    pub fn variable(kind: u16, value: Vec<u8>) -> Self {
        Self { kind, value: AttributeValue::Variable(value) }
    }

    /// An integer attribute in the shortest form RFC 2408 3.3 allows: TV when
    /// it fits in 16 bits, otherwise a TLV of 4 (or 8) bytes.
    pub fn integer(kind: u16, value: u64) -> Self {
        match u16::try_from(value) {
            Ok(short) => Self::basic(kind, short),
            Err(_) => match u32::try_from(value) {
                Ok(word) => Self::variable(kind, word.to_be_bytes().to_vec()),
                Err(_) => Self::variable(kind, value.to_be_bytes().to_vec()),
            },
        }
    }

    /// The value read as an unsigned integer, whichever form it came in.
    /// `None` for a variable value longer than 8 bytes (or empty).
    pub fn as_integer(&self) -> Option<u64> {
        match &self.value {
            AttributeValue::Basic(value) => Some(u64::from(*value)),
            AttributeValue::Variable(bytes) if !bytes.is_empty() && bytes.len() <= 8 => {
                Some(bytes.iter().fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte)))
            }
            AttributeValue::Variable(_) => None,
        }
    }

    pub fn is_basic(&self) -> bool {
        matches!(self.value, AttributeValue::Basic(_))
    }

    pub fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let type_field = reader.u16("attribute type")?;
        let kind = type_field & !ATTRIBUTE_FORMAT_BIT;
        let value = if type_field & ATTRIBUTE_FORMAT_BIT != 0 {
            AttributeValue::Basic(reader.u16("attribute value")?)
        } else {
            let length = reader.u16("attribute length")?;
            AttributeValue::Variable(reader.bytes(usize::from(length), "attribute value")?.to_vec())
        };
        Ok(Self { kind, value })
    }

    /// Parses attributes until the reader is exhausted.
    pub fn parse_all(reader: &mut Reader<'_>) -> Result<Vec<Self>, Error> {
        let mut attributes = Vec::new();
        while !reader.is_empty() {
            attributes.push(Self::parse(reader)?);
        }
        Ok(attributes)
    }

    pub fn emit(&self, writer: &mut Writer) -> Result<(), EmitError> {
        if self.kind & ATTRIBUTE_FORMAT_BIT != 0 {
            return Err(EmitError::Inconsistent { what: "attribute type wider than 15 bits" });
        }
        match &self.value {
            AttributeValue::Basic(value) => {
                writer.u16(self.kind | ATTRIBUTE_FORMAT_BIT);
                writer.u16(*value);
            }
            AttributeValue::Variable(bytes) => {
                writer.u16(self.kind);
                writer.u16(fits(bytes.len(), "attribute length")?);
                writer.bytes(bytes);
            }
        }
        Ok(())
    }

    pub fn emit_all(attributes: &[Self], writer: &mut Writer) -> Result<(), EmitError> {
        attributes.iter().try_for_each(|attribute| attribute.emit(writer))
    }
}

/// Looks up the first attribute of a type in a list.
pub fn find(attributes: &[Attribute], kind: u16) -> Option<&Attribute> {
    attributes.iter().find(|attribute| attribute.kind == kind)
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Attribute {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self { kind: u16::arbitrary(u)? & !ATTRIBUTE_FORMAT_BIT, value: u.arbitrary()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(bytes: &[u8]) -> Attribute {
        let attribute = Attribute::parse(&mut Reader::new(bytes)).unwrap();
        let mut writer = Writer::new();
        attribute.emit(&mut writer).unwrap();
        assert_eq!(writer.as_slice(), bytes);
        attribute
    }

    #[test]
    fn basic_and_variable_forms_survive_a_round_trip() {
        // Key-Length 128 as TV (RFC 2409 A, class 14).
        assert_eq!(round_trip(&[0x80, 0x0e, 0x00, 0x80]), Attribute::basic(14, 128));
        // Life-Duration 86400 as a 4-byte TLV.
        let life = round_trip(&[0x00, 0x0c, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80]);
        assert_eq!(life.as_integer(), Some(86_400));
    }

    #[test]
    fn integer_picks_the_shortest_form() {
        assert!(Attribute::integer(12, 28_800).is_basic());
        assert_eq!(Attribute::integer(12, 86_400).value, AttributeValue::Variable(vec![0, 1, 0x51, 0x80]));
    }

    #[test]
    fn a_tlv_longer_than_its_container_is_an_error_at_its_offset() {
        let err = Attribute::parse(&mut Reader::at(&[0x00, 0x0c, 0x00, 0x09, 1, 2], 100)).unwrap_err();
        assert_eq!(err.offset, 104);
    }
}
