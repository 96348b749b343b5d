//! The key file (`keys.json`, schema in vectors/real/README.md).
//!
//! It is both our record of a real capture and the key file users give `ikelab decode`.
//! Only the inputs of key derivation are required; every derived or descriptive field is
//! optional, and unknown fields are ignored, so a hand-written file with just the inputs
//! loads.

mod ike_sa;
mod ipsec_sa;
mod message_id;
mod report;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use ike_sa::{Algorithms, IkeMessage, IkeSa, KeyInputs, MissingInput, Phase1Exchange, SaTransform};
pub use ipsec_sa::{IpsecSa, ObservedEsp, QmLifeDurations};
pub use message_id::MessageId;
pub use report::{ManualDecryption, ManuallyDecryptedMessage, SeenSpi, TsharkCheck, TsharkRun};

use crate::Hex;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyFile {
    pub psk: Psk,
    pub ike_sas: Vec<IkeSa>,
    /// Empty when no Quick Mode completed, or when only Phase 1 is of interest.
    #[serde(default)]
    pub ipsec_sas: Vec<IpsecSa>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peers: Option<Peers>,
    /// SPI -> what tshark made of that SPI's packets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esp_spis_seen_in_pcap: Option<BTreeMap<Hex, SeenSpi>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tshark: Option<TsharkRun>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_decryption_of_responder_informationals: Option<ManualDecryption>,
}

/// The pre-shared key: one for both sides, or one per side when they differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Psk {
    Shared(String),
    PerSide { ini: String, rsp: String },
}

impl Psk {
    /// The key the side with this Phase 1 role used.
    pub fn of(&self, role: Role) -> &str {
        match (self, role) {
            (Psk::Shared(psk), _) => psk,
            (Psk::PerSide { ini, .. }, Role::Initiator) => ini,
            (Psk::PerSide { rsp, .. }, Role::Responder) => rsp,
        }
    }
}

/// A Phase 1 role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Initiator,
    Responder,
}

/// The implementation on each side, for reading only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peers {
    pub initiator: String,
    pub responder: String,
}

impl KeyFile {
    pub fn from_json(text: &str) -> Result<KeyFile, KeysError> {
        serde_json::from_str(text).map_err(|error| KeysError { path: None, kind: KeysErrorKind::Json(error) })
    }

    pub fn read(path: &Path) -> Result<KeyFile, KeysError> {
        let with_path = |kind| KeysError { path: Some(path.to_path_buf()), kind };
        let text = std::fs::read_to_string(path).map_err(|error| with_path(KeysErrorKind::Io(error)))?;
        serde_json::from_str(&text).map_err(|error| with_path(KeysErrorKind::Json(error)))
    }

    /// The ISAKMP SA with this initiator cookie.
    pub fn ike_sa(&self, initiator_cookie: &[u8]) -> Option<&IkeSa> {
        self.ike_sas.iter().find(|sa| sa.initiator_cookie.as_slice() == initiator_cookie)
    }

    /// The ISAKMP SA an IPsec SA was negotiated under: the one its cookie names, or the
    /// only one when it names none.
    pub fn ike_sa_for(&self, ipsec_sa: &IpsecSa) -> Option<&IkeSa> {
        match (&ipsec_sa.ike_sa_initiator_cookie, self.ike_sas.as_slice()) {
            (Some(cookie), _) => self.ike_sa(cookie),
            (None, [only]) => Some(only),
            (None, _) => None,
        }
    }
}

#[derive(Debug)]
pub struct KeysError {
    pub path: Option<PathBuf>,
    pub kind: KeysErrorKind,
}

#[derive(Debug)]
pub enum KeysErrorKind {
    Io(io::Error),
    /// Not JSON, or not the schema; serde_json's message names the line and column.
    Json(serde_json::Error),
}

impl fmt::Display for KeysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        match &self.kind {
            KeysErrorKind::Io(error) => write!(f, "{error}"),
            KeysErrorKind::Json(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for KeysError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            KeysErrorKind::Io(error) => Some(error),
            KeysErrorKind::Json(error) => Some(error),
        }
    }
}
