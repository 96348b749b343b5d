//! Builds the message a [`Forgery`] describes, on the cookies of an SA the
//! subject knows, protected as the null crypto would protect it (or not).

use arbitrary::{Arbitrary, Unstructured};
use isakmp::numbers::{Doi, ExchangeType, NotifyType, ProtocolId};
use isakmp::payload::{Delete, Notification, SpiList};
use isakmp::{Cookie, Flags, Header, MessageId, Payload, PayloadBody, Version};

use super::mutate;
use super::script::{Forgery, MessageIdChoice, Protection, Spi, Template};
use super::wire::Opened;

/// What a forgery may name: an SA's cookies and HASH length, the exchange
/// in progress, and the subject's IPsec SPIs.
pub struct Target {
    pub cookies: (Cookie, Cookie),
    /// The PRF output length of the SA (the HASH payload's length).
    pub hash_len: usize,
    /// The message ID of the last datagram a peer sent on this SA.
    pub current_message_id: u32,
    pub inbound_spis: Vec<u32>,
    pub outbound_spis: Vec<u32>,
}

/// The ISAKMP message (no Non-ESP Marker).
pub fn forge(forgery: &Forgery, target: &Target) -> Vec<u8> {
    let mut payloads: Vec<Payload> =
        forgery.payloads.iter().filter_map(|template| payload(template, target)).collect();
    let encrypted = forgery.protection != Protection::Plain;
    let hash = match forgery.protection {
        Protection::Plain | Protection::NoHash => None,
        Protection::ValidHash => Some(vec![0; target.hash_len]),
        Protection::WrongHash => Some(vec![0x5a; target.hash_len]),
        Protection::ShortHash => Some(vec![0; target.hash_len.saturating_sub(1)]),
    };
    if let Some(hash) = hash {
        payloads.insert(0, Payload::from(PayloadBody::Hash(hash)));
    }
    let message_id = match forgery.message_id {
        MessageIdChoice::Zero => 0,
        MessageIdChoice::Current => target.current_message_id,
        MessageIdChoice::Value(id) => id,
    };
    let header = Header {
        initiator_cookie: target.cookies.0,
        responder_cookie: target.cookies.1,
        version: Version::V1_0,
        exchange: ExchangeType(forgery.exchange),
        flags: if encrypted { Flags::ENCRYPTION } else { Flags::default() },
        message_id: MessageId(message_id),
    };
    let mut opened = Opened { header, encrypted, payloads, padding: Vec::new() };
    opened.realign_padding();
    let mut message = opened.seal().unwrap_or_default();
    mutate::apply(&forgery.edit, &mut message);
    message
}

fn payload(template: &Template, target: &Target) -> Option<Payload> {
    let body = match template {
        Template::Notify { notify, protocol, spi, data } => PayloadBody::Notification(Notification::ipsec(
            ProtocolId(*protocol),
            NotifyType(*notify),
            spi_bytes(spi, target),
            data.clone(),
        )),
        Template::Delete { protocol, spis } => {
            let spis: Vec<Vec<u8>> = spis.iter().map(|spi| spi_bytes(spi, target)).collect();
            let size = spis.first().map_or(0, Vec::len);
            let even: Vec<Vec<u8>> = spis
                .into_iter()
                .map(|mut spi| {
                    spi.resize(size, 0);
                    spi
                })
                .collect();
            let spis = SpiList::new(even.iter().map(Vec::as_slice)).unwrap_or_default();
            PayloadBody::Delete(Delete { doi: Doi::IPSEC, protocol: ProtocolId(*protocol), spis })
        }
        Template::Dpd { ack, sequence } => {
            let notify = if *ack { NotifyType::R_U_THERE_ACK } else { NotifyType::R_U_THERE };
            let cookies = spi_bytes(&Spi::IkeCookies, target);
            PayloadBody::Notification(Notification::ipsec(
                ProtocolId::ISAKMP,
                notify,
                cookies,
                sequence.to_be_bytes().to_vec(),
            ))
        }
        Template::Arbitrary(blob) => return Payload::arbitrary(&mut Unstructured::new(blob)).ok(),
    };
    Some(Payload::from(body))
}

fn spi_bytes(spi: &Spi, target: &Target) -> Vec<u8> {
    let nth = |spis: &[u32], index: u8| {
        let spi = spis.get(usize::from(index) % spis.len().max(1)).copied().unwrap_or(0);
        spi.to_be_bytes().to_vec()
    };
    match spi {
        Spi::IkeCookies => [target.cookies.0.0, target.cookies.1.0].concat(),
        Spi::Inbound(index) => nth(&target.inbound_spis, *index),
        Spi::Outbound(index) => nth(&target.outbound_spis, *index),
        Spi::Raw(bytes) => bytes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::script::Mutation;

    fn target() -> Target {
        Target {
            cookies: (Cookie([1; 8]), Cookie([2; 8])),
            hash_len: 32,
            current_message_id: 99,
            inbound_spis: vec![0x1111_1111],
            outbound_spis: vec![0x2222_2222, 0x3333_3333],
        }
    }

    #[test]
    fn an_authentic_delete_of_a_known_spi() {
        let forgery = Forgery {
            sa: 0,
            exchange: ExchangeType::INFORMATIONAL.0,
            message_id: MessageIdChoice::Current,
            protection: Protection::ValidHash,
            payloads: vec![Template::Delete { protocol: 3, spis: vec![Spi::Outbound(1), Spi::Raw(vec![7])] }],
            edit: Mutation::None,
        };
        let opened = Opened::open(&forge(&forgery, &target())).expect("opens");
        assert!(opened.encrypted && opened.leads_with_authentic_hash(32));
        assert_eq!(opened.header.message_id.0, 99);
        let PayloadBody::Delete(delete) = &opened.payloads[1].body else { panic!("a Delete") };
        let spis: Vec<&[u8]> = delete.spis.iter().collect();
        assert_eq!(spis, vec![&[0x33; 4][..], &[7, 0, 0, 0][..]], "SPIs padded to the first one's size");
    }

    #[test]
    fn unauthentic_protections_are_told_apart() {
        let mut forgery = Forgery {
            sa: 0,
            exchange: ExchangeType::INFORMATIONAL.0,
            message_id: MessageIdChoice::Value(5),
            protection: Protection::WrongHash,
            payloads: vec![Template::Dpd { ack: false, sequence: 1 }],
            edit: Mutation::None,
        };
        for protection in
            [Protection::WrongHash, Protection::ShortHash, Protection::NoHash, Protection::Plain]
        {
            forgery.protection = protection;
            let opened = Opened::open(&forge(&forgery, &target())).expect("opens");
            assert!(!opened.leads_with_authentic_hash(32), "{protection:?}");
            assert_eq!(opened.encrypted, protection != Protection::Plain);
        }
    }
}
