//! The real provider: RustCrypto primitives, and MODP groups on our own Montgomery
//! exponentiation (num-bigint for the public set-up and range checks).

use super::{
    CryptoError, CryptoProvider, DhGroup, DhGroupId, EncryptionAlgorithm, EspSuite, EspTransform,
    HashAlgorithm, HashFunction, IkeCipher, cbc, dh::ModpGroup, esp, hash,
};

/// Real cryptography. Holds the eight MODP groups, parsed once.
#[derive(Debug, Clone)]
pub struct RustCryptoProvider {
    groups: Vec<ModpGroup>,
}

impl RustCryptoProvider {
    /// Groups 1, 2, 5, 14-18 with their default private exponent lengths.
    pub fn new() -> Self {
        let groups = DhGroupId::MODP_GROUPS
            .iter()
            .map(|&id| ModpGroup::new(id).expect("every id in MODP_GROUPS has a prime"))
            .collect();
        Self { groups }
    }

    /// Every group with the same private exponent length (see
    /// [`ModpGroup::with_private_exponent_bits`]).
    pub fn with_private_exponent_bits(self, bits: u32) -> Self {
        let groups = self.groups.into_iter().map(|group| group.with_private_exponent_bits(bits)).collect();
        Self { groups }
    }

    /// The concrete group, for callers that need its prime or exponent length.
    pub fn modp_group(&self, id: DhGroupId) -> Result<&ModpGroup, CryptoError> {
        self.groups.iter().find(|group| group.id() == id).ok_or(CryptoError::UnsupportedGroup(id))
    }
}

impl Default for RustCryptoProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl CryptoProvider for RustCryptoProvider {
    fn hash(&self, algorithm: HashAlgorithm) -> &dyn HashFunction {
        hash::hash_function(algorithm)
    }

    fn dh_group(&self, group: DhGroupId) -> Result<&dyn DhGroup, CryptoError> {
        Ok(self.modp_group(group)?)
    }

    fn ike_cipher(
        &self,
        algorithm: EncryptionAlgorithm,
        key: &[u8],
    ) -> Result<Box<dyn IkeCipher>, CryptoError> {
        cbc::ike_cipher(algorithm, key)
    }

    fn esp_transform(
        &self,
        suite: EspSuite,
        encryption_key: &[u8],
        integrity_key: &[u8],
    ) -> Result<Box<dyn EspTransform>, CryptoError> {
        esp::esp_transform(suite, encryption_key, integrity_key)
    }
}
