//! ISAKMP payloads (RFC 2408 3.2-3.16) and the chain that links them.
//!
//! Every payload starts with the generic header of RFC 2408 3.2:
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ! Next Payload  !   RESERVED    !         Payload Length        !
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! A payload's own type is named by the previous header (or the ISAKMP header
//! for the first one), so the chain is parsed as a whole. Each body is read
//! through a sub-reader bounded by its Payload Length.

mod certificate;
mod delete;
mod fragment;
mod identification;
mod nat_traversal;
mod notification;
mod security_association;

use core::ops::Range;

pub use certificate::{Certificate, CertificateRequest};
pub use delete::{Delete, SpiList};
pub use fragment::Fragment;
pub use identification::{Identification, Identity};
pub use nat_traversal::{NatDiscovery, NatOriginalAddress, NatTNumbering};
pub use notification::Notification;
pub use security_association::{
    IpsecSituation, LabeledDomain, Proposal, SaContent, SecurityAssociation, SensitivityLabel, Transform,
};

use crate::codec::{Reader, Writer};
use crate::error::{EmitError, Error, ErrorKind};
use crate::numbers::PayloadType;

/// Length of the generic payload header.
pub const GENERIC_HEADER_LEN: usize = 4;

/// One payload: the RESERVED octet of its generic header and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Payload {
    /// RFC 2408 3.2 says it must be zero; kept so odd peers round-trip.
    pub reserved: u8,
    pub body: PayloadBody,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadBody {
    /// RFC 2408 3.4, RFC 2407 4.6.1.
    SecurityAssociation(SecurityAssociation),
    /// RFC 2408 3.7: the Diffie-Hellman public value.
    KeyExchange(Vec<u8>),
    /// RFC 2408 3.8, RFC 2407 4.6.2.
    Identification(Identification),
    /// RFC 2408 3.9.
    Certificate(Certificate),
    /// RFC 2408 3.10.
    CertificateRequest(CertificateRequest),
    /// RFC 2408 3.11.
    Hash(Vec<u8>),
    /// RFC 2408 3.12.
    Signature(Vec<u8>),
    /// RFC 2408 3.13.
    Nonce(Vec<u8>),
    /// RFC 2408 3.14.
    Notification(Notification),
    /// RFC 2408 3.15.
    Delete(Delete),
    /// RFC 2408 3.16.
    VendorId(Vec<u8>),
    /// RFC 3947 3.2 (type 20) or the draft numbering (type 130).
    NatDiscovery(NatDiscovery),
    /// RFC 3947 5.2 (type 21) or the draft numbering (type 131).
    NatOriginalAddress(NatOriginalAddress),
    /// IKE fragmentation (type 132), as strongSwan, Libreswan and Cisco send it.
    Fragment(Fragment),
    /// Any other type (including IKEv2's), kept verbatim.
    Unknown { payload_type: PayloadType, data: Vec<u8> },
}

impl From<PayloadBody> for Payload {
    fn from(body: PayloadBody) -> Self {
        Self { reserved: 0, body }
    }
}

impl Payload {
    /// The payload type that the previous Next Payload field must name.
    pub fn payload_type(&self) -> PayloadType {
        self.body.payload_type()
    }
}

impl PayloadBody {
    pub fn payload_type(&self) -> PayloadType {
        match self {
            Self::SecurityAssociation(_) => PayloadType::SA,
            Self::KeyExchange(_) => PayloadType::KE,
            Self::Identification(_) => PayloadType::ID,
            Self::Certificate(_) => PayloadType::CERT,
            Self::CertificateRequest(_) => PayloadType::CR,
            Self::Hash(_) => PayloadType::HASH,
            Self::Signature(_) => PayloadType::SIG,
            Self::Nonce(_) => PayloadType::NONCE,
            Self::Notification(_) => PayloadType::NOTIFICATION,
            Self::Delete(_) => PayloadType::DELETE,
            Self::VendorId(_) => PayloadType::VENDOR_ID,
            Self::NatDiscovery(nat_d) => nat_d.numbering.nat_d_type(),
            Self::NatOriginalAddress(nat_oa) => nat_oa.numbering.nat_oa_type(),
            Self::Fragment(_) => PayloadType::FRAGMENT,
            Self::Unknown { payload_type, .. } => *payload_type,
        }
    }

