//! Field trees for messages and payloads.

use crate::hex;
use crate::message::{Body, Message};
use crate::numbers::{
    AhTransformId, EspTransformId, IpcompTransformId, IsakmpTransformId, NotifyType, ProtocolId,
};
use crate::payload::{
    Delete, Identification, Notification, Payload, PayloadBody, Proposal, SaContent, SecurityAssociation,
    Transform,
};
use crate::pretty::Node;
use crate::pretty::attributes::{Namespace, attribute_node};
use crate::vendor_id;

/// The whole message: header fields, then each payload (or the opaque
/// encrypted body).
pub fn message_tree(message: &Message) -> Node {
    let h = &message.header;
    let length = message.emit().map_or_else(|_| "?".to_owned(), |bytes| bytes.len().to_string());
    let mut root = Node::new(format!("ISAKMP {}, {} bytes", h.exchange, length));
    root.push(Node::field("Initiator cookie", h.initiator_cookie));
    root.push(Node::field("Responder cookie", h.responder_cookie));
    root.push(Node::field("Next payload", message.body.first_type().labelled()));
    root.push(Node::field("Version", h.version));
    root.push(Node::field("Exchange type", h.exchange.labelled()));
    root.push(Node::field("Flags", h.flags));
    root.push(Node::field("Message ID", h.message_id));
    match &message.body {
        Body::Plain(payloads) => root.children.extend(payloads.iter().map(payload_node)),
        Body::Encrypted { ciphertext, .. } => {
            root.push(Node::new(format!("Encrypted body: {} bytes", ciphertext.len())))
        }
    }
    root
}

/// A bare payload list, e.g. a decrypted body.
pub fn payloads_tree(title: &str, payloads: &[Payload]) -> Node {
    Node { text: title.to_owned(), children: payloads.iter().map(payload_node).collect() }
}

fn payload_node(payload: &Payload) -> Node {
    let length = payload.body.to_body_bytes().map_or(0, |body| body.len() + 4);
    let mut node = Node::new(format!("{}, {} bytes", payload.payload_type().labelled(), length));
    if payload.reserved != 0 {
        node.push(Node::field("Reserved", format!("{:#04x}", payload.reserved)));
    }
    match &payload.body {
        PayloadBody::SecurityAssociation(sa) => security_association(sa, &mut node),
        PayloadBody::Identification(id) => identification(id, &mut node),
        PayloadBody::Notification(notification) => notify(notification, &mut node),
        PayloadBody::Delete(delete) => delete_node(delete, &mut node),
        PayloadBody::VendorId(data) => node.push(Node::field("Vendor ID", vendor_id::describe(data))),
        PayloadBody::KeyExchange(data) => node.push(Node::field("Key exchange data", hex::encode(data))),
        PayloadBody::Hash(data) => node.push(Node::field("Hash data", hex::encode(data))),
        PayloadBody::Signature(data) => node.push(Node::field("Signature data", hex::encode(data))),
        PayloadBody::Nonce(data) => node.push(Node::field("Nonce data", hex::encode(data))),
        PayloadBody::NatDiscovery(nat_d) => {
            node.push(Node::field("Hash of address and port", hex::encode(&nat_d.hash)))
        }
        PayloadBody::NatOriginalAddress(nat_oa) => node.push(Node::field("Original address", nat_oa.address)),
        PayloadBody::Certificate(cert) => {
            node.push(Node::field("Encoding", cert.encoding.labelled()));
            node.push(Node::field("Data", hex::encode(&cert.data)));
        }
        PayloadBody::CertificateRequest(request) => {
            node.push(Node::field("Type", request.certificate_type.labelled()));
            node.push(Node::field("Authority", hex::encode(&request.authority)));
        }
        PayloadBody::Fragment(fragment) => {
            node.push(Node::field("Fragment ID", fragment.id));
            node.push(Node::field("Fragment number", fragment.number));
            node.push(Node::field("Flags", format!("{:#04x}", fragment.flags)));
            node.push(Node::field("Data", format!("{} bytes", fragment.data.len())));
        }
        PayloadBody::Unknown { data, .. } => node.push(Node::field("Data", hex::encode(data))),
    }
    node
}

