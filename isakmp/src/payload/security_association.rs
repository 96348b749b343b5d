//! Security Association, Proposal and Transform payloads
//! (RFC 2408 3.4-3.6, RFC 2407 4.6.1).
//!
//! Proposals and transforms are payloads of their own, chained inside the SA
//! body with Next Payload values 2 (another proposal) / 3 (another transform)
//! or 0 (last one), as RFC 2408 3.5 and 3.6 require.

use crate::attribute::Attribute;
use crate::codec::{Reader, Writer, fits};
use crate::error::{EmitError, Error, ErrorKind};
use crate::numbers::{Doi, PayloadType, ProtocolId, Situation};
use crate::payload::GenericHeader;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityAssociation {
    pub doi: Doi,
    pub content: SaContent,
}

/// What follows the DOI. Only the IPsec DOI defines the situation's length,
/// so other DOIs keep the rest of the body opaque.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaContent {
    Ipsec(IpsecSituation),
    Opaque(Vec<u8>),
}

/// The IPsec DOI situation (RFC 2407 4.2, 4.6.1) and the proposals after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpsecSituation {
    pub situation: Situation,
    /// Present exactly when the situation has SIT_SECRECY or SIT_INTEGRITY.
    pub labeled_domain: Option<LabeledDomain>,
    pub proposals: Vec<Proposal>,
}

/// The labeled-domain fields of RFC 2407 4.6.1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabeledDomain {
    pub identifier: u32,
    /// Present exactly when the situation has SIT_SECRECY.
    pub secrecy: Option<SensitivityLabel>,
    /// Present exactly when the situation has SIT_INTEGRITY.
    pub integrity: Option<SensitivityLabel>,
}

/// A secrecy or integrity level and category bitmap (RFC 2407 4.6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SensitivityLabel {
    /// The level, without its zero padding to 32 bits.
    pub level: Vec<u8>,
    pub level_reserved: u16,
    /// Length of the category bitmap in bits.
    pub category_bits: u16,
    pub category_reserved: u16,
    /// `ceil(category_bits / 8)` bytes, without the zero padding to 32 bits.
    pub category_bitmap: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Proposal {
    pub reserved: u8,
    pub number: u8,
    pub protocol: ProtocolId,
    pub spi: Vec<u8>,
    pub transforms: Vec<Transform>,
}

/// A transform; `transform_id` is in the namespace of the proposal's
/// protocol (see [`crate::numbers::EspTransformId`] and friends).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Transform {
    pub reserved: u8,
    pub number: u8,
    pub transform_id: u8,
    pub reserved2: u16,
    pub attributes: Vec<Attribute>,
}

impl SecurityAssociation {
    /// An IPsec DOI SA with SIT_IDENTITY_ONLY, the only situation in use.
    pub fn ipsec(proposals: Vec<Proposal>) -> Self {
        Self {
            doi: Doi::IPSEC,
            content: SaContent::Ipsec(IpsecSituation {
                situation: Situation::IDENTITY_ONLY,
                labeled_domain: None,
                proposals,
            }),
        }
    }

    /// The proposals, for an IPsec DOI SA.
    pub fn proposals(&self) -> &[Proposal] {
        match &self.content {
            SaContent::Ipsec(ipsec) => &ipsec.proposals,
            SaContent::Opaque(_) => &[],
        }
    }

    pub(crate) fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let doi = Doi(reader.u32("DOI")?);
        let content = if doi == Doi::IPSEC {
            SaContent::Ipsec(IpsecSituation::parse(reader)?)
        } else {
            SaContent::Opaque(reader.rest().to_vec())
        };
        Ok(Self { doi, content })
    }

    pub(crate) fn emit(&self, writer: &mut Writer) -> Result<(), EmitError> {
        writer.u32(self.doi.0);
        match &self.content {
            SaContent::Ipsec(ipsec) if self.doi == Doi::IPSEC => ipsec.emit(writer),
            SaContent::Opaque(bytes) if self.doi != Doi::IPSEC => {
                writer.bytes(bytes);
                Ok(())
            }
            _ => Err(EmitError::Inconsistent { what: "SA content does not match its DOI" }),
        }
    }
}

