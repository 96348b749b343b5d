//! The derivations proven end to end on the real captures: with the keys of
//! vectors/real, every encrypted ISAKMP message decrypts along the RFC 2409
//! Appendix B IV chains, every HASH_I, HASH_R, Quick Mode HASH(1..3) and
//! Informational HASH(1) computed from the decrypted payloads equals the one the
//! peer sent, and every ESP packet opens with its SA's keys.

mod crypto_support;

use crypto_support::{
    HASH, ID, ISAKMP_HEADER_LEN, NONCE, Payload, SA, cases_with_keys, cookies, esp_packet, frame,
    isakmp_message, names, payloads, provider,
};
use ikev1::crypto::{CryptoProvider, HashFunction, IkeCipher, Iv, Secret};
use ikev1::keys::{self, MessageIvs, Phase1Keys, Phase1Transcript};
use std::collections::BTreeMap;
use vectors::Frame;
use vectors::keys::{IkeMessage, IkeSa, KeyFile, Role};

/// A decrypted (or plaintext) ISAKMP message, split into its payloads.
struct Message {
    message_id: u32,
    first_payload: u8,
    body: Vec<u8>,
}

impl Message {
    fn payloads(&self) -> Vec<Payload<'_>> {
        payloads(self.first_payload, &self.body)
    }

    fn find(&self, kind: u8) -> Option<Vec<u8>> {
        self.payloads().iter().find(|payload| payload.kind == kind).map(|payload| payload.body.to_vec())
    }

    /// The HASH payload, which must come first in Quick Mode and Informational
    /// messages (RFC 2409 5.5, 5.7), and everything after it up to the padding.
    fn hash_and_rest(&self) -> (Vec<u8>, Vec<u8>) {
        let payloads = self.payloads();
        assert_eq!(payloads[0].kind, HASH, "HASH first");
        let rest = payloads[1..].iter().flat_map(|payload| payload.whole.iter().copied()).collect();
        (payloads[0].body.to_vec(), rest)
    }
}

/// Replays one ISAKMP SA's messages with our own derivations.
struct Replay<'a> {
    prf: &'a dyn HashFunction,
    cipher: Box<dyn IkeCipher>,
    keys: Phase1Keys,
    ike_sa: &'a IkeSa,
    ivs: MessageIvs,
    sa_i_b: Option<Vec<u8>>,
    identities: BTreeMap<Role, Vec<u8>>,
    /// Per Quick Mode message ID: the nonce bodies seen so far (Ni_b, Nr_b).
    quick_mode_nonces: BTreeMap<u32, Vec<Vec<u8>>>,
    verified_hashes: usize,
}

impl<'a> Replay<'a> {
    fn new(provider: &'a dyn CryptoProvider, key_file: &KeyFile, ike_sa: &'a IkeSa) -> Self {
        let inputs = ike_sa.key_inputs().expect("complete key inputs");
        let prf = provider.hash(names::prf(&inputs.algorithms.prf));
        let algorithm =
            names::ike_encryption(&inputs.algorithms.encryption, inputs.algorithms.key_length_bits);
        let psk = key_file.psk.of(Role::Initiator);
        let keys = Phase1Keys::from_pre_shared_key(
            prf,
            psk.as_bytes(),
            (inputs.ni, inputs.nr),
            inputs.g_xy,
            &cookies(ike_sa),
        );
        let ka = keys::encryption_key(prf, &keys.skeyid_e, algorithm.key_len());
        let cipher = provider.ike_cipher(algorithm, ka.as_bytes()).expect("Ka fits the cipher");
        let iv0 = keys::phase1_iv(prf, inputs.g_xi, inputs.g_xr, algorithm.block_len()).expect("IV0");
        Self {
            prf,
            cipher,
            keys,
            ike_sa,
            ivs: MessageIvs::new(iv0),
            sa_i_b: None,
            identities: BTreeMap::new(),
            quick_mode_nonces: BTreeMap::new(),
            verified_hashes: 0,
        }
    }

