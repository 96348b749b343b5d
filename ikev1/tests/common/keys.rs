//! The keys of one side's first ISAKMP SA, rebuilt the way a decryption
//! table is: that side's Diffie-Hellman secret from its seed, everything else
//! (cookies, public values, nonces, ciphertexts) from the wire. With them a
//! test reads encrypted messages (Main Mode 5/6, Quick Mode, Informationals)
//! and forges protected ones, which is what an authenticated but hostile or
//! buggy peer can do.
//!
//! The engine draws its first DH exponent first from its private stream
//! (ikev1::random), and the exponents of Quick Modes with PFS after it, in
//! the order the exchanges start; the rebuilt public values are checked
//! against the KE payloads on the wire, so a change there fails loudly
//! instead of giving wrong keys.

use ikev1::crypto::{CryptoProvider, DhKeyPair, EspSuite, HashFunction, IkeCipher, Iv, RustCryptoProvider};
use ikev1::keys::{
    Cookies, EspKeys, KeymatInput, PROTO_IPSEC_ESP, Phase1Keys, encryption_key, esp_keys, exchange_iv,
    informational_hash, phase1_iv,
};
use ikev1::policy::{DhGroup, EspProposal, IkeProposal};
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
    /// The side that sent MM1 (or AM1).
    pub initiator: Side,
    cipher: Box<dyn IkeCipher>,
    /// The last CBC block of Phase 1, which seeds every later exchange's IV
    /// (RFC 2409 Appendix B).
    last_phase1_block: Iv,
    /// The decrypted Phase 1 messages (MM5 and MM6, or AM3), in wire order.
    pub phase1_plaintexts: Vec<Vec<Payload>>,
    /// What the rebuilt side's private stream holds after its Phase 1 key pair.
    rng: EngineRng,
}

/// One message of a Quick Mode exchange, decrypted.
#[derive(Clone, Debug)]
pub struct Decrypted {
    pub from: Side,
    pub message_id: u32,
    pub header: Header,
    pub payloads: Vec<Payload>,
}

impl SaKeys {
    /// Rebuilds the keys of the first SA A negotiated as initiator with
    /// `seed` and `psk`, from what the simulation carried (MM1 to MM4, or
    /// AM1 and AM2, are enough; it need not have completed).
    pub fn of_initiator(sim: &Simulation, seed: u64, psk: &str) -> Self {
        let keys = Self::of(sim, Side::A, seed, psk);
        assert_eq!(keys.initiator, Side::A, "A initiated");
        keys
    }

    /// Rebuilds the keys of the first ISAKMP SA on the wire from `side`'s
    /// seed, whichever role it had. The proposal is the first policy of
    /// `side`'s first connection: the tests that rebuild keys offer one.
    pub fn of(sim: &Simulation, side: Side, seed: u64, psk: &str) -> Self {
        Self::of_sa(sim, side, seed, psk, 0, 0)
    }

