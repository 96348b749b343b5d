//! The algorithms the engine can negotiate, as small enums of our own, with
//! conversions from the numbers that travel on the wire.
//!
//! Phase 1 numbers are the attribute values of RFC 2409 Appendix A (and the later
//! IANA assignments quoted in RFC 3602 5.1 and RFC 4868 4); Phase 2 numbers are the
//! ESP transform IDs and the Authentication Algorithm attribute of RFC 2407 4.4.4
//! and 4.5 (with RFC 3602 5.2, RFC 4106 8.3 and RFC 4868 4).

use super::CryptoError;

/// A hash function, used both plain (IVs, RFC 2409 Appendix B) and as HMAC, the
/// PRF of IKEv1 when no separate PRF is negotiated (RFC 2409 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    /// From the Phase 1 Hash Algorithm attribute (class 2): RFC 2409 Appendix A
    /// assigns 1 = MD5 and 2 = SHA; RFC 4868 4 quotes IANA's 4, 5, 6 = SHA2-256/384/512.
    /// Tiger (3) is not supported.
    pub fn from_ike_attribute(value: u16) -> Result<Self, CryptoError> {
        match value {
            1 => Ok(Self::Md5),
            2 => Ok(Self::Sha1),
            4 => Ok(Self::Sha256),
            5 => Ok(Self::Sha384),
            6 => Ok(Self::Sha512),
            _ => Err(CryptoError::UnsupportedHash(value)),
        }
    }

    /// The Phase 1 Hash Algorithm attribute value.
    pub const fn ike_attribute(self) -> u16 {
        match self {
            Self::Md5 => 1,
            Self::Sha1 => 2,
            Self::Sha256 => 4,
            Self::Sha384 => 5,
            Self::Sha512 => 6,
        }
    }

    /// Length of the digest (and of the HMAC output) in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

/// The three AES key sizes (FIPS 197); the Key Length attribute carries them in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AesKeySize {
    Bits128,
    Bits192,
    Bits256,
}

impl AesKeySize {
    /// From a Key Length attribute value (bits); anything but 128, 192, 256 is refused
    /// (RFC 3602 5.3, RFC 4106 8.4).
    pub const fn from_bits(bits: u16) -> Option<Self> {
        match bits {
            128 => Some(Self::Bits128),
            192 => Some(Self::Bits192),
            256 => Some(Self::Bits256),
            _ => None,
        }
    }

    pub const fn bits(self) -> u16 {
        match self {
            Self::Bits128 => 128,
            Self::Bits192 => 192,
            Self::Bits256 => 256,
        }
    }

    pub const fn key_len(self) -> usize {
        self.bits() as usize / 8
    }
}

/// A Phase 1 (ISAKMP SA) encryption algorithm. IKEv1 only uses CBC mode and does its
/// own padding (RFC 2409 Appendix B, RFC 2408 3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncryptionAlgorithm {
    TripleDesCbc,
    AesCbc(AesKeySize),
}

impl EncryptionAlgorithm {
    /// Encryption Algorithm attribute value for 3DES-CBC (RFC 2409 Appendix A).
    pub const IKE_3DES_CBC: u16 = 5;
    /// Encryption Algorithm attribute value for AES-CBC (RFC 3602 5.1).
    pub const IKE_AES_CBC: u16 = 7;

    /// From the Phase 1 Encryption Algorithm attribute (class 1) and the Key Length
    /// attribute (class 14), which "MUST NOT be used when the specified Encryption
    /// Algorithm uses a fixed length key" (RFC 2409 Appendix A) and MUST be present for
    /// AES (RFC 3602 5.3).
    pub fn from_ike_attributes(algorithm: u16, key_length: Option<u16>) -> Result<Self, CryptoError> {
        let unsupported = CryptoError::UnsupportedEncryption { algorithm, key_length };
        match (algorithm, key_length) {
            (Self::IKE_3DES_CBC, None) => Ok(Self::TripleDesCbc),
            (Self::IKE_AES_CBC, Some(bits)) => {
                AesKeySize::from_bits(bits).map(Self::AesCbc).ok_or(unsupported)
            }
            _ => Err(unsupported),
        }
    }

    /// The Encryption Algorithm and Key Length attribute values, inverse of
    /// [`Self::from_ike_attributes`].
    pub const fn ike_attributes(self) -> (u16, Option<u16>) {
        match self {
            Self::TripleDesCbc => (Self::IKE_3DES_CBC, None),
            Self::AesCbc(size) => (Self::IKE_AES_CBC, Some(size.bits())),
        }
    }

