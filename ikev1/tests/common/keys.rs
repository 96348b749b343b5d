//! The keys of side A's first ISAKMP SA, rebuilt the way a decryption table
//! is: A's Diffie-Hellman secret from A's seed, everything else (cookies,
//! public values, nonces, ciphertexts) from the wire. With them a test reads
//! encrypted messages and forges protected Informationals "as A", which is
//! what an authenticated but hostile or buggy peer can do.
//!
//! The engine draws its first DH exponent first from its private stream
//! (ikev1::random); the rebuilt public value is checked against the KE that
//! A sent, so a change there fails loudly instead of giving wrong keys.

use ikev1::crypto::{CryptoProvider, HashFunction, IkeCipher, Iv, RustCryptoProvider};
use ikev1::keys::{Cookies, Phase1Keys, encryption_key, exchange_iv, informational_hash, phase1_iv};
use ikev1::policy::IkeProposal;
use ikev1::random::EngineRng;
use ikev1::sim::{Side, Simulation};
use isakmp::numbers::{ExchangeType, PayloadType};
use isakmp::{Body, Cookie, Flags, Header, Message, MessageId, Payload, PayloadBody, Plaintext, Version};

use super::wire;

pub struct SaKeys {
    provider: RustCryptoProvider,
    pub proposal: IkeProposal,
    pub cookies: Cookies,
    pub keys: Phase1Keys,
    cipher: Box<dyn IkeCipher>,
    /// The last CBC block of Phase 1, which seeds every later exchange's IV
    /// (RFC 2409 Appendix B).
    last_phase1_block: Iv,
    /// The decrypted Phase 1 messages (MM5 and MM6, or AM3), in wire order.
    pub phase1_plaintexts: Vec<Vec<Payload>>,
}

impl SaKeys {
    /// Rebuilds the keys of the first SA A negotiated as initiator with
    /// `seed` and `psk`, from what the simulation carried (MM1 to MM4, or
    /// AM1 and AM2, are enough; it need not have completed).
    pub fn of_initiator(sim: &Simulation, seed: u64, psk: &str) -> Self {
        let provider = RustCryptoProvider::new();
        // A's first policy: the tests that rebuild keys offer only one.
        let proposal: IkeProposal = sim.a.config().policy.connections[0].ordered_proposals()[0];
        let from_a = phase1_messages(sim, Side::A);
        let from_b = phase1_messages(sim, Side::B);
        let cookies = Cookies {
            initiator: from_a[0].header.initiator_cookie.0,
            responder: from_b[0].header.responder_cookie.0,
        };
        let (g_xi, ni) = key_exchange(&from_a);
        let (g_xr, nr) = key_exchange(&from_b);
        let group = provider.dh_group(proposal.group.id()).expect("a supported group");
        let mut rng = EngineRng::from_seed(seed);
        let key_pair = group.generate_key_pair(rng.private());
        assert_eq!(key_pair.public_value(), g_xi.as_slice(), "A's first DH key pair comes from its seed");
        let g_xy = key_pair.shared_secret(&g_xr).expect("B's public value is valid");
        let algorithm = proposal.cipher.algorithm();
        let (keys, cipher, iv0) = {
            let prf = provider.hash(proposal.hash.algorithm());
            let keys =
                Phase1Keys::from_pre_shared_key(prf, psk.as_bytes(), (&ni, &nr), g_xy.as_bytes(), &cookies);
            let ka = encryption_key(prf, &keys.skeyid_e, algorithm.key_len());
            let cipher = provider.ike_cipher(algorithm, ka.as_bytes()).expect("a supported cipher");
            let iv0 = phase1_iv(prf, &g_xi, &g_xr, algorithm.block_len()).expect("an IV");
            (keys, cipher, iv0)
        };
        let mut sa = Self {
            provider,
            proposal,
            cookies,
            keys,
            cipher,
            last_phase1_block: iv0,
            phase1_plaintexts: Vec::new(),
        };
        let mut encrypted: Vec<Message> = Vec::new();
        for record in &sim.wire {
            let message = wire::parse(&record.packet);
            let phase1 =
                message.header.message_id.0 == 0 && message.header.exchange != ExchangeType::INFORMATIONAL;
            if phase1 && message.is_encrypted() && !encrypted.contains(&message) {
                encrypted.push(message);
            }
        }
        for message in &encrypted {
            let iv = sa.last_phase1_block;
            let (payloads, last_block) = sa.open(message, &iv);
            sa.phase1_plaintexts.push(payloads);
            sa.last_phase1_block = last_block;
        }
        sa
    }

