//! The real captures in `vectors/real`, one directory per case.

use std::io;
use std::path::{Path, PathBuf};

use crate::capture::{CaptureError, Frame, read_frames};
use crate::keys::{KeyFile, KeysError};
use crate::tshark::{TsharkError, TsharkPacket, read_packets};

/// One real case: a capture, its key file and tshark's decoding of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The directory name, e.g. `A-mm-psk-aes128-sha256-modp2048-pfs2048`.
    pub name: String,
    pub dir: PathBuf,
}

/// `vectors/real` in this source tree.
pub fn real_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("real")
}

impl Case {
    /// Every case, sorted by name (so by letter).
    pub fn all() -> io::Result<Vec<Case>> {
        let mut cases = Vec::new();
        for entry in std::fs::read_dir(real_dir())? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                let name = entry.file_name().to_string_lossy().into_owned();
                cases.push(Case { name, dir: entry.path() });
            }
        }
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(cases)
    }

    /// The case with this full name or this letter (`"A"` finds `A-mm-psk-...`).
    pub fn find(name_or_letter: &str) -> io::Result<Option<Case>> {
        let letter_prefix = format!("{name_or_letter}-");
        Ok(Case::all()?
            .into_iter()
            .find(|case| case.name == name_or_letter || case.name.starts_with(&letter_prefix)))
    }

    pub fn capture_path(&self) -> PathBuf {
        self.dir.join("capture.pcap")
    }

    pub fn keys_path(&self) -> PathBuf {
        self.dir.join("keys.json")
    }

    pub fn tshark_path(&self) -> PathBuf {
        self.dir.join("tshark.json")
    }

    pub fn readme_path(&self) -> PathBuf {
        self.dir.join("README.md")
    }

    pub fn load_keys(&self) -> Result<KeyFile, KeysError> {
        KeyFile::read(&self.keys_path())
    }

    pub fn frames(&self) -> Result<Vec<Frame>, CaptureError> {
        read_frames(&self.capture_path())
    }

    pub fn tshark(&self) -> Result<Vec<TsharkPacket>, TsharkError> {
        read_packets(&self.tshark_path())
    }
}
