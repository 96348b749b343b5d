//! Reading the messages of one ISAKMP SA of the key file, in capture order:
//! decrypt with every key set, check the HASH, keep what later messages and
//! KEYMAT need (SAi_b, the Quick Mode nonces and SPIs), and at the end derive
//! the IPsec SAs.

use std::net::IpAddr;

use ikev1::crypto::{CryptoProvider, Iv};
use ikev1::keys::{MessageIvs, Phase1Transcript};
use isakmp::message::BODY_OFFSET;
use isakmp::numbers::{ExchangeType, PayloadType};
use isakmp::payload::{chain_spans, first_type};
use isakmp::{Body, Header, Message, PayloadsExt, Plaintext};
use vectors::KeyFile;
use vectors::keys::{IkeSa, Role};

use super::authentication::{self, HashInputs, HashOutcome, HashRule, RawChain};
use super::ike_decrypt::decrypt_body;
use super::ipsec_keys::{self, IpsecSaKeys};
use super::keyed::{Decryption, HashCheck, IkeSaReport};
use super::keys::{self, KeyOwner, NoPhase1Keys, Phase1};
use super::quick_mode::{QuickModeMessage, QuickModes};

/// What reading one message of this SA gave.
pub struct MessageReading {
    pub from: Role,
    /// For an encrypted message: the plaintext, or why there is none.
    pub decryption: Option<Result<Decryption, String>>,
    pub hash: Option<HashCheck>,
}

pub struct SaReader<'k> {
    key_file_sa: &'k IkeSa,
    phase1: Result<Phase1, NoPhase1Keys>,
    /// One set of IV chains per key set, each side's view.
    ivs: Vec<MessageIvs>,
    /// The outer address of the Phase 1 initiator.
    initiator_addr: Option<IpAddr>,
    /// The body of the initiator's SA payload, which HASH_I and HASH_R cover.
    sa_i_b: Option<Vec<u8>>,
    /// The last Phase 1 ID payload body from the initiator and from the responder.
    initiator_identity: Option<Vec<u8>>,
    responder_identity: Option<Vec<u8>>,
    quick_modes: QuickModes,
}

/// One way of reading a message: a key set and the payload chain it yields.
struct Candidate {
    key_set: usize,
    /// The IV, for an encrypted message.
    iv: Option<Iv>,
    /// The chain as on the wire (plus padding, for a decrypted body).
    bytes: Vec<u8>,
    plaintext: Plaintext,
    hash: Option<HashCheck>,
}

impl<'k> SaReader<'k> {
    pub fn new(key_file: &KeyFile, key_file_sa: &'k IkeSa, provider: &dyn CryptoProvider) -> Self {
        let phase1 = keys::derive(key_file, key_file_sa, provider);
        let ivs = match &phase1 {
            Ok(phase1) => phase1.key_sets.iter().map(|key_set| MessageIvs::new(key_set.iv0)).collect(),
            Err(_) => Vec::new(),
        };
        Self {
            key_file_sa,
            phase1,
            ivs,
            initiator_addr: key_file_sa.initiator_addr,
            sa_i_b: None,
            initiator_identity: None,
            responder_identity: None,
            quick_modes: QuickModes::default(),
        }
    }

    pub fn initiator_cookie(&self) -> &[u8] {
        &self.key_file_sa.initiator_cookie
    }

    /// Reads the next message of this SA (`found.message` parsed as `message`).
    pub fn read(
        &mut self,
        message: &Message,
        frame: u64,
        sender: IpAddr,
        datagram: &[u8],
        provider: &dyn CryptoProvider,
    ) -> MessageReading {
        // Without initiator_addr in the key file, whoever spoke first initiated.
        let initiator = *self.initiator_addr.get_or_insert(sender);
        let from = if sender == initiator { Role::Initiator } else { Role::Responder };
        let mut reading = MessageReading { from, decryption: None, hash: None };
        let phase1 = match &self.phase1 {
            Ok(phase1) => phase1,
            Err(error) => {
                if message.is_encrypted() {
                    reading.decryption = Some(Err(format!("no keys for this ISAKMP SA: {error}")));
                }
                return reading;
            }
        };
        let candidates = match readings(phase1, &mut self.ivs, message, datagram, provider) {
            Ok(candidates) => candidates,
            Err(errors) => {
                reading.decryption = Some(Err(errors));
                return reading;
            }
        };
        let judged = candidates.into_iter().map(|mut candidate| {
            candidate.hash = self.check_hash(phase1, &candidate, &message.header, from, sender, provider);
            candidate
        });
        let Some(best) = best_of(judged.collect(), phase1, from) else { return reading };
        let owner = phase1.key_sets[best.key_set].owner;
        self.remember(&message.header, message.body.first_type(), from, sender, frame, &best);
        reading.hash = best.hash;
        if let Some(iv) = best.iv {
            reading.decryption = Some(Ok(Decryption { key_owner: owner, iv, plaintext: best.plaintext }));
        }
        reading
    }