    /// Key length in bytes (3DES: three 64-bit DES keys with parity bits, RFC 2451 2.2).
    pub const fn key_len(self) -> usize {
        match self {
            Self::TripleDesCbc => 24,
            Self::AesCbc(size) => size.key_len(),
        }
    }

    /// Cipher block length in bytes, which is also the IV length.
    pub const fn block_len(self) -> usize {
        match self {
            Self::TripleDesCbc => 8,
            Self::AesCbc(_) => 16,
        }
    }
}

/// A Diffie-Hellman group, by its Group Description number (RFC 2409 Appendix A,
/// RFC 3526). An open newtype: unknown numbers survive and a provider refuses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DhGroupId(pub u16);

impl DhGroupId {
    /// 768-bit MODP, RFC 2409 6.1.
    pub const MODP_768: Self = Self(1);
    /// 1024-bit MODP, RFC 2409 6.2.
    pub const MODP_1024: Self = Self(2);
    /// 1536-bit MODP, RFC 3526 2.
    pub const MODP_1536: Self = Self(5);
    /// 2048-bit MODP, RFC 3526 3.
    pub const MODP_2048: Self = Self(14);
    /// 3072-bit MODP, RFC 3526 4.
    pub const MODP_3072: Self = Self(15);
    /// 4096-bit MODP, RFC 3526 5.
    pub const MODP_4096: Self = Self(16);
    /// 6144-bit MODP, RFC 3526 6.
    pub const MODP_6144: Self = Self(17);
    /// 8192-bit MODP, RFC 3526 7.
    pub const MODP_8192: Self = Self(18);

    /// Every MODP group this crate implements, in ascending size.
    pub const MODP_GROUPS: [Self; 8] = [
        Self::MODP_768,
        Self::MODP_1024,
        Self::MODP_1536,
        Self::MODP_2048,
        Self::MODP_3072,
        Self::MODP_4096,
        Self::MODP_6144,
        Self::MODP_8192,
    ];
}

impl DhGroupId {
    /// Modulus length in bits of the MODP groups (RFC 2409 6, RFC 3526), `None` for
    /// any other group.
    pub const fn modulus_bits(self) -> Option<u32> {
        match self.0 {
            1 => Some(768),
            2 => Some(1024),
            5 => Some(1536),
            14 => Some(2048),
            15 => Some(3072),
            16 => Some(4096),
            17 => Some(6144),
            18 => Some(8192),
            _ => None,
        }
    }
}

impl From<u16> for DhGroupId {
    fn from(value: u16) -> Self {
        Self(value)
    }
}

/// An ESP encryption transform (RFC 2407 4.4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EspEncryption {
    TripleDesCbc,
    AesCbc(AesKeySize),
    /// AES-GCM with an 8-byte explicit IV and a 16-byte ICV (RFC 4106).
    AesGcm16(AesKeySize),
}

impl EspEncryption {
    /// ESP transform ID ESP_3DES (RFC 2407 4.4.4).
    pub const ESP_3DES: u8 = 3;
    /// ESP transform ID ESP_AES, i.e. AES-CBC (RFC 3602 5.2).
    pub const ESP_AES_CBC: u8 = 12;
    /// ESP transform ID for AES-GCM with a 16-octet ICV (RFC 4106 8.3).
    pub const ESP_AES_GCM_16: u8 = 20;

    /// From the ESP transform ID and the Phase 2 Key Length attribute, which is
    /// mandatory for AES (RFC 3602 5.3, RFC 4106 8.4) and absent for fixed-length
    /// 3DES (RFC 2407 4.5: "only used for variable-length keys").
    pub fn from_transform(transform_id: u8, key_length: Option<u16>) -> Result<Self, CryptoError> {
        let unsupported = CryptoError::UnsupportedEspTransform { transform_id, key_length };
        let aes_size = || key_length.and_then(AesKeySize::from_bits).ok_or(unsupported.clone());
        match (transform_id, key_length) {
            (Self::ESP_3DES, None) => Ok(Self::TripleDesCbc),
            (Self::ESP_AES_CBC, _) => aes_size().map(Self::AesCbc),
            (Self::ESP_AES_GCM_16, _) => aes_size().map(Self::AesGcm16),
            _ => Err(unsupported),
        }
    }

