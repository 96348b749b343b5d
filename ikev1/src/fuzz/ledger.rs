//! What the subject was actually sent: every datagram delivered to it, read
//! as the null crypto reads it. The oracle asks the ledger whether the
//! messages that complete an exchange really arrived, in order, before the
//! subject reported the SA up (RFC 2409 5 for Phase 1, 5.5 for Quick Mode).
//!
//! The ledger checks only what a message must carry for the exchange to
//! complete (exchange type, cookies, message ID, encryption, payloads, an
//! authentic HASH); it is more lenient than the engine, never stricter, so a
//! complaint means the engine accepted something it had no business to.

use isakmp::numbers::{ExchangeType, PayloadType};
use isakmp::payload::SaContent;
use isakmp::{Cookie, PayloadBody};

use super::wire::{Opened, decryptable, isakmp_message};
use crate::endpoint::io::IkeSaInfo;
use crate::policy::IkeProposal;

#[derive(Default)]
pub struct Ledger {
    /// Each delivered datagram, `None` when it is no readable ISAKMP message.
    sightings: Vec<Option<Opened>>,
}

/// An established ISAKMP SA as the subject reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase1 {
    pub initiator: Cookie,
    pub responder: Cookie,
    /// The PRF's output length: the length of every HASH payload.
    pub hash_len: usize,
    /// The cipher's block: an encrypted body of other lengths does not decrypt.
    pub block_len: usize,
    pub aggressive: bool,
    pub we_initiated: bool,
}

impl Phase1 {
    /// What the subject's report of an established SA says.
    pub fn from_info(info: &IkeSaInfo) -> Option<Self> {
        let proposal: IkeProposal = info.proposal.parse().ok()?;
        Some(Self {
            initiator: cookie_from_hex(&info.initiator_cookie)?,
            responder: cookie_from_hex(&info.responder_cookie)?,
            hash_len: proposal.hash.algorithm().output_len(),
            block_len: proposal.cipher.algorithm().block_len(),
            aggressive: info.aggressive,
            we_initiated: info.we_initiated,
        })
    }

    /// An encrypted message of this SA that decrypts, HASH first and authentic
    /// (RFC 2409 5.5, 5.7).
    pub fn protects(&self, opened: &Opened) -> bool {
        let header = &opened.header;
        (header.initiator_cookie, header.responder_cookie) == (self.initiator, self.responder)
            && opened.is_ikev1()
            && opened.encrypted
            && decryptable(opened, self.block_len)
            && opened.leads_with_authentic_hash(self.hash_len)
    }
}

impl Ledger {
    /// Records a datagram delivered to the subject's `local_port`.
    pub fn record(&mut self, local_port: u16, payload: &[u8]) -> Option<&Opened> {
        let opened = isakmp_message(local_port, payload).and_then(Opened::open);
        self.sightings.push(opened);
        self.sightings.last().and_then(Option::as_ref)
    }

