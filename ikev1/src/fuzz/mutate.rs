//! Carries out a [`Mutation`] on an ISAKMP message (without the Non-ESP
//! Marker). Payload edits work on the decrypted chain and re-seal it, so an
//! encrypted message stays decryptable unless the edit is about that.

use arbitrary::{Arbitrary, Unstructured};
use isakmp::numbers::PayloadType;
use isakmp::payload::{SaContent, chain_spans};
use isakmp::{Attribute, Payload, PayloadBody};

use super::script::{HeaderField, Mutation, PayloadEdit};
use super::wire::Opened;

pub fn apply(mutation: &Mutation, message: &mut Vec<u8>) {
    match mutation {
        Mutation::None => {}
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
        Mutation::Payload(edit) => edit_payloads(message, edit),
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

fn edit_payloads(message: &mut Vec<u8>, edit: &PayloadEdit) {
    let Some(mut opened) = Opened::open(message) else { return };
    let count = opened.payloads.len();
    let index = |at: u8| usize::from(at) % count.max(1);
    let payloads = &mut opened.payloads;
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
        PayloadEdit::Padding(padding) => opened.padding = padding.clone(),
        _ => {}
    }
    if !matches!(edit, PayloadEdit::Padding(_)) {
        opened.realign_padding();
    }
    let Some(sealed) = opened.seal() else { return };
    *message = sealed;
    match edit {
        PayloadEdit::Patch { payload, offset, value } => {
            patch_payload(message, *payload, |span| span.body().start + usize::from(*offset), &[*value])
        }
        PayloadEdit::Length { payload, value } => {
            patch_payload(message, *payload, |span| span.length_field(), &value.to_be_bytes())
        }
        _ => {}
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

/// Writes raw bytes into a sealed message at an offset within one payload.
fn patch_payload(
    message: &mut [u8],
    payload: u8,
    offset: impl Fn(&isakmp::payload::PayloadSpan) -> usize,
    bytes: &[u8],
) {
    const BODY: usize = isakmp::message::BODY_OFFSET;
    let first = PayloadType(message.get(16).copied().unwrap_or(0));
    let Some(body) = message.get(BODY..) else { return };
    let Ok(spans) = chain_spans(first, body) else { return };
    let Some(span) = spans.get(usize::from(payload) % spans.len().max(1)) else { return };
    let at = BODY + offset(span);
    if let Some(target) = message.get_mut(at..at + bytes.len()) {
        target.copy_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isakmp::numbers::{ExchangeType, NotifyType, ProtocolId};
    use isakmp::payload::Notification;
    use isakmp::{Cookie, Flags, Header, MessageId, Version};

    fn encrypted_notify() -> Vec<u8> {
        let notify =
            Notification::ipsec(ProtocolId::ISAKMP, NotifyType::R_U_THERE, vec![3; 16], vec![0, 0, 0, 9]);
        let mut opened = Opened {
            header: Header {
                initiator_cookie: Cookie([1; 8]),
                responder_cookie: Cookie([2; 8]),
                version: Version::V1_0,
                exchange: ExchangeType::INFORMATIONAL,
                flags: Flags::ENCRYPTION,
                message_id: MessageId(5),
            },
            encrypted: true,
            payloads: vec![
                Payload::from(PayloadBody::Hash(vec![0; 20])),
                Payload::from(PayloadBody::Notification(notify)),
            ],
            padding: Vec::new(),
        };
        opened.realign_padding();
        opened.seal().unwrap()
    }

    #[test]
    fn payload_edits_keep_an_encrypted_message_decryptable() {
        let mut message = encrypted_notify();
        apply(&Mutation::Payload(PayloadEdit::Duplicate(1)), &mut message);
        let opened = Opened::open(&message).expect("still opens");
        assert_eq!(opened.payloads.len(), 3);
        assert_eq!(message.len() % 16, 28 % 16, "the body stays whole blocks");
        apply(&Mutation::Payload(PayloadEdit::Zero(0)), &mut message);
        apply(&Mutation::Payload(PayloadEdit::Truncate { payload: 0, keep: 4 }), &mut message);
        assert!(!Opened::open(&message).unwrap().leads_with_authentic_hash(20));
    }

    #[test]
    fn raw_patches_land_inside_the_named_payload() {
        let mut message = encrypted_notify();
        // The notify type is at offset 6 of the Notification body.
        apply(&Mutation::Payload(PayloadEdit::Patch { payload: 1, offset: 7, value: 0x0b }), &mut message);
        let PayloadBody::Notification(notify) = &Opened::open(&message).unwrap().payloads[1].body else {
            panic!("a notification")
        };
        assert_eq!(notify.notify_type, NotifyType(0x8d0b));
        apply(&Mutation::Payload(PayloadEdit::Length { payload: 1, value: 3 }), &mut message);
        assert!(Opened::open(&message).is_none(), "a payload length below the generic header");
    }

    #[test]
    fn header_edits_write_their_field() {
        let mut message = encrypted_notify();
        apply(&Mutation::Header { field: HeaderField::MessageId, value: 0xaabb_ccdd }, &mut message);
        apply(&Mutation::Header { field: HeaderField::ResponderCookie, value: 0 }, &mut message);
        let header = Opened::open(&message).unwrap().header;
        assert_eq!((header.message_id.0, header.responder_cookie), (0xaabb_ccdd, Cookie::ZERO));
        apply(&Mutation::Truncate { keep: 10 }, &mut message);
        assert_eq!(message.len(), 10);
    }
}
