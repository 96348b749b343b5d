//! What the peer sent the reference, read back from the case's capture: every
//! ISAKMP message from the peer's address, by exchange type, the Notify types of
//! those in the clear (an error notify to a stray or malformed datagram goes out
//! under cookies the reference's engine has no SA for, so only the capture sees it),
//! and how many Phase 1 responses (MM2, AM2 and their retransmissions) there were.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use isakmp::natt::IkeDatagram;
use isakmp::numbers::ExchangeType;
use isakmp::{Body, Cookie, Message, PayloadBody};
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PeerMessages {
    /// ISAKMP messages from the peer, by exchange type name.
    pub by_exchange: BTreeMap<String, u32>,
    /// Notify types (by name) of the peer's messages sent in the clear.
    pub plain_notifies: BTreeMap<String, u32>,
    /// Main or Aggressive Mode messages from the peer under a responder cookie and
    /// message ID 0: the responder's MM2/MM4/AM2, retransmissions included.
    pub phase1_responses: u32,
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
        let phase1 = matches!(header.exchange, ExchangeType::IDENTITY_PROTECTION | ExchangeType::AGGRESSIVE);
        if phase1 && header.message_id.0 == 0 && header.responder_cookie != Cookie::ZERO {
            self.phase1_responses += 1;
        }
        if let Body::Plain(payloads) = &message.body {
            for payload in payloads {
                if let PayloadBody::Notification(notification) = &payload.body {
                    *self.plain_notifies.entry(notification.notify_type.to_string()).or_default() += 1;
                }
            }
        }
    }
}
