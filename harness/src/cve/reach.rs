//! Where a peer stops a replayed input before the code a CVE is about: the bytes
//! reach the peer as the script has them, but the peer drops them at an earlier
//! gate, so the case shows only that it survives them. Each rule names the gate as
//! the peer's own source or log shows it; the mapping reports it per case.

use isakmp::numbers::ExchangeType;
use isakmp::payload::Identity;
use isakmp::{Body, Message, PayloadBody};
use peers::PeerKind;

/// The IKEv1 fragmentation payload's type (the Cisco/draft number both peers use).
const FRAGMENT: u8 = 132;
/// Offsets in the ISAKMP header (RFC 2408 3.1).
const NEXT_PAYLOAD: usize = 16;
const RESPONDER_COOKIE: std::ops::Range<usize> = 8..16;

/// Why `peer` does not let `datagram` (sent as a first message from the reference's
/// address) reach the processing the case is about, if it does not.
pub fn datagram_gate(peer: PeerKind, datagram: &[u8]) -> Option<String> {
    if peer != PeerKind::LibreswanGuest {
        return None;
    }
    if datagram.get(NEXT_PAYLOAD) == Some(&FRAGMENT) {
        return Some(
            "the datagram is an IKEv1 fragment under cookies Libreswan has no state for; pluto drops \
             such a fragment before parsing it (programs/pluto/ikev1.c, \"received IKE fragment, but \
             have no state\"), so its fragment reassembly is not reached"
                .into(),
        );
    }
    let message = Message::parse(datagram).ok()?;
    let first_aggressive = message.header.exchange == ExchangeType::AGGRESSIVE
        && datagram.get(RESPONDER_COOKIE).is_some_and(|cookie| cookie.iter().all(|byte| *byte == 0));
    let Body::Plain(payloads) = &message.body else { return None };
    let identity = payloads.iter().find_map(|payload| match &payload.body {
        PayloadBody::Identification(identification) => Some(&identification.identity),
        _ => None,
    });
    match identity {
        Some(identity) if first_aggressive && !matches!(identity, Identity::Fqdn(_)) => {
            Some(aggressive_identity_gate())
        }
        _ => None,
    }
}

/// Why `peer` does not let the reference's AM1 with its identity's type changed reach
/// the processing the case is about.
pub fn aggressive_identity_changed(peer: PeerKind) -> Option<String> {
    (peer == PeerKind::LibreswanGuest).then(aggressive_identity_gate)
}

/// The peer's connection for the reference expects its ID_FQDN.
fn aggressive_identity_gate() -> String {
    "Libreswan chooses the Aggressive Mode connection by the initiator's identity, and this AM1's \
     identity (not the reference's ID_FQDN) matches none, so pluto drops it at the lookup (\"no \
     (wildcard) connection has been configured\" in its log): what the CVE is about past the lookup \
     is not reached"
        .into()
}