    /// As [`Self::of`] for the `index`th ISAKMP SA on the wire (by the order
    /// of their first messages), `side` having drawn `earlier_key_pairs`
    /// Diffie-Hellman key pairs before this SA's (Phase 1 and PFS ones).
    pub fn of_sa(
        sim: &Simulation,
        side: Side,
        seed: u64,
        psk: &str,
        index: usize,
        earlier_key_pairs: usize,
    ) -> Self {
        let provider = RustCryptoProvider::new();
        let config = match side {
            Side::A => sim.a.config(),
            Side::B => sim.b.config(),
        };
        let proposal: IkeProposal = config.policy.connections[0].ordered_proposals()[0];
        let mut opened: Vec<(Side, Cookie)> = Vec::new();
        for record in sim.wire.iter().filter(|record| wire::is_ike(&record.packet)) {
            let header = wire::parse(&record.packet).header;
            let first_message = header.responder_cookie.is_zero() && header.message_id.0 == 0;
            if first_message && !opened.iter().any(|(_, cookie)| *cookie == header.initiator_cookie) {
                opened.push((record.packet.from, header.initiator_cookie));
            }
        }
        let (initiator, initiator_cookie) = *opened.get(index).expect("that many ISAKMP SAs on the wire");
        let of_this_sa = |from: Side| -> Vec<Message> {
            phase1_messages(sim, from)
                .into_iter()
                .filter(|m| m.header.initiator_cookie == initiator_cookie)
                .collect()
        };
        let (from_i, from_r) = (of_this_sa(initiator), of_this_sa(initiator.other()));
        let cookies =
            Cookies { initiator: initiator_cookie.0, responder: from_r[0].header.responder_cookie.0 };
        let (g_xi, ni) = key_exchange(&from_i);
        let (g_xr, nr) = key_exchange(&from_r);
        let (own_public, peer_public) = if side == initiator { (&g_xi, &g_xr) } else { (&g_xr, &g_xi) };
        let group = provider.dh_group(proposal.group.id()).expect("a supported group");
        let mut rng = EngineRng::from_seed(seed);
        for _ in 0..earlier_key_pairs {
            // Earlier key pairs in this group; PFS in other groups draws
            // differently, so callers count only what their tests use.
            group.generate_key_pair(rng.private());
        }
        let key_pair = group.generate_key_pair(rng.private());
        assert_eq!(
            key_pair.public_value(),
            own_public.as_slice(),
            "the first DH key pair comes from the seed"
        );
        let g_xy = key_pair.shared_secret(peer_public).expect("the peer's public value is valid");
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
            initiator,
            cipher,
            last_phase1_block: iv0,
            phase1_plaintexts: Vec::new(),
            rng,
        };
        let mut encrypted: Vec<Message> = Vec::new();
        for message in sa.messages_of_this_sa(sim).into_iter().map(|(_, message)| message) {
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

    /// Every ISAKMP message of this SA on the wire, with its sender.
    fn messages_of_this_sa(&self, sim: &Simulation) -> Vec<(Side, Message)> {
        sim.wire
            .iter()
            .filter(|record| wire::is_ike(&record.packet))
            .map(|record| (record.packet.from, wire::parse(&record.packet)))
            .filter(|(_, m)| {
                m.header.initiator_cookie.0 == self.cookies.initiator
                    && m.header.responder_cookie.0 == self.cookies.responder
            })
            .collect()
    }

    /// Every Quick Mode message of this SA, decrypted, in wire order, with
    /// retransmissions left out. Each exchange has its own IV chain, which
    /// starts from the hash of Phase 1's last block and its message ID and
    /// goes on with the last ciphertext block of each message (RFC 2409
    /// Appendix B).
    pub fn quick_modes(&self, sim: &Simulation) -> Vec<Decrypted> {
        let mut chains: std::collections::BTreeMap<u32, Iv> = std::collections::BTreeMap::new();
        let mut seen: Vec<Message> = Vec::new();
        let mut out = Vec::new();
        for (from, message) in self.messages_of_this_sa(sim) {
            if message.header.exchange != ExchangeType::QUICK_MODE || seen.contains(&message) {
                continue;
            }
            let message_id = message.header.message_id.0;
            let iv = chains.get(&message_id).copied().unwrap_or_else(|| self.exchange_iv(message_id));
            let (payloads, next) = self.open(&message, &iv);
            chains.insert(message_id, next);
            out.push(Decrypted { from, message_id, header: message.header, payloads });
            seen.push(message);
        }
        out
    }

    /// The Quick Mode messages of one exchange (by the order exchanges
    /// started: 0 is the first), decrypted.
    pub fn quick_mode(&self, sim: &Simulation, index: usize) -> Vec<Decrypted> {
        let all = self.quick_modes(sim);
        let mut ids: Vec<u32> = Vec::new();
        for message in &all {
            if !ids.contains(&message.message_id) {
                ids.push(message.message_id);
            }
        }
        let id = ids[index];
        all.into_iter().filter(|m| m.message_id == id).collect()
    }

    /// Every protected Informational of this SA, decrypted, in wire order
    /// (each is an exchange of its own, RFC 2409 5.7).
    pub fn informationals(&self, sim: &Simulation) -> Vec<Decrypted> {
        let mut seen: Vec<Message> = Vec::new();
        let mut out = Vec::new();
        for (from, message) in self.messages_of_this_sa(sim) {
            let informational = message.header.exchange == ExchangeType::INFORMATIONAL;
            if !informational || !message.is_encrypted() || seen.contains(&message) {
                continue;
            }
            let message_id = message.header.message_id.0;
            let payloads = self.decrypt_informational(&message);
            out.push(Decrypted { from, message_id, header: message.header, payloads });
            seen.push(message);
        }
        out
    }

    /// The next Diffie-Hellman key pair the rebuilt side drew after its
    /// Phase 1 one: the PFS key pair of its first Quick Mode with PFS.
    pub fn next_key_pair(&mut self, group: DhGroup) -> Box<dyn DhKeyPair> {
        let group = self.provider.dh_group(group.id()).expect("a supported group");
        group.generate_key_pair(self.rng.private())
    }

    /// RFC 2409 5.5: KEYMAT for the SA with this SPI, with g(qm)^xy when the
    /// exchange had PFS.
    pub fn esp_keys(
        &self,
        suite: EspProposal,
        spi: u32,
        ni: &[u8],
        nr: &[u8],
        g_xy: Option<&[u8]>,
    ) -> EspKeys {
        let suite = EspSuite::new(suite.cipher.encryption(), suite.integrity.map(|i| i.integrity()))
            .expect("a valid suite");
        let spi = spi.to_be_bytes();
        let input = KeymatInput { pfs_g_xy: g_xy, protocol: PROTO_IPSEC_ESP, spi: &spi, ni_b: ni, nr_b: nr };
        esp_keys(self.prf(), &self.keys.skeyid_d, &input, suite)
    }

    pub fn prf(&self) -> &dyn HashFunction {
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
