//! Structure-aware mutations of ISAKMP messages: blind byte edits, header
//! fields, and edits of the payload chain (payloads removed, duplicated,
//! swapped, inserted or replaced, attributes, opaque bodies cut or zeroed,
//! length and count fields patched). The impairment `Mutate` applies them
//! inside the engine before encryption, so an encrypted message stays
//! readable by its peer unless the edit is about that; the fuzz rig applies
//! them to datagrams in transit.

use arbitrary::{Arbitrary, Unstructured};
use isakmp::numbers::PayloadType;
use isakmp::payload::{SaContent, chain_spans};
use isakmp::{Attribute, Payload, PayloadBody};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Mutation {
    None,
    /// Bit `bit % 8` of the byte at `at % len`.
    FlipBit {
        at: u16,
        bit: u8,
    },
    SetByte {
        at: u16,
        value: u8,
    },
    /// Keeps the first `keep % (len + 1)` bytes.
    Truncate {
        keep: u16,
    },
    Append(#[serde(with = "super::hex_field")] Vec<u8>),
    Header {
        field: HeaderField,
        value: u32,
    },
    Payload(PayloadEdit),
}

/// A field of the ISAKMP header (RFC 2408 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderField {
    Exchange,
    Flags,
    MessageId,
    Version,
    NextPayload,
    /// One byte of the initiator cookie (`value` >> 8 picks which).
    InitiatorCookie,
    /// One byte of the responder cookie; value 0 zeroes the whole cookie.
    ResponderCookie,
    /// The Length field: a lie about the datagram's size (RFC 2408 5.1).
    Length,
}

/// An edit of the payload chain; `payload` indexes are taken modulo the
/// chain's length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PayloadEdit {
    Remove(u8),
    Duplicate(u8),
    Swap(u8, u8),
    /// A payload made by `arbitrary` from the blob, inserted before `at`.
    Insert {
        at: u8,
        blob: Vec<u8>,
    },
    /// The payload at `at` replaced by one made by `arbitrary` from the blob.
    Replace {
        at: u8,
        blob: Vec<u8>,
    },
    /// Cuts an opaque body (KE, nonce, HASH, vendor ID ...) to `keep` bytes.
    Truncate {
        payload: u8,
        keep: u16,
    },
    /// Zeroes an opaque body: a zero KE is CVE-2015-3240's shape.
    Zero(u8),
    /// Sets a basic attribute of an SA payload's transform.
    Attribute {
        payload: u8,
        proposal: u8,
        transform: u8,
        attribute: u8,
        value: u16,
    },
    /// Sets one byte of a payload body as emitted: ID types, notify types,
    /// SPI sizes and counts, DOI and situation bits.
    Patch {
        payload: u8,
        offset: u8,
        value: u8,
    },
    /// Sets a payload's Length field as emitted (RFC 2408 3.2).
    Length {
        payload: u8,
        value: u16,
    },
    /// Replaces the padding of an encrypted body (RFC 2409 5.3).
    Padding(#[serde(with = "super::hex_field")] Vec<u8>),
}

impl Mutation {
    /// Whether this mutation edits the payload chain (before encryption) rather
    /// than the bytes of the finished message.
    pub fn edits_payloads(&self) -> bool {
        matches!(self, Self::Payload(_))
    }
}

/// Applies a byte-level mutation (everything but payload edits) to a message.
pub fn apply_to_bytes(mutation: &Mutation, message: &mut Vec<u8>) {
    match mutation {
        Mutation::None | Mutation::Payload(_) => {}
        Mutation::FlipBit { at, bit } => {
            if let Some(byte) = nth_mut(message, usize::from(*at)) {
                *byte ^= 1 << (bit % 8);
            }
        }
        Mutation::SetByte { at, value } => {
            if let Some(byte) = nth_mut(message, usize::from(*at)) {
                *byte = *value;
            }
        }
        Mutation::Truncate { keep } => message.truncate(usize::from(*keep) % (message.len() + 1)),
        Mutation::Append(bytes) => message.extend_from_slice(bytes),
        Mutation::Header { field, value } => edit_header(message, *field, *value),
    }
}

fn nth_mut(bytes: &mut [u8], index: usize) -> Option<&mut u8> {
    let len = bytes.len();
    (len > 0).then(|| &mut bytes[index % len])
}

/// Offsets of the header fields (RFC 2408 3.1).
fn edit_header(message: &mut [u8], field: HeaderField, value: u32) {
    let low = value as u8;
    let (offset, bytes): (usize, Vec<u8>) = match field {
        HeaderField::InitiatorCookie => (usize::from((value >> 8) as u8 % 8), vec![low]),
        HeaderField::ResponderCookie if value == 0 => (8, vec![0; 8]),
        HeaderField::ResponderCookie => (8 + usize::from((value >> 8) as u8 % 8), vec![low]),
        HeaderField::NextPayload => (16, vec![low]),
        HeaderField::Version => (17, vec![low]),
        HeaderField::Exchange => (18, vec![low]),
        HeaderField::Flags => (19, vec![low]),
        HeaderField::MessageId => (20, value.to_be_bytes().to_vec()),
        HeaderField::Length => (24, value.to_be_bytes().to_vec()),
    };
    if let Some(target) = message.get_mut(offset..offset + bytes.len()) {
        target.copy_from_slice(&bytes);
    }
}

