//! Phase 1: one ISAKMP SA with its inputs, derived keys and the messages seen in the capture.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::{MessageId, Role};
use crate::Hex;

/// One ISAKMP SA, keyed by its initiator cookie.
///
/// Only the cookies and the exchange are required: a negotiation that failed before key
/// exchange (case J) has no keying inputs at all. [`IkeSa::key_inputs`] checks that
/// everything needed to derive the Phase 1 keys is present.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IkeSa {
    pub initiator_cookie: Hex,
    pub responder_cookie: Hex,
    pub exchange: Phase1Exchange,
    /// Outer address that sent message 1, as seen in the capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator_addr: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithms: Option<Algorithms>,
    /// Initiator's and responder's KE payload data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_xi: Option<Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_xr: Option<Hex>,
    /// The DH shared secret, big-endian, padded to the modulus length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_xy: Option<Hex>,
    /// Nonce payload data Ni_b and Nr_b.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ni: Option<Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nr: Option<Hex>,

    // Derived values (RFC 2409 section 5), for checking a derivation against the peers' logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skeyid: Option<Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skeyid_d: Option<Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skeyid_a: Option<Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skeyid_e: Option<Hex>,
    /// Phase 1 encryption key Ka, expanded per RFC 2409 appendix B where needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc_key: Option<Hex>,
    /// First Phase 1 IV: H(g_xi | g_xr) truncated to the cipher block size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv0: Option<Hex>,
    /// Derived values on which the two sides' logs disagree (different PSKs):
    /// field -> log file -> value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_log_values: Option<BTreeMap<String, BTreeMap<String, Hex>>>,

    // Description of where the values come from and what was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_durations_in_sa_payloads_s: Option<Vec<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_of_logging_sides: Option<BTreeMap<String, Role>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<BTreeMap<String, bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<IkeMessage>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase1Exchange {
    Main,
    Aggressive,
}

/// The negotiated Phase 1 transform, in strongSwan's names (`AES_CBC`, `HMAC_SHA2_256_128`,
/// `PRF_HMAC_SHA2_256`, `MODP_2048`...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Algorithms {
    pub encryption: String,
    /// Absent for fixed-length ciphers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_length_bits: Option<u32>,
    pub integrity_hash: String,
    pub prf: String,
    pub dh_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dh_group_id: Option<u16>,
    /// `PSK` when absent: pre-shared keys are the only method a key file can carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<String>,
    /// The whole proposal in strongSwan notation, for reading only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<String>,
}

/// One ISAKMP message of this SA as it appears in the capture (decrypted view).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IkeMessage {
    pub frame: u64,
    /// Seconds since the first frame.
    pub time: f64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// `main`, `aggressive`, `quick`, `informational`...
    pub exchange: String,
    pub msgid: MessageId,
    pub encrypted: bool,
    /// Whether tshark decrypted it; absent for plaintext messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decrypted: Option<bool>,
    /// The ISAKMP length field.
    pub length: u32,
    /// Payload names in order (`SA`, `KE`, `NONCE`, ...; unknown types as numbers).
    pub payloads: Vec<String>,
    pub from: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sa_transforms: Option<Vec<SaTransform>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_durations: Option<Vec<u64>>,
    /// SPIs named by DELETE payloads (4-byte ESP SPIs or 16-byte ISAKMP cookie pairs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_spis: Option<Vec<Hex>>,
    /// A byte-identical retransmission of this earlier frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identical_to_frame: Option<u64>,
}

/// The attributes of one transform of an SA payload, as numbers (RFC 2409 appendix A for
/// Phase 1, RFC 2407 4.5 for Phase 2); absent attributes were not sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaTransform {
    pub number: u8,
    pub id: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_algorithm: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_method: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_description: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_algorithm: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encap_mode: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_length: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_type: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_duration: Option<u64>,
}

/// Everything Phase 1 key derivation needs, borrowed from an [`IkeSa`] that has it all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyInputs<'a> {
    pub algorithms: &'a Algorithms,
    pub initiator_cookie: &'a [u8],
    pub responder_cookie: &'a [u8],
    pub g_xi: &'a [u8],
    pub g_xr: &'a [u8],
    pub g_xy: &'a [u8],
    pub ni: &'a [u8],
    pub nr: &'a [u8],
}

/// A key-derivation input the key file leaves out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingInput {
    pub field: &'static str,
}

impl fmt::Display for MissingInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key file has no {}", self.field)
    }
}

impl std::error::Error for MissingInput {}

impl IkeSa {
    /// The inputs of Phase 1 key derivation, or the first one missing.
    pub fn key_inputs(&self) -> Result<KeyInputs<'_>, MissingInput> {
        fn required<'a, T>(value: &'a Option<T>, field: &'static str) -> Result<&'a T, MissingInput> {
            value.as_ref().ok_or(MissingInput { field })
        }
        Ok(KeyInputs {
            algorithms: required(&self.algorithms, "algorithms")?,
            initiator_cookie: &self.initiator_cookie,
            responder_cookie: &self.responder_cookie,
            g_xi: required(&self.g_xi, "g_xi")?,
            g_xr: required(&self.g_xr, "g_xr")?,
            g_xy: required(&self.g_xy, "g_xy")?,
            ni: required(&self.ni, "ni")?,
            nr: required(&self.nr, "nr")?,
        })
    }
}