    fn prf(&self) -> &dyn HashFunction {
        self.provider.hash(self.proposal.hash.algorithm())
    }

    fn exchange_iv(&self, message_id: u32) -> Iv {
        exchange_iv(self.prf(), &self.last_phase1_block, message_id).expect("an IV")
    }

    /// Decrypts a body with `iv`; the payloads and the chain's next IV.
    fn open(&self, message: &Message, iv: &Iv) -> (Vec<Payload>, Iv) {
        let Body::Encrypted { first_payload, ciphertext } = &message.body else {
            panic!("not an encrypted message");
        };
        let mut body = ciphertext.clone();
        let next = self.cipher.decrypt(iv, &mut body).expect("whole blocks");
        let plaintext = Plaintext::parse(*first_payload, &body, isakmp::message::BODY_OFFSET)
            .expect("the rebuilt keys decrypt to a payload chain");
        (plaintext.payloads, next)
    }

    /// The payloads of the first message of an Informational exchange.
    pub fn decrypt_informational(&self, message: &Message) -> Vec<Payload> {
        let iv = self.exchange_iv(message.header.message_id.0);
        self.open(message, &iv).0
    }

    /// An Informational exchange as A would send it under this SA:
    /// `HDR*, HASH(1), N/D` with `HASH(1) = prf(SKEYID_a, M-ID | N/D)`
    /// (RFC 2409 5.7).
    pub fn protected_informational(&self, message_id: u32, payloads: Vec<Payload>) -> Vec<u8> {
        let rest = Plaintext { payloads: payloads.clone(), padding: Vec::new() }.emit().expect("emits");
        let hash = informational_hash(self.prf(), &self.keys.skeyid_a, message_id, &rest);
        self.informational_with_hash(message_id, hash.as_bytes().to_vec(), payloads)
    }

    /// As [`Self::protected_informational`], with the HASH(1) data given.
    pub fn informational_with_hash(&self, message_id: u32, hash: Vec<u8>, payloads: Vec<Payload>) -> Vec<u8> {
        let mut chain = vec![Payload::from(PayloadBody::Hash(hash))];
        chain.extend(payloads);
        let mut body = Plaintext { payloads: chain, padding: Vec::new() }.emit().expect("emits");
        let block = self.cipher.block_len();
        body.resize(body.len().next_multiple_of(block), 0);
        self.cipher.encrypt(&self.exchange_iv(message_id), &mut body).expect("whole blocks");
        let header = Header {
            initiator_cookie: Cookie(self.cookies.initiator),
            responder_cookie: Cookie(self.cookies.responder),
            version: Version::V1_0,
            exchange: ExchangeType::INFORMATIONAL,
            flags: Flags::ENCRYPTION,
            message_id: MessageId(message_id),
        };
        Message::new(header, Body::Encrypted { first_payload: PayloadType::HASH, ciphertext: body })
            .emit()
            .expect("emits")
    }

    /// Both cookies: the SPI of notifies and deletes about this ISAKMP SA.
    pub fn cookie_spi(&self) -> Vec<u8> {
        [self.cookies.initiator, self.cookies.responder].concat()
    }
}

/// One side's Phase 1 messages (message ID 0, not Informational).
fn phase1_messages(sim: &Simulation, side: Side) -> Vec<Message> {
    wire::messages_from(sim, side)
        .into_iter()
        .filter(|m| m.header.message_id.0 == 0 && m.header.exchange != ExchangeType::INFORMATIONAL)
        .collect()
}

/// The KE data and nonce of the first of these messages that has both.
fn key_exchange(messages: &[Message]) -> (Vec<u8>, Vec<u8>) {
    messages
        .iter()
        .find_map(|m| Some((wire::ke(m.payloads())?.to_vec(), wire::nonce(m.payloads())?.to_vec())))
        .expect("a message with KE and nonce")
}
