//! Key material for tools that read captures: the Phase 1 encryption key of
//! every ISAKMP SA and the keys of every ESP SA, so a capture of our traffic
//! opens decrypted in Wireshark (`ikev1_decryption_table`, `esp_sa`).
//! This deliberately hands out secrets: it is a test harness's reference
//! implementation, and the keys are what makes its captures readable.

use serde::Serialize;

use super::Endpoint;
use crate::child_sa::ChildKeys;
use crate::policy::{EspCipher, EspIntegrityAlgorithm};
use isakmp::hex;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyMaterial {
    pub ike_sas: Vec<IkeSaKeys>,
    pub esp_sas: Vec<EspSaKeys>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IkeSaKeys {
    pub initiator_cookie: String,
    pub responder_cookie: String,
    /// e.g. `aes128`, `3des`.
    pub cipher: String,
    /// Ka, hex.
    pub encryption_key: String,
}

/// One direction of an IPsec SA pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EspSaKeys {
    pub spi: u32,
    pub source: std::net::IpAddr,
    pub destination: std::net::IpAddr,
    pub udp_encapsulated: bool,
    pub cipher: EspCipher,
    /// With the 4-byte salt at the end for AES-GCM (RFC 4106 8.1).
    pub encryption_key: String,
    /// `None` for AEAD ciphers.
    pub integrity: Option<EspIntegrityAlgorithm>,
    pub integrity_key: String,
}

impl Endpoint {
    /// The keys of every ISAKMP SA with keys and every installed IPsec SA.
    pub fn key_material(&self) -> KeyMaterial {
        let ike_sas = self.sas.values().filter_map(|sa| sa.exported_keys()).collect();
        let mut esp_sas = Vec::new();
        for record in self.children.iter() {
            let child = &record.sa;
            let direction = |keys: &ChildKeys, source, destination| EspSaKeys {
                spi: keys.spi,
                source,
                destination,
                udp_encapsulated: child.udp_encapsulated,
                cipher: child.proposal.cipher,
                encryption_key: hex::encode(keys.encryption.as_bytes()),
                integrity: child.proposal.integrity,
                integrity_key: hex::encode(keys.integrity.as_bytes()),
            };
            esp_sas.push(direction(&child.inbound, child.remote.ip(), child.local.ip()));
            esp_sas.push(direction(&child.outbound, child.local.ip(), child.remote.ip()));
        }
        KeyMaterial { ike_sas, esp_sas }
    }
}
