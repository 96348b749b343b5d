//! Quick Mode exchanges as the decrypted capture shows them (RFC 2409 5.5):
//!
//! ```text
//! Initiator                        Responder
//! HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ] -->
//!                   <-- HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ]
//! HDR*, HASH(3) -->
//! ```
//!
//! Per message ID this keeps who initiated, the nonces, the SPIs each side
//! chose, the accepted proposal and whether KE payloads asked for PFS: the
//! inputs of KEYMAT.

use std::net::IpAddr;

use isakmp::numbers::{PayloadType, ProtocolId};
use isakmp::payload::{Payload, PayloadBody, Proposal};

/// Where a message stands in its Quick Mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuickModeMessage {
    First,
    Second,
    Third,
    /// Anything else with this message ID (e.g. a CONNECTED notify, RFC 2409 5.5 commit bit).
    Other,
}

/// One Quick Mode, keyed by its message ID.
#[derive(Clone, Debug)]
pub struct QuickModeExchange {
    pub message_id: u32,
    /// The outer address that sent message 1.
    pub initiator: IpAddr,
    /// Index of the key set that read the exchange.
    pub key_set: usize,
    pub ni_b: Option<Vec<u8>>,
    pub nr_b: Option<Vec<u8>>,
    /// The SA payload proposals of message 1; their SPIs are the initiator's inbound SPIs.
    pub offered: Vec<Proposal>,
    /// The SA payload proposals of message 2: the accepted proposal, with the responder's SPIs.
    pub accepted: Vec<Proposal>,
    /// KE payloads were exchanged: KEYMAT includes g(qm)^xy.
    pub pfs: bool,
    pub frames: Vec<u64>,
}

impl QuickModeExchange {
    /// The accepted ESP proposal and the SPI the initiator offered with the same
    /// proposal number: (initiator's inbound SPI, responder's inbound SPI, proposal).
    pub fn esp_spis(&self) -> Option<(&[u8], &[u8], &Proposal)> {
        let accepted = self.accepted.iter().find(|proposal| proposal.protocol == ProtocolId::ESP)?;
        let offered = self
            .offered
            .iter()
            .find(|proposal| proposal.protocol == ProtocolId::ESP && proposal.number == accepted.number)
            .or_else(|| self.offered.iter().find(|proposal| proposal.protocol == ProtocolId::ESP))?;
        Some((&offered.spi, &accepted.spi, accepted))
    }
}

/// The Quick Modes of one ISAKMP SA, in the order they began.
#[derive(Clone, Debug, Default)]
pub struct QuickModes {
    exchanges: Vec<QuickModeExchange>,
}

impl QuickModes {
    pub fn exchanges(&self) -> &[QuickModeExchange] {
        &self.exchanges
    }

    fn find(&self, message_id: u32) -> Option<&QuickModeExchange> {
        self.exchanges.iter().find(|exchange| exchange.message_id == message_id)
    }

    /// Which message this is: one with an SA payload is message 1 from the side
    /// that opened the exchange (or when none did yet) and message 2 from the
    /// other; HASH alone is message 3.
    pub fn position(&self, message_id: u32, sender: IpAddr, types: &[PayloadType]) -> QuickModeMessage {
        if types.contains(&PayloadType::SA) {
            match self.find(message_id) {
                Some(exchange) if exchange.initiator != sender => QuickModeMessage::Second,
                _ => QuickModeMessage::First,
            }
        } else if types == [PayloadType::HASH] {
            QuickModeMessage::Third
        } else {
            QuickModeMessage::Other
        }
    }

    /// Ni_b and Nr_b of `message_id`, as far as they were seen.
    pub fn nonces(&self, message_id: u32) -> (Option<&[u8]>, Option<&[u8]>) {
        self.find(message_id)
            .map_or((None, None), |exchange| (exchange.ni_b.as_deref(), exchange.nr_b.as_deref()))
    }

