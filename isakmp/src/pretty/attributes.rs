//! Names attribute types and values in the namespace of their protocol.

use crate::attribute::{Attribute, AttributeValue};
use crate::hex;
use crate::numbers::{
    AuthenticationAlgorithm, AuthenticationMethod, EncapsulationMode, EncryptionAlgorithm, GroupDescription,
    GroupType, HashAlgorithm, IpsecAttributeType, LifeType, Phase1AttributeType, ProtocolId,
};
use crate::pretty::Node;

/// Which attribute registry applies: Phase 1 for PROTO_ISAKMP, IPsec otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Namespace {
    Phase1,
    Ipsec,
}

impl Namespace {
    pub(crate) fn of(protocol: ProtocolId) -> Self {
        if protocol == ProtocolId::ISAKMP { Self::Phase1 } else { Self::Ipsec }
    }
}

pub(crate) fn attribute_node(attribute: &Attribute, namespace: Namespace) -> Node {
    let kind = match namespace {
        Namespace::Phase1 => Phase1AttributeType(attribute.kind).labelled(),
        Namespace::Ipsec => IpsecAttributeType(attribute.kind).labelled(),
    };
    let value = match &attribute.value {
        AttributeValue::Basic(value) => name_value(attribute.kind, *value, namespace),
        AttributeValue::Variable(bytes) => match attribute.as_integer() {
            Some(number) => format!("{number} (TLV, {} bytes)", bytes.len()),
            None => format!("{} (TLV, {} bytes)", hex::encode(bytes), bytes.len()),
        },
    };
    Node::new(format!("{kind}: {value}"))
}

fn name_value(kind: u16, value: u16, namespace: Namespace) -> String {
    match (namespace, kind) {
        (Namespace::Phase1, 1) => EncryptionAlgorithm(value).labelled(),
        (Namespace::Phase1, 2) => HashAlgorithm(value).labelled(),
        (Namespace::Phase1, 3) => AuthenticationMethod(value).labelled(),
        (Namespace::Phase1, 4) | (Namespace::Ipsec, 3) => GroupDescription(value).labelled(),
        (Namespace::Phase1, 5) => GroupType(value).labelled(),
        (Namespace::Phase1, 11) | (Namespace::Ipsec, 1) => LifeType(value).labelled(),
        (Namespace::Ipsec, 4) => EncapsulationMode(value).labelled(),
        (Namespace::Ipsec, 5) => AuthenticationAlgorithm(value).labelled(),
        _ => value.to_string(),
    }
}
