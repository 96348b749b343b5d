//! The proof that a capture opens decrypted: tshark, pointed at the case's Wireshark
//! folder (`WIRESHARK_CONFIG_DIR`), must show the Quick Mode messages' nonces (only
//! visible once decrypted) and ICMP inside ESP.

use std::path::Path;
use std::process::Command;

/// Quick Mode is ISAKMP exchange type 32; a Nonce payload shows only after decryption.
const DECRYPTED_QUICK_MODE: &str = "isakmp.exchangetype == 32 && isakmp.nonce";
const ICMP_IN_ESP: &str = "esp && icmp";

/// Frames of `pcap` matching a display filter, read with the keys in `profile`.
fn frames(pcap: &Path, profile: &Path, filter: &str) -> Result<usize, String> {
    let output = Command::new("tshark")
        .env("WIRESHARK_CONFIG_DIR", profile)
        .arg("-r")
        .arg(pcap)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .output()
        .map_err(|error| format!("cannot run tshark: {error}"))?;
    if !output.status.success() {
        return Err(format!("tshark failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&output.stdout).lines().filter(|line| !line.trim().is_empty()).count())
}

/// Passes when at least two Quick Mode messages and four ICMP packets (two echoes,
/// both answered) decrypt.
pub fn check(pcap: &Path, profile: &Path) -> Result<String, String> {
    let quick_mode = frames(pcap, profile, DECRYPTED_QUICK_MODE)?;
    let icmp = frames(pcap, profile, ICMP_IN_ESP)?;
    let detail = format!("{quick_mode} Quick Mode messages and {icmp} ICMP packets decrypted");
    if quick_mode >= 2 && icmp >= 4 { Ok(detail) } else { Err(detail) }
}
