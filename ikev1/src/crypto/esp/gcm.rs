//! AES-GCM for ESP with an 8-byte explicit IV and a 16-byte ICV (RFC 4106).

use super::layout::{EspSections, HEADER_LEN};
use crate::crypto::{CryptoError, EspSuite, EspTransform};
use aes::cipher::{BlockCipherEncrypt, BlockSizeUser, KeyInit, consts::U16, typenum::Unsigned};
use aes_gcm::{AeadInOut, AesGcm, Nonce, Tag, aead::consts::U12};

/// Bytes of salt at the end of the KEYMAT-supplied key (RFC 4106 8.1).
const SALT_LEN: usize = 4;
/// The explicit per-packet IV (RFC 4106 3.1).
const IV_LEN: usize = 8;
/// The full-length tag; the only ICV of transform 20 (RFC 4106 6, 8.3).
const ICV_LEN: usize = 16;
/// ESP's own alignment: the trailer ends on a 4-byte boundary (RFC 4303 2.4).
const ALIGNMENT: usize = 4;

pub(super) struct Gcm<Aes> {
    suite: EspSuite,
    aead: AesGcm<Aes, U12>,
    salt: [u8; SALT_LEN],
}

impl<Aes> Gcm<Aes>
where
    Aes: BlockSizeUser<BlockSize = U16> + BlockCipherEncrypt + KeyInit,
{
    /// `key_and_salt` is KEYMAT's encryption part: the AES key followed by 4 bytes of
    /// salt (RFC 4106 8.1).
    pub(super) fn new(suite: EspSuite, key_and_salt: &[u8]) -> Result<Self, CryptoError> {
        let expected = Aes::KeySize::USIZE + SALT_LEN;
        let wrong_length = CryptoError::InvalidKeyLength { expected, actual: key_and_salt.len() };
        if key_and_salt.len() != expected {
            return Err(wrong_length);
        }
        let (key, salt) = key_and_salt.split_at(Aes::KeySize::USIZE);
        let aead = AesGcm::<Aes, U12>::new_from_slice(key).map_err(|_| wrong_length.clone())?;
        let salt = salt.try_into().map_err(|_| wrong_length)?;
        Ok(Self { suite, aead, salt })
    }

    /// Nonce = salt | explicit IV (RFC 4106 4).
    fn nonce(&self, iv: &[u8]) -> Nonce<U12> {
        let mut nonce = Nonce::<U12>::default();
        nonce[..SALT_LEN].copy_from_slice(&self.salt);
        nonce[SALT_LEN..].copy_from_slice(iv);
        nonce
    }
}

/// AAD = SPI | Sequence Number, or SPI | ESN high | ESN low with extended sequence
/// numbers (RFC 4106 5, figures 3 and 4). Returned as a buffer and its used length.
fn additional_data(header: &[u8; HEADER_LEN], esn_high: Option<u32>) -> ([u8; 12], usize) {
    let mut aad = [0; 12];
    let (spi, sequence_low) = header.split_at(4);
    aad[..4].copy_from_slice(spi);
    match esn_high {
        Some(high) => {
            aad[4..8].copy_from_slice(&high.to_be_bytes());
            aad[8..].copy_from_slice(sequence_low);
            (aad, 12)
        }
        None => {
            aad[4..8].copy_from_slice(sequence_low);
            (aad, 8)
        }
    }
}

impl<Aes> EspTransform for Gcm<Aes>
where
    Aes: BlockSizeUser<BlockSize = U16> + BlockCipherEncrypt + KeyInit + Send + Sync,
{
    fn suite(&self) -> EspSuite {
        self.suite
    }

    fn iv_len(&self) -> usize {
        IV_LEN
    }

    fn icv_len(&self) -> usize {
        ICV_LEN
    }

    fn payload_alignment(&self) -> usize {
        ALIGNMENT
    }

    fn seal(&self, packet: &mut [u8], esn_high: Option<u32>) -> Result<(), CryptoError> {
        let EspSections { header, iv, payload, icv } =
            EspSections::split(packet, IV_LEN, ICV_LEN, ALIGNMENT)?;
        let (aad, aad_len) = additional_data(header, esn_high);
        let tag = self
            .aead
            .encrypt_inout_detached(&self.nonce(iv), &aad[..aad_len], payload.into())
            .map_err(|_| CryptoError::InvalidPacketLength { len: payload.len() })?;
        icv.copy_from_slice(&tag);
        Ok(())
    }

    fn open(&self, packet: &mut [u8], esn_high: Option<u32>) -> Result<(), CryptoError> {
        let EspSections { header, iv, payload, icv } =
            EspSections::split(packet, IV_LEN, ICV_LEN, ALIGNMENT)?;
        let (aad, aad_len) = additional_data(header, esn_high);
        let tag = Tag::<U16>::try_from(&*icv).map_err(|_| CryptoError::IntegrityCheckFailed)?;
        // aes-gcm checks the tag in constant time before it decrypts anything.
        self.aead
            .decrypt_inout_detached(&self.nonce(iv), &aad[..aad_len], payload.into(), &tag)
            .map_err(|_| CryptoError::IntegrityCheckFailed)
    }
}
