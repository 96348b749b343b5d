//! Phase 2: one ESP SA (one direction) with its Quick Mode inputs and derived keys.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{MessageId, Role};
use crate::Hex;

/// One IPsec SA. KEYMAT = prf+(SKEYID_d, [qm_g_xy |] protocol | spi | qm_ni | qm_nr)
/// (RFC 2409 section 5.5), so those and the transform names are required; the keys
/// themselves are optional, for checking a derivation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IpsecSa {
    /// The SPI the receiver chose (4 bytes for ESP).
    pub spi: Hex,
    /// `ESP`.
    pub protocol: String,
    /// Transform names in strongSwan notation (`AES_CBC`, `HMAC_SHA2_256_128`...).
    pub encryption: String,
    pub integrity: String,
    /// Quick Mode nonces Ni_b and Nr_b.
    pub qm_ni: Hex,
    pub qm_nr: Hex,
    /// Absent for fixed-length ciphers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key_bits: Option<u32>,
    /// The Quick Mode DH shared secret; present only with PFS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_g_xy: Option<Hex>,
    /// The Phase 1 SA this SA was negotiated under. May be left out when the key file
    /// holds a single ISAKMP SA; see [`super::KeyFile::ike_sa_for`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_sa_initiator_cookie: Option<Hex>,
    /// The Quick Mode DH group, `null` (or absent) without PFS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pfs_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_g_xi: Option<Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_g_xr: Option<Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_msgid: Option<MessageId>,
    /// Phase 1 role of the side that initiated the Quick Mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_initiator: Option<Role>,
    /// Phase 1 role of the side that receives with this SPI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_at: Option<Role>,

    // Derived values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key: Option<Hex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity_key: Option<Hex>,
    /// `[qm_g_xy |] protocol | SPI | Ni_b | Nr_b`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keymat_seed: Option<Hex>,

    // Description.
    /// "initiator->responder (IKE SA roles)" or the reverse: sender -> receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encapsulation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_life_durations_s: Option<QmLifeDurations>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<BTreeMap<String, bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<ObservedEsp>,
    /// The `uat:esp_sa` record handed to tshark for this SA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tshark_esp_sa: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_log: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strongswan_log_label: Option<String>,
}

/// SA lifetimes carried in Quick Mode messages 1 (proposed) and 2 (accepted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QmLifeDurations {
    pub proposed: Vec<u64>,
    pub accepted: Vec<u64>,
}

/// Where this SA's packets appear in the capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedEsp {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub packets: u64,
    pub frames: Vec<u64>,
}

impl IpsecSa {
    /// The SPI as a number, when it has the 4 bytes ESP SPIs have.
    pub fn spi_u32(&self) -> Option<u32> {
        <[u8; 4]>::try_from(self.spi.as_slice()).ok().map(u32::from_be_bytes)
    }
}