    /// Whether the parser gives this type a structured body.
    pub fn is_structured(payload_type: PayloadType) -> bool {
        matches!(payload_type.0, 1 | 4..=13 | 20 | 21 | 130..=132)
    }

    fn parse(payload_type: PayloadType, body: &mut Reader<'_>) -> Result<Self, Error> {
        let parsed = match payload_type {
            PayloadType::SA => Self::SecurityAssociation(SecurityAssociation::parse(body)?),
            PayloadType::KE => Self::KeyExchange(body.rest().to_vec()),
            PayloadType::ID => Self::Identification(Identification::parse(body)?),
            PayloadType::CERT => Self::Certificate(Certificate::parse(body)?),
            PayloadType::CR => Self::CertificateRequest(CertificateRequest::parse(body)?),
            PayloadType::HASH => Self::Hash(body.rest().to_vec()),
            PayloadType::SIG => Self::Signature(body.rest().to_vec()),
            PayloadType::NONCE => Self::Nonce(body.rest().to_vec()),
            PayloadType::NOTIFICATION => Self::Notification(Notification::parse(body)?),
            PayloadType::DELETE => Self::Delete(Delete::parse(body)?),
            PayloadType::VENDOR_ID => Self::VendorId(body.rest().to_vec()),
            PayloadType::NAT_D => Self::NatDiscovery(NatDiscovery::parse(NatTNumbering::Rfc3947, body)),
            PayloadType::NAT_D_DRAFT => Self::NatDiscovery(NatDiscovery::parse(NatTNumbering::Draft, body)),
            PayloadType::NAT_OA => {
                Self::NatOriginalAddress(NatOriginalAddress::parse(NatTNumbering::Rfc3947, body)?)
            }
            PayloadType::NAT_OA_DRAFT => {
                Self::NatOriginalAddress(NatOriginalAddress::parse(NatTNumbering::Draft, body)?)
            }
            PayloadType::FRAGMENT => Self::Fragment(Fragment::parse(body)?),
            other => Self::Unknown { payload_type: other, data: body.rest().to_vec() },
        };
        body.expect_end("payload body")?;
        Ok(parsed)
    }

    fn emit(&self, writer: &mut Writer) -> Result<(), EmitError> {
        match self {
            Self::SecurityAssociation(sa) => sa.emit(writer)?,
            Self::KeyExchange(data)
            | Self::Hash(data)
            | Self::Signature(data)
            | Self::Nonce(data)
            | Self::VendorId(data) => writer.bytes(data),
            Self::Identification(id) => id.emit(writer)?,
            Self::Certificate(cert) => cert.emit(writer),
            Self::CertificateRequest(request) => request.emit(writer),
            Self::Notification(notification) => notification.emit(writer)?,
            Self::Delete(delete) => delete.emit(writer),
            Self::NatDiscovery(nat_d) => nat_d.emit(writer),
            Self::NatOriginalAddress(nat_oa) => nat_oa.emit(writer),
            Self::Fragment(fragment) => fragment.emit(writer),
            Self::Unknown { payload_type, data } => {
                if Self::is_structured(*payload_type) {
                    return Err(EmitError::Inconsistent {
                        what: "an unknown payload carries a structured payload type",
                    });
                }
                writer.bytes(data);
            }
        }
        Ok(())
    }

    /// The body bytes without the generic header, as RFC 2409 hashes them
    /// (SAi_b, IDii_b, Ni_b ...).
    pub fn to_body_bytes(&self) -> Result<Vec<u8>, EmitError> {
        let mut writer = Writer::new();
        self.emit(&mut writer)?;
        Ok(writer.into_vec())
    }
}

