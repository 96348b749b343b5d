//! Reading what a simulation put on the wire, with the `isakmp` parser.

use ikev1::sim::{Packet, Side, Simulation, WireRecord};
use isakmp::natt::{NAT_T_PORT, NON_ESP_MARKER};
use isakmp::numbers::{ExchangeType, PayloadType};
use isakmp::payload::{Identification, Notification};
use isakmp::{Message, Payload, PayloadBody, PayloadsExt};

/// The ISAKMP bytes of a datagram: after the Non-ESP Marker when either
/// port is 4500 (RFC 3948 2.2).
pub fn isakmp_bytes(packet: &Packet) -> &[u8] {
    if packet.source.port() == NAT_T_PORT || packet.destination.port() == NAT_T_PORT {
        assert_eq!(&packet.payload[..4], &NON_ESP_MARKER, "IKE on port 4500 starts with the marker");
        &packet.payload[4..]
    } else {
        &packet.payload
    }
}

pub fn parse(packet: &Packet) -> Message {
    Message::parse(isakmp_bytes(packet)).expect("the engine sends well-formed ISAKMP")
}

/// Every datagram one side put on the wire, delivered or not.
pub fn sent_by(sim: &Simulation, side: Side) -> Vec<&WireRecord> {
    sim.wire.iter().filter(|record| record.packet.from == side).collect()
}

/// The messages one side sent, parsed, in order.
pub fn messages_from(sim: &Simulation, side: Side) -> Vec<Message> {
    sent_by(sim, side).into_iter().map(|record| parse(&record.packet)).collect()
}

/// The messages one side sent in one exchange type.
pub fn exchange_from(sim: &Simulation, side: Side, exchange: ExchangeType) -> Vec<Message> {
    messages_from(sim, side).into_iter().filter(|m| m.header.exchange == exchange).collect()
}

/// The Main Mode messages one side sent (MM1, MM3, MM5 from the initiator).
pub fn main_mode_from(sim: &Simulation, side: Side) -> Vec<Message> {
    exchange_from(sim, side, ExchangeType::IDENTITY_PROTECTION)
}

pub fn payload_types(message: &Message) -> Vec<PayloadType> {
    message.payloads().types()
}

pub fn ke(payloads: &[Payload]) -> Option<&[u8]> {
    payloads.iter().find_map(|p| match &p.body {
        PayloadBody::KeyExchange(data) => Some(data.as_slice()),
        _ => None,
    })
}

pub fn nonce(payloads: &[Payload]) -> Option<&[u8]> {
    payloads.iter().find_map(|p| match &p.body {
        PayloadBody::Nonce(data) => Some(data.as_slice()),
        _ => None,
    })
}

pub fn hash(payloads: &[Payload]) -> Option<&[u8]> {
    payloads.iter().find_map(|p| match &p.body {
        PayloadBody::Hash(data) => Some(data.as_slice()),
        _ => None,
    })
}

pub fn identification(payloads: &[Payload]) -> Option<&Identification> {
    payloads.iter().find_map(|p| match &p.body {
        PayloadBody::Identification(id) => Some(id),
        _ => None,
    })
}

pub fn notifications(payloads: &[Payload]) -> Vec<&Notification> {
    payloads
        .iter()
        .filter_map(|p| match &p.body {
            PayloadBody::Notification(n) => Some(n),
            _ => None,
        })
        .collect()
}

pub fn vendor_ids(payloads: &[Payload]) -> Vec<&[u8]> {
    payloads
        .iter()
        .filter_map(|p| match &p.body {
            PayloadBody::VendorId(id) => Some(id.as_slice()),
            _ => None,
        })
        .collect()
}

/// The types NAT-D payloads travel under in a message (20 or 130).
pub fn nat_d_types(payloads: &[Payload]) -> Vec<PayloadType> {
    payloads
        .iter()
        .filter(|p| matches!(p.body, PayloadBody::NatDiscovery(_)))
        .map(Payload::payload_type)
        .collect()
}

/// The plain Informational notifies a side sent (before keys existed).
pub fn plain_notifies_from(sim: &Simulation, side: Side) -> Vec<Notification> {
    exchange_from(sim, side, ExchangeType::INFORMATIONAL)
        .iter()
        .filter(|m| !m.is_encrypted())
        .flat_map(|m| notifications(m.payloads()).into_iter().cloned().collect::<Vec<_>>())
        .collect()
}

/// A plain message re-emitted after `change` (lengths recomputed), for
/// interceptor mutations that alter payloads rather than bytes.
pub fn rewritten(datagram: &[u8], change: impl FnOnce(&mut Message)) -> Vec<u8> {
    let mut message = Message::parse(datagram).expect("a well-formed message to rewrite");
    change(&mut message);
    message.emit().expect("the rewritten message emits")
}

/// The payloads of a plain message, for rewriting.
pub fn payloads_mut(message: &mut Message) -> &mut Vec<Payload> {
    match &mut message.body {
        isakmp::Body::Plain(payloads) => payloads,
        isakmp::Body::Encrypted { .. } => panic!("an encrypted body cannot be rewritten"),
    }
}
