//! A case's results folder:
//!
//! ```text
//! <results>/<peer>--<role>--<case>/
//!   case.json                    the case as run
//!   outcome.json                 verdict, checks, wall time
//!   capture.pcap                 the reference host's link, whole case
//!   wireshark/                   WIRESHARK_CONFIG_DIR=... opens the capture decrypted:
//!     ikev1_decryption_table     icookie,Ka
//!     esp_sa                     one record per ESP SA
//!     preferences                ESP decryption on
//!   keys.json                    the same keys, and where they came from
//!   reference.policy.json, peer.policy.json
//!   reference.trace              IOS `debug crypto isakmp` text
//!   reference.jsonl              the same events as JSON lines
//!   reference.show.txt           show crypto session / SAs / counters at the end
//!   peer-log.txt                 the peer's log during the case, sanitised
//!   peer/                        the peer's configs, raw log excerpt (log.txt), status
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use ikev1::Event;
use ikev1::trace::ios;
use serde::Serialize;

pub struct ResultsFolder {
    path: PathBuf,
}

impl ResultsFolder {
    /// Empties and creates `root/<folder>`.
    pub fn create(root: &Path, folder: &str) -> Result<Self, String> {
        let path = root.join(folder);
        if path.exists() {
            fs::remove_dir_all(&path).map_err(|error| format!("clearing {}: {error}", path.display()))?;
        }
        fs::create_dir_all(path.join("peer"))
            .map_err(|error| format!("creating {}: {error}", path.display()))?;
        Ok(ResultsFolder { path })
    }

    /// An existing folder, to add to.
    pub fn at(path: &Path) -> Self {
        ResultsFolder { path: path.to_owned() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn write(&self, name: &str, text: &str) {
        if let Err(error) = fs::write(self.join(name), text) {
            eprintln!("ikelab: writing {}: {error}", self.join(name).display());
        }
    }

    pub fn write_json(&self, name: &str, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => self.write(name, &(text + "\n")),
            Err(error) => eprintln!("ikelab: serializing {name}: {error}"),
        }
    }

    /// The reference's events as IOS debug text and as JSON lines.
    pub fn write_trace(&self, events: &[Event]) {
        let traces = events.iter().filter_map(|event| match event {
            Event::Trace(trace) => Some(trace),
            _ => None,
        });
        self.write("reference.trace", &ios::render_all(traces));
        let lines: String = events
            .iter()
            .filter_map(|event| serde_json::to_string(event).ok())
            .map(|line| line + "\n")
            .collect();
        self.write("reference.jsonl", &lines);
    }

    /// Copies files and folders (a peer's artifacts) into `peer/`.
    pub fn keep_peer_files(&self, paths: &[PathBuf]) {
        for path in paths {
            let Some(name) = path.file_name() else { continue };
            if let Err(error) = copy_recursively(path, &self.join("peer").join(name)) {
                eprintln!("ikelab: keeping {}: {error}", path.display());
            }
        }
    }
}

fn copy_recursively(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_recursively(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(from, to).map(drop)
    }
}
