//! What goes wrong with a real peer, worded so a test failure says what to do.

use std::fmt;

use crate::guard;

#[derive(Debug)]
pub enum PeerError {
    /// Something the peer needs is not installed; `what` names it and where it was
    /// looked for.
    Missing { peer: &'static str, what: String },
    /// The daemon or guest did not come up; `log_tail` is the end of what it printed.
    StartFailed { peer: &'static str, detail: String, log_tail: String },
    /// The policy uses something this peer's configuration cannot express.
    Unsupported { peer: &'static str, what: String },
    /// A control command (swanctl, whack, a guest request) failed.
    Control { peer: &'static str, command: String, output: String },
    /// A wait ran out.
    Timeout { peer: &'static str, waiting_for: String },
    /// Status or log text did not have the expected shape.
    Parse { peer: &'static str, what: String },
    /// Creating files, namespaces or processes failed.
    System(guard::Error),
}

pub type PeerResult<T> = std::result::Result<T, PeerError>;

/// Where the peers come from, for messages about missing ones.
pub const INSTALL_HINT: &str = "install the peers with `peers/install.sh` (as root)";

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerError::Missing { peer, what } => write!(f, "{peer} is not installed: {what}; {INSTALL_HINT}"),
            PeerError::StartFailed { peer, detail, log_tail } => {
                write!(f, "{peer} did not start: {detail}")?;
                if !log_tail.trim().is_empty() {
                    write!(f, "\n--- last lines of its log ---\n{}", log_tail.trim_end())?;
                }
                Ok(())
            }
            PeerError::Unsupported { peer, what } => write!(f, "{peer} cannot be configured for {what}"),
            PeerError::Control { peer, command, output } => {
                write!(f, "{peer}: `{command}` failed")?;
                if !output.trim().is_empty() {
                    write!(f, ":\n{}", output.trim_end())?;
                }
                Ok(())
            }
            PeerError::Timeout { peer, waiting_for } => {
                write!(f, "{peer}: timed out waiting for {waiting_for}")
            }
            PeerError::Parse { peer, what } => write!(f, "{peer}: cannot read {what}"),
            PeerError::System(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for PeerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PeerError::System(error) => Some(error),
            _ => None,
        }
    }
}

impl From<guard::Error> for PeerError {
    fn from(error: guard::Error) -> Self {
        PeerError::System(error)
    }
}

/// The last `lines` lines of a text, for error messages.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A failed file-system call, with what was being done.
pub(crate) fn io_error(context: impl Into<String>, source: std::io::Error) -> PeerError {
    PeerError::System(guard::Error::Io { context: context.into(), source })
}

/// Writes a file, naming it in the error.
pub(crate) fn write_file(path: &std::path::Path, text: &str) -> PeerResult<()> {
    std::fs::write(path, text).map_err(|source| io_error(format!("writing {}", path.display()), source))
}
