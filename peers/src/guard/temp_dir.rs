//! A private temporary folder for one peer or case (configs, logs, sockets, captures).

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use super::command::{Error, Result};
use super::naming;

/// Set to `1` to keep temp folders (and have sweeps leave them) for debugging.
pub const KEEP_VARIABLE: &str = "IKELAB_KEEP";

/// Whether `IKELAB_KEEP=1` asks to keep temp folders.
pub fn keep_requested() -> bool {
    std::env::var(KEEP_VARIABLE).is_ok_and(|value| value == "1")
}

/// A folder `<tmp>/ikelab-<pid>-<n>-<label>`, mode 0700, removed with everything in it
/// when the guard drops, unless `IKELAB_KEEP=1`.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> Result<Self> {
        super::interrupt::refuse_if_interrupted("a temp folder")?;
        let path = std::env::temp_dir().join(naming::unique(label));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|source| Error::io(format!("creating {}", path.display()), source))?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the folder.
    pub fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.path.join(relative)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if keep_requested() {
            eprintln!("ikelab: keeping {} ({KEEP_VARIABLE}=1)", self.path.display());
            return;
        }
        if let Err(error) = fs::remove_dir_all(&self.path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("ikelab: removing {}: {error}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_and_its_contents_go_with_the_guard() {
        let dir = TempDir::new("unit").unwrap();
        let path = dir.path().to_path_buf();
        fs::create_dir(dir.join("nested")).unwrap();
        fs::write(dir.join("nested/file"), "x").unwrap();
        assert!(path.starts_with(std::env::temp_dir()));
        drop(dir);
        assert_eq!(path.exists(), keep_requested());
    }
}
