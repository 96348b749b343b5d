//! A key file names its algorithms the way strongSwan logs them (`AES_CBC` with
//! `key_length_bits`, `HMAC_SHA2_256_128`, `PRF_HMAC_SHA2_256`; see
//! vectors/real/README.md). This turns those names into the engine's types,
//! case-insensitively, and says which name it does not know.

use std::fmt;

use ikev1::crypto::{CryptoError, EncryptionAlgorithm, EspEncryption, EspIntegrity, EspSuite, HashAlgorithm};
use vectors::keys::Algorithms;

/// What an ISAKMP SA needs besides its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase1Suite {
    pub cipher: EncryptionAlgorithm,
    /// The negotiated hash: plain for the IVs (RFC 2409 Appendix B).
    pub hash: HashAlgorithm,
    /// HMAC of the negotiated hash unless a PRF was negotiated (RFC 2409 5).
    pub prf: HashAlgorithm,
}

/// A name in a key file that maps to no algorithm the engine implements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownAlgorithm {
    pub field: &'static str,
    pub name: String,
    pub detail: Option<CryptoError>,
}

impl fmt::Display for UnknownAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key file {} {:?} is not an algorithm ikelab implements", self.field, self.name)?;
        match &self.detail {
            Some(detail) => write!(f, " ({detail})"),
            None => Ok(()),
        }
    }
}

/// The Phase 1 suite of a key file's `algorithms`.
pub fn phase1_suite(algorithms: &Algorithms) -> Result<Phase1Suite, UnknownAlgorithm> {
    if let Some(method) = &algorithms.auth_method
        && !method.eq_ignore_ascii_case("PSK")
    {
        // SKEYID depends on the method (RFC 2409 5); a key file carries only PSKs.
        return Err(UnknownAlgorithm { field: "auth_method", name: method.clone(), detail: None });
    }
    let key_length = algorithms.key_length_bits.map(|bits| u16::try_from(bits).unwrap_or(u16::MAX));
    let cipher = phase1_cipher(&algorithms.encryption, key_length)?;
    let hash = hmac_hash("integrity_hash", &algorithms.integrity_hash)?;
    let prf = prf_hash(&algorithms.prf)?;
    Ok(Phase1Suite { cipher, hash, prf })
}

fn phase1_cipher(name: &str, key_length: Option<u16>) -> Result<EncryptionAlgorithm, UnknownAlgorithm> {
    let unknown = |detail| UnknownAlgorithm { field: "encryption", name: name.to_owned(), detail };
    let (algorithm, key_length) = match name.to_ascii_uppercase().as_str() {
        "AES_CBC" => (EncryptionAlgorithm::IKE_AES_CBC, key_length),
        // A fixed-length cipher carries no Key Length attribute (RFC 2409 Appendix A).
        "3DES_CBC" => (EncryptionAlgorithm::IKE_3DES_CBC, None),
        _ => return Err(unknown(None)),
    };
    EncryptionAlgorithm::from_ike_attributes(algorithm, key_length).map_err(|error| unknown(Some(error)))
}

/// The hash under an `HMAC_<hash>_<truncation>` integrity name.
fn hmac_hash(field: &'static str, name: &str) -> Result<HashAlgorithm, UnknownAlgorithm> {
    match name.to_ascii_uppercase().as_str() {
        "HMAC_MD5_96" | "HMAC_MD5_128" => Ok(HashAlgorithm::Md5),
        "HMAC_SHA1_96" | "HMAC_SHA1_160" => Ok(HashAlgorithm::Sha1),
        "HMAC_SHA2_256_128" | "HMAC_SHA2_256_256" => Ok(HashAlgorithm::Sha256),
        "HMAC_SHA2_384_192" | "HMAC_SHA2_384_384" => Ok(HashAlgorithm::Sha384),
        "HMAC_SHA2_512_256" | "HMAC_SHA2_512_512" => Ok(HashAlgorithm::Sha512),
        _ => Err(UnknownAlgorithm { field, name: name.to_owned(), detail: None }),
    }
}

fn prf_hash(name: &str) -> Result<HashAlgorithm, UnknownAlgorithm> {
    match name.to_ascii_uppercase().as_str() {
        "PRF_HMAC_MD5" => Ok(HashAlgorithm::Md5),
        "PRF_HMAC_SHA1" => Ok(HashAlgorithm::Sha1),
        "PRF_HMAC_SHA2_256" => Ok(HashAlgorithm::Sha256),
        "PRF_HMAC_SHA2_384" => Ok(HashAlgorithm::Sha384),
        "PRF_HMAC_SHA2_512" => Ok(HashAlgorithm::Sha512),
        _ => Err(UnknownAlgorithm { field: "prf", name: name.to_owned(), detail: None }),
    }
}

/// The ESP suite of a key file's IPsec SA (`encryption`, `encryption_key_bits`,
/// `integrity`), for SAs whose Quick Mode is not in the capture.
pub fn esp_suite(
    encryption: &str,
    key_bits: Option<u32>,
    integrity: &str,
) -> Result<EspSuite, UnknownAlgorithm> {
    let unknown = |field, name: &str, detail| UnknownAlgorithm { field, name: name.to_owned(), detail };
    let key_length = key_bits.map(|bits| u16::try_from(bits).unwrap_or(u16::MAX));
    let (transform_id, key_length) = match encryption.to_ascii_uppercase().as_str() {
        "AES_CBC" => (EspEncryption::ESP_AES_CBC, key_length),
        "AES_GCM_16" => (EspEncryption::ESP_AES_GCM_16, key_length),
        "3DES_CBC" => (EspEncryption::ESP_3DES, None),
        _ => return Err(unknown("encryption", encryption, None)),
    };
    let cipher = EspEncryption::from_transform(transform_id, key_length)
        .map_err(|error| unknown("encryption", encryption, Some(error)))?;
    let integrity = match integrity.to_ascii_uppercase().as_str() {
        "" | "NONE" => None,
        name => Some(esp_integrity(name).ok_or_else(|| unknown("integrity", integrity, None))?),
    };
    EspSuite::new(cipher, integrity)
        .map_err(|error| unknown("integrity", &format!("{integrity:?}"), Some(error)))
}