    /// The transform ID and Key Length attribute, inverse of [`Self::from_transform`].
    pub const fn transform(self) -> (u8, Option<u16>) {
        match self {
            Self::TripleDesCbc => (Self::ESP_3DES, None),
            Self::AesCbc(size) => (Self::ESP_AES_CBC, Some(size.bits())),
            Self::AesGcm16(size) => (Self::ESP_AES_GCM_16, Some(size.bits())),
        }
    }

    /// Bytes of KEYMAT this transform takes: the cipher key, plus the 4-byte salt for
    /// AES-GCM (RFC 4106 8.1).
    pub const fn keymat_len(self) -> usize {
        match self {
            Self::TripleDesCbc => 24,
            Self::AesCbc(size) => size.key_len(),
            Self::AesGcm16(size) => size.key_len() + 4,
        }
    }

    /// Whether this is a combined-mode (AEAD) transform, which takes no separate
    /// integrity algorithm: its ICV is the GCM tag (RFC 4106 6).
    pub const fn is_aead(self) -> bool {
        matches!(self, Self::AesGcm16(_))
    }
}

/// An ESP integrity algorithm, by the Phase 2 Authentication Algorithm attribute
/// (RFC 2407 4.5), each an HMAC truncated to the ICV length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EspIntegrity {
    /// HMAC-MD5-96 (RFC 2403).
    HmacMd5_96,
    /// HMAC-SHA-1-96 (RFC 2404).
    HmacSha1_96,
    /// HMAC-SHA-256-128 (RFC 4868 2).
    HmacSha256_128,
    /// HMAC-SHA-384-192 (RFC 4868 2).
    HmacSha384_192,
    /// HMAC-SHA-512-256 (RFC 4868 2).
    HmacSha512_256,
}

impl EspIntegrity {
    /// From the Authentication Algorithm attribute: 1 HMAC-MD5, 2 HMAC-SHA (RFC 2407
    /// 4.5), 5, 6, 7 HMAC-SHA2-256/384/512 (RFC 4868 4).
    pub fn from_auth_algorithm(value: u16) -> Result<Self, CryptoError> {
        match value {
            1 => Ok(Self::HmacMd5_96),
            2 => Ok(Self::HmacSha1_96),
            5 => Ok(Self::HmacSha256_128),
            6 => Ok(Self::HmacSha384_192),
            7 => Ok(Self::HmacSha512_256),
            _ => Err(CryptoError::UnsupportedEspIntegrity(value)),
        }
    }

    /// The Authentication Algorithm attribute value.
    pub const fn auth_algorithm(self) -> u16 {
        match self {
            Self::HmacMd5_96 => 1,
            Self::HmacSha1_96 => 2,
            Self::HmacSha256_128 => 5,
            Self::HmacSha384_192 => 6,
            Self::HmacSha512_256 => 7,
        }
    }

    /// The hash under the HMAC.
    pub const fn hash(self) -> HashAlgorithm {
        match self {
            Self::HmacMd5_96 => HashAlgorithm::Md5,
            Self::HmacSha1_96 => HashAlgorithm::Sha1,
            Self::HmacSha256_128 => HashAlgorithm::Sha256,
            Self::HmacSha384_192 => HashAlgorithm::Sha384,
            Self::HmacSha512_256 => HashAlgorithm::Sha512,
        }
    }

    /// Key length: the hash output length (RFC 2403 3, RFC 2404 3, RFC 4868 2.1.1).
    pub const fn key_len(self) -> usize {
        self.hash().output_len()
    }

    /// ICV length: 96 bits for MD5 and SHA-1, half the output for SHA-2 (RFC 4868 2.3).
    pub const fn icv_len(self) -> usize {
        match self {
            Self::HmacMd5_96 | Self::HmacSha1_96 => 12,
            Self::HmacSha256_128 | Self::HmacSha384_192 | Self::HmacSha512_256 => {
                self.hash().output_len() / 2
            }
        }
    }
}

/// A complete ESP protection suite: a CBC cipher with an integrity algorithm, or an
/// AEAD on its own. Confidentiality-only ESP is not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EspSuite {
    encryption: EspEncryption,
    integrity: Option<EspIntegrity>,
}

impl EspSuite {
    /// Pairs an encryption transform with its integrity algorithm: an AEAD takes none,
    /// a CBC cipher needs one.
    pub fn new(encryption: EspEncryption, integrity: Option<EspIntegrity>) -> Result<Self, CryptoError> {
        if encryption.is_aead() != integrity.is_none() {
            return Err(CryptoError::UnsupportedEspSuite { encryption, integrity });
        }
        Ok(Self { encryption, integrity })
    }

