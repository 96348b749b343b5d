//! The ISAKMP SA encryption key Ka (RFC 2409 Appendix B).

use super::expand::expand;
use crate::crypto::{HashFunction, Secret};

/// Ka of `key_len` bytes from SKEYID_e. When SKEYID_e is long enough its leading
/// bytes are the key; otherwise
///
/// ```text
/// Ka = K1 | K2 | K3 ...,  K1 = prf(SKEYID_e, 0),  Kn = prf(SKEYID_e, Kn-1)
/// ```
///
/// with 0 a single octet, truncated to `key_len` (e.g. AES-256 under SHA-1).
pub fn encryption_key(prf: &dyn HashFunction, skeyid_e: &Secret, key_len: usize) -> Secret {
    if skeyid_e.len() >= key_len {
        let mut key = skeyid_e.clone();
        key.truncate(key_len);
        return key;
    }
    expand(prf, skeyid_e.as_bytes(), key_len, &[&[0]], &[])
}