    fn check_hash(
        &self,
        phase1: &Phase1,
        candidate: &Candidate,
        header: &Header,
        from: Role,
        sender: IpAddr,
        provider: &dyn CryptoProvider,
    ) -> Option<HashCheck> {
        let message_id = header.message_id.0;
        let types = candidate.plaintext.payloads.types();
        let rule = hash_rule(header.exchange, message_id, from, &types, &self.quick_modes, sender)?;
        let key_set = &phase1.key_sets[candidate.key_set];
        let transcript = self.sa_i_b.as_deref().map(|sa_i_b| Phase1Transcript {
            g_xi: &phase1.g_xi,
            g_xr: &phase1.g_xr,
            cookies: &phase1.cookies,
            sa_i_b,
        });
        let inputs = HashInputs {
            prf: phase1.prf(provider),
            keys: &key_set.keys,
            transcript,
            message_id,
            earlier_identity: self.identity_of(from).as_deref(),
            quick_mode_nonces: self.quick_modes.nonces(message_id),
        };
        let first = first_type(&candidate.plaintext.payloads);
        let outcome = authentication::check(rule, &inputs, RawChain { first, bytes: &candidate.bytes });
        Some(HashCheck { rule, key_owner: key_set.owner, outcome })
    }

    /// Keeps what later hashes and KEYMAT need from the message as read.
    fn remember(
        &mut self,
        header: &Header,
        first: PayloadType,
        from: Role,
        sender: IpAddr,
        frame: u64,
        read: &Candidate,
    ) {
        let message_id = header.message_id.0;
        if message_id == 0 {
            let body_of = |wanted: PayloadType| {
                let spans = chain_spans(first, &read.bytes).ok()?;
                let span = spans.iter().find(|span| span.payload_type == wanted)?;
                read.bytes.get(span.body()).map(<[u8]>::to_vec)
            };
            if from == Role::Initiator && self.sa_i_b.is_none() {
                self.sa_i_b = body_of(PayloadType::SA);
            }
            if let Some(identity) = body_of(PayloadType::ID) {
                *self.identity_of_mut(from) = Some(identity);
            }
        }
        if header.exchange == ExchangeType::QUICK_MODE {
            self.quick_modes.record(message_id, sender, frame, read.key_set, &read.plaintext.payloads);
        }
    }

    fn identity_of(&self, role: Role) -> &Option<Vec<u8>> {
        match role {
            Role::Initiator => &self.initiator_identity,
            Role::Responder => &self.responder_identity,
        }
    }

    fn identity_of_mut(&mut self, role: Role) -> &mut Option<Vec<u8>> {
        match role {
            Role::Initiator => &mut self.initiator_identity,
            Role::Responder => &mut self.responder_identity,
        }
    }

    /// The Phase 1 keys and the IPsec SAs of the Quick Modes read, plus those
    /// the key file lists whose Quick Mode was not in the capture.
    pub fn finish(self, key_file: &KeyFile, provider: &dyn CryptoProvider) -> IkeSaReport {
        let mut ipsec_sas: Vec<IpsecSaKeys> = Vec::new();
        let mut ipsec_problems = Vec::new();
        if let Ok(phase1) = &self.phase1 {
            let prf = phase1.prf(provider);
            for exchange in self.quick_modes.exchanges() {
                let skeyid_d = &phase1.key_sets[exchange.key_set].keys.skeyid_d;
                match ipsec_keys::from_quick_mode(exchange, prf, skeyid_d, key_file, self.key_file_sa) {
                    Ok(derived) => ipsec_sas.extend(derived),
                    Err(problem) => ipsec_problems.push(problem),
                }
            }
            for logged in ipsec_keys::logged_sas_of(key_file, self.key_file_sa) {
                if ipsec_sas.iter().any(|derived| Some(derived.spi) == logged.spi_u32()) {
                    continue;
                }
                let owner = logged.inbound_at.map_or(KeyOwner::Shared, KeyOwner::Side);
                let key_set =
                    phase1.key_sets.iter().find(|set| set.owner == owner).unwrap_or(&phase1.key_sets[0]);
                match ipsec_keys::from_key_file(logged, prf, &key_set.keys.skeyid_d) {
                    Ok(derived) => ipsec_sas.push(derived),
                    Err(problem) => ipsec_problems.push(problem),
                }
            }
        }
        IkeSaReport {
            initiator_cookie: self.key_file_sa.initiator_cookie.to_vec(),
            responder_cookie: self.key_file_sa.responder_cookie.to_vec(),
            exchange: self.key_file_sa.exchange,
            phase1: self.phase1,
            ipsec_sas,
            ipsec_problems,
        }
    }
}

