//! Checking the HASH payloads of a message against the derived keys:
//! HASH_I and HASH_R of Main and Aggressive Mode (RFC 2409 5), HASH(1), HASH(2)
//! and HASH(3) of Quick Mode (RFC 2409 5.5), HASH(1) of Informational
//! exchanges (RFC 2409 5.7).
//!
//! The hashes cover payloads as they were sent, generic headers included where
//! the RFC says so, so they are cut from the raw chain bytes rather than
//! re-encoded.

use ikev1::crypto::{HashFunction, Secret};
use ikev1::keys::{
    Phase1Keys, Phase1Transcript, hash_i, hash_r, informational_hash, quick_mode_hash_1, quick_mode_hash_2,
    quick_mode_hash_3,
};
use isakmp::numbers::PayloadType;
use isakmp::payload::{PayloadSpan, chain_spans};

/// Which hash a HASH payload carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashRule {
    /// From the Phase 1 initiator (MM5, AM3).
    HashI,
    /// From the Phase 1 responder (MM6, AM2).
    HashR,
    QuickMode1,
    QuickMode2,
    QuickMode3,
    Informational,
}

impl HashRule {
    /// The RFC's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::HashI => "HASH_I",
            Self::HashR => "HASH_R",
            Self::QuickMode1 | Self::Informational => "HASH(1)",
            Self::QuickMode2 => "HASH(2)",
            Self::QuickMode3 => "HASH(3)",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HashOutcome {
    Valid,
    Invalid,
    /// An input is missing (e.g. the Quick Mode message with Ni was not decrypted).
    Unchecked(String),
}

/// A payload chain as it was on the wire: a plaintext message's body or a
/// decrypted one (padding after the chain is ignored).
#[derive(Clone, Copy, Debug)]
pub struct RawChain<'a> {
    pub first: PayloadType,
    pub bytes: &'a [u8],
}

/// What the hashes of one message are computed from, besides the message.
#[derive(Clone, Copy)]
pub struct HashInputs<'a> {
    pub prf: &'a dyn HashFunction,
    pub keys: &'a Phase1Keys,
    /// `None` until the initiator's SA payload (SAi_b) has been seen.
    pub transcript: Option<Phase1Transcript<'a>>,
    pub message_id: u32,
    /// The ID payload body the sender sent earlier in Phase 1, for a HASH_I or
    /// HASH_R without an ID next to it (Aggressive Mode: IDii_b is in message 1,
    /// HASH_I in message 3).
    pub earlier_identity: Option<&'a [u8]>,
    /// Ni_b and Nr_b of this Quick Mode, as far as they are known.
    pub quick_mode_nonces: (Option<&'a [u8]>, Option<&'a [u8]>),
}

/// Recomputes the hash `rule` names and compares it with the HASH payload.
pub fn check(rule: HashRule, inputs: &HashInputs<'_>, chain: RawChain<'_>) -> HashOutcome {
    let spans = match chain_spans(chain.first, chain.bytes) {
        Ok(spans) => spans,
        Err(error) => return HashOutcome::Unchecked(format!("payload chain: {error}")),
    };
    let Some(hash_span) = spans.iter().find(|span| span.payload_type == PayloadType::HASH) else {
        return HashOutcome::Unchecked("no HASH payload".to_owned());
    };
    let received = &chain.bytes[hash_span.body()];
    match expected(rule, inputs, chain.bytes, &spans) {
        Ok(expected) if expected.ct_eq(received) => HashOutcome::Valid,
        Ok(_) => HashOutcome::Invalid,
        Err(missing) => HashOutcome::Unchecked(missing),
    }
}

fn expected(
    rule: HashRule,
    inputs: &HashInputs<'_>,
    bytes: &[u8],
    spans: &[PayloadSpan],
) -> Result<Secret, String> {
    let HashInputs { prf, keys, message_id, .. } = *inputs;
    match rule {
        HashRule::HashI | HashRule::HashR => {
            let transcript =
                inputs.transcript.ok_or("the initiator's SA payload (SAi_b) is not in the capture")?;
            let id_b = spans
                .iter()
                .find(|span| span.payload_type == PayloadType::ID)
                .map(|span| &bytes[span.body()])
                .or(inputs.earlier_identity)
                .ok_or("no ID payload from the sender in Phase 1")?;
            Ok(match rule {
                HashRule::HashI => hash_i(prf, &keys.skeyid, &transcript, id_b),
                _ => hash_r(prf, &keys.skeyid, &transcript, id_b),
            })
        }
        HashRule::QuickMode1 | HashRule::Informational => {
            let rest = after_leading_hash(bytes, spans)?;
            Ok(match rule {
                HashRule::QuickMode1 => quick_mode_hash_1(prf, &keys.skeyid_a, message_id, rest),
                _ => informational_hash(prf, &keys.skeyid_a, message_id, rest),
            })
        }
        HashRule::QuickMode2 => {
            let rest = after_leading_hash(bytes, spans)?;
            let ni_b = inputs.quick_mode_nonces.0.ok_or(NO_NI)?;
            Ok(quick_mode_hash_2(prf, &keys.skeyid_a, message_id, ni_b, rest))
        }
        HashRule::QuickMode3 => {
            let (ni_b, nr_b) = inputs.quick_mode_nonces;
            let (ni_b, nr_b) = (ni_b.ok_or(NO_NI)?, nr_b.ok_or(NO_NR)?);
            Ok(quick_mode_hash_3(prf, &keys.skeyid_a, message_id, ni_b, nr_b))
        }
    }
}