impl IpsecSituation {
    fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let situation = Situation(reader.u32("situation")?);
        let labeled_domain = if situation.has_labeled_domain() {
            Some(LabeledDomain::parse(situation, reader)?)
        } else {
            None
        };
        let proposals = parse_sub_chain(reader, PayloadType::PROPOSAL, "proposal", Proposal::parse)?;
        Ok(Self { situation, labeled_domain, proposals })
    }

    fn emit(&self, writer: &mut Writer) -> Result<(), EmitError> {
        writer.u32(self.situation.0);
        match &self.labeled_domain {
            Some(domain) if self.situation.has_labeled_domain() => domain.emit(self.situation, writer)?,
            None if !self.situation.has_labeled_domain() => {}
            _ => {
                return Err(EmitError::Inconsistent {
                    what: "labeled domain presence does not match the situation bits",
                });
            }
        }
        emit_sub_chain(writer, &self.proposals, PayloadType::PROPOSAL, Proposal::emit)
    }
}

impl LabeledDomain {
    fn parse(situation: Situation, reader: &mut Reader<'_>) -> Result<Self, Error> {
        let identifier = reader.u32("labeled domain identifier")?;
        let secrecy =
            situation.contains(Situation::SECRECY).then(|| SensitivityLabel::parse(reader)).transpose()?;
        let integrity =
            situation.contains(Situation::INTEGRITY).then(|| SensitivityLabel::parse(reader)).transpose()?;
        Ok(Self { identifier, secrecy, integrity })
    }

    fn emit(&self, situation: Situation, writer: &mut Writer) -> Result<(), EmitError> {
        if self.secrecy.is_some() != situation.contains(Situation::SECRECY)
            || self.integrity.is_some() != situation.contains(Situation::INTEGRITY)
        {
            return Err(EmitError::Inconsistent {
                what: "secrecy/integrity labels do not match the situation bits",
            });
        }
        writer.u32(self.identifier);
        for label in [&self.secrecy, &self.integrity].into_iter().flatten() {
            label.emit(writer)?;
        }
        Ok(())
    }
}

impl SensitivityLabel {
    fn parse(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let level_length = reader.u16("level length")?;
        let level_reserved = reader.u16("reserved")?;
        let level = read_zero_padded(reader, usize::from(level_length), "level")?;
        let category_bits = reader.u16("category length")?;
        let category_reserved = reader.u16("reserved")?;
        let bitmap_length = usize::from(category_bits).div_ceil(8);
        let category_bitmap = read_zero_padded(reader, bitmap_length, "category bitmap")?;
        Ok(Self { level, level_reserved, category_bits, category_reserved, category_bitmap })
    }

    fn emit(&self, writer: &mut Writer) -> Result<(), EmitError> {
        if self.category_bitmap.len() != usize::from(self.category_bits).div_ceil(8) {
            return Err(EmitError::Inconsistent { what: "category bitmap length and bit count" });
        }
        writer.u16(fits(self.level.len(), "level length")?);
        writer.u16(self.level_reserved);
        write_zero_padded(writer, &self.level);
        writer.u16(self.category_bits);
        writer.u16(self.category_reserved);
        write_zero_padded(writer, &self.category_bitmap);
        Ok(())
    }
}

/// Reads `length` bytes followed by zero padding to the next 32-bit boundary.
fn read_zero_padded(reader: &mut Reader<'_>, length: usize, field: &'static str) -> Result<Vec<u8>, Error> {
    let value = reader.bytes(length, field)?.to_vec();
    let padding_at = reader.offset();
    let padding = reader.bytes(length.next_multiple_of(4) - length, field)?;
    if padding.iter().any(|byte| *byte != 0) {
        return Err(Error::new(padding_at, ErrorKind::NonZeroPadding { field }));
    }
    Ok(value)
}

fn write_zero_padded(writer: &mut Writer, value: &[u8]) {
    writer.bytes(value);
    for _ in value.len()..value.len().next_multiple_of(4) {
        writer.u8(0);
    }
}

