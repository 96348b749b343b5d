//! ESP packet protection (RFC 4303) for the data plane: CBC ciphers with a
//! truncated HMAC, and AES-GCM. Each transform is keyed once per SA; sealing and
//! opening a packet work in place and allocate nothing.

mod cbc_hmac;
mod gcm;
mod integrity;
pub(crate) mod layout;

use super::{AesKeySize, CryptoError, EspEncryption, EspIntegrity, EspSuite, EspTransform};
use cbc_hmac::CbcHmac;
use gcm::Gcm;

/// A keyed transform for `suite` (see [`EspTransform`] for the packet layout).
pub(crate) fn esp_transform(
    suite: EspSuite,
    encryption_key: &[u8],
    integrity_key: &[u8],
) -> Result<Box<dyn EspTransform>, CryptoError> {
    use AesKeySize::{Bits128, Bits192, Bits256};
    let cbc = |integrity| CbcKeys { suite, integrity, encryption_key, integrity_key };
    match (suite.encryption(), suite.integrity()) {
        (EspEncryption::TripleDesCbc, Some(integrity)) => cbc(integrity).build::<des::TdesEde3>(),
        (EspEncryption::AesCbc(Bits128), Some(integrity)) => cbc(integrity).build::<aes::Aes128>(),
        (EspEncryption::AesCbc(Bits192), Some(integrity)) => cbc(integrity).build::<aes::Aes192>(),
        (EspEncryption::AesCbc(Bits256), Some(integrity)) => cbc(integrity).build::<aes::Aes256>(),
        (EspEncryption::AesGcm16(size), None) => {
            expect_no_integrity_key(integrity_key)?;
            Ok(match size {
                Bits128 => Box::new(Gcm::<aes::Aes128>::new(suite, encryption_key)?),
                Bits192 => Box::new(Gcm::<aes::Aes192>::new(suite, encryption_key)?),
                Bits256 => Box::new(Gcm::<aes::Aes256>::new(suite, encryption_key)?),
            })
        }
        // EspSuite::new admits no other pairing.
        (encryption, integrity) => Err(CryptoError::UnsupportedEspSuite { encryption, integrity }),
    }
}

fn expect_no_integrity_key(integrity_key: &[u8]) -> Result<(), CryptoError> {
    match integrity_key.len() {
        0 => Ok(()),
        actual => Err(CryptoError::InvalidKeyLength { expected: 0, actual }),
    }
}

/// The keys of a CBC + HMAC suite, waiting for the cipher type.
struct CbcKeys<'a> {
    suite: EspSuite,
    integrity: EspIntegrity,
    encryption_key: &'a [u8],
    integrity_key: &'a [u8],
}

impl CbcKeys<'_> {
    /// Picks the HMAC's hash to go with cipher `C`.
    fn build<C>(self) -> Result<Box<dyn EspTransform>, CryptoError>
    where
        C: aes::cipher::BlockCipherEncrypt
            + aes::cipher::BlockCipherDecrypt
            + aes::cipher::KeyInit
            + Send
            + Sync
            + 'static,
    {
        let Self { suite, integrity, encryption_key, integrity_key } = self;
        Ok(match integrity {
            EspIntegrity::HmacMd5_96 => {
                Box::new(CbcHmac::<C, md5::Md5>::new(suite, encryption_key, integrity_key)?)
            }
            EspIntegrity::HmacSha1_96 => {
                Box::new(CbcHmac::<C, sha1::Sha1>::new(suite, encryption_key, integrity_key)?)
            }
            EspIntegrity::HmacSha256_128 => {
                Box::new(CbcHmac::<C, sha2::Sha256>::new(suite, encryption_key, integrity_key)?)
            }
            EspIntegrity::HmacSha384_192 => {
                Box::new(CbcHmac::<C, sha2::Sha384>::new(suite, encryption_key, integrity_key)?)
            }
            EspIntegrity::HmacSha512_256 => {
                Box::new(CbcHmac::<C, sha2::Sha512>::new(suite, encryption_key, integrity_key)?)
            }
        })
    }
}