fn security_association(sa: &SecurityAssociation, node: &mut Node) {
    node.push(Node::field("DOI", sa.doi.labelled()));
    match &sa.content {
        SaContent::Opaque(bytes) => node.push(Node::field("Situation and proposals", hex::encode(bytes))),
        SaContent::Ipsec(ipsec) => {
            node.push(Node::field("Situation", ipsec.situation));
            if let Some(domain) = &ipsec.labeled_domain {
                node.push(Node::field("Labeled domain identifier", domain.identifier));
            }
            node.children.extend(ipsec.proposals.iter().map(proposal));
        }
    }
}

fn proposal(proposal: &Proposal) -> Node {
    let mut node = Node::new(format!(
        "Proposal #{}: {}, SPI {}, {} transform(s)",
        proposal.number,
        proposal.protocol.labelled(),
        if proposal.spi.is_empty() { "none".to_owned() } else { hex::encode(&proposal.spi) },
        proposal.transforms.len()
    ));
    let namespace = Namespace::of(proposal.protocol);
    for transform in &proposal.transforms {
        node.push(transform_node(transform, proposal.protocol, namespace));
    }
    node
}

fn transform_node(transform: &Transform, protocol: ProtocolId, namespace: Namespace) -> Node {
    let id = transform.transform_id;
    let name = match protocol {
        ProtocolId::ISAKMP => IsakmpTransformId(id).labelled(),
        ProtocolId::AH => AhTransformId(id).labelled(),
        ProtocolId::ESP => EspTransformId(id).labelled(),
        ProtocolId::IPCOMP => IpcompTransformId(id).labelled(),
        _ => id.to_string(),
    };
    let mut node = Node::new(format!("Transform #{}: {}", transform.number, name));
    node.children.extend(transform.attributes.iter().map(|a| attribute_node(a, namespace)));
    node
}

fn identification(id: &Identification, node: &mut Node) {
    node.push(Node::field("ID type", id.identity.id_type().labelled()));
    node.push(Node::field("Protocol", id.protocol));
    node.push(Node::field("Port", id.port));
    node.push(Node::field("Identification", &id.identity));
}

fn notify(notification: &Notification, node: &mut Node) {
    node.push(Node::field("Notify type", notification.notify_type.labelled()));
    node.push(Node::field("DOI", notification.doi.labelled()));
    node.push(Node::field("Protocol", notification.protocol.labelled()));
    if !notification.spi.is_empty() {
        node.push(Node::field("SPI", hex::encode(&notification.spi)));
    }
    if let Some(sequence) = notification.dpd_sequence() {
        node.push(Node::field("DPD sequence", sequence));
    } else if notification.notify_type == NotifyType::RESPONDER_LIFETIME {
        match notification.lifetime_attributes(0) {
            Ok(attributes) => node
                .children
                .extend(attributes.iter().map(|a| attribute_node(a, Namespace::of(notification.protocol)))),
            Err(_) => node.push(Node::field("Data (malformed)", hex::encode(&notification.data))),
        }
    } else if !notification.data.is_empty() {
        node.push(Node::field("Data", hex::encode(&notification.data)));
    }
}

fn delete_node(delete: &Delete, node: &mut Node) {
    node.push(Node::field("DOI", delete.doi.labelled()));
    node.push(Node::field("Protocol", delete.protocol.labelled()));
    node.push(Node::field("SPI size", delete.spis.size()));
    node.push(Node::field("Number of SPIs", delete.spis.count()));
    for spi in delete.spis.iter() {
        node.push(Node::field("SPI", hex::encode(spi)));
    }
}
