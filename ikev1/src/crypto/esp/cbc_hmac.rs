//! ESP with a CBC cipher (AES-CBC RFC 3602, 3DES-CBC RFC 2451) and a separate
//! HMAC integrity algorithm: encrypt, then MAC over the whole packet (RFC 4303
//! 3.3.2.1); on receipt, verify before decrypting (RFC 4303 3.4.4.1).

use super::{integrity::TruncatedHmac, layout::EspSections};
use crate::crypto::{CryptoError, EspSuite, EspTransform, cbc::CbcCipher};
use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use hmac::digest::block_api::EagerHash;

pub(super) struct CbcHmac<C, D: EagerHash> {
    suite: EspSuite,
    cipher: CbcCipher<C>,
    mac: TruncatedHmac<D>,
}

impl<C, D> CbcHmac<C, D>
where
    C: BlockCipherEncrypt + BlockCipherDecrypt + KeyInit,
    D: EagerHash,
{
    pub(super) fn new(
        suite: EspSuite,
        encryption_key: &[u8],
        integrity_key: &[u8],
    ) -> Result<Self, CryptoError> {
        let integrity = suite
            .integrity()
            .ok_or(CryptoError::UnsupportedEspSuite { encryption: suite.encryption(), integrity: None })?;
        Ok(Self {
            suite,
            cipher: CbcCipher::new(encryption_key)?,
            mac: TruncatedHmac::new(integrity, integrity_key)?,
        })
    }

    fn sections<'a>(&self, packet: &'a mut [u8]) -> Result<EspSections<'a>, CryptoError> {
        EspSections::split(packet, CbcCipher::<C>::BLOCK_LEN, self.mac.icv_len(), CbcCipher::<C>::BLOCK_LEN)
    }
}

/// The high-order ESN bits, appended to the authenticated data but never sent
/// (RFC 4303 3.3.2.1 step 4); empty without ESN.
fn esn_trailer(esn_high: Option<u32>) -> ([u8; 4], usize) {
    match esn_high {
        Some(high) => (high.to_be_bytes(), 4),
        None => ([0; 4], 0),
    }
}

impl<C, D> EspTransform for CbcHmac<C, D>
where
    C: BlockCipherEncrypt + BlockCipherDecrypt + KeyInit + Send + Sync,
    D: EagerHash,
    TruncatedHmac<D>: Send + Sync,
{
    fn suite(&self) -> EspSuite {
        self.suite
    }

    fn iv_len(&self) -> usize {
        CbcCipher::<C>::BLOCK_LEN
    }

    fn icv_len(&self) -> usize {
        self.mac.icv_len()
    }

    fn payload_alignment(&self) -> usize {
        CbcCipher::<C>::BLOCK_LEN
    }

    fn seal(&self, packet: &mut [u8], esn_high: Option<u32>) -> Result<(), CryptoError> {
        let EspSections { header, iv, payload, icv } = self.sections(packet)?;
        self.cipher.encrypt(iv, payload)?;
        let (esn, esn_len) = esn_trailer(esn_high);
        self.mac.sign(&[header, iv, payload, &esn[..esn_len]], icv);
        Ok(())
    }

    fn open(&self, packet: &mut [u8], esn_high: Option<u32>) -> Result<(), CryptoError> {
        let EspSections { header, iv, payload, icv } = self.sections(packet)?;
        let (esn, esn_len) = esn_trailer(esn_high);
        if !self.mac.verify(&[header, iv, payload, &esn[..esn_len]], icv) {
            return Err(CryptoError::IntegrityCheckFailed);
        }
        self.cipher.decrypt(iv, payload)
    }
}