/// Every key set's reading of the message: the plaintext chain for each key set
/// (all of them for an unencrypted message), or, when no key set can decrypt
/// it, why not.
fn readings(
    phase1: &Phase1,
    ivs: &mut [MessageIvs],
    message: &Message,
    datagram: &[u8],
    provider: &dyn CryptoProvider,
) -> Result<Vec<Candidate>, String> {
    let key_sets = phase1.key_sets.iter().enumerate();
    match &message.body {
        Body::Plain(payloads) => Ok(key_sets
            .map(|(key_set, _)| Candidate {
                key_set,
                iv: None,
                bytes: datagram.get(BODY_OFFSET..).unwrap_or_default().to_vec(),
                plaintext: Plaintext { payloads: payloads.clone(), padding: Vec::new() },
                hash: None,
            })
            .collect()),
        Body::Encrypted { first_payload, ciphertext } => {
            let hash = phase1.hash(provider);
            let message_id = message.header.message_id.0;
            let mut candidates = Vec::new();
            let mut errors = Vec::new();
            for ((index, key_set), ivs) in key_sets.zip(ivs.iter_mut()) {
                match decrypt_body(key_set.cipher.as_ref(), hash, ivs, message_id, *first_payload, ciphertext)
                {
                    Ok(body) => candidates.push(Candidate {
                        key_set: index,
                        iv: Some(body.iv),
                        bytes: body.bytes,
                        plaintext: body.plaintext,
                        hash: None,
                    }),
                    Err(error) => errors.push(format!("with the {} keys: {error}", key_set.owner.label())),
                }
            }
            if candidates.is_empty() {
                return Err(format!("cannot decrypt: {}", errors.join("; ")));
            }
            Ok(candidates)
        }
    }
}

/// The reading to keep: one whose HASH verifies, else the sender's own key set,
/// else the first.
fn best_of(candidates: Vec<Candidate>, phase1: &Phase1, from: Role) -> Option<Candidate> {
    let rank = |candidate: &Candidate| {
        let valid = candidate.hash.as_ref().is_some_and(|check| check.outcome == HashOutcome::Valid);
        let own = phase1.key_sets[candidate.key_set].owner == KeyOwner::Side(from);
        (valid, own)
    };
    let mut best: Option<Candidate> = None;
    for candidate in candidates {
        if best.as_ref().is_none_or(|kept| rank(&candidate) > rank(kept)) {
            best = Some(candidate);
        }
    }
    best
}

/// Which hash the HASH payload of this message carries, if it has one.
fn hash_rule(
    exchange: ExchangeType,
    message_id: u32,
    from: Role,
    types: &[PayloadType],
    quick_modes: &QuickModes,
    sender: IpAddr,
) -> Option<HashRule> {
    if !types.contains(&PayloadType::HASH) {
        return None;
    }
    match exchange {
        ExchangeType::IDENTITY_PROTECTION | ExchangeType::AGGRESSIVE if message_id == 0 => Some(match from {
            Role::Initiator => HashRule::HashI,
            Role::Responder => HashRule::HashR,
        }),
        ExchangeType::QUICK_MODE => match quick_modes.position(message_id, sender, types) {
            QuickModeMessage::First => Some(HashRule::QuickMode1),
            QuickModeMessage::Second => Some(HashRule::QuickMode2),
            QuickModeMessage::Third => Some(HashRule::QuickMode3),
            QuickModeMessage::Other => None,
        },
        ExchangeType::INFORMATIONAL => Some(HashRule::Informational),
        _ => None,
    }
}
