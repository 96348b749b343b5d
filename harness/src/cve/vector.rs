//! The CVE cases of vectors/cve as the live replay reads them (format in
//! vectors/cve/README.md). The script is the engine fuzz targets' script in JSON;
//! this is a reader of its JSON form only, so the harness does not build the
//! engine's fuzzing scaffolding (ikev1 feature `fuzz`, `ikev1::fuzz::cve`).

use std::path::{Path, PathBuf};

use ikev1::impairment::Mutation;
use serde::Deserialize;

/// The folder of the CVE cases in this repository.
pub fn default_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/cve")
}

/// What the replay needs of a case; the other fields (`affected`, `advisory`,
/// `reproduces`, `needs_keys`, `ours`) are for reviewers and the in-process test.
/// Keys the live runner needs come from the reference engine itself.
#[derive(Clone, Debug, Deserialize)]
pub struct CveVector {
    pub id: String,
    pub title: String,
    /// What a correct IKEv1 implementation does, with the RFC that says so.
    pub correct_reaction: String,
    pub bench: Bench,
    pub script: Script,
}

/// Where the script starts; the implementation under test (here the real peer) is
/// the subject, the scripted other side the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bench {
    /// The reference initiates; its first message waits for the first `deliver`.
    Responder,
    /// The subject has initiated.
    Initiator,
    /// Phase 1 and Quick Mode are up between the subject and the reference.
    Established,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Script {
    /// `aggressive`, `pfs`, `both_modes`, `force_nat_t`.
    pub setup: Vec<String>,
    pub steps: Vec<ScriptStep>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptStep {
    /// These bytes, from the reference's address to the subject's port 500.
    Datagram(String),
    /// The reference's next message, changed.
    Deliver {
        route: String,
        mutation: Mutation,
    },
    /// The reference's n-th message again.
    Replay {
        pick: u8,
        mutation: Mutation,
    },
    /// A message made up on the cookies of an SA the subject has.
    Forge(Forge),
    /// Time passes; nothing is delivered meanwhile.
    Wait {
        amount: u8,
        unit: u8,
    },
    Settle,
    Drop,
    LoseReply,
    Peer {
        peer: u8,
        action: serde_json::Value,
    },
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Forge {
    /// Which SA of the subject: by age, then the SA of the reference's last message.
    pub sa: u8,
    /// The raw exchange type (5: Informational).
    pub exchange: u8,
    pub message_id: serde_json::Value,
    pub protection: Protection,
    /// `{"dpd": {...}}`, `{"delete": {...}}`, `{"notify": {...}}`, ...
    pub payloads: Vec<serde_json::Value>,
    /// Applied to the finished message (payload indexes count the HASH).
    pub edit: Mutation,
}

/// How a forged message is protected (RFC 2409 5.5, 5.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    Plain,
    NoHash,
    ValidHash,
    WrongHash,
    ShortHash,
}

impl ScriptStep {
    /// The duration of a `wait`: `amount` units of 1 ms, 100 ms, 1 s, 1 min or 1 h.
    pub fn wait_secs(amount: u8, unit: u8) -> f64 {
        const UNITS_SECS: [f64; 5] = [0.001, 0.1, 1.0, 60.0, 3600.0];
        f64::from(amount) * UNITS_SECS[usize::from(unit) % UNITS_SECS.len()]
    }
}

impl CveVector {
    pub fn has_setup(&self, name: &str) -> bool {
        self.script.setup.iter().any(|setup| setup == name)
    }
}

/// Every case of `folder` (`*.json`), in file name order.
pub fn load_all(folder: &Path) -> Result<Vec<CveVector>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|error| format!("reading {}: {error}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("reading {}: {error}", path.display()))?;
            serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
        })
        .collect()
}
