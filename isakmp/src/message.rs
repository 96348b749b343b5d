//! A whole ISAKMP message: header and body (RFC 2408 3.1, 5.1).

use crate::codec::{Reader, Writer};
use crate::error::{EmitError, Error, ErrorKind};
use crate::header::{HEADER_LEN, Header, RawHeader};
use crate::numbers::PayloadType;
use crate::payload::{self, Payload, PayloadBody};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub body: Body,
    /// Bytes after the last payload of a plaintext body, still inside the
    /// header's length. RFC 2408 leaves no room for them, but Libreswan pads
    /// messages to a multiple of four octets (an AM2 whose ID has an odd
    /// length ends in one zero byte), so they are kept, not refused. Always
    /// empty for an encrypted body, whose padding is inside the ciphertext.
    pub trailing: Vec<u8>,
}

/// The payloads after the header: readable, or encrypted and kept opaque
/// until the engine supplies keys. Which one is decided by the E flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Plain(Vec<Payload>),
    Encrypted {
        /// The header's Next Payload: the type of the first encrypted payload.
        first_payload: PayloadType,
        ciphertext: Vec<u8>,
    },
}

/// A decrypted body: the payload chain and the padding that followed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plaintext {
    pub payloads: Vec<Payload>,
    pub padding: Vec<u8>,
}

impl Message {
    pub fn new(header: Header, body: Body) -> Self {
        Self { header, body, trailing: Vec::new() }
    }

    /// Parses one ISAKMP message that fills `datagram` exactly.
    pub fn parse(datagram: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(datagram);
        let raw = RawHeader::parse(&mut reader)?;
        // RFC 2408 5.1: a length that disagrees with the datagram MUST be rejected.
        if usize::try_from(raw.length).ok() != Some(datagram.len()) {
            return Err(Error::new(
                24,
                ErrorKind::UnequalLengths { header: raw.length, datagram: datagram.len() },
            ));
        }
        let body = if raw.header.flags.is_encrypted() {
            Body::Encrypted { first_payload: raw.next_payload, ciphertext: reader.rest().to_vec() }
        } else {
            Body::Plain(payload::parse_chain(raw.next_payload, &mut reader)?)
        };
        Ok(Self { header: raw.header, body, trailing: reader.rest().to_vec() })
    }

    pub fn emit(&self) -> Result<Vec<u8>, EmitError> {
        let mut writer = Writer::with_capacity(256);
        self.emit_into(&mut writer)?;
        Ok(writer.into_vec())
    }

    pub fn emit_into(&self, writer: &mut Writer) -> Result<(), EmitError> {
        let start = writer.len();
        let raw = RawHeader { header: self.header, next_payload: self.body.first_type(), length: 0 };
        if self.header.flags.is_encrypted() != self.body.is_encrypted() {
            return Err(EmitError::Inconsistent { what: "the E flag does not match the body" });
        }
        let length_at = raw.emit(writer);
        match &self.body {
            Body::Plain(payloads) => payload::emit_chain(payloads, writer)?,
            Body::Encrypted { .. } if !self.trailing.is_empty() => {
                return Err(EmitError::Inconsistent { what: "trailing bytes after an encrypted body" });
            }
            Body::Encrypted { ciphertext, .. } => writer.bytes(ciphertext),
        }
        writer.bytes(&self.trailing);
        let length = u32::try_from(writer.len() - start).map_err(|_| EmitError::TooLong {
            field: "message length",
            length: writer.len() - start,
            maximum: u32::MAX as usize,
        })?;
        writer.patch_u32(length_at, length);
        Ok(())
    }

    /// The payloads of a plaintext message (empty for an encrypted one).
    pub fn payloads(&self) -> &[Payload] {
        match &self.body {
            Body::Plain(payloads) => payloads,
            Body::Encrypted { .. } => &[],
        }
    }

    pub fn is_encrypted(&self) -> bool {
        self.body.is_encrypted()
    }
}

impl Body {
    pub fn is_encrypted(&self) -> bool {
        matches!(self, Self::Encrypted { .. })
    }

    /// The type the header's Next Payload field names.
    pub fn first_type(&self) -> PayloadType {
        match self {
            Self::Plain(payloads) => payload::first_type(payloads),
            Self::Encrypted { first_payload, .. } => *first_payload,
        }
    }
}

impl Plaintext {
    /// Parses a decrypted body whose first payload has type `first`; bytes
    /// after the last payload are the CBC padding (RFC 2408 3.1 / RFC 2409 5.3).
    /// `origin` is the offset of the plaintext in the datagram, for errors.
    pub fn parse(first: PayloadType, plaintext: &[u8], origin: usize) -> Result<Self, Error> {
        let mut reader = Reader::at(plaintext, origin);
        let payloads = payload::parse_chain(first, &mut reader)?;
        Ok(Self { payloads, padding: reader.rest().to_vec() })
    }

    /// The chain followed by the padding.
    pub fn emit(&self) -> Result<Vec<u8>, EmitError> {
        let mut writer = Writer::with_capacity(256);
        payload::emit_chain(&self.payloads, &mut writer)?;
        writer.bytes(&self.padding);
        Ok(writer.into_vec())
    }
}

/// Offset of the body in a datagram: right after the fixed header.
pub const BODY_OFFSET: usize = HEADER_LEN;

/// Convenience lookups over a payload list.
pub trait PayloadsExt {
    /// The bodies of every payload of one type, in order.
    fn of_type(&self, payload_type: PayloadType) -> impl Iterator<Item = &PayloadBody>;
    /// The type of every payload, in order.
    fn types(&self) -> Vec<PayloadType>;
}

impl PayloadsExt for [Payload] {
    fn of_type(&self, payload_type: PayloadType) -> impl Iterator<Item = &PayloadBody> {
        self.iter().filter(move |p| p.payload_type() == payload_type).map(|p| &p.body)
    }

    fn types(&self) -> Vec<PayloadType> {
        self.iter().map(Payload::payload_type).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numbers::ExchangeType;
    use crate::{Header, PayloadBody, Version};

    /// Libreswan 4.10 pads its messages to four octets: an AM2 whose IDir has
    /// an odd length ends in a zero byte after the last payload.
    #[test]
    fn bytes_after_a_plaintext_chain_are_kept_not_refused() {
        let header =
            Header { version: Version::V1_0, exchange: ExchangeType::AGGRESSIVE, ..Header::default() };
        let mut message =
            Message::new(header, Body::Plain(vec![Payload::from(PayloadBody::VendorId(vec![1, 2, 3]))]));
        message.trailing = vec![0];
        let bytes = message.emit().unwrap();
        assert_eq!(bytes.len(), 28 + 4 + 3 + 1);
        assert_eq!(
            u32::from_be_bytes(bytes[24..28].try_into().unwrap()),
            36,
            "the header counts the padding"
        );
        assert_eq!(Message::parse(&bytes), Ok(message));
    }
}