    /// Decrypts `bytes` if `encrypted`, along the chain of its message ID.
    fn open(&mut self, bytes: &[u8], encrypted: bool) -> Message {
        let message_id = u32::from_be_bytes(bytes[20..24].try_into().expect("4 bytes"));
        let mut body = bytes[ISAKMP_HEADER_LEN..].to_vec();
        assert_eq!(bytes[19] & 1 == 1, encrypted, "E flag (RFC 2408 3.1)");
        if encrypted {
            let chain = self.ivs.chain(self.prf, message_id).expect("IV");
            chain.decrypt(self.cipher.as_ref(), &mut body).expect("whole blocks");
        }
        Message { message_id, first_payload: bytes[16], body }
    }

    fn replay(&mut self, described: &IkeMessage, bytes: &[u8]) {
        let message = self.open(bytes, described.encrypted);
        let kinds: Vec<u8> = message.payloads().iter().map(|payload| payload.kind).collect();
        assert_eq!(
            kinds.len(),
            described.payloads.len(),
            "frame {}: {:?}",
            described.frame,
            described.payloads
        );
        match described.exchange.as_str() {
            "main" | "aggressive" => self.phase1(described.from, &message),
            "quick" => self.quick_mode(&message),
            "informational" => self.informational(&message),
            other => panic!("exchange {other}"),
        }
    }

    /// Phase 1: keep SAi_b and the identities; check HASH_I / HASH_R (RFC 2409 5).
    fn phase1(&mut self, from: Role, message: &Message) {
        if let (Role::Initiator, Some(sa)) = (from, message.find(SA)) {
            self.sa_i_b = Some(sa);
        }
        if let Some(id) = message.find(ID) {
            self.identities.insert(from, id);
        }
        let Some(received) = message.find(HASH) else { return };
        let inputs = self.ike_sa.key_inputs().expect("complete key inputs");
        let cookies = cookies(self.ike_sa);
        let transcript = Phase1Transcript {
            g_xi: inputs.g_xi,
            g_xr: inputs.g_xr,
            cookies: &cookies,
            sa_i_b: self.sa_i_b.as_deref().expect("SA seen before the HASH"),
        };
        let identity = &self.identities[&from];
        let expected = match from {
            Role::Initiator => keys::hash_i(self.prf, &self.keys.skeyid, &transcript, identity),
            Role::Responder => keys::hash_r(self.prf, &self.keys.skeyid, &transcript, identity),
        };
        self.check(&expected, &received);
    }

    /// Quick Mode HASH(1), HASH(2), HASH(3) by position in the exchange (RFC 2409 5.5).
    fn quick_mode(&mut self, message: &Message) {
        let (received, rest) = message.hash_and_rest();
        let message_id = message.message_id;
        let skeyid_a = &self.keys.skeyid_a;
        let nonces = self.quick_mode_nonces.entry(message_id).or_default();
        let expected = match nonces.as_slice() {
            [] => keys::quick_mode_hash_1(self.prf, skeyid_a, message_id, &rest),
            [ni_b] => keys::quick_mode_hash_2(self.prf, skeyid_a, message_id, ni_b, &rest),
            [ni_b, nr_b] => keys::quick_mode_hash_3(self.prf, skeyid_a, message_id, ni_b, nr_b),
            _ => panic!("a fourth Quick Mode message"),
        };
        nonces.extend(message.find(NONCE));
        self.check(&expected, &received);
    }

    /// Informational HASH(1) = prf(SKEYID_a, M-ID | N/D) (RFC 2409 5.7).
    fn informational(&mut self, message: &Message) {
        let (received, rest) = message.hash_and_rest();
        let expected = keys::informational_hash(self.prf, &self.keys.skeyid_a, message.message_id, &rest);
        self.check(&expected, &received);
    }

    fn check(&mut self, expected: &Secret, received: &[u8]) {
        assert!(
            expected.ct_eq(received),
            "hash mismatch: computed {:02x?}, sent {received:02x?}",
            expected.as_bytes()
        );
        self.verified_hashes += 1;
    }
}

