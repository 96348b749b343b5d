//! A provider that does no cryptography, for fuzzing only (compiled under
//! `cfg(fuzzing)`, which cargo-fuzz sets, or with the `fuzz` feature, which
//! the tests replaying the fuzz corpora enable). With it a fuzzer reaches the states
//! behind encryption and authentication without breaking anything: DH is a
//! copy of random bytes, ciphers are the identity, every PRF, hash and ICV is
//! all zeros. Lengths are still checked as the real provider checks them, so the
//! engine's error paths stay the same.

use super::{
    CryptoError, CryptoProvider, DhGroup, DhGroupId, DhKeyPair, EncryptionAlgorithm, EspSuite, EspTransform,
    HashAlgorithm, HashFunction, IkeCipher, Iv, Secret, esp::layout::EspSections,
};
use rand_core::RngCore;

/// The do-nothing provider. Never use it outside fuzzing and its replays.
#[derive(Debug, Default)]
pub struct NullProvider {
    groups: Vec<NullGroup>,
}

impl NullProvider {
    pub fn new() -> Self {
        let groups = DhGroupId::MODP_GROUPS.iter().map(|&id| NullGroup { id }).collect();
        Self { groups }
    }
}

impl CryptoProvider for NullProvider {
    fn hash(&self, algorithm: HashAlgorithm) -> &dyn HashFunction {
        match algorithm {
            HashAlgorithm::Md5 => &NullHash(HashAlgorithm::Md5),
            HashAlgorithm::Sha1 => &NullHash(HashAlgorithm::Sha1),
            HashAlgorithm::Sha256 => &NullHash(HashAlgorithm::Sha256),
            HashAlgorithm::Sha384 => &NullHash(HashAlgorithm::Sha384),
            HashAlgorithm::Sha512 => &NullHash(HashAlgorithm::Sha512),
        }
    }

    fn dh_group(&self, group: DhGroupId) -> Result<&dyn DhGroup, CryptoError> {
        let found = self.groups.iter().find(|candidate| candidate.id == group);
        Ok(found.ok_or(CryptoError::UnsupportedGroup(group))?)
    }

    fn ike_cipher(
        &self,
        algorithm: EncryptionAlgorithm,
        key: &[u8],
    ) -> Result<Box<dyn IkeCipher>, CryptoError> {
        check_key_len(algorithm.key_len(), key)?;
        Ok(Box::new(NullCipher(algorithm)))
    }

    fn esp_transform(
        &self,
        suite: EspSuite,
        encryption_key: &[u8],
        integrity_key: &[u8],
    ) -> Result<Box<dyn EspTransform>, CryptoError> {
        check_key_len(suite.encryption().keymat_len(), encryption_key)?;
        check_key_len(suite.integrity_key_len(), integrity_key)?;
        Ok(Box::new(NullEsp(suite)))
    }
}

fn check_key_len(expected: usize, key: &[u8]) -> Result<(), CryptoError> {
    match key.len() == expected {
        true => Ok(()),
        false => Err(CryptoError::InvalidKeyLength { expected, actual: key.len() }),
    }
}

/// Hash and PRF outputs of the right length, all zeros.
struct NullHash(HashAlgorithm);

impl HashFunction for NullHash {
    fn algorithm(&self) -> HashAlgorithm {
        self.0
    }

    fn hash(&self, _parts: &[&[u8]]) -> Vec<u8> {
        vec![0; self.0.output_len()]
    }

    fn prf(&self, _key: &[u8], _parts: &[&[u8]]) -> Secret {
        Secret::new(vec![0; self.0.output_len()])
    }
}

/// A group whose public values are random bytes and whose shared secret is zeros.
#[derive(Debug)]
struct NullGroup {
    id: DhGroupId,
}

impl NullGroup {
    fn len(&self) -> usize {
        self.id.modulus_bits().map_or(0, |bits| bits as usize / 8)
    }
}

impl DhGroup for NullGroup {
    fn id(&self) -> DhGroupId {
        self.id
    }

    fn public_value_len(&self) -> usize {
        self.len()
    }

    fn generate_key_pair(&self, rng: &mut dyn RngCore) -> Box<dyn DhKeyPair> {
        let mut public_value = vec![0; self.len()];
        rng.fill_bytes(&mut public_value);
        Box::new(NullKeyPair { id: self.id, public_value })
    }
}

#[derive(Debug)]
struct NullKeyPair {
    id: DhGroupId,
    public_value: Vec<u8>,
}

impl DhKeyPair for NullKeyPair {
    fn group(&self) -> DhGroupId {
        self.id
    }

    fn public_value(&self) -> &[u8] {
        &self.public_value
    }

    fn shared_secret(&self, peer_public_value: &[u8]) -> Result<Secret, CryptoError> {
        let expected = self.public_value.len();
        if peer_public_value.len() != expected {
            return Err(CryptoError::InvalidPublicValueLength { expected, actual: peer_public_value.len() });
        }
        Ok(Secret::new(vec![0; expected]))
    }
}

