//! Reading what a simulation put on the wire, with the `isakmp` parser.

use ikev1::Protocol;
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

/// Whether a datagram carries ISAKMP: UDP on port 500, or on port 4500
/// behind the Non-ESP Marker (RFC 3948 2.2); not ESP, raw or in UDP, and
/// not a NAT keepalive (RFC 3948 2.3).
pub fn is_ike(packet: &Packet) -> bool {
    if packet.protocol != Protocol::Udp {
        return false;
    }
    let on_4500 = packet.source.port() == NAT_T_PORT || packet.destination.port() == NAT_T_PORT;
    !on_4500 || packet.payload.starts_with(&NON_ESP_MARKER)
}

/// ESP packets on the wire, raw (protocol 50) or in UDP on port 4500
/// (RFC 3948 2.1: a nonzero SPI where the marker would be).
pub fn is_esp(packet: &Packet) -> bool {
    match packet.protocol {
        Protocol::Esp => true,
        Protocol::Udp => !is_ike(packet) && packet.payload != isakmp::natt::KEEPALIVE,
    }
}

/// The ESP packets one side sent (after the NAT, as the wire carried them).
pub fn esp_from(sim: &Simulation, side: Side) -> Vec<&WireRecord> {
    sent_by(sim, side).into_iter().filter(|record| is_esp(&record.packet)).collect()
}

/// The ISAKMP messages one side sent, parsed, in order (ESP and
/// keepalives left out).
pub fn messages_from(sim: &Simulation, side: Side) -> Vec<Message> {
    sent_by(sim, side).into_iter().filter(|r| is_ike(&r.packet)).map(|record| parse(&record.packet)).collect()
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

/// The SA payload of a (decrypted) message.
pub fn security_association(payloads: &[Payload]) -> Option<&isakmp::payload::SecurityAssociation> {
    payloads.iter().find_map(|p| match &p.body {
        PayloadBody::SecurityAssociation(sa) => Some(sa),
        _ => None,
    })
}

/// Every transform of every proposal of the SA payload.
pub fn transforms(payloads: &[Payload]) -> Vec<&isakmp::payload::Transform> {
    security_association(payloads)
        .map(|sa| sa.proposals().iter().flat_map(|p| p.transforms.iter()).collect())
        .unwrap_or_default()
}

/// An IPsec DOI attribute's value in a transform (RFC 2407 4.5).
pub fn ipsec_attribute(
    transform: &isakmp::payload::Transform,
    kind: isakmp::numbers::IpsecAttributeType,
) -> Option<u64> {
    transform.attributes.iter().find(|a| a.kind == kind.0).and_then(|a| a.as_integer())
}

/// Every value of an attribute that may appear more than once (lifetimes).
pub fn ipsec_attributes(
    transform: &isakmp::payload::Transform,
    kind: isakmp::numbers::IpsecAttributeType,
) -> Vec<u64> {
    transform.attributes.iter().filter(|a| a.kind == kind.0).filter_map(|a| a.as_integer()).collect()
}

pub fn identifications(payloads: &[Payload]) -> Vec<&Identification> {
    payloads
        .iter()
        .filter_map(|p| match &p.body {
            PayloadBody::Identification(id) => Some(id),
            _ => None,
        })
        .collect()
}

pub fn deletes(payloads: &[Payload]) -> Vec<&isakmp::payload::Delete> {
    payloads
        .iter()
        .filter_map(|p| match &p.body {
            PayloadBody::Delete(d) => Some(d),
            _ => None,
        })
        .collect()
}

pub fn nat_original_addresses(payloads: &[Payload]) -> Vec<&isakmp::payload::NatOriginalAddress> {
    payloads
        .iter()
        .filter_map(|p| match &p.body {
            PayloadBody::NatOriginalAddress(oa) => Some(oa),
            _ => None,
        })
        .collect()
}

/// The types of a payload list, in order.
pub fn types_of(payloads: &[Payload]) -> Vec<PayloadType> {
    payloads.iter().map(Payload::payload_type).collect()
}