/// Frames of messages and their retransmissions: a byte-identical copy must be
/// the original's bytes, and is not replayed (the sender did not advance its IV).
fn replay_case(frames: &[Frame], replay: &mut Replay<'_>, messages: &[IkeMessage]) {
    for described in messages {
        let bytes = isakmp_message(frame(frames, described.frame));
        if let Some(original) = described.identical_to_frame {
            assert_eq!(bytes, isakmp_message(frame(frames, original)), "frame {}", described.frame);
            continue;
        }
        replay.replay(described, bytes);
    }
}

#[test]
fn every_encrypted_message_decrypts_and_every_hash_verifies() {
    let provider = provider();
    let mut verified = BTreeMap::new();
    for (case, key_file) in cases_with_keys() {
        // Case I has per-side keys (its own test below); case J has none.
        if case.name.starts_with("I-") || case.name.starts_with("J-") {
            continue;
        }
        let frames = case.frames().expect("capture readable");
        for ike_sa in &key_file.ike_sas {
            let messages = ike_sa.messages.as_deref().expect("message list");
            let mut replay = Replay::new(&provider, &key_file, ike_sa);
            replay_case(&frames, &mut replay, messages);
            let expected = messages
                .iter()
                .filter(|message| {
                    message.identical_to_frame.is_none() && message.payloads.iter().any(|p| p == "HASH")
                })
                .count();
            assert_eq!(replay.verified_hashes, expected, "{}", case.name);
            verified.insert(case.name.clone(), replay.verified_hashes);
        }
    }
    // Main/Aggressive Mode: HASH_I and HASH_R; Quick Mode: 3; case G adds a rekey
    // and three Informational DELETEs.
    let per_case: Vec<usize> = verified.values().copied().collect();
    assert_eq!(per_case, [5, 5, 5, 5, 5, 11, 5, 5], "{verified:?}");
}

#[test]
fn case_a_main_mode_5_starts_with_the_initiator_id() {
    // The brief's first proof: frame 5 decrypts with Ka and IV0 to a message whose
    // header says the first payload is ID (5), and HASH_I over it verifies.
    let provider = provider();
    let (case, key_file) =
        cases_with_keys().into_iter().find(|(case, _)| case.name.starts_with("A-")).expect("case A");
    let frames = case.frames().expect("capture readable");
    let ike_sa = &key_file.ike_sas[0];
    let mut replay = Replay::new(&provider, &key_file, ike_sa);
    let messages = ike_sa.messages.as_deref().expect("message list");
    replay.replay(&messages[0], isakmp_message(frame(&frames, 1)));
    let mm5 = replay.open(isakmp_message(frame(&frames, 5)), true);
    assert_eq!(mm5.first_payload, ID);
    let kinds: Vec<u8> = mm5.payloads().iter().map(|payload| payload.kind).collect();
    assert_eq!(kinds, [ID, HASH, crypto_support::NOTIFY]);
    // ID_FQDN (2, RFC 2407 4.6.2.1): the initiator's configured identity.
    let id = mm5.find(ID).expect("ID payload");
    assert_eq!((id[0], &id[4..]), (2, &b"ini-a.example"[..]));
    replay.phase1(Role::Initiator, &mm5);
    assert_eq!(replay.verified_hashes, 1, "HASH_I verified");
}