    /// The first message of the Phase 1 exchange the subject did not get,
    /// or `Ok` if they all arrived in order.
    pub fn phase1_completed(&self, sa: &Phase1) -> Result<(), &'static str> {
        let (i, r) = (sa.initiator, sa.responder);
        let main = ExchangeType::IDENTITY_PROTECTION;
        let aggressive = ExchangeType::AGGRESSIVE;
        let expected = match (sa.aggressive, sa.we_initiated) {
            (false, false) => vec![
                Expect::phase1("MM1", main, i, Cookie::ZERO, Some(false), &[PayloadType::SA]),
                Expect::phase1("MM3", main, i, r, Some(false), &[PayloadType::KE, PayloadType::NONCE]),
                Expect::phase1("MM5", main, i, r, Some(true), &[PayloadType::ID]).authenticated_by(sa),
            ],
            (false, true) => vec![
                Expect::phase1("MM2", main, i, r, Some(false), &[PayloadType::SA]),
                Expect::phase1("MM4", main, i, r, Some(false), &[PayloadType::KE, PayloadType::NONCE]),
                Expect::phase1("MM6", main, i, r, Some(true), &[PayloadType::ID]).authenticated_by(sa),
            ],
            (true, false) => vec![
                Expect::phase1("AM1", aggressive, i, Cookie::ZERO, Some(false), AM_KEYING),
                Expect::phase1("AM3", aggressive, i, r, None, &[]).authenticated_by(sa),
            ],
            (true, true) => {
                vec![Expect::phase1("AM2", aggressive, i, r, Some(false), AM_KEYING).authenticated_by(sa)]
            }
        };
        self.in_order(&expected)
    }

    /// Whether a Quick Mode on `sa` completed that gives the subject an
    /// outbound SPI of `outbound_spi`: QM1 and an authentic QM3 to a
    /// responder, an authentic QM2 to an initiator.
    pub fn quick_mode_completed(&self, sa: &Phase1, outbound_spi: u32, we_initiated: bool) -> bool {
        let message_ids = self.sightings.iter().flatten().filter_map(|opened| {
            let header = &opened.header;
            let ours = (header.initiator_cookie, header.responder_cookie) == (sa.initiator, sa.responder);
            (ours && header.exchange == ExchangeType::QUICK_MODE).then_some(header.message_id.0)
        });
        let spi = outbound_spi.to_be_bytes();
        let quick = |what, id, payloads| Expect::quick_mode(what, sa, id, payloads);
        message_ids.filter(|&id| id != 0).any(|id| {
            let expected = if we_initiated {
                vec![quick("QM2", id, QM_KEYING).with_spi(spi)]
            } else {
                vec![quick("QM1", id, QM_KEYING).with_spi(spi), quick("QM3", id, &[])]
            };
            self.in_order(&expected).is_ok()
        })
    }

    fn in_order(&self, expected: &[Expect]) -> Result<(), &'static str> {
        let mut sightings = self.sightings.iter().flatten();
        for expect in expected {
            sightings.by_ref().find(|opened| expect.matches(opened)).ok_or(expect.what)?;
        }
        Ok(())
    }
}

const AM_KEYING: &[PayloadType] = &[PayloadType::SA, PayloadType::KE, PayloadType::NONCE, PayloadType::ID];
const QM_KEYING: &[PayloadType] = &[PayloadType::SA, PayloadType::NONCE];

/// What one message of an exchange must be.
struct Expect {
    what: &'static str,
    exchange: ExchangeType,
    initiator: Cookie,
    /// `Cookie::ZERO` for a first message, whose responder cookie is unset.
    responder: Cookie,
    message_id: u32,
    encrypted: Option<bool>,
    payloads: &'static [PayloadType],
    hash: Hash,
    /// A proposal of the SA payload carries this SPI.
    spi: Option<[u8; 4]>,
    /// The cipher block an encrypted message must fill.
    block_len: usize,
}

enum Hash {
    None,
    /// HASH_I or HASH_R anywhere (RFC 2409 5).
    Anywhere(usize),
    /// HASH(1), (2) or (3) as the first payload (RFC 2409 5.5).
    First(usize),
}

impl Expect {
    fn phase1(
        what: &'static str,
        exchange: ExchangeType,
        initiator: Cookie,
        responder: Cookie,
        encrypted: Option<bool>,
        payloads: &'static [PayloadType],
    ) -> Self {
        Self {
            what,
            exchange,
            initiator,
            responder,
            message_id: 0,
            encrypted,
            payloads,
            hash: Hash::None,
            spi: None,
            block_len: 1,
        }
    }

    fn quick_mode(
        what: &'static str,
        sa: &Phase1,
        message_id: u32,
        payloads: &'static [PayloadType],
    ) -> Self {
        Self {
            what,
            exchange: ExchangeType::QUICK_MODE,
            initiator: sa.initiator,
            responder: sa.responder,
            message_id,
            encrypted: Some(true),
            payloads,
            hash: Hash::First(sa.hash_len),
            spi: None,
            block_len: sa.block_len,
        }
    }

    /// HASH_I or HASH_R of `sa`, in a body its cipher decrypts.
    fn authenticated_by(self, sa: &Phase1) -> Self {
        Self { hash: Hash::Anywhere(sa.hash_len), block_len: sa.block_len, ..self }
    }

    fn with_spi(self, spi: [u8; 4]) -> Self {
        Self { spi: Some(spi), ..self }
    }

