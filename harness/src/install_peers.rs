//! The main job must work on a fresh machine: when the real peers are missing,
//! `ikelab run` says so and runs peers/install.sh before anything else.

use std::path::Path;
use std::process::Command;

/// peers/install.sh of the tree this binary was built from.
const INSTALL_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../peers/install.sh");

/// Installs the peers if their manifest is missing; an error says what failed.
pub fn ensure_installed() -> Result<(), String> {
    let Err(missing) = peers::Installation::load() else { return Ok(()) };
    let script = Path::new(INSTALL_SCRIPT);
    eprintln!(
        "ikelab: the real peers are not installed ({missing}).\n\
         ikelab: installing them now with {}: strongSwan and Libreswan (in a user-mode-linux guest), \
         tshark, tcpdump, nftables (Debian packages, and a private prefix under /opt/ikelab)",
        script.display()
    );
    let status = Command::new("bash")
        .arg(script)
        .status()
        .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
    if !status.success() {
        return Err(format!("{} failed ({status}); see its output above", script.display()));
    }
    peers::Installation::load().map(drop).map_err(|error| format!("still missing after install.sh: {error}"))
}