#[test]
fn case_i_responder_informationals_decrypt_with_the_responders_keys() {
    // The responder could not decrypt MM5 (other PSK) and answered with encrypted
    // Informationals whose IV is hash(IV0 | M-ID) (RFC 2409 Appendix B) under its own Ka.
    let provider = provider();
    let (case, key_file) =
        cases_with_keys().into_iter().find(|(case, _)| case.name.starts_with("I-")).expect("case I");
    let frames = case.frames().expect("capture readable");
    let ike_sa = &key_file.ike_sas[0];
    let inputs = ike_sa.key_inputs().expect("key inputs");
    let prf = provider.hash(names::prf(&inputs.algorithms.prf));
    let algorithm = names::ike_encryption(&inputs.algorithms.encryption, inputs.algorithms.key_length_bits);
    let psk = key_file.psk.of(Role::Responder);
    let keys = Phase1Keys::from_pre_shared_key(
        prf,
        psk.as_bytes(),
        (inputs.ni, inputs.nr),
        inputs.g_xy,
        &cookies(ike_sa),
    );
    let ka = keys::encryption_key(prf, &keys.skeyid_e, algorithm.key_len());
    let cipher = provider.ike_cipher(algorithm, ka.as_bytes()).expect("Ka");
    let iv0 = Iv::from_slice(ike_sa.iv0.as_deref().expect("IV0")).expect("block");

    let manual = key_file.manual_decryption_of_responder_informationals.as_ref().expect("manual decryption");
    assert_eq!(manual.decrypted.len(), 3);
    for informational in &manual.decrypted {
        let message_id = informational.msgid.0;
        let iv = keys::exchange_iv(prf, &iv0, message_id).expect("IV");
        assert_eq!(iv.as_bytes(), informational.iv.as_slice(), "frame {}", informational.frame);

        let bytes = isakmp_message(frame(&frames, informational.frame));
        let mut body = bytes[ISAKMP_HEADER_LEN..].to_vec();
        cipher.decrypt(&iv, &mut body).expect("whole blocks");
        assert_eq!(body, informational.plaintext.as_slice(), "frame {}", informational.frame);

        let message = Message { message_id, first_payload: bytes[16], body };
        let (received, notify) = message.hash_and_rest();
        assert_eq!(u16::from_be_bytes([notify[10], notify[11]]), informational.notify_type);
        let expected = keys::informational_hash(prf, &keys.skeyid_a, message_id, &notify);
        assert!(expected.ct_eq(&received), "HASH(1) of frame {}", informational.frame);
    }
}

#[test]
fn every_esp_packet_opens_with_its_sa_keys() {
    let provider = provider();
    let mut opened = 0;
    for (case, key_file) in cases_with_keys() {
        if key_file.ipsec_sas.is_empty() {
            continue;
        }
        let frames = case.frames().expect("capture readable");
        for esp_sa in &key_file.ipsec_sas {
            let suite = names::esp_suite(&esp_sa.encryption, esp_sa.encryption_key_bits, &esp_sa.integrity);
            let encryption_key = esp_sa.encryption_key.as_deref().expect("encryption key");
            let integrity_key = esp_sa.integrity_key.as_deref().expect("integrity key");
            let esp = provider.esp_transform(suite, encryption_key, integrity_key).expect("keys fit");
            let observed = esp_sa.observed.as_ref().expect("frames of this SPI");
            for &number in &observed.frames {
                let mut packet = esp_packet(frame(&frames, number)).to_vec();
                assert_eq!(&packet[..4], esp_sa.spi.as_slice());
                esp.open(&mut packet, None)
                    .unwrap_or_else(|error| panic!("{} frame {number}: {error}", case.name));
                let plaintext = &packet[8 + esp.iv_len()..packet.len() - esp.icv_len()];
                assert_tunnelled_ipv4(plaintext, &format!("{} frame {number}", case.name));
                opened += 1;
            }
        }
    }
    // A-D, F, K, L: 6 pings' packets each (3 each way); G: 32 over two SA pairs.
    assert_eq!(opened, 7 * 6 + 32);
}

/// A decrypted tunnel-mode payload: inner IPv4 packet, then padding 1, 2, 3...,
/// pad length and next header 4 (RFC 4303 2.4-2.6).
fn assert_tunnelled_ipv4(plaintext: &[u8], context: &str) {
    let (&next_header, rest) = plaintext.split_last().expect("trailer");
    let (&pad_len, rest) = rest.split_last().expect("trailer");
    assert_eq!(next_header, 4, "{context}: IP-in-IP");
    let (inner, padding) = rest.split_at(rest.len() - usize::from(pad_len));
    assert!(padding.iter().enumerate().all(|(i, &byte)| usize::from(byte) == i + 1), "{context}: padding");
    assert_eq!(inner[0] >> 4, 4, "{context}: IPv4");
    assert_eq!(usize::from(u16::from_be_bytes([inner[2], inner[3]])), inner.len(), "{context}: IP length");
    assert_eq!(
        (inner[9], &inner[12..15], &inner[16..19]),
        (1, &[198, 51, 100][..], &[198, 51, 100][..]),
        "{context}: ICMP"
    );
}