    pub const fn encryption(self) -> EspEncryption {
        self.encryption
    }

    pub const fn integrity(self) -> Option<EspIntegrity> {
        self.integrity
    }

    /// Bytes of KEYMAT taken by the integrity key (0 for an AEAD).
    pub const fn integrity_key_len(self) -> usize {
        match self.integrity {
            Some(integrity) => integrity.key_len(),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ike_attributes_round_trip() {
        for algorithm in [
            EncryptionAlgorithm::TripleDesCbc,
            EncryptionAlgorithm::AesCbc(AesKeySize::Bits128),
            EncryptionAlgorithm::AesCbc(AesKeySize::Bits192),
            EncryptionAlgorithm::AesCbc(AesKeySize::Bits256),
        ] {
            let (id, key_length) = algorithm.ike_attributes();
            assert_eq!(EncryptionAlgorithm::from_ike_attributes(id, key_length), Ok(algorithm));
        }
        for value in [1, 2, 4, 5, 6] {
            assert_eq!(HashAlgorithm::from_ike_attribute(value).map(HashAlgorithm::ike_attribute), Ok(value));
        }
    }

    #[test]
    fn key_length_attribute_rules() {
        // AES without a Key Length, with an odd one, 3DES with one, DES, Tiger: refused.
        assert!(EncryptionAlgorithm::from_ike_attributes(7, None).is_err());
        assert!(EncryptionAlgorithm::from_ike_attributes(7, Some(160)).is_err());
        assert!(EncryptionAlgorithm::from_ike_attributes(5, Some(192)).is_err());
        assert!(EncryptionAlgorithm::from_ike_attributes(1, None).is_err());
        assert_eq!(HashAlgorithm::from_ike_attribute(3), Err(CryptoError::UnsupportedHash(3)));
        assert!(EspEncryption::from_transform(12, None).is_err());
        assert!(EspEncryption::from_transform(20, Some(64)).is_err());
        assert!(EspEncryption::from_transform(3, Some(192)).is_err());
        assert!(EspEncryption::from_transform(18, Some(128)).is_err());
    }

    #[test]
    fn esp_numbers_round_trip() {
        for encryption in [
            EspEncryption::TripleDesCbc,
            EspEncryption::AesCbc(AesKeySize::Bits256),
            EspEncryption::AesGcm16(AesKeySize::Bits192),
        ] {
            let (id, key_length) = encryption.transform();
            assert_eq!(EspEncryption::from_transform(id, key_length), Ok(encryption));
        }
        for value in [1, 2, 5, 6, 7] {
            assert_eq!(EspIntegrity::from_auth_algorithm(value).map(EspIntegrity::auth_algorithm), Ok(value));
        }
        assert_eq!(EspIntegrity::from_auth_algorithm(3), Err(CryptoError::UnsupportedEspIntegrity(3)));
    }

    #[test]
    fn esp_key_and_icv_lengths() {
        // RFC 4868 2.3 and 2.1.1; RFC 2404 2; RFC 4106 8.1.
        let lengths = [
            (EspIntegrity::HmacMd5_96, 16, 12),
            (EspIntegrity::HmacSha1_96, 20, 12),
            (EspIntegrity::HmacSha256_128, 32, 16),
            (EspIntegrity::HmacSha384_192, 48, 24),
            (EspIntegrity::HmacSha512_256, 64, 32),
        ];
        for (integrity, key_len, icv_len) in lengths {
            assert_eq!((integrity.key_len(), integrity.icv_len()), (key_len, icv_len), "{integrity:?}");
        }
        assert_eq!(EspEncryption::AesGcm16(AesKeySize::Bits128).keymat_len(), 20);
        assert_eq!(EspEncryption::AesGcm16(AesKeySize::Bits256).keymat_len(), 36);
    }

    #[test]
    fn suites_pair_ciphers_with_integrity() {
        let gcm = EspEncryption::AesGcm16(AesKeySize::Bits128);
        let cbc = EspEncryption::AesCbc(AesKeySize::Bits128);
        assert!(EspSuite::new(gcm, None).is_ok());
        assert!(EspSuite::new(gcm, Some(EspIntegrity::HmacSha1_96)).is_err());
        assert!(EspSuite::new(cbc, None).is_err());
        assert_eq!(
            EspSuite::new(cbc, Some(EspIntegrity::HmacSha1_96)).map(EspSuite::integrity_key_len),
            Ok(20)
        );
    }
}