/// Parses a payload chain starting with a payload of type `first`.
///
/// Stops after the payload whose Next Payload is NONE and leaves whatever
/// follows in `reader`: in a plaintext message that must be nothing, in a
/// decrypted body it is the padding.
pub fn parse_chain(first: PayloadType, reader: &mut Reader<'_>) -> Result<Vec<Payload>, Error> {
    let mut payloads = Vec::new();
    let mut next = first;
    while next != PayloadType::NONE {
        let (payload, following) = parse_one(next, reader).map_err(|err| err.within(next))?;
        payloads.push(payload);
        next = following;
    }
    Ok(payloads)
}

fn parse_one(kind: PayloadType, reader: &mut Reader<'_>) -> Result<(Payload, PayloadType), Error> {
    let (header, mut body) = GenericHeader::parse(reader)?;
    let body = PayloadBody::parse(kind, &mut body)?;
    Ok((Payload { reserved: header.reserved, body }, header.next_payload))
}

/// Writes a chain, filling each Next Payload with the type of its successor.
pub fn emit_chain(payloads: &[Payload], writer: &mut Writer) -> Result<(), EmitError> {
    for (index, payload) in payloads.iter().enumerate() {
        let next = payloads.get(index + 1).map_or(PayloadType::NONE, Payload::payload_type);
        let start = writer.len();
        writer.u8(next.0);
        writer.u8(payload.reserved);
        let length = writer.reserve_u16();
        payload.body.emit(writer)?;
        writer.patch_length_since(length, start, "payload length")?;
    }
    Ok(())
}

/// The type of the first payload in a chain (NONE for an empty chain).
pub fn first_type(payloads: &[Payload]) -> PayloadType {
    payloads.first().map_or(PayloadType::NONE, Payload::payload_type)
}

/// The generic payload header, as read from the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GenericHeader {
    pub next_payload: PayloadType,
    pub reserved: u8,
    pub length: u16,
}

impl GenericHeader {
    /// Reads the header and returns a reader bounded to the payload body.
    pub(crate) fn parse<'a>(reader: &mut Reader<'a>) -> Result<(Self, Reader<'a>), Error> {
        let start = reader.offset();
        let next_payload = PayloadType(reader.u8("next payload")?);
        let reserved = reader.u8("reserved")?;
        let length = reader.u16("payload length")?;
        if usize::from(length) < GENERIC_HEADER_LEN {
            return Err(Error::new(
                start + 2,
                ErrorKind::LengthTooSmall {
                    field: "payload length",
                    length: usize::from(length),
                    minimum: GENERIC_HEADER_LEN,
                },
            ));
        }
        let body = reader.sub(usize::from(length) - GENERIC_HEADER_LEN, "payload body")?;
        Ok((Self { next_payload, reserved, length }, body))
    }
}

/// Where one payload of a chain lies in the bytes it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadSpan {
    pub payload_type: PayloadType,
    /// The whole payload, generic header included.
    pub range: Range<usize>,
}

impl PayloadSpan {
    /// The body, without the generic header.
    pub fn body(&self) -> Range<usize> {
        self.range.start + GENERIC_HEADER_LEN..self.range.end
    }

    /// Offset of the 16-bit Payload Length field.
    pub fn length_field(&self) -> usize {
        self.range.start + 2
    }
}

/// Walks only the generic headers of a chain in `bytes` (offsets relative to
/// `bytes`), for code that needs raw spans: hash inputs such as "the rest of
/// the message after HASH(1)" (RFC 2409 5.5), or impairments that rewrite a
/// length field.
pub fn chain_spans(first: PayloadType, bytes: &[u8]) -> Result<Vec<PayloadSpan>, Error> {
    let mut reader = Reader::new(bytes);
    let mut spans = Vec::new();
    let mut next = first;
    while next != PayloadType::NONE {
        let start = reader.offset();
        let (header, _) = GenericHeader::parse(&mut reader).map_err(|err| err.within(next))?;
        spans.push(PayloadSpan { payload_type: next, range: start..reader.offset() });
        next = header.next_payload;
    }
    Ok(spans)
}
