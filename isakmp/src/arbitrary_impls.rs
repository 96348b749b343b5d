//! `Arbitrary` for the types whose fields constrain each other, so that every
//! generated message is one the wire can carry (`parse(emit(m)) == m`). Used
//! by the structured fuzz target and by the round-trip property tests.

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::header::Flags;
use crate::message::{Body, Message};
use crate::numbers::{Doi, IdType, PayloadType, Situation};
use crate::payload::{Identity, IpsecSituation, LabeledDomain, PayloadBody, SaContent, SecurityAssociation};

impl<'a> Arbitrary<'a> for Message {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut header: crate::Header = u.arbitrary()?;
        let body: Body = u.arbitrary()?;
        // The E flag decides how the body is read, so it must agree with it.
        header.flags = if body.is_encrypted() {
            header.flags.with(Flags::ENCRYPTION)
        } else {
            header.flags.without(Flags::ENCRYPTION)
        };
        let trailing = if body.is_encrypted() { Vec::new() } else { u.arbitrary()? };
        Ok(Self { header, body, trailing })
    }
}

impl<'a> Arbitrary<'a> for Body {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.ratio(1, 8)? {
            Ok(Self::Encrypted { first_payload: u.arbitrary()?, ciphertext: u.arbitrary()? })
        } else {
            Ok(Self::Plain(u.arbitrary()?))
        }
    }
}

impl<'a> Arbitrary<'a> for PayloadBody {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=14u8)? {
            0 => Self::SecurityAssociation(u.arbitrary()?),
            1 => Self::KeyExchange(u.arbitrary()?),
            2 => Self::Identification(u.arbitrary()?),
            3 => Self::Certificate(u.arbitrary()?),
            4 => Self::CertificateRequest(u.arbitrary()?),
            5 => Self::Hash(u.arbitrary()?),
            6 => Self::Signature(u.arbitrary()?),
            7 => Self::Nonce(u.arbitrary()?),
            8 => Self::Notification(u.arbitrary()?),
            9 => Self::Delete(u.arbitrary()?),
            10 => Self::VendorId(u.arbitrary()?),
            11 => Self::NatDiscovery(u.arbitrary()?),
            12 => Self::NatOriginalAddress(u.arbitrary()?),
            13 => Self::Fragment(u.arbitrary()?),
            _ => {
                // Only types without a structured parser stay "unknown".
                let mut payload_type = PayloadType(u.arbitrary()?);
                while PayloadBody::is_structured(payload_type) || payload_type == PayloadType::NONE {
                    payload_type = PayloadType(payload_type.0.wrapping_add(37));
                }
                Self::Unknown { payload_type, data: u.arbitrary()? }
            }
        })
    }
}

impl<'a> Arbitrary<'a> for SecurityAssociation {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.ratio(7, 8)? {
            Ok(Self { doi: Doi::IPSEC, content: SaContent::Ipsec(u.arbitrary()?) })
        } else {
            let mut doi = Doi(u.arbitrary()?);
            if doi == Doi::IPSEC {
                doi = Doi::ISAKMP;
            }
            Ok(Self { doi, content: SaContent::Opaque(u.arbitrary()?) })
        }
    }
}

impl<'a> Arbitrary<'a> for IpsecSituation {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let situation = Situation(u.arbitrary()?);
        let labeled_domain = if situation.has_labeled_domain() {
            Some(LabeledDomain {
                identifier: u.arbitrary()?,
                secrecy: arbitrary_label_if(u, situation.contains(Situation::SECRECY))?,
                integrity: arbitrary_label_if(u, situation.contains(Situation::INTEGRITY))?,
            })
        } else {
            None
        };
        Ok(Self { situation, labeled_domain, proposals: u.arbitrary()? })
    }
}

fn arbitrary_label_if(
    u: &mut Unstructured<'_>,
    present: bool,
) -> Result<Option<crate::payload::SensitivityLabel>> {
    if !present {
        return Ok(None);
    }
    let mut label: crate::payload::SensitivityLabel = u.arbitrary()?;
    // The bit count decides how many bitmap bytes are on the wire.
    label.category_bitmap.truncate(usize::from(u16::MAX / 8));
    let bytes = label.category_bitmap.len();
    let unused_bits = if bytes == 0 { 0 } else { u.int_in_range(0..=7u16)? };
    label.category_bits = (bytes as u16) * 8 - unused_bits;
    Ok(Some(label))
}

impl<'a> Arbitrary<'a> for Identity {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=11u8)? {
            0 => Self::Ipv4(u.arbitrary()?),
            1 => Self::Fqdn(u.arbitrary()?),
            2 => Self::UserFqdn(u.arbitrary()?),
            3 => Self::Ipv4Subnet { address: u.arbitrary()?, mask: u.arbitrary()? },
            4 => Self::Ipv6(u.arbitrary()?),
            5 => Self::Ipv6Subnet { address: u.arbitrary()?, mask: u.arbitrary()? },
            6 => Self::Ipv4Range { start: u.arbitrary()?, end: u.arbitrary()? },
            7 => Self::Ipv6Range { start: u.arbitrary()?, end: u.arbitrary()? },
            8 => Self::DerAsn1Dn(u.arbitrary()?),
            9 => Self::DerAsn1Gn(u.arbitrary()?),
            10 => Self::KeyId(u.arbitrary()?),
            _ => {
                let mut id_type = IdType(u.arbitrary()?);
                if IdType::KNOWN.contains(&id_type) {
                    id_type = IdType(id_type.0 + 100);
                }
                Self::Other { id_type, data: u.arbitrary()? }
            }
        })
    }
}
