//! The small traits the engine is written against, so that it can run on real
//! cryptography or, for fuzzing only, on a null provider. They are object safe:
//! the engine holds `&dyn CryptoProvider` and boxed keyed objects, and never
//! becomes generic over its crypto.

use super::{CryptoError, DhGroupId, EncryptionAlgorithm, EspSuite, HashAlgorithm, Iv, Secret};
use core::fmt;
use rand_core::RngCore;

/// Everything cryptographic the engine needs.
pub trait CryptoProvider: Send + Sync + fmt::Debug {
    /// The hash and its HMAC (every [`HashAlgorithm`] is implemented).
    fn hash(&self, algorithm: HashAlgorithm) -> &dyn HashFunction;

    /// A Diffie-Hellman group, or `UnsupportedGroup`.
    fn dh_group(&self, group: DhGroupId) -> Result<&dyn DhGroup, CryptoError>;

    /// A Phase 1 cipher keyed with Ka, prepared once per ISAKMP SA.
    fn ike_cipher(
        &self,
        algorithm: EncryptionAlgorithm,
        key: &[u8],
    ) -> Result<Box<dyn IkeCipher>, CryptoError>;

    /// An ESP transform keyed with the two halves of KEYMAT (RFC 2409 5.5), prepared once
    /// per IPsec SA. For an AEAD `integrity_key` must be empty and `encryption_key`
    /// includes the salt (RFC 4106 8.1).
    fn esp_transform(
        &self,
        suite: EspSuite,
        encryption_key: &[u8],
        integrity_key: &[u8],
    ) -> Result<Box<dyn EspTransform>, CryptoError>;
}

/// A hash function and the HMAC built on it. Inputs are given as parts so that the
/// RFC 2409 concatenations (`g^xy | CKY-I | CKY-R | 0` ...) need no buffer.
pub trait HashFunction: Send + Sync {
    fn algorithm(&self) -> HashAlgorithm;

    fn output_len(&self) -> usize {
        self.algorithm().output_len()
    }

    /// hash(part0 | part1 | ...).
    fn hash(&self, parts: &[&[u8]]) -> Vec<u8>;

    /// prf(key, part0 | part1 | ...): HMAC (RFC 2104), the IKEv1 PRF when none is
    /// negotiated (RFC 2409 5). The output is key material, hence a [`Secret`].
    fn prf(&self, key: &[u8], parts: &[&[u8]]) -> Secret;
}

/// A MODP Diffie-Hellman group.
pub trait DhGroup: Send + Sync + fmt::Debug {
    fn id(&self) -> DhGroupId;

    /// Length in bytes of public values and of the shared secret: the modulus length
    /// (RFC 2409 5 requires KE data of exactly this length).
    fn public_value_len(&self) -> usize;

    /// A fresh private value drawn from `rng` (the engine's private stream) with its
    /// public value.
    fn generate_key_pair(&self, rng: &mut dyn RngCore) -> Box<dyn DhKeyPair>;
}

/// One side's Diffie-Hellman private value and public value.
pub trait DhKeyPair: Send + Sync + fmt::Debug {
    fn group(&self) -> DhGroupId;

    /// g^x mod p, big-endian, left-padded to the modulus length.
    fn public_value(&self) -> &[u8];

    /// g^xy from the peer's KE data, big-endian, left-padded to the modulus length.
    /// The peer value is validated first: exact length, then 1 < y < p-1.
    fn shared_secret(&self, peer_public_value: &[u8]) -> Result<Secret, CryptoError>;
}

/// A keyed CBC cipher for ISAKMP payloads. IKEv1 pads messages itself (RFC 2408
/// 3.5), so the data must be whole blocks. Both directions return the last
/// ciphertext block, the next IV of the exchange (RFC 2409 Appendix B).
pub trait IkeCipher: Send + Sync {
    fn algorithm(&self) -> EncryptionAlgorithm;

    fn block_len(&self) -> usize {
        self.algorithm().block_len()
    }

    fn encrypt(&self, iv: &Iv, data: &mut [u8]) -> Result<Iv, CryptoError>;

    fn decrypt(&self, iv: &Iv, data: &mut [u8]) -> Result<Iv, CryptoError>;
}

/// A keyed ESP transform working in place on a whole ESP packet laid out as
///
/// ```text
/// SPI (4) | Sequence Number (4) | IV (iv_len) | payload | ICV (icv_len)
/// ```
///
/// where the payload is the padded plaintext with its trailer (RFC 4303 2). The
/// caller writes SPI, sequence number, IV (fresh and, for GCM, never repeated under
/// one key: RFC 4106 3.1) and plaintext, and leaves room for the ICV. `esn_high`
/// is the high half of an extended sequence number (RFC 4303 2.2.1, RFC 4304),
/// authenticated but not transmitted.
pub trait EspTransform: Send + Sync {
    fn suite(&self) -> EspSuite;

    fn iv_len(&self) -> usize;

    fn icv_len(&self) -> usize;

    /// The payload length must be a multiple of this (RFC 4303 2.4): the cipher block
    /// for CBC, 4 for GCM.
    fn payload_alignment(&self) -> usize;

    /// Encrypts the payload and writes the ICV.
    fn seal(&self, packet: &mut [u8], esn_high: Option<u32>) -> Result<(), CryptoError>;

    /// Verifies the ICV in constant time, then decrypts the payload; on failure the
    /// payload is left as it came.
    fn open(&self, packet: &mut [u8], esn_high: Option<u32>) -> Result<(), CryptoError>;
}
