//! The ESP integrity algorithms: HMAC keyed once per SA, truncated to the ICV
//! (RFC 2403, RFC 2404, RFC 4868), verified in constant time.

use crate::crypto::{CryptoError, EspIntegrity, hash::keyed_hmac};
use hmac::{Hmac, Mac, digest::block_api::EagerHash};
use subtle::ConstantTimeEq;

/// An HMAC with its key already absorbed (the inner and outer pad states), so each
/// packet costs a copy of two hash states, not a re-keying.
pub(super) struct TruncatedHmac<D: EagerHash> {
    keyed: Hmac<D>,
    icv_len: usize,
}

impl<D: EagerHash> TruncatedHmac<D> {
    /// Keys the HMAC; the key must be as long as the hash output (RFC 2404 3,
    /// RFC 4868 2.1.1), which KEYMAT provides.
    pub(super) fn new(integrity: EspIntegrity, key: &[u8]) -> Result<Self, CryptoError> {
        if key.len() != integrity.key_len() {
            return Err(CryptoError::InvalidKeyLength { expected: integrity.key_len(), actual: key.len() });
        }
        Ok(Self { keyed: keyed_hmac::<D>(key), icv_len: integrity.icv_len() })
    }

    pub(super) fn icv_len(&self) -> usize {
        self.icv_len
    }

    /// Writes the leftmost `icv_len` bytes of HMAC(parts) into `icv` (RFC 2104 5).
    pub(super) fn sign(&self, parts: &[&[u8]], icv: &mut [u8]) {
        let full = self.full_mac(parts);
        icv.copy_from_slice(&full[..self.icv_len]);
    }

    /// Whether `icv` is the truncated HMAC of `parts`, compared in constant time.
    pub(super) fn verify(&self, parts: &[&[u8]], icv: &[u8]) -> bool {
        let full = self.full_mac(parts);
        full[..self.icv_len].ct_eq(icv).into()
    }

    fn full_mac(&self, parts: &[&[u8]]) -> hmac::digest::Output<Hmac<D>> {
        let mut mac = self.keyed.clone();
        parts.iter().for_each(|part| mac.update(part));
        mac.finalize().into_bytes()
    }
}
