//! Raw CBC over whole blocks with a block cipher keyed once, for the ISAKMP
//! payloads (RFC 2409 Appendix B) and for ESP (RFC 3602 2, RFC 2451 3).
//! Each call borrows the prepared key schedule: no re-keying, no allocation.

use super::{CryptoError, EncryptionAlgorithm, IkeCipher, Iv};
use aes::cipher::{
    Array, BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit,
    typenum::Unsigned,
};

/// A block cipher with its key schedule, ready for CBC in either direction.
pub(crate) struct CbcCipher<C> {
    cipher: C,
}

impl<C> CbcCipher<C>
where
    C: BlockCipherEncrypt + BlockCipherDecrypt + KeyInit,
{
    pub(crate) fn new(key: &[u8]) -> Result<Self, CryptoError> {
        let cipher = C::new_from_slice(key)
            .map_err(|_| CryptoError::InvalidKeyLength { expected: C::KeySize::USIZE, actual: key.len() })?;
        Ok(Self { cipher })
    }

    pub(crate) const BLOCK_LEN: usize = C::BlockSize::USIZE;

    /// CBC-encrypts `data` in place (RFC 3602 2.3 figure).
    pub(crate) fn encrypt(&self, iv: &[u8], data: &mut [u8]) -> Result<(), CryptoError> {
        let iv = Self::iv_block(iv)?;
        let blocks = Self::whole_blocks(data)?;
        cbc::Encryptor::<&C>::inner_iv_init(&self.cipher, iv).encrypt_blocks(blocks);
        Ok(())
    }

    /// CBC-decrypts `data` in place.
    pub(crate) fn decrypt(&self, iv: &[u8], data: &mut [u8]) -> Result<(), CryptoError> {
        let iv = Self::iv_block(iv)?;
        let blocks = Self::whole_blocks(data)?;
        cbc::Decryptor::<&C>::inner_iv_init(&self.cipher, iv).decrypt_blocks(blocks);
        Ok(())
    }

    fn iv_block(iv: &[u8]) -> Result<&Array<u8, C::BlockSize>, CryptoError> {
        Array::slice_as_array(iv)
            .ok_or(CryptoError::InvalidIvLength { expected: Self::BLOCK_LEN, actual: iv.len() })
    }

    /// CBC works on one or more whole blocks; IKE and ESP pad before calling.
    pub(crate) fn check_whole_blocks(len: usize) -> Result<(), CryptoError> {
        if len == 0 || !len.is_multiple_of(Self::BLOCK_LEN) {
            return Err(CryptoError::NotBlockAligned { len, block_len: Self::BLOCK_LEN });
        }
        Ok(())
    }

    fn whole_blocks(data: &mut [u8]) -> Result<&mut [Array<u8, C::BlockSize>], CryptoError> {
        Self::check_whole_blocks(data.len())?;
        Ok(Array::slice_as_chunks_mut(data).0)
    }
}

/// A Phase 1 cipher: CBC plus the IV chaining of RFC 2409 Appendix B.
pub(crate) struct IkeCbc<C> {
    algorithm: EncryptionAlgorithm,
    cbc: CbcCipher<C>,
}

impl<C> IkeCbc<C>
where
    C: BlockCipherEncrypt + BlockCipherDecrypt + KeyInit,
{
    pub(crate) fn new(algorithm: EncryptionAlgorithm, key: &[u8]) -> Result<Self, CryptoError> {
        Ok(Self { algorithm, cbc: CbcCipher::new(key)? })
    }

    /// The last block of `data`, once `data` is known to be whole blocks.
    fn last_block(data: &[u8]) -> Result<Iv, CryptoError> {
        CbcCipher::<C>::check_whole_blocks(data.len())?;
        Iv::from_slice(&data[data.len() - CbcCipher::<C>::BLOCK_LEN..])
    }
}

impl<C> IkeCipher for IkeCbc<C>
where
    C: BlockCipherEncrypt + BlockCipherDecrypt + KeyInit + Send + Sync,
{
    fn algorithm(&self) -> EncryptionAlgorithm {
        self.algorithm
    }

    fn encrypt(&self, iv: &Iv, data: &mut [u8]) -> Result<Iv, CryptoError> {
        self.cbc.encrypt(iv.as_bytes(), data)?;
        Self::last_block(data)
    }

    fn decrypt(&self, iv: &Iv, data: &mut [u8]) -> Result<Iv, CryptoError> {
        // The next IV is the last block as received, so read it before decrypting.
        let next = Self::last_block(data)?;
        self.cbc.decrypt(iv.as_bytes(), data)?;
        Ok(next)
    }
}

/// A keyed Phase 1 cipher for `algorithm`.
pub(crate) fn ike_cipher(
    algorithm: EncryptionAlgorithm,
    key: &[u8],
) -> Result<Box<dyn IkeCipher>, CryptoError> {
    use super::AesKeySize::{Bits128, Bits192, Bits256};
    Ok(match algorithm {
        EncryptionAlgorithm::TripleDesCbc => Box::new(IkeCbc::<des::TdesEde3>::new(algorithm, key)?),
        EncryptionAlgorithm::AesCbc(Bits128) => Box::new(IkeCbc::<aes::Aes128>::new(algorithm, key)?),
        EncryptionAlgorithm::AesCbc(Bits192) => Box::new(IkeCbc::<aes::Aes192>::new(algorithm, key)?),
        EncryptionAlgorithm::AesCbc(Bits256) => Box::new(IkeCbc::<aes::Aes256>::new(algorithm, key)?),
    })
}
