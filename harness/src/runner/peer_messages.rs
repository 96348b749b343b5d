//! What the peer sent the reference, read back from the case's capture: every
//! ISAKMP message from the peer's address, by exchange type, the Notify types of
//! those in the clear (an error notify to a stray or malformed datagram goes out
//! under cookies the reference's engine has no SA for, so only the capture sees it),
//! and how many first responses (MM2 or AM2, resends included) there were.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use isakmp::natt::IkeDatagram;
use isakmp::numbers::ExchangeType;
use isakmp::{Body, Cookie, Message, PayloadBody};
use serde::Serialize;

/// The IKEv2 Notify payload's type (RFC 7296 3.2).
const IKEV2_NOTIFY: u8 = 41;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PeerMessages {
    /// ISAKMP messages from the peer, by exchange type name.
    pub by_exchange: BTreeMap<String, u32>,
    /// Notify types (by name) of the peer's messages sent in the clear; an IKEv2
    /// Notify (RFC 7296 3.10) as `IKEv2 <type>`, as a peer answers a header of
    /// version 2.0 (RFC 7296 2.5).
    pub plain_notifies: BTreeMap<String, u32>,
    /// The responder's first message, MM2 or AM2 (the one that carries its SA
    /// payload, RFC 2409 5), resends included.
    pub first_responses: u32,
    /// Datagrams from the peer's IKE ports that do not parse as ISAKMP.
    pub unparsable: u32,
}

impl PeerMessages {
    /// Reads `pcap` (as tcpdump has written it so far) for datagrams from `peer`.
    pub fn read(pcap: &Path, peer: IpAddr) -> Result<PeerMessages, String> {
        let frames = vectors::capture::read_frames(pcap).map_err(|error| error.to_string())?;
        let mut found = PeerMessages::default();
        for frame in &frames {
            let (Some(udp), Some(payload)) = (frame.udp(), frame.payload()) else { continue };
            if udp.src.ip() != peer {
                continue;
            }
            match IkeDatagram::classify(udp.src.port(), udp.dst.port(), payload) {
                Some(Ok(IkeDatagram::Ike { message, .. })) => match Message::parse(message) {
                    Ok(message) => found.count(&message),
                    Err(_) => found.unparsable += 1,
                },
                Some(Err(_)) => found.unparsable += 1,
                _ => {}
            }
        }
        Ok(found)
    }

    fn count(&mut self, message: &Message) {
        let header = &message.header;
        *self.by_exchange.entry(header.exchange.to_string()).or_default() += 1;
        let Body::Plain(payloads) = &message.body else { return };
        let phase1 = matches!(header.exchange, ExchangeType::IDENTITY_PROTECTION | ExchangeType::AGGRESSIVE);
        let has_sa =
            payloads.iter().any(|payload| matches!(payload.body, PayloadBody::SecurityAssociation(_)));
        if phase1 && has_sa && header.responder_cookie != Cookie::ZERO {
            self.first_responses += 1;
        }
        for payload in payloads {
            let name = match &payload.body {
                PayloadBody::Notification(notification) => notification.notify_type.to_string(),
                PayloadBody::Unknown { payload_type, data } if payload_type.0 == IKEV2_NOTIFY => {
                    // Protocol ID, SPI size, then the type (RFC 7296 3.10).
                    let Some(kind) = data.get(2..4) else { continue };
                    ikev2_notify_name(u16::from_be_bytes([kind[0], kind[1]]))
                }
                _ => continue,
            };
            *self.plain_notifies.entry(name).or_default() += 1;
        }
    }
}

/// `IKEv2 INVALID_MAJOR_VERSION` and the like for the error types a peer sends an
/// IKEv1 initiator (RFC 7296 3.10.1); others by number.
fn ikev2_notify_name(kind: u16) -> String {
    let name = match kind {
        1 => "UNSUPPORTED_CRITICAL_PAYLOAD".to_owned(),
        4 => "INVALID_IKE_SPI".to_owned(),
        5 => "INVALID_MAJOR_VERSION".to_owned(),
        7 => "INVALID_SYNTAX".to_owned(),
        14 => "NO_PROPOSAL_CHOSEN".to_owned(),
        17 => "INVALID_KE_PAYLOAD".to_owned(),
        other => other.to_string(),
    };
    format!("IKEv2 {name}")
}

/// Whether a name [`PeerMessages`] gives an IKEv2 notify is an error type (below
/// 16384, RFC 7296 3.10.1).
pub fn is_ikev2_error(name: &str) -> bool {
    let Some(kind) = name.strip_prefix("IKEv2 ") else { return false };
    kind.parse::<u16>().map_or(true, |number| number < 16384)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::path::PathBuf;

    use super::*;

    fn capture(case: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors/real").join(case).join("capture.pcap")
    }

    const RESPONDER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn counts_the_responders_messages_and_its_one_mm2() {
        let found =
            PeerMessages::read(&capture("A-mm-psk-aes128-sha256-modp2048-pfs2048"), RESPONDER).unwrap();
        assert_eq!(found.first_responses, 1, "MM2 only, not MM4 or MM6: {found:?}");
        assert!(found.by_exchange["Identity Protection (Main Mode)"] >= 3, "{found:?}");
        assert_eq!(found.unparsable, 0);
    }

    #[test]
    fn reads_the_notify_of_a_refusal_in_the_clear() {
        let found = PeerMessages::read(&capture("J-no-proposal-chosen"), RESPONDER).unwrap();
        assert_eq!(found.plain_notifies.get("NO-PROPOSAL-CHOSEN"), Some(&1), "{found:?}");
        assert_eq!(found.first_responses, 0);
    }

    #[test]
    fn ikev2_notifies_are_named_and_told_error_or_not() {
        assert_eq!(ikev2_notify_name(5), "IKEv2 INVALID_MAJOR_VERSION");
        assert!(is_ikev2_error("IKEv2 INVALID_MAJOR_VERSION"));
        assert!(is_ikev2_error("IKEv2 9"));
        assert!(!is_ikev2_error("IKEv2 16388"));
        assert!(!is_ikev2_error("NO-PROPOSAL-CHOSEN"));
    }
}
