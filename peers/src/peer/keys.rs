//! Key material a peer reveals (its logs, its kernel's SAD), and the Wireshark files
//! that make a capture open decrypted: the `ikev1_decryption_table` and `esp_sa` UAT
//! tables plus a `preferences` file that turns ESP decryption on.
//!
//! Point Wireshark or tshark at the folder with `WIRESHARK_CONFIG_DIR=<folder>`, or
//! pass the same records with `-o uat:...` ([`KeyMaterial::tshark_options`]).

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use ikev1::policy::{EspCipher, EspIntegrityAlgorithm};
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyMaterial {
    pub ike: Vec<IkeSaKeys>,
    pub esp: Vec<EspSaKeys>,
}

/// What Wireshark needs to decrypt one ISAKMP SA: its initiator cookie and Ka.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IkeSaKeys {
    /// 16 hex digits.
    pub initiator_cookie: String,
    /// Ka (RFC 2409 Appendix B), hex.
    pub encryption_key: String,
}

/// One ESP SA (one direction).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EspSaKeys {
    pub spi: u32,
    pub cipher: EspCipher,
    /// Hex; for AES-GCM with the 4-byte salt at the end, as RFC 4106 keys are logged.
    pub encryption_key: String,
    pub integrity: Option<EspIntegrityAlgorithm>,
    pub integrity_key: String,
}

/// The file names Wireshark reads from its configuration folder.
pub const IKEV1_TABLE_FILE: &str = "ikev1_decryption_table";
pub const ESP_SA_FILE: &str = "esp_sa";
pub const PREFERENCES_FILE: &str = "preferences";

const ESP_PREFERENCES: [&str; 2] = ["esp.enable_encryption_decode", "esp.enable_authentication_check"];

impl KeyMaterial {
    pub fn is_empty(&self) -> bool {
        self.ike.is_empty() && self.esp.is_empty()
    }

    /// Adds what `other` knows that this does not (same cookie or SPI counts once).
    pub fn merge(&mut self, other: KeyMaterial) {
        for ike in other.ike {
            if !self.ike.iter().any(|known| known.initiator_cookie == ike.initiator_cookie) {
                self.ike.push(ike);
            }
        }
        for esp in other.esp {
            if !self.esp.iter().any(|known| known.spi == esp.spi) {
                self.esp.push(esp);
            }
        }
    }

    /// `ikev1_decryption_table` records: `icookie,Ka` per line, in hex. Wireshark stores
    /// byte fields unquoted; a quoted cookie fails its 8-octet length check.
    pub fn ikev1_decryption_table(&self) -> String {
        self.ike.iter().map(|sa| format!("{},{}\n", sa.initiator_cookie, sa.encryption_key)).collect()
    }

    /// `esp_sa` records, one per SA, with wildcard addresses (the SPI tells them apart,
    /// and addresses differ on the two sides of a NAT).
    pub fn esp_sa_table(&self) -> String {
        self.esp.iter().map(|sa| esp_sa_record(sa) + "\n").collect()
    }

    /// Writes the three Wireshark files into `dir`.
    pub fn write_wireshark_profile(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)?;
        fs::write(dir.join(IKEV1_TABLE_FILE), self.ikev1_decryption_table())?;
        fs::write(dir.join(ESP_SA_FILE), self.esp_sa_table())?;
        let preferences: String = ESP_PREFERENCES.iter().map(|name| format!("{name}: TRUE\n")).collect();
        fs::write(dir.join(PREFERENCES_FILE), preferences)
    }

    /// The same keys as tshark `-o` arguments.
    pub fn tshark_options(&self) -> Vec<String> {
        let mut options: Vec<String> = ESP_PREFERENCES.iter().map(|name| format!("{name}:TRUE")).collect();
        for sa in &self.ike {
            options.push(format!("uat:{IKEV1_TABLE_FILE}:{},{}", sa.initiator_cookie, sa.encryption_key));
        }
        for sa in &self.esp {
            options.push(format!("uat:{ESP_SA_FILE}:{}", esp_sa_record(sa)));
        }
        options
    }
}

fn esp_sa_record(sa: &EspSaKeys) -> String {
    let mut record = String::new();
    let integrity = sa.integrity.map_or("NULL", wireshark_integrity);
    let _ = write!(
        record,
        "\"IPv4\",\"*\",\"*\",\"0x{:08x}\",\"{}\",\"0x{}\",\"{integrity}\",\"0x{}\"",
        sa.spi,
        wireshark_cipher(sa.cipher),
        sa.encryption_key,
        sa.integrity_key
    );
    record
}

/// Wireshark's names in the `esp_sa` table (Wireshark 4.0).
fn wireshark_cipher(cipher: EspCipher) -> &'static str {
    match cipher {
        EspCipher::Aes128 | EspCipher::Aes192 | EspCipher::Aes256 => "AES-CBC [RFC3602]",
        EspCipher::TripleDes => "TripleDES-CBC [RFC2451]",
        EspCipher::Aes128gcm16 | EspCipher::Aes192gcm16 | EspCipher::Aes256gcm16 => {
            "AES-GCM with 16 octet ICV [RFC4106]"
        }
    }
}

