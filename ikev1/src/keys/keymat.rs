//! KEYMAT, the keys of an IPsec SA (RFC 2409 5.5).

use super::expand::expand;
use crate::crypto::{EspSuite, HashFunction, Secret};

/// Protocol-ID of ESP in a proposal payload (RFC 2407 4.4.1), the `protocol` byte
/// of KEYMAT.
pub const PROTO_IPSEC_ESP: u8 = 3;

/// The inputs of KEYMAT for one SA (one direction: `spi` is the SPI the receiving
/// side chose).
#[derive(Clone, Copy, Debug)]
pub struct KeymatInput<'a> {
    /// g(qm)^xy of a Quick Mode with PFS, padded to the modulus length.
    pub pfs_g_xy: Option<&'a [u8]>,
    /// The Protocol-ID, [`PROTO_IPSEC_ESP`] for ESP.
    pub protocol: u8,
    pub spi: &'a [u8],
    /// Bodies of the Quick Mode nonce payloads (without generic headers).
    pub ni_b: &'a [u8],
    pub nr_b: &'a [u8],
}

impl KeymatInput<'_> {
    /// `[ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b`, as parts.
    fn seed(&self) -> Vec<&[u8]> {
        let protocol = std::slice::from_ref(&self.protocol);
        self.pfs_g_xy.into_iter().chain([protocol, self.spi, self.ni_b, self.nr_b]).collect()
    }
}

/// `len` bytes of KEYMAT (RFC 2409 5.5):
///
/// ```text
/// KEYMAT = K1 | K2 | K3 | ...
/// K1   = prf(SKEYID_d, [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
/// Kn+1 = prf(SKEYID_d, Kn | [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
/// ```
pub fn keymat(prf: &dyn HashFunction, skeyid_d: &Secret, input: &KeymatInput<'_>, len: usize) -> Secret {
    let seed = input.seed();
    expand(prf, skeyid_d.as_bytes(), len, &seed, &seed)
}

/// The two keys of an ESP SA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspKeys {
    /// The cipher key (with the 4-byte salt appended for AES-GCM, RFC 4106 8.1).
    pub encryption: Secret,
    /// The HMAC key; empty for an AEAD.
    pub integrity: Secret,
}

/// KEYMAT for `suite`, split encryption key first, then integrity key. RFC 2409
/// leaves the split to the IPsec service; this is the order strongSwan, Libreswan
/// and the Linux kernel use (their keys in vectors/real agree).
pub fn esp_keys(
    prf: &dyn HashFunction,
    skeyid_d: &Secret,
    input: &KeymatInput<'_>,
    suite: EspSuite,
) -> EspKeys {
    let encryption_len = suite.encryption().keymat_len();
    let material = keymat(prf, skeyid_d, input, encryption_len + suite.integrity_key_len());
    let (encryption, integrity) = material.split_at(encryption_len);
    EspKeys { encryption, integrity }
}