    fn matches(&self, opened: &Opened) -> bool {
        let header = &opened.header;
        opened.is_ikev1()
            && header.exchange == self.exchange
            && (header.initiator_cookie, header.responder_cookie) == (self.initiator, self.responder)
            && header.message_id.0 == self.message_id
            && self.encrypted.is_none_or(|encrypted| opened.encrypted == encrypted)
            && decryptable(opened, self.block_len)
            && self.payloads.iter().all(|&payload_type| opened.has(payload_type))
            && match self.hash {
                Hash::None => true,
                Hash::Anywhere(len) => opened.carries_authentic_hash(len),
                Hash::First(len) => opened.leads_with_authentic_hash(len),
            }
            && self.spi.is_none_or(|spi| offers_spi(opened, &spi))
    }
}

fn offers_spi(opened: &Opened, spi: &[u8]) -> bool {
    opened.payloads.iter().any(|payload| match &payload.body {
        PayloadBody::SecurityAssociation(sa) => match &sa.content {
            SaContent::Ipsec(situation) => situation.proposals.iter().any(|p| p.spi == spi),
            SaContent::Opaque(_) => false,
        },
        _ => false,
    })
}

/// A cookie as `IkeSaInfo` prints it (16 hex digits).
pub fn cookie_from_hex(text: &str) -> Option<Cookie> {
    let mut cookie = [0u8; 8];
    if text.len() != 16 {
        return None;
    }
    for (byte, pair) in cookie.iter_mut().zip(text.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(Cookie(cookie))
}

#[cfg(test)]
mod tests {
    use super::*;
    use isakmp::{Flags, Header, MessageId, Payload, Version};

    fn message(exchange: ExchangeType, responder: Cookie, payloads: Vec<PayloadBody>) -> Vec<u8> {
        let header = Header {
            initiator_cookie: Cookie([1; 8]),
            responder_cookie: responder,
            version: Version::V1_0,
            exchange,
            flags: Flags::default(),
            message_id: MessageId(0),
        };
        let payloads = payloads.into_iter().map(Payload::from).collect();
        Opened { header, encrypted: false, payloads, padding: Vec::new() }.seal().unwrap()
    }

    fn aggressive_responder() -> Phase1 {
        let responder = Cookie([2; 8]);
        Phase1 {
            initiator: Cookie([1; 8]),
            responder,
            hash_len: 20,
            block_len: 16,
            aggressive: true,
            we_initiated: false,
        }
    }

    #[test]
    fn an_exchange_completes_only_with_every_message_in_order() {
        let sa = aggressive_responder();
        let am3 = message(ExchangeType::AGGRESSIVE, sa.responder, vec![PayloadBody::Hash(vec![0; 20])]);
        let mut ledger = Ledger::default();
        ledger.record(500, &am3);
        assert_eq!(ledger.phase1_completed(&sa), Err("AM1"), "AM3 alone completes nothing");
        // AM1 after AM3 does not count either.
        let am1 = message(
            ExchangeType::AGGRESSIVE,
            Cookie::ZERO,
            vec![
                PayloadBody::SecurityAssociation(isakmp::payload::SecurityAssociation::ipsec(Vec::new())),
                PayloadBody::KeyExchange(vec![1; 128]),
                PayloadBody::Nonce(vec![2; 32]),
                PayloadBody::Identification(isakmp::payload::Identification {
                    protocol: 0,
                    port: 0,
                    identity: isakmp::payload::Identity::Ipv4([192, 0, 2, 1].into()),
                }),
            ],
        );
        ledger.record(500, &am1);
        assert_eq!(ledger.phase1_completed(&sa), Err("AM3"));
        let wrong_hash =
            message(ExchangeType::AGGRESSIVE, sa.responder, vec![PayloadBody::Hash(vec![9; 20])]);
        ledger.record(500, &wrong_hash);
        assert_eq!(ledger.phase1_completed(&sa), Err("AM3"), "a HASH_I the null PRF does not give");
        ledger.record(500, &am3);
        assert_eq!(ledger.phase1_completed(&sa), Ok(()));
    }

    #[test]
    fn cookies_read_back_from_their_hex_form() {
        let cookie = Cookie([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]);
        assert_eq!(cookie_from_hex(&cookie.to_string()), Some(cookie));
        assert_eq!(cookie_from_hex("xyz"), None);
    }
}
