//! The real MODP groups: key generation, peer value validation, shared secret.

use super::{default_private_exponent_bits, montgomery::MontgomeryModulus, primes};
use crate::crypto::{CryptoError, DhGroup, DhGroupId, DhKeyPair, Secret};
use core::fmt;
use num_bigint::BigUint;
use rand_core::RngCore;
use std::sync::Arc;

/// The generator of every MODP group here (RFC 2409 6.1, 6.2; RFC 3526 2-7).
const GENERATOR: u32 = 2;

/// A group's prime, prepared once and shared by its key pairs.
struct Modulus {
    id: DhGroupId,
    prime: &'static [u8],
    /// For exponentiation with secret exponents.
    montgomery: MontgomeryModulus,
    /// For range checks of public values.
    p_minus_1: BigUint,
}

impl Modulus {
    fn new(id: DhGroupId) -> Result<Self, CryptoError> {
        let prime: &'static [u8] = match id {
            DhGroupId::MODP_768 => &primes::MODP_768,
            DhGroupId::MODP_1024 => &primes::MODP_1024,
            DhGroupId::MODP_1536 => &primes::MODP_1536,
            DhGroupId::MODP_2048 => &primes::MODP_2048,
            DhGroupId::MODP_3072 => &primes::MODP_3072,
            DhGroupId::MODP_4096 => &primes::MODP_4096,
            DhGroupId::MODP_6144 => &primes::MODP_6144,
            DhGroupId::MODP_8192 => &primes::MODP_8192,
            _ => return Err(CryptoError::UnsupportedGroup(id)),
        };
        let p_minus_1 = BigUint::from_bytes_be(prime) - 1u32;
        Ok(Self { id, prime, montgomery: MontgomeryModulus::new(prime), p_minus_1 })
    }

    fn len(&self) -> usize {
        self.prime.len()
    }

    fn bits(&self) -> u32 {
        8 * self.prime.len() as u32
    }

    /// base^exponent mod p, big-endian, left-padded to the modulus length (RFC 2409
    /// 5); `base` is a validated group element of the modulus length.
    fn power(&self, base: &[u8], exponent: &Secret) -> Secret {
        self.montgomery.pow(base, exponent.as_bytes())
    }

    /// The generator as a group element of the modulus length.
    fn generator_element(&self) -> Vec<u8> {
        let mut generator = vec![0; self.len()];
        generator[self.len() - 4..].copy_from_slice(&GENERATOR.to_be_bytes());
        generator
    }

    /// The peer's KE data as a group element: exactly the modulus length (RFC 2409 5)
    /// and 1 < y < p-1, so that 0, 1 and p-1, whose powers are predictable, are refused
    /// (CVE-2015-3240).
    fn validate_peer_value(&self, value: &[u8]) -> Result<(), CryptoError> {
        if value.len() != self.len() {
            return Err(CryptoError::InvalidPublicValueLength { expected: self.len(), actual: value.len() });
        }
        let y = BigUint::from_bytes_be(value);
        if y <= BigUint::from(1u32) || y >= self.p_minus_1 {
            return Err(CryptoError::PublicValueOutOfRange);
        }
        Ok(())
    }
}

/// A MODP group with its private exponent length.
#[derive(Clone)]
pub struct ModpGroup {
    modulus: Arc<Modulus>,
    private_exponent_bits: u32,
}

impl ModpGroup {
    /// One of groups 1, 2, 5, 14-18 with the default exponent length of
    /// [`default_private_exponent_bits`].
    pub fn new(id: DhGroupId) -> Result<Self, CryptoError> {
        let modulus = Arc::new(Modulus::new(id)?);
        let private_exponent_bits =
            default_private_exponent_bits(id).ok_or(CryptoError::UnsupportedGroup(id))?;
        Ok(Self { modulus, private_exponent_bits })
    }

    /// Overrides the private exponent length, kept between 2 and the modulus length
    /// less one bit (so x < p-1). Shorter than the default weakens the group: that is
    /// for tests only.
    pub fn with_private_exponent_bits(mut self, bits: u32) -> Self {
        self.private_exponent_bits = bits.clamp(2, self.modulus.bits() - 1);
        self
    }

    pub fn private_exponent_bits(&self) -> u32 {
        self.private_exponent_bits
    }

    /// The prime p, big-endian, as printed in its RFC.
    pub fn prime(&self) -> &'static [u8] {
        self.modulus.prime
    }

    /// The generator g (2 for every MODP group).
    pub fn generator(&self) -> u32 {
        GENERATOR
    }

    /// The key pair of a given private exponent (big-endian), for known answers.
    pub fn key_pair_from_private_exponent(&self, private_exponent: Secret) -> ModpKeyPair {
        let public_value =
            self.modulus.power(&self.modulus.generator_element(), &private_exponent).as_bytes().to_vec();
        ModpKeyPair { modulus: Arc::clone(&self.modulus), private_exponent, public_value }
    }

    /// A random exponent of exactly `private_exponent_bits` bits: its top bit set, as
    /// OpenSSL does, so 2^(bits-1) <= x < 2^bits < p-1.
    fn random_private_exponent(&self, rng: &mut dyn RngCore) -> Secret {
        let bits = self.private_exponent_bits as usize;
        let mut exponent = Secret::new(vec![0; bits.div_ceil(8)]);
        let bytes = exponent.as_bytes_mut();
        rng.fill_bytes(bytes);
        let top_bits = bits - 8 * (bytes.len() - 1); // 1..=8 bits used in the first byte
        bytes[0] &= u8::MAX >> (8 - top_bits);
        bytes[0] |= 1 << (top_bits - 1);
        exponent
    }
}

impl DhGroup for ModpGroup {
    fn id(&self) -> DhGroupId {
        self.modulus.id
    }

    fn public_value_len(&self) -> usize {
        self.modulus.len()
    }

    fn generate_key_pair(&self, rng: &mut dyn RngCore) -> Box<dyn DhKeyPair> {
        Box::new(self.key_pair_from_private_exponent(self.random_private_exponent(rng)))
    }
}

impl fmt::Debug for ModpGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModpGroup")
            .field("id", &self.modulus.id.0)
            .field("modulus_bits", &self.modulus.bits())
            .field("private_exponent_bits", &self.private_exponent_bits)
            .finish()
    }
}

/// A private exponent x and its public value g^x mod p.
pub struct ModpKeyPair {
    modulus: Arc<Modulus>,
    private_exponent: Secret,
    public_value: Vec<u8>,
}

impl DhKeyPair for ModpKeyPair {
    fn group(&self) -> DhGroupId {
        self.modulus.id
    }

    fn public_value(&self) -> &[u8] {
        &self.public_value
    }

    fn shared_secret(&self, peer_public_value: &[u8]) -> Result<Secret, CryptoError> {
        self.modulus.validate_peer_value(peer_public_value)?;
        Ok(self.modulus.power(peer_public_value, &self.private_exponent))
    }
}

impl fmt::Debug for ModpKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModpKeyPair")
            .field("group", &self.modulus.id.0)
            .field("private_exponent", &self.private_exponent)
            .finish_non_exhaustive()
    }
}