/// Edits a payload list (and the padding of an encrypted body); `Patch` and
/// `Length` act on the emitted chain instead, see [`patch_chain`].
pub fn edit_payloads(payloads: &mut Vec<Payload>, padding: &mut Vec<u8>, edit: &PayloadEdit) {
    let count = payloads.len();
    let index = |at: u8| usize::from(at) % count.max(1);
    match edit {
        PayloadEdit::Remove(at) if count > 0 => {
            payloads.remove(index(*at));
        }
        PayloadEdit::Duplicate(at) if count > 0 => payloads.insert(index(*at), payloads[index(*at)].clone()),
        PayloadEdit::Swap(a, b) if count > 0 => payloads.swap(index(*a), index(*b)),
        PayloadEdit::Insert { at, blob } => {
            if let Ok(payload) = Payload::arbitrary(&mut Unstructured::new(blob)) {
                payloads.insert(usize::from(*at) % (count + 1), payload);
            }
        }
        PayloadEdit::Replace { at, blob } if count > 0 => {
            if let Ok(payload) = Payload::arbitrary(&mut Unstructured::new(blob)) {
                payloads[index(*at)] = payload;
            }
        }
        PayloadEdit::Truncate { payload, keep } if count > 0 => {
            if let Some(data) = opaque_body(&mut payloads[index(*payload)]) {
                data.truncate(usize::from(*keep));
            }
        }
        PayloadEdit::Zero(at) if count > 0 => {
            if let Some(data) = opaque_body(&mut payloads[index(*at)]) {
                data.fill(0);
            }
        }
        PayloadEdit::Attribute { payload, proposal, transform, attribute, value } if count > 0 => {
            set_attribute(&mut payloads[index(*payload)], [*proposal, *transform, *attribute], *value);
        }
        PayloadEdit::Padding(bytes) => *padding = bytes.clone(),
        _ => {}
    }
}

/// `Patch` and `Length` on an emitted payload chain whose first payload has
/// type `first` (the other edits are done by [`edit_payloads`]).
pub fn patch_chain(chain: &mut [u8], first: PayloadType, edit: &PayloadEdit) {
    let (payload, bytes) = match edit {
        PayloadEdit::Patch { payload, value, .. } => (*payload, vec![*value]),
        PayloadEdit::Length { payload, value } => (*payload, value.to_be_bytes().to_vec()),
        _ => return,
    };
    let Ok(spans) = chain_spans(first, chain) else { return };
    let Some(span) = spans.get(usize::from(payload) % spans.len().max(1)) else { return };
    let at = match edit {
        PayloadEdit::Patch { offset, .. } => span.body().start + usize::from(*offset),
        _ => span.length_field(),
    };
    if let Some(target) = chain.get_mut(at..at + bytes.len()) {
        target.copy_from_slice(&bytes);
    }
}

/// A `Patch` or `Length` made on the payloads after a leading HASH, renumbered
/// for the whole chain (the HASH is payload 0); other edits as they are.
pub fn behind_hash(edit: &PayloadEdit) -> PayloadEdit {
    match edit {
        PayloadEdit::Patch { payload, offset, value } => {
            PayloadEdit::Patch { payload: payload.saturating_add(1), offset: *offset, value: *value }
        }
        PayloadEdit::Length { payload, value } => {
            PayloadEdit::Length { payload: payload.saturating_add(1), value: *value }
        }
        other => other.clone(),
    }
}

/// The data of a payload whose body is plain bytes.
fn opaque_body(payload: &mut Payload) -> Option<&mut Vec<u8>> {
    match &mut payload.body {
        PayloadBody::KeyExchange(data)
        | PayloadBody::Nonce(data)
        | PayloadBody::Hash(data)
        | PayloadBody::Signature(data)
        | PayloadBody::VendorId(data) => Some(data),
        _ => None,
    }
}

/// Sets (or adds, past the end) a basic attribute of one transform.
fn set_attribute(payload: &mut Payload, [proposal, transform, attribute]: [u8; 3], value: u16) {
    let PayloadBody::SecurityAssociation(sa) = &mut payload.body else { return };
    let SaContent::Ipsec(situation) = &mut sa.content else { return };
    let proposals = &mut situation.proposals;
    let Some(proposal) = pick(proposals, proposal) else { return };
    let Some(transform) = pick(&mut proposal.transforms, transform) else { return };
    let attributes = &mut transform.attributes;
    let slot = usize::from(attribute) % (attributes.len() + 1);
    match attributes.get_mut(slot) {
        Some(existing) => *existing = Attribute::basic(existing.kind, value),
        None => attributes.push(Attribute::basic(u16::from(attribute) & 0x7fff, value)),
    }
}

fn pick<T>(items: &mut [T], at: u8) -> Option<&mut T> {
    let len = items.len();
    (len > 0).then(|| &mut items[usize::from(at) % len])
}
