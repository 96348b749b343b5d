//! The keys of one ISAKMP SA and the CBC IV chains of its exchanges
//! (RFC 2409 5 and Appendix B).
//!
//! Decryption never moves a chain by itself: it returns the advanced chain,
//! and the caller commits it only once the message has proven authentic, so
//! a forged or garbled message cannot desynchronise the SA.

use std::collections::BTreeMap;

use crate::crypto::{CryptoError, CryptoProvider, HashFunction, IkeCipher};
use crate::keys::{Cookies, IvChain, Phase1Keys, encryption_key, exchange_iv, phase1_iv};
use crate::policy::IkeProposal;

/// Open exchanges (Quick Mode, Informational) whose IV chains are kept at once.
const MAX_OPEN_EXCHANGES: usize = 64;

pub struct SaCrypto {
    pub keys: Phase1Keys,
    pub proposal: IkeProposal,
    /// Ka, kept for key export (Wireshark's ikev1_decryption_table).
    pub encryption_key: crate::crypto::Secret,
    cipher: Box<dyn IkeCipher>,
    phase1: IvChain,
    exchanges: BTreeMap<u32, IvChain>,
}

/// The inputs of a PSK key derivation (RFC 2409 5.4).
pub struct KeyInputs<'a> {
    pub pre_shared_key: &'a [u8],
    pub ni_b: &'a [u8],
    pub nr_b: &'a [u8],
    pub g_xy: &'a [u8],
    pub g_xi: &'a [u8],
    pub g_xr: &'a [u8],
    pub cookies: &'a Cookies,
}

impl SaCrypto {
    pub fn derive(
        crypto: &dyn CryptoProvider,
        proposal: IkeProposal,
        inputs: &KeyInputs<'_>,
    ) -> Result<Self, CryptoError> {
        let prf = crypto.hash(proposal.hash.algorithm());
        let keys = Phase1Keys::from_pre_shared_key(
            prf,
            inputs.pre_shared_key,
            (inputs.ni_b, inputs.nr_b),
            inputs.g_xy,
            inputs.cookies,
        );
        let algorithm = proposal.cipher.algorithm();
        let ka = encryption_key(prf, &keys.skeyid_e, algorithm.key_len());
        let cipher = crypto.ike_cipher(algorithm, ka.as_bytes())?;
        let iv0 = phase1_iv(prf, inputs.g_xi, inputs.g_xr, algorithm.block_len())?;
        Ok(Self {
            keys,
            proposal,
            encryption_key: ka,
            cipher,
            phase1: IvChain::new(iv0),
            exchanges: BTreeMap::new(),
        })
    }

    pub fn prf<'a>(&self, crypto: &'a dyn CryptoProvider) -> &'a dyn HashFunction {
        crypto.hash(self.proposal.hash.algorithm())
    }

    pub fn block_len(&self) -> usize {
        self.cipher.block_len()
    }

    /// Encrypts a payload chain for `message_id` (0: Phase 1), padding it
    /// with zeros to whole blocks, and moves that exchange's chain on.
    pub fn encrypt(
        &mut self,
        crypto: &dyn CryptoProvider,
        message_id: u32,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let mut body = plaintext.to_vec();
        body.resize(plaintext.len().next_multiple_of(self.block_len()).max(self.block_len()), 0);
        let mut chain = self.chain(crypto, message_id)?;
        chain.encrypt(self.cipher.as_ref(), &mut body)?;
        self.commit(message_id, chain);
        Ok(body)
    }

    /// Decrypts a body for `message_id`; the returned chain is to be
    /// [`committed`](Self::commit) once the message is accepted.
    pub fn decrypt(
        &self,
        crypto: &dyn CryptoProvider,
        message_id: u32,
        ciphertext: &[u8],
    ) -> Result<(Vec<u8>, IvChain), CryptoError> {
        let mut body = ciphertext.to_vec();
        let mut chain = self.chain(crypto, message_id)?;
        chain.decrypt(self.cipher.as_ref(), &mut body)?;
        Ok((body, chain))
    }

    /// The chain for `message_id`, without creating it.
    fn chain(&self, crypto: &dyn CryptoProvider, message_id: u32) -> Result<IvChain, CryptoError> {
        if message_id == 0 {
            return Ok(self.phase1);
        }
        match self.exchanges.get(&message_id) {
            Some(chain) => Ok(*chain),
            None => Ok(IvChain::new(exchange_iv(self.prf(crypto), self.phase1.iv(), message_id)?)),
        }
    }

    pub fn commit(&mut self, message_id: u32, chain: IvChain) {
        if message_id == 0 {
            self.phase1 = chain;
            return;
        }
        if !self.exchanges.contains_key(&message_id) && self.exchanges.len() >= MAX_OPEN_EXCHANGES {
            let oldest = self.exchanges.keys().next().copied();
            oldest.map(|id| self.exchanges.remove(&id));
        }
        self.exchanges.insert(message_id, chain);
    }

    /// Forgets a finished exchange's chain.
    pub fn close_exchange(&mut self, message_id: u32) {
        self.exchanges.remove(&message_id);
    }
}