/// The identity "cipher", with CBC's length rules and IV chaining.
struct NullCipher(EncryptionAlgorithm);

impl NullCipher {
    fn next_iv(&self, iv: &Iv, data: &[u8]) -> Result<Iv, CryptoError> {
        let block_len = self.0.block_len();
        if iv.len() != block_len {
            return Err(CryptoError::InvalidIvLength { expected: block_len, actual: iv.len() });
        }
        if data.is_empty() || !data.len().is_multiple_of(block_len) {
            return Err(CryptoError::NotBlockAligned { len: data.len(), block_len });
        }
        Iv::from_slice(&data[data.len() - block_len..])
    }
}

impl IkeCipher for NullCipher {
    fn algorithm(&self) -> EncryptionAlgorithm {
        self.0
    }

    fn encrypt(&self, iv: &Iv, data: &mut [u8]) -> Result<Iv, CryptoError> {
        self.next_iv(iv, data)
    }

    fn decrypt(&self, iv: &Iv, data: &mut [u8]) -> Result<Iv, CryptoError> {
        self.next_iv(iv, data)
    }
}

/// ESP with the real layout and lengths, an identity cipher and a zero ICV.
struct NullEsp(EspSuite);

impl NullEsp {
    fn sections<'a>(&self, packet: &'a mut [u8]) -> Result<EspSections<'a>, CryptoError> {
        EspSections::split(packet, self.iv_len(), self.icv_len(), self.payload_alignment())
    }
}

impl EspTransform for NullEsp {
    fn suite(&self) -> EspSuite {
        self.0
    }

    fn iv_len(&self) -> usize {
        match self.0.encryption() {
            super::EspEncryption::TripleDesCbc => 8,
            super::EspEncryption::AesCbc(_) => 16,
            super::EspEncryption::AesGcm16(_) => 8,
        }
    }

    fn icv_len(&self) -> usize {
        self.0.integrity().map_or(16, |integrity| integrity.icv_len())
    }

    fn payload_alignment(&self) -> usize {
        match self.0.encryption() {
            super::EspEncryption::AesGcm16(_) => 4,
            _ => self.iv_len(),
        }
    }

    fn seal(&self, packet: &mut [u8], _esn_high: Option<u32>) -> Result<(), CryptoError> {
        self.sections(packet)?.icv.fill(0);
        Ok(())
    }

    fn open(&self, packet: &mut [u8], _esn_high: Option<u32>) -> Result<(), CryptoError> {
        match self.sections(packet)?.icv.iter().all(|&byte| byte == 0) {
            true => Ok(()),
            false => Err(CryptoError::IntegrityCheckFailed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{AesKeySize, EspEncryption};

    struct CountingRng(u8);

    impl RngCore for CountingRng {
        fn next_u32(&mut self) -> u32 {
            rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            dst.iter_mut().for_each(|byte| {
                self.0 = self.0.wrapping_add(1);
                *byte = self.0;
            });
        }
    }

    #[test]
    fn everything_is_cheap_constant_and_length_checked() {
        let provider = NullProvider::new();
        let prf = provider.hash(HashAlgorithm::Sha256);
        assert_eq!(prf.prf(b"key", &[b"data"]).as_bytes(), &[0; 32]);

        let group = provider.dh_group(DhGroupId::MODP_2048).expect("group 14");
        let pair = group.generate_key_pair(&mut CountingRng(0));
        assert_eq!((pair.public_value().len(), pair.public_value()[0]), (256, 1));
        assert_eq!(pair.shared_secret(&[7; 256]).expect("right length").as_bytes(), &[0; 256][..]);
        assert!(pair.shared_secret(&[7; 255]).is_err());
        assert!(provider.dh_group(DhGroupId(19)).is_err());

        let cipher =
            provider.ike_cipher(EncryptionAlgorithm::AesCbc(AesKeySize::Bits128), &[0; 16]).expect("key");
        let mut data: Vec<u8> = (0..32).collect();
        let next = cipher.encrypt(&Iv::from_slice(&[0; 16]).expect("block"), &mut data).expect("aligned");
        assert_eq!((data[31], next.as_bytes()), (31, &(16..32).collect::<Vec<u8>>()[..]));

        let suite = EspSuite::new(EspEncryption::AesGcm16(AesKeySize::Bits128), None).expect("suite");
        let esp = provider.esp_transform(suite, &[0; 20], &[]).expect("keys");
        let mut packet = vec![0xee; 8 + 8 + 4 + 16];
        esp.seal(&mut packet, None).expect("layout");
        assert_eq!(&packet[20..], &[0; 16]);
        esp.open(&mut packet, None).expect("zero ICV");
        packet[35] = 1;
        assert_eq!(esp.open(&mut packet, None), Err(CryptoError::IntegrityCheckFailed));
    }
}