const NO_NI: &str = "Ni_b unknown: Quick Mode message 1 was not decrypted";
const NO_NR: &str = "Nr_b unknown: Quick Mode message 2 was not decrypted";

/// The payloads after HASH(1)/HASH(2), generic headers included, padding
/// excluded; the HASH "MUST immediately follow the ISAKMP header" (RFC 2409 5.5).
fn after_leading_hash<'a>(bytes: &'a [u8], spans: &[PayloadSpan]) -> Result<&'a [u8], String> {
    match spans {
        [hash, .., last] if hash.payload_type == PayloadType::HASH => {
            Ok(&bytes[hash.range.end..last.range.end])
        }
        [hash] if hash.payload_type == PayloadType::HASH => Ok(&[]),
        _ => Err("the HASH payload is not the first payload".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikev1::crypto::{CryptoProvider, HashAlgorithm, RustCryptoProvider};
    use ikev1::keys::{Cookies, Phase1Keys};

    fn keys() -> Phase1Keys {
        let provider = RustCryptoProvider::new();
        let prf = provider.hash(HashAlgorithm::Sha256);
        let cookies = Cookies { initiator: [1; 8], responder: [2; 8] };
        Phase1Keys::from_pre_shared_key(prf, b"psk", (b"ni", b"nr"), &[3; 32], &cookies)
    }

    /// HASH (with `hash`) followed by a Notify-shaped 8-byte payload, then padding.
    fn chain(hash: &[u8]) -> Vec<u8> {
        let mut bytes = vec![11, 0, 0, (4 + hash.len()) as u8];
        bytes.extend_from_slice(hash);
        bytes.extend_from_slice(&[0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef]);
        bytes.extend_from_slice(&[0; 3]);
        bytes
    }

    #[test]
    fn informational_hash_covers_the_payloads_after_it() {
        let provider = RustCryptoProvider::new();
        let prf = provider.hash(HashAlgorithm::Sha256);
        let keys = keys();
        let inputs = HashInputs {
            prf,
            keys: &keys,
            transcript: None,
            message_id: 7,
            earlier_identity: None,
            quick_mode_nonces: (None, None),
        };
        let notify = [0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef];
        let good = informational_hash(prf, &keys.skeyid_a, 7, &notify);
        let bytes = chain(good.as_bytes());
        let raw = RawChain { first: PayloadType::HASH, bytes: &bytes };
        assert_eq!(check(HashRule::Informational, &inputs, raw), HashOutcome::Valid);
        let bad = chain(&[0; 32]);
        let raw = RawChain { first: PayloadType::HASH, bytes: &bad };
        assert_eq!(check(HashRule::Informational, &inputs, raw), HashOutcome::Invalid);
    }

    #[test]
    fn missing_inputs_leave_the_hash_unchecked() {
        let provider = RustCryptoProvider::new();
        let keys = keys();
        let inputs = HashInputs {
            prf: provider.hash(HashAlgorithm::Sha256),
            keys: &keys,
            transcript: None,
            message_id: 7,
            earlier_identity: None,
            quick_mode_nonces: (None, None),
        };
        let bytes = chain(&[0; 32]);
        let raw = RawChain { first: PayloadType::HASH, bytes: &bytes };
        assert!(matches!(check(HashRule::QuickMode3, &inputs, raw), HashOutcome::Unchecked(_)));
        assert!(matches!(check(HashRule::HashI, &inputs, raw), HashOutcome::Unchecked(_)));
        let raw = RawChain { first: PayloadType::NOTIFICATION, bytes: &bytes[36..44] };
        assert_eq!(
            check(HashRule::QuickMode1, &inputs, raw),
            HashOutcome::Unchecked("no HASH payload".into())
        );
    }
}
