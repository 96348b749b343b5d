//! SKEYID and SKEYID_d, SKEYID_a, SKEYID_e (RFC 2409 5).

use crate::crypto::{HashFunction, Secret};

/// The two ISAKMP cookies, CKY-I and CKY-R (RFC 2408 3.1), which RFC 2409 mixes
/// into every Phase 1 derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cookies {
    pub initiator: [u8; 8],
    pub responder: [u8; 8],
}

/// SKEYID for pre-shared key authentication (RFC 2409 5 and 5.4):
/// `SKEYID = prf(pre-shared-key, Ni_b | Nr_b)`.
pub fn skeyid_pre_shared_key(
    prf: &dyn HashFunction,
    pre_shared_key: &[u8],
    ni_b: &[u8],
    nr_b: &[u8],
) -> Secret {
    prf.prf(pre_shared_key, &[ni_b, nr_b])
}

/// SKEYID and the three keys derived from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase1Keys {
    /// Authenticates the exchange (HASH_I, HASH_R).
    pub skeyid: Secret,
    /// Derives IPsec SA keys (KEYMAT, RFC 2409 5.5).
    pub skeyid_d: Secret,
    /// Authenticates Phase 2 and Informational messages.
    pub skeyid_a: Secret,
    /// Yields the ISAKMP SA encryption key (RFC 2409 Appendix B).
    pub skeyid_e: Secret,
}

impl Phase1Keys {
    /// RFC 2409 5, whatever the authentication method:
    ///
    /// ```text
    /// SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
    /// SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
    /// SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
    /// ```
    ///
    /// with 0, 1, 2 as single octets and g^xy padded to the modulus length.
    pub fn derive(prf: &dyn HashFunction, skeyid: Secret, g_xy: &[u8], cookies: &Cookies) -> Self {
        let key = skeyid.as_bytes();
        let (cky_i, cky_r) = (&cookies.initiator[..], &cookies.responder[..]);
        let skeyid_d = prf.prf(key, &[g_xy, cky_i, cky_r, &[0]]);
        let skeyid_a = prf.prf(key, &[skeyid_d.as_bytes(), g_xy, cky_i, cky_r, &[1]]);
        let skeyid_e = prf.prf(key, &[skeyid_a.as_bytes(), g_xy, cky_i, cky_r, &[2]]);
        Self { skeyid, skeyid_d, skeyid_a, skeyid_e }
    }

    /// Pre-shared key authentication end to end (RFC 2409 5.4).
    pub fn from_pre_shared_key(
        prf: &dyn HashFunction,
        pre_shared_key: &[u8],
        nonces: (&[u8], &[u8]),
        g_xy: &[u8],
        cookies: &Cookies,
    ) -> Self {
        let (ni_b, nr_b) = nonces;
        Self::derive(prf, skeyid_pre_shared_key(prf, pre_shared_key, ni_b, nr_b), g_xy, cookies)
    }
}