impl Proposal {
    fn parse(reserved: u8, body: &mut Reader<'_>) -> Result<Self, Error> {
        let number = body.u8("proposal number")?;
        let protocol = ProtocolId(body.u8("protocol id")?);
        let spi_size = body.u8("SPI size")?;
        let count_at = body.offset();
        let declared = body.u8("number of transforms")?;
        let spi = body.bytes(usize::from(spi_size), "SPI")?.to_vec();
        let transforms = parse_sub_chain(body, PayloadType::TRANSFORM, "transform", Transform::parse)?;
        if transforms.len() != usize::from(declared) {
            return Err(Error::new(
                count_at,
                ErrorKind::CountMismatch {
                    field: "number of transforms",
                    declared: usize::from(declared),
                    found: transforms.len(),
                },
            ));
        }
        Ok(Self { reserved, number, protocol, spi, transforms })
    }

    fn emit(&self, writer: &mut Writer) -> Result<(), EmitError> {
        writer.u8(self.number);
        writer.u8(self.protocol.0);
        writer.u8(fits(self.spi.len(), "SPI size")?);
        writer.u8(fits(self.transforms.len(), "number of transforms")?);
        writer.bytes(&self.spi);
        emit_sub_chain(writer, &self.transforms, PayloadType::TRANSFORM, Transform::emit)
    }
}

impl Transform {
    fn parse(reserved: u8, body: &mut Reader<'_>) -> Result<Self, Error> {
        let number = body.u8("transform number")?;
        let transform_id = body.u8("transform id")?;
        let reserved2 = body.u16("reserved")?;
        let attributes = Attribute::parse_all(body)?;
        Ok(Self { reserved, number, transform_id, reserved2, attributes })
    }

    fn emit(&self, writer: &mut Writer) -> Result<(), EmitError> {
        writer.u8(self.number);
        writer.u8(self.transform_id);
        writer.u16(self.reserved2);
        Attribute::emit_all(&self.attributes, writer)
    }

    /// The first attribute of the given type.
    pub fn attribute(&self, kind: u16) -> Option<&Attribute> {
        crate::attribute::find(&self.attributes, kind)
    }
}

/// Parses the proposals of an SA or the transforms of a proposal: a chain of
/// generic-header payloads of one type that must fill `reader` exactly, each
/// linking to the next with `link` and the last with NONE.
fn parse_sub_chain<T>(
    reader: &mut Reader<'_>,
    link: PayloadType,
    structure: &'static str,
    parse: fn(u8, &mut Reader<'_>) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let mut items = Vec::new();
    if reader.is_empty() {
        return Ok(items);
    }
    loop {
        let header_at = reader.offset();
        let (header, mut body) = GenericHeader::parse(reader)?;
        items.push(parse(header.reserved, &mut body)?);
        body.expect_end(structure)?;
        match header.next_payload {
            PayloadType::NONE => break,
            next if next == link => {}
            other => {
                return Err(Error::new(header_at, ErrorKind::BadChain { structure, next_payload: other.0 }));
            }
        }
    }
    reader.expect_end(structure)?;
    Ok(items)
}

/// Proposals and transforms both carry their generic header's RESERVED octet.
trait SubPayload {
    fn reserved(&self) -> u8;
}

impl SubPayload for Proposal {
    fn reserved(&self) -> u8 {
        self.reserved
    }
}

impl SubPayload for Transform {
    fn reserved(&self) -> u8 {
        self.reserved
    }
}

fn emit_sub_chain<T: SubPayload>(
    writer: &mut Writer,
    items: &[T],
    link: PayloadType,
    emit: fn(&T, &mut Writer) -> Result<(), EmitError>,
) -> Result<(), EmitError> {
    for (index, item) in items.iter().enumerate() {
        let next = if index + 1 < items.len() { link } else { PayloadType::NONE };
        let start = writer.len();
        writer.u8(next.0);
        writer.u8(item.reserved());
        let length = writer.reserve_u16();
        emit(item, writer)?;
        writer.patch_length_since(length, start, "payload length")?;
    }
    Ok(())
}