fn esp_integrity(upper_case_name: &str) -> Option<EspIntegrity> {
    Some(match upper_case_name {
        "HMAC_MD5_96" => EspIntegrity::HmacMd5_96,
        "HMAC_SHA1_96" => EspIntegrity::HmacSha1_96,
        "HMAC_SHA2_256_128" => EspIntegrity::HmacSha256_128,
        "HMAC_SHA2_384_192" => EspIntegrity::HmacSha384_192,
        "HMAC_SHA2_512_256" => EspIntegrity::HmacSha512_256,
        _ => return None,
    })
}

/// `AES-CBC-128`, `3DES-CBC`: how the decoder prints a Phase 1 cipher.
pub fn cipher_name(cipher: EncryptionAlgorithm) -> String {
    match cipher {
        EncryptionAlgorithm::TripleDesCbc => "3DES-CBC".to_owned(),
        EncryptionAlgorithm::AesCbc(size) => format!("AES-CBC-{}", size.bits()),
    }
}

/// `SHA2-256` and friends, the names of RFC 4868 / IANA.
pub fn hash_name(hash: HashAlgorithm) -> &'static str {
    match hash {
        HashAlgorithm::Md5 => "MD5",
        HashAlgorithm::Sha1 => "SHA1",
        HashAlgorithm::Sha256 => "SHA2-256",
        HashAlgorithm::Sha384 => "SHA2-384",
        HashAlgorithm::Sha512 => "SHA2-512",
    }
}

/// `AES-CBC-128`, `AES-GCM-16-256`: an ESP cipher.
pub fn esp_encryption_name(encryption: EspEncryption) -> String {
    match encryption {
        EspEncryption::TripleDesCbc => "3DES-CBC".to_owned(),
        EspEncryption::AesCbc(size) => format!("AES-CBC-{}", size.bits()),
        EspEncryption::AesGcm16(size) => format!("AES-GCM-16-{}", size.bits()),
    }
}

/// `HMAC-SHA2-256-128`: an ESP integrity algorithm, `none` for an AEAD.
pub fn esp_integrity_name(integrity: Option<EspIntegrity>) -> String {
    match integrity {
        None => "none".to_owned(),
        Some(integrity) => format!("HMAC-{}-{}", hash_name(integrity.hash()), integrity.icv_len() * 8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikev1::crypto::AesKeySize;

    fn algorithms(encryption: &str, bits: Option<u32>, integrity: &str, prf: &str) -> Algorithms {
        Algorithms {
            encryption: encryption.to_owned(),
            key_length_bits: bits,
            integrity_hash: integrity.to_owned(),
            prf: prf.to_owned(),
            dh_group: "MODP_2048".to_owned(),
            dh_group_id: Some(14),
            auth_method: Some("PSK".to_owned()),
            proposal: None,
        }
    }

    #[test]
    fn reads_the_names_of_the_real_cases() {
        let suite = phase1_suite(&algorithms("AES_CBC", Some(256), "HMAC_SHA1_96", "PRF_HMAC_SHA1")).unwrap();
        assert_eq!(suite.cipher, EncryptionAlgorithm::AesCbc(AesKeySize::Bits256));
        assert_eq!((suite.hash, suite.prf), (HashAlgorithm::Sha1, HashAlgorithm::Sha1));
        // Case D writes 192 bits for 3DES; the fixed key length is not an attribute.
        let des = phase1_suite(&algorithms("3DES_CBC", Some(192), "HMAC_SHA1_96", "PRF_HMAC_SHA1")).unwrap();
        assert_eq!(des.cipher, EncryptionAlgorithm::TripleDesCbc);
        let esp = esp_suite("3DES_CBC", Some(192), "HMAC_SHA1_96").unwrap();
        assert_eq!(esp.encryption(), EspEncryption::TripleDesCbc);
        assert_eq!(esp.integrity(), Some(EspIntegrity::HmacSha1_96));
        assert!(esp_suite("aes_gcm_16", Some(128), "none").unwrap().encryption().is_aead());
    }

    #[test]
    fn unknown_names_are_reported_by_field() {
        let error = phase1_suite(&algorithms("CAMELLIA_CBC", Some(128), "HMAC_SHA1_96", "PRF_HMAC_SHA1"))
            .unwrap_err();
        assert_eq!(error.field, "encryption");
        assert!(error.to_string().contains("\"CAMELLIA_CBC\""), "{error}");
        assert!(phase1_suite(&algorithms("AES_CBC", None, "HMAC_SHA1_96", "PRF_HMAC_SHA1")).is_err());
        assert!(phase1_suite(&algorithms("AES_CBC", Some(128), "AES_XCBC_96", "PRF_HMAC_SHA1")).is_err());
        let mut rsa = algorithms("AES_CBC", Some(128), "HMAC_SHA1_96", "PRF_HMAC_SHA1");
        rsa.auth_method = Some("RSA".to_owned());
        assert_eq!(phase1_suite(&rsa).unwrap_err().field, "auth_method");
        assert!(esp_suite("AES_CBC", Some(128), "none").is_err(), "CBC needs an integrity algorithm");
        assert!(esp_suite("AES_CBC", Some(128), "HMAC_RIPEMD160_96").is_err());
    }
}
