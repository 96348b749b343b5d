//! What `peers/install.sh` installed, read from its manifest `$IKELAB_PEERS_DIR/peers.env`
//! (default `/opt/ikelab`). Drivers ask it for paths and get a [`PeerError::Missing`]
//! naming the file when something is not there.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::{PeerError, PeerResult};

/// Overrides where install.sh put the peers.
pub const PEERS_DIR_VARIABLE: &str = "IKELAB_PEERS_DIR";
pub const DEFAULT_PEERS_DIR: &str = "/opt/ikelab";

/// The manifest's `KEY=value` lines and the stamps of each install step.
#[derive(Clone, Debug)]
pub struct Installation {
    dir: PathBuf,
    values: BTreeMap<String, String>,
}

/// strongSwan's daemon and control tool.
#[derive(Clone, Debug)]
pub struct StrongSwanFiles {
    pub charon: PathBuf,
    pub swanctl: PathBuf,
}

/// Libreswan extracted into a private root.
#[derive(Clone, Debug)]
pub struct LibreswanFiles {
    pub root: PathBuf,
    pub version: String,
}

impl LibreswanFiles {
    /// A program of Libreswan's libexec folder (`pluto`, `whack`, `addconn`).
    pub fn program(&self, name: &str) -> PathBuf {
        self.root.join("usr/libexec/ipsec").join(name)
    }
}

/// The user-mode-linux kernel and the Libreswan guest image.
#[derive(Clone, Debug)]
pub struct GuestFiles {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub kernel_version: String,
}

impl Installation {
    /// Reads the manifest; a missing manifest means nothing was installed.
    pub fn load() -> PeerResult<Self> {
        let dir =
            std::env::var_os(PEERS_DIR_VARIABLE).map_or_else(|| DEFAULT_PEERS_DIR.into(), PathBuf::from);
        let manifest = dir.join("peers.env");
        let text = fs::read_to_string(&manifest).map_err(|error| PeerError::Missing {
            peer: "the peers",
            what: format!("no manifest {} ({error})", manifest.display()),
        })?;
        Ok(Installation { dir, values: parse_manifest(&text) })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Every `KEY=value` of the manifest, in key order.
    pub fn values(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(key, value)| (key.as_str(), value.as_str()))
    }

    /// Each install step's stamp (`name`, what it installed).
    pub fn stamps(&self) -> Vec<(String, String)> {
        let Ok(entries) = fs::read_dir(self.dir.join("stamps")) else { return Vec::new() };
        let mut stamps: Vec<(String, String)> = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let text = fs::read_to_string(entry.path()).ok()?;
                Some((entry.file_name().to_string_lossy().into_owned(), text.trim().to_owned()))
            })
            .collect();
        stamps.sort();
        stamps
    }

    /// The version of a package as its stamp recorded it (`strongswan-charon=5.9.8-5`).
    pub fn stamped_version(&self, package: &str) -> Option<String> {
        let key = format!("{package}=");
        self.stamps().into_iter().find_map(|(_, text)| {
            text.split_whitespace().find_map(|word| word.strip_prefix(&key).map(str::to_owned))
        })
    }

    pub fn strongswan(&self) -> PeerResult<StrongSwanFiles> {
        const PEER: &str = "strongSwan";
        Ok(StrongSwanFiles {
            charon: self.existing(PEER, "IKELAB_CHARON")?,
            swanctl: self.existing(PEER, "IKELAB_SWANCTL")?,
        })
    }

    pub fn libreswan(&self) -> PeerResult<LibreswanFiles> {
        const PEER: &str = "Libreswan";
        let files = LibreswanFiles {
            root: self.existing(PEER, "IKELAB_LIBRESWAN_ROOT")?,
            version: self.value("IKELAB_LIBRESWAN_VERSION").unwrap_or("unknown").to_owned(),
        };
        for program in ["pluto", "whack", "addconn"] {
            require_file(PEER, &files.program(program))?;
        }
        Ok(files)
    }

    pub fn guest(&self) -> PeerResult<GuestFiles> {
        const PEER: &str = "the Libreswan guest";
        Ok(GuestFiles {
            kernel: self.existing(PEER, "IKELAB_UML_KERNEL")?,
            initrd: self.existing(PEER, "IKELAB_GUEST_INITRD")?,
            kernel_version: self.value("IKELAB_UML_VERSION").unwrap_or("unknown").to_owned(),
        })
    }

    /// The path a manifest key names, which must exist.
    fn existing(&self, peer: &'static str, key: &str) -> PeerResult<PathBuf> {
        let path = self.value(key).map(PathBuf::from).ok_or_else(|| PeerError::Missing {
            peer,
            what: format!("{key} is not in {}", self.dir.join("peers.env").display()),
        })?;
        require_file(peer, &path)?;
        Ok(path)
    }
}

fn require_file(peer: &'static str, path: &Path) -> PeerResult<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(PeerError::Missing { peer, what: format!("{} does not exist", path.display()) })
    }
}

fn parse_manifest(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// A program on `PATH`, as the shell would find it.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_is_key_value_lines_with_comments() {
        let values = parse_manifest("# comment\nIKELAB_CHARON=/usr/lib/ipsec/charon\n\nX = y \n");
        assert_eq!(values.get("IKELAB_CHARON").map(String::as_str), Some("/usr/lib/ipsec/charon"));
        assert_eq!(values.get("X").map(String::as_str), Some("y"));
        assert_eq!(values.len(), 2);
    }

    #[test]
    fn a_missing_file_names_itself_and_the_installer() {
        let error = require_file("strongSwan", Path::new("/nonexistent/charon")).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("/nonexistent/charon") && message.contains("install.sh"), "{message}");
    }
}