    /// Takes what message `frame` tells about its Quick Mode.
    pub fn record(
        &mut self,
        message_id: u32,
        sender: IpAddr,
        frame: u64,
        key_set: usize,
        payloads: &[Payload],
    ) {
        let types: Vec<PayloadType> = payloads.iter().map(Payload::payload_type).collect();
        let position = self.position(message_id, sender, &types);
        let index = match self.exchanges.iter().position(|exchange| exchange.message_id == message_id) {
            Some(index) => index,
            None => {
                self.exchanges.push(QuickModeExchange {
                    message_id,
                    initiator: sender,
                    key_set,
                    ni_b: None,
                    nr_b: None,
                    offered: Vec::new(),
                    accepted: Vec::new(),
                    pfs: false,
                    frames: Vec::new(),
                });
                self.exchanges.len() - 1
            }
        };
        let exchange = &mut self.exchanges[index];
        exchange.frames.push(frame);
        let nonce = payloads.iter().find_map(|payload| match &payload.body {
            PayloadBody::Nonce(nonce) => Some(nonce.clone()),
            _ => None,
        });
        let proposals: Vec<Proposal> = payloads
            .iter()
            .filter_map(|payload| match &payload.body {
                PayloadBody::SecurityAssociation(sa) => Some(sa.proposals().to_vec()),
                _ => None,
            })
            .flatten()
            .collect();
        let has_key_exchange = types.contains(&PayloadType::KE);
        match position {
            QuickModeMessage::First => {
                exchange.ni_b = nonce;
                exchange.offered = proposals;
                exchange.pfs = has_key_exchange;
            }
            QuickModeMessage::Second => {
                exchange.nr_b = nonce;
                exchange.accepted = proposals;
                exchange.pfs &= has_key_exchange;
            }
            QuickModeMessage::Third | QuickModeMessage::Other => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isakmp::payload::{SecurityAssociation, Transform};

    fn proposal(spi: [u8; 4]) -> Proposal {
        Proposal {
            reserved: 0,
            number: 1,
            protocol: ProtocolId::ESP,
            spi: spi.to_vec(),
            transforms: vec![Transform {
                reserved: 0,
                number: 1,
                transform_id: 12,
                reserved2: 0,
                attributes: vec![],
            }],
        }
    }

    fn message(spi: [u8; 4], nonce: &[u8], with_ke: bool) -> Vec<Payload> {
        let mut payloads: Vec<Payload> = vec![
            PayloadBody::Hash(vec![0; 32]).into(),
            PayloadBody::SecurityAssociation(SecurityAssociation::ipsec(vec![proposal(spi)])).into(),
            PayloadBody::Nonce(nonce.to_vec()).into(),
        ];
        if with_ke {
            payloads.push(PayloadBody::KeyExchange(vec![5; 8]).into());
        }
        payloads
    }

    #[test]
    fn follows_a_quick_mode_with_pfs() {
        let (initiator, responder): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let mut modes = QuickModes::default();
        let first = message([1, 1, 1, 1], b"ni", true);
        let types: Vec<_> = first.iter().map(Payload::payload_type).collect();
        assert_eq!(modes.position(9, initiator, &types), QuickModeMessage::First);
        modes.record(9, initiator, 7, 0, &first);
        assert_eq!(modes.position(9, responder, &types), QuickModeMessage::Second);
        modes.record(9, responder, 8, 0, &message([2, 2, 2, 2], b"nr", true));
        assert_eq!(modes.position(9, initiator, &[PayloadType::HASH]), QuickModeMessage::Third);
        modes.record(9, initiator, 9, 0, &[PayloadBody::Hash(vec![0; 32]).into()]);

        assert_eq!(modes.nonces(9), (Some(&b"ni"[..]), Some(&b"nr"[..])));
        let exchange = &modes.exchanges()[0];
        assert!(exchange.pfs);
        assert_eq!(exchange.frames, [7, 8, 9]);
        let (initiator_spi, responder_spi, accepted) = exchange.esp_spis().unwrap();
        assert_eq!((initiator_spi, responder_spi), (&[1, 1, 1, 1][..], &[2, 2, 2, 2][..]));
        assert_eq!(accepted.transforms[0].transform_id, 12);
    }

    #[test]
    fn without_ke_in_both_messages_there_is_no_pfs() {
        let (initiator, responder): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let mut modes = QuickModes::default();
        modes.record(3, initiator, 1, 0, &message([1, 1, 1, 1], b"ni", false));
        modes.record(3, responder, 2, 0, &message([2, 2, 2, 2], b"nr", false));
        assert!(!modes.exchanges()[0].pfs);
        assert_eq!(modes.nonces(4), (None, None));
    }
}
