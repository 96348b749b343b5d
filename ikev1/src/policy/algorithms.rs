//! Algorithm names as operators write them (strongSwan-style tokens), mapped
//! to the crypto module's types and to the numbers on the wire.

use serde::{Deserialize, Serialize};

use crate::crypto::{AesKeySize, DhGroupId, EncryptionAlgorithm, EspEncryption, EspIntegrity, HashAlgorithm};

/// Phase 1 ciphers (RFC 2409 Appendix A, RFC 3602).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IkeCipher {
    Aes128,
    Aes192,
    Aes256,
    #[serde(rename = "3des")]
    TripleDes,
}

impl IkeCipher {
    pub const ALL: [Self; 4] = [Self::Aes128, Self::Aes192, Self::Aes256, Self::TripleDes];

    pub fn algorithm(self) -> EncryptionAlgorithm {
        match self {
            Self::Aes128 => EncryptionAlgorithm::AesCbc(AesKeySize::Bits128),
            Self::Aes192 => EncryptionAlgorithm::AesCbc(AesKeySize::Bits192),
            Self::Aes256 => EncryptionAlgorithm::AesCbc(AesKeySize::Bits256),
            Self::TripleDes => EncryptionAlgorithm::TripleDesCbc,
        }
    }

    pub fn from_algorithm(algorithm: EncryptionAlgorithm) -> Self {
        match algorithm {
            EncryptionAlgorithm::AesCbc(AesKeySize::Bits128) => Self::Aes128,
            EncryptionAlgorithm::AesCbc(AesKeySize::Bits192) => Self::Aes192,
            EncryptionAlgorithm::AesCbc(AesKeySize::Bits256) => Self::Aes256,
            EncryptionAlgorithm::TripleDesCbc => Self::TripleDes,
        }
    }

    pub fn token(self) -> &'static str {
        match self {
            Self::Aes128 => "aes128",
            Self::Aes192 => "aes192",
            Self::Aes256 => "aes256",
            Self::TripleDes => "3des",
        }
    }
}

/// Hash / PRF algorithms (RFC 2409 Appendix A, RFC 4868).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IkeHash {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl IkeHash {
    pub const ALL: [Self; 5] = [Self::Md5, Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512];

    pub fn algorithm(self) -> HashAlgorithm {
        match self {
            Self::Md5 => HashAlgorithm::Md5,
            Self::Sha1 => HashAlgorithm::Sha1,
            Self::Sha256 => HashAlgorithm::Sha256,
            Self::Sha384 => HashAlgorithm::Sha384,
            Self::Sha512 => HashAlgorithm::Sha512,
        }
    }

    pub fn from_algorithm(algorithm: HashAlgorithm) -> Self {
        match algorithm {
            HashAlgorithm::Md5 => Self::Md5,
            HashAlgorithm::Sha1 => Self::Sha1,
            HashAlgorithm::Sha256 => Self::Sha256,
            HashAlgorithm::Sha384 => Self::Sha384,
            HashAlgorithm::Sha512 => Self::Sha512,
        }
    }

    pub fn token(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }
}

/// MODP Diffie-Hellman groups (RFC 2409 6, RFC 3526).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DhGroup {
    Modp768,
    Modp1024,
    Modp1536,
    Modp2048,
    Modp3072,
    Modp4096,
    Modp6144,
    Modp8192,
}

impl DhGroup {
    pub const ALL: [Self; 8] = [
        Self::Modp768,
        Self::Modp1024,
        Self::Modp1536,
        Self::Modp2048,
        Self::Modp3072,
        Self::Modp4096,
        Self::Modp6144,
        Self::Modp8192,
    ];

    /// The Group Description number (IOS `group 14`).
    pub fn number(self) -> u16 {
        match self {
            Self::Modp768 => 1,
            Self::Modp1024 => 2,
            Self::Modp1536 => 5,
            Self::Modp2048 => 14,
            Self::Modp3072 => 15,
            Self::Modp4096 => 16,
            Self::Modp6144 => 17,
            Self::Modp8192 => 18,
        }
    }

    pub fn from_number(number: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|group| group.number() == number)
    }

    pub fn id(self) -> DhGroupId {
        DhGroupId(self.number())
    }

    pub fn token(self) -> &'static str {
        match self {
            Self::Modp768 => "modp768",
            Self::Modp1024 => "modp1024",
            Self::Modp1536 => "modp1536",
            Self::Modp2048 => "modp2048",
            Self::Modp3072 => "modp3072",
            Self::Modp4096 => "modp4096",
            Self::Modp6144 => "modp6144",
            Self::Modp8192 => "modp8192",
        }
    }
}

/// ESP ciphers (RFC 2407 4.4.4, RFC 3602, RFC 4106).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EspCipher {
    Aes128,
    Aes192,
    Aes256,
    #[serde(rename = "3des")]
    TripleDes,
    Aes128gcm16,
    Aes192gcm16,
    Aes256gcm16,
}

impl EspCipher {
    pub const ALL: [Self; 7] = [
        Self::Aes128,
        Self::Aes192,
        Self::Aes256,
        Self::TripleDes,
        Self::Aes128gcm16,
        Self::Aes192gcm16,
        Self::Aes256gcm16,
    ];

    pub fn encryption(self) -> EspEncryption {
        match self {
            Self::Aes128 => EspEncryption::AesCbc(AesKeySize::Bits128),
            Self::Aes192 => EspEncryption::AesCbc(AesKeySize::Bits192),
            Self::Aes256 => EspEncryption::AesCbc(AesKeySize::Bits256),
            Self::TripleDes => EspEncryption::TripleDesCbc,
            Self::Aes128gcm16 => EspEncryption::AesGcm16(AesKeySize::Bits128),
            Self::Aes192gcm16 => EspEncryption::AesGcm16(AesKeySize::Bits192),
            Self::Aes256gcm16 => EspEncryption::AesGcm16(AesKeySize::Bits256),
        }
    }

    pub fn from_encryption(encryption: EspEncryption) -> Self {
        Self::ALL.into_iter().find(|cipher| cipher.encryption() == encryption).unwrap_or(Self::Aes128)
    }

    pub fn is_aead(self) -> bool {
        self.encryption().is_aead()
    }

    pub fn token(self) -> &'static str {
        match self {
            Self::Aes128 => "aes128",
            Self::Aes192 => "aes192",
            Self::Aes256 => "aes256",
            Self::TripleDes => "3des",
            Self::Aes128gcm16 => "aes128gcm16",
            Self::Aes192gcm16 => "aes192gcm16",
            Self::Aes256gcm16 => "aes256gcm16",
        }
    }
}

/// ESP integrity: HMACs truncated per RFC 2404 / RFC 4868.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EspIntegrityAlgorithm {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl EspIntegrityAlgorithm {
    pub const ALL: [Self; 5] = [Self::Md5, Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512];

    pub fn integrity(self) -> EspIntegrity {
        match self {
            Self::Md5 => EspIntegrity::HmacMd5_96,
            Self::Sha1 => EspIntegrity::HmacSha1_96,
            Self::Sha256 => EspIntegrity::HmacSha256_128,
            Self::Sha384 => EspIntegrity::HmacSha384_192,
            Self::Sha512 => EspIntegrity::HmacSha512_256,
        }
    }

    pub fn from_integrity(integrity: EspIntegrity) -> Self {
        Self::ALL.into_iter().find(|algorithm| algorithm.integrity() == integrity).unwrap_or(Self::Sha1)
    }

    pub fn token(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }
}
