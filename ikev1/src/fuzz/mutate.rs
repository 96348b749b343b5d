//! Carries out a [`Mutation`] on an ISAKMP message in transit (without the
//! Non-ESP Marker). Payload edits work on the decrypted chain and re-seal
//! it, so an encrypted message stays decryptable unless the edit is about
//! that; the edits themselves live in [`crate::impairment::mutation`].

use isakmp::message::BODY_OFFSET;
use isakmp::numbers::PayloadType;

use super::wire::Opened;
use crate::impairment::mutation::{Mutation, PayloadEdit, apply_to_bytes, edit_payloads, patch_chain};

pub fn apply(mutation: &Mutation, message: &mut Vec<u8>) {
    match mutation {
        Mutation::Payload(edit) => edit_sealed_payloads(message, edit),
        bytes => apply_to_bytes(bytes, message),
    }
}

fn edit_sealed_payloads(message: &mut Vec<u8>, edit: &PayloadEdit) {
    let Some(mut opened) = Opened::open(message) else { return };
    edit_payloads(&mut opened.payloads, &mut opened.padding, edit);
    if !matches!(edit, PayloadEdit::Padding(_)) {
        opened.realign_padding();
    }
    let Some(sealed) = opened.seal() else { return };
    *message = sealed;
    let first = PayloadType(message[16]);
    if let Some(chain) = message.get_mut(BODY_OFFSET..) {
        patch_chain(chain, first, edit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impairment::mutation::HeaderField;
    use isakmp::numbers::{ExchangeType, NotifyType, ProtocolId};
    use isakmp::payload::Notification;
    use isakmp::{Cookie, Flags, Header, MessageId, Version};
    use isakmp::{Payload, PayloadBody};

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
