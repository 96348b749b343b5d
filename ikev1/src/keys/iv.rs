//! The CBC IVs of ISAKMP encryption (RFC 2409 Appendix B): one chain for Phase 1
//! and one per later exchange, keyed by message ID.

use super::message_id_bytes;
use crate::crypto::{CryptoError, HashFunction, IkeCipher, Iv};
use std::collections::{BTreeMap, btree_map::Entry};

/// The first Phase 1 IV: `hash(g^xi | g^xr)` truncated to the cipher block, with
/// the hash being the negotiated one (RFC 2409 Appendix B).
pub fn phase1_iv(
    hash: &dyn HashFunction,
    g_xi: &[u8],
    g_xr: &[u8],
    block_len: usize,
) -> Result<Iv, CryptoError> {
    truncated(hash.hash(&[g_xi, g_xr]), block_len)
}

/// The first IV of a Quick Mode or Informational exchange:
/// `hash(last Phase 1 CBC output block | M-ID)` truncated to the cipher block
/// (RFC 2409 Appendix B).
pub fn exchange_iv(
    hash: &dyn HashFunction,
    last_phase1_block: &Iv,
    message_id: u32,
) -> Result<Iv, CryptoError> {
    let digest = hash.hash(&[last_phase1_block.as_bytes(), &message_id_bytes(message_id)]);
    truncated(digest, last_phase1_block.len())
}

fn truncated(digest: Vec<u8>, block_len: usize) -> Result<Iv, CryptoError> {
    let block = digest
        .get(..block_len)
        .ok_or(CryptoError::InvalidIvLength { expected: block_len, actual: digest.len() })?;
    Iv::from_slice(block)
}

/// The IV of one exchange as it moves along: each message's last ciphertext block
/// is the IV of the next message in the same exchange (RFC 2409 Appendix B).
///
/// Decrypting advances the chain too. An engine that may still reject a message
/// after decrypting it (bad HASH) keeps a copy (`IvChain` is `Copy`) to go back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IvChain {
    iv: Iv,
}

impl IvChain {
    pub fn new(iv: Iv) -> Self {
        Self { iv }
    }

    /// The IV the next message of this exchange uses.
    pub fn iv(&self) -> &Iv {
        &self.iv
    }

    /// Encrypts an outgoing message body (already padded) and moves the chain on.
    pub fn encrypt(&mut self, cipher: &dyn IkeCipher, body: &mut [u8]) -> Result<(), CryptoError> {
        self.iv = cipher.encrypt(&self.iv, body)?;
        Ok(())
    }

    /// Decrypts an incoming message body and moves the chain on.
    pub fn decrypt(&mut self, cipher: &dyn IkeCipher, body: &mut [u8]) -> Result<(), CryptoError> {
        self.iv = cipher.decrypt(&self.iv, body)?;
        Ok(())
    }
}

/// Every IV chain of one ISAKMP SA: Phase 1 (message ID 0) and one per message ID
/// of a later exchange, each started from the Phase 1 chain's last block when the
/// exchange is first seen. The engine removes an exchange when it ends, which also
/// bounds how many a peer can open.
#[derive(Clone, Debug)]
pub struct MessageIvs {
    phase1: IvChain,
    exchanges: BTreeMap<u32, IvChain>,
}

impl MessageIvs {
    /// Starts from the first Phase 1 IV (see [`phase1_iv`]).
    pub fn new(phase1_iv: Iv) -> Self {
        Self { phase1: IvChain::new(phase1_iv), exchanges: BTreeMap::new() }
    }

    /// The chain for `message_id`: Phase 1's for 0, otherwise the exchange's,
    /// derived with [`exchange_iv`] on first use.
    pub fn chain(&mut self, hash: &dyn HashFunction, message_id: u32) -> Result<&mut IvChain, CryptoError> {
        if message_id == 0 {
            return Ok(&mut self.phase1);
        }
        let last_phase1_block = *self.phase1.iv();
        Ok(match self.exchanges.entry(message_id) {
            Entry::Occupied(chain) => chain.into_mut(),
            Entry::Vacant(slot) => {
                slot.insert(IvChain::new(exchange_iv(hash, &last_phase1_block, message_id)?))
            }
        })
    }

    /// Forgets a finished exchange.
    pub fn remove(&mut self, message_id: u32) {
        self.exchanges.remove(&message_id);
    }

    /// How many exchanges besides Phase 1 have a chain.
    pub fn open_exchanges(&self) -> usize {
        self.exchanges.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{AesKeySize, CryptoProvider, EncryptionAlgorithm, HashAlgorithm, RustCryptoProvider};

    #[test]
    fn exchanges_start_from_the_last_phase1_block_and_chain_on() {
        let provider = RustCryptoProvider::new();
        let sha1 = provider.hash(HashAlgorithm::Sha1);
        let cipher =
            provider.ike_cipher(EncryptionAlgorithm::AesCbc(AesKeySize::Bits128), &[1; 16]).expect("key");
        let iv0 = phase1_iv(sha1, b"g^xi", b"g^xr", 16).expect("SHA-1 covers a block");
        assert_eq!(iv0.as_bytes(), &sha1.hash(&[b"g^xig^xr"])[..16]);

        let mut ivs = MessageIvs::new(iv0);
        let mut main_mode_5 = [0x55; 48];
        ivs.chain(sha1, 0).expect("phase 1").encrypt(cipher.as_ref(), &mut main_mode_5).expect("aligned");
        let last_block = Iv::from_slice(&main_mode_5[32..]).expect("block");
        assert_eq!(ivs.chain(sha1, 0).expect("phase 1").iv(), &last_block);

        // A new M-ID starts from hash(last Phase 1 block | M-ID), once.
        let quick_mode = ivs.chain(sha1, 0x7902_290f).expect("derived");
        let expected = &sha1.hash(&[last_block.as_bytes(), &[0x79, 0x02, 0x29, 0x0f]])[..16];
        assert_eq!(quick_mode.iv().as_bytes(), expected);
        let mut message = [0x11; 16];
        quick_mode.encrypt(cipher.as_ref(), &mut message).expect("aligned");
        assert_eq!(ivs.chain(sha1, 0x7902_290f).expect("kept").iv().as_bytes(), message);
        assert_eq!(ivs.open_exchanges(), 1);
        ivs.remove(0x7902_290f);
        assert_eq!(ivs.open_exchanges(), 0);

        // A hash shorter than the block cannot make an IV.
        let md5 = provider.hash(HashAlgorithm::Md5);
        assert!(phase1_iv(md5, b"", b"", 17).is_err());
    }
}
