//! A received message after decryption, with lookups by payload type.

use std::net::SocketAddr;

use isakmp::numbers::{NotifyType, PayloadType};
use isakmp::payload::{
    Delete, Identification, NatDiscovery, Notification, PayloadBody, SecurityAssociation, chain_spans,
};
use isakmp::{Header, Payload, PayloadsExt};

use crate::keys::IvChain;

pub struct Received {
    pub header: Header,
    pub payloads: Vec<Payload>,
    pub encrypted: bool,
    /// The payload chain as it arrived (decrypted, without padding), for
    /// hashes over raw payload bytes (RFC 2409 5.5, 5.7).
    pub chain: Vec<u8>,
    pub first: PayloadType,
    /// Our address and port the datagram arrived on, and the sender's.
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// The advanced IV chain of an encrypted message, committed on acceptance.
    pub iv: Option<IvChain>,
}

impl Received {
    pub fn message_id(&self) -> u32 {
        self.header.message_id.0
    }

    pub fn sa(&self) -> Option<&SecurityAssociation> {
        self.payloads.iter().find_map(|p| match &p.body {
            PayloadBody::SecurityAssociation(sa) => Some(sa),
            _ => None,
        })
    }

    pub fn ke(&self) -> Option<&[u8]> {
        self.bytes_of(PayloadType::KE)
    }

    pub fn nonce(&self) -> Option<&[u8]> {
        self.bytes_of(PayloadType::NONCE)
    }

    pub fn hash(&self) -> Option<&[u8]> {
        self.bytes_of(PayloadType::HASH)
    }

    pub fn identifications(&self) -> impl Iterator<Item = &Identification> {
        self.payloads.iter().filter_map(|p| match &p.body {
            PayloadBody::Identification(id) => Some(id),
            _ => None,
        })
    }

    pub fn vendor_ids(&self) -> Vec<&[u8]> {
        self.payloads
            .iter()
            .filter_map(|p| match &p.body {
                PayloadBody::VendorId(id) => Some(id.as_slice()),
                _ => None,
            })
            .collect()
    }

    pub fn nat_ds(&self) -> Vec<&[u8]> {
        self.payloads
            .iter()
            .filter_map(|p| match &p.body {
                PayloadBody::NatDiscovery(NatDiscovery { hash, .. }) => Some(hash.as_slice()),
                _ => None,
            })
            .collect()
    }

    pub fn notifications(&self) -> impl Iterator<Item = &Notification> {
        self.payloads.iter().filter_map(|p| match &p.body {
            PayloadBody::Notification(n) => Some(n),
            _ => None,
        })
    }

    pub fn has_notify(&self, notify: NotifyType) -> bool {
        self.notifications().any(|n| n.notify_type == notify)
    }

    pub fn deletes(&self) -> impl Iterator<Item = &Delete> {
        self.payloads.iter().filter_map(|p| match &p.body {
            PayloadBody::Delete(d) => Some(d),
            _ => None,
        })
    }

    /// Payload types no IKEv1 exchange uses (RFC 2408 5.2: INVALID-PAYLOAD-TYPE).
    pub fn unknown_payload_types(&self) -> Vec<PayloadType> {
        self.payloads
            .iter()
            .filter_map(|p| match &p.body {
                PayloadBody::Unknown { payload_type, .. } => Some(*payload_type),
                _ => None,
            })
            .collect()
    }

    /// The raw bytes of the chain after the first payload (the HASH), as
    /// RFC 2409 5.5 and 5.7 hash them.
    pub fn chain_after_first(&self) -> Option<&[u8]> {
        let spans = chain_spans(self.first, &self.chain).ok()?;
        let first = spans.first()?;
        let end = spans.last()?.range.end;
        self.chain.get(first.range.end..end)
    }

    fn bytes_of(&self, kind: PayloadType) -> Option<&[u8]> {
        self.payloads.of_type(kind).find_map(|body| match body {
            PayloadBody::KeyExchange(data) | PayloadBody::Nonce(data) | PayloadBody::Hash(data) => {
                Some(data.as_slice())
            }
            _ => None,
        })
    }
}
