//! What a key file says about checking the capture with tshark and by hand: descriptive
//! sections, all optional in a user's key file.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::MessageId;
use crate::Hex;

/// Per SPI seen in the capture: how many of its packets tshark decrypted and verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenSpi {
    pub spi: Hex,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub packets: u64,
    pub decrypted: u64,
    pub inner_icmp: u64,
    pub icv_good: u64,
}

/// The tshark run that decrypted the capture, and what it achieved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TsharkRun {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `uat:ikev1_decryption_table` records: `icookie,Ka`.
    #[serde(default)]
    pub ikev1_decryption_table: Vec<String>,
    /// `uat:esp_sa` records.
    #[serde(default)]
    pub esp_sa: Vec<String>,
    /// Further `-o` preferences.
    #[serde(default)]
    pub other_options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<TsharkCheck>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TsharkCheck {
    pub total_packets: u64,
    pub isakmp_messages: u64,
    pub isakmp_encrypted: u64,
    pub isakmp_encrypted_decrypted_ok: u64,
    pub isakmp_encrypted_not_decrypted_frames: Vec<u64>,
    /// Frame -> earlier frame it repeats byte for byte (tshark cannot decrypt the repeat).
    pub isakmp_not_decrypted_but_byte_identical_to_earlier_frame: BTreeMap<u64, u64>,
    pub esp_packets: u64,
    pub esp_decrypted: u64,
    pub esp_inner_icmp: u64,
    pub esp_icv_good: u64,
    /// Null when there was nothing to derive.
    pub all_derivation_checks_pass: Option<bool>,
}

/// Messages decrypted outside tshark (case I: the responder's Informationals under its own Ka).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualDecryption {
    pub key_from: String,
    pub iv_rule: String,
    pub decrypted: Vec<ManuallyDecryptedMessage>,
    #[serde(default)]
    pub byte_identical_main_mode_frames: Vec<Vec<u64>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManuallyDecryptedMessage {
    pub frame: u64,
    pub msgid: MessageId,
    pub iv: Hex,
    pub plaintext: Hex,
    pub first_payload: String,
    pub next_payload_after_hash: u8,
    pub notify_type: u16,
}