fn wireshark_integrity(integrity: EspIntegrityAlgorithm) -> &'static str {
    match integrity {
        EspIntegrityAlgorithm::Md5 => "HMAC-MD5-96 [RFC2403]",
        EspIntegrityAlgorithm::Sha1 => "HMAC-SHA-1-96 [RFC2404]",
        EspIntegrityAlgorithm::Sha256 => "HMAC-SHA-256-128 [RFC4868]",
        EspIntegrityAlgorithm::Sha384 => "HMAC-SHA-384-192 [RFC4868]",
        EspIntegrityAlgorithm::Sha512 => "HMAC-SHA-512-256 [RFC4868]",
    }
}

/// `AES_CBC` + 128 and the like, as strongSwan and Libreswan name ciphers.
pub(crate) fn cipher_from_name(name: &str, key_bits: u32) -> Option<EspCipher> {
    let name = name.to_ascii_uppercase();
    Some(match (name.as_str(), key_bits) {
        ("AES_CBC" | "AES" | "CBC(AES)", 128) => EspCipher::Aes128,
        ("AES_CBC" | "AES" | "CBC(AES)", 192) => EspCipher::Aes192,
        ("AES_CBC" | "AES" | "CBC(AES)", 256) => EspCipher::Aes256,
        ("3DES_CBC" | "3DES" | "CBC(DES3_EDE)", _) => EspCipher::TripleDes,
        ("AES_GCM_16" | "RFC4106(GCM(AES))", 128) => EspCipher::Aes128gcm16,
        ("AES_GCM_16" | "RFC4106(GCM(AES))", 192) => EspCipher::Aes192gcm16,
        ("AES_GCM_16" | "RFC4106(GCM(AES))", 256) => EspCipher::Aes256gcm16,
        _ => return None,
    })
}

/// `HMAC_SHA2_256_128`, `hmac(sha256)` and the like.
pub(crate) fn integrity_from_name(name: &str) -> Option<EspIntegrityAlgorithm> {
    let name = name.to_ascii_uppercase();
    let hash = name.trim_start_matches("HMAC_").trim_start_matches("HMAC(").trim_end_matches(')');
    Some(match hash {
        "MD5_96" | "MD5" | "MD5_128" => EspIntegrityAlgorithm::Md5,
        "SHA1_96" | "SHA1" | "SHA1_160" => EspIntegrityAlgorithm::Sha1,
        "SHA2_256_128" | "SHA256" | "SHA2_256" => EspIntegrityAlgorithm::Sha256,
        "SHA2_384_192" | "SHA384" | "SHA2_384" => EspIntegrityAlgorithm::Sha384,
        "SHA2_512_256" | "SHA512" | "SHA2_512" => EspIntegrityAlgorithm::Sha512,
        _ => return None,
    })
}

/// `MODP_2048` or `MODP2048` -> `modp2048`.
pub(crate) fn group_token(name: &str) -> String {
    name.replace('_', "").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> KeyMaterial {
        KeyMaterial {
            ike: vec![IkeSaKeys {
                initiator_cookie: "578be3b6519ce72e".into(),
                encryption_key: "1fa2".into(),
            }],
            esp: vec![EspSaKeys {
                spi: 0x5611618d,
                cipher: EspCipher::Aes128,
                encryption_key: "267d".into(),
                integrity: Some(EspIntegrityAlgorithm::Sha256),
                integrity_key: "7970".into(),
            }],
        }
    }

    #[test]
    fn tables_use_wiresharks_record_syntax() {
        let keys = sample();
        assert_eq!(keys.ikev1_decryption_table(), "578be3b6519ce72e,1fa2\n");
        assert_eq!(
            keys.esp_sa_table(),
            "\"IPv4\",\"*\",\"*\",\"0x5611618d\",\"AES-CBC [RFC3602]\",\"0x267d\",\
             \"HMAC-SHA-256-128 [RFC4868]\",\"0x7970\"\n"
        );
        assert!(keys.tshark_options().contains(&"uat:ikev1_decryption_table:578be3b6519ce72e,1fa2".into()));
    }

    #[test]
    fn algorithm_names_of_both_peers_map_to_the_policy_model() {
        assert_eq!(cipher_from_name("AES_CBC", 128), Some(EspCipher::Aes128));
        assert_eq!(cipher_from_name("cbc(aes)", 256), Some(EspCipher::Aes256));
        assert_eq!(integrity_from_name("HMAC_SHA2_256_128"), Some(EspIntegrityAlgorithm::Sha256));
        assert_eq!(integrity_from_name("hmac(sha256)"), Some(EspIntegrityAlgorithm::Sha256));
        assert_eq!(integrity_from_name("hmac(sha1)"), Some(EspIntegrityAlgorithm::Sha1));
    }
}
