//! Every case of vectors/cve (inputs shaped like published IKEv1 bugs) fed
//! to our parser and engine: the reaction must be exactly the one the case
//! records (what is dropped and why, which Notify is sent, what stays up),
//! the parser must refuse each malformed datagram at the recorded offset,
//! nothing may panic, and the engine must still complete a fresh handshake.
//!
//! Cases that build protected messages (`needs_keys`) run on the null
//! crypto, under the fuzz invariants too; the others run on RustCrypto, so
//! Diffie-Hellman values are checked for real. vectors/cve/README.md
//! describes the format; `cargo run -p ikev1 --features fuzz --example
//! cve_reaction` prints what the engine does, for review after a change.

use std::fs;
use std::path::{Path, PathBuf};

use ikev1::fuzz::cve::{CveCase, observe};

fn directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors/cve")
}

fn cases() -> Vec<(PathBuf, CveCase)> {
    let mut paths: Vec<PathBuf> = fs::read_dir(directory())
        .expect("vectors/cve")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths.into_iter().map(|path| (path.clone(), read(&path))).collect()
}

fn read(path: &Path) -> CveCase {
    let text = fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn every_case_gets_exactly_the_recorded_reaction() {
    let cases = cases();
    assert!(cases.len() >= 15, "{} CVE cases", cases.len());
    for (path, case) in &cases {
        assert_eq!(observe(case), case.ours, "{}", path.display());
        assert!(case.ours.alive, "{}: the engine must survive", case.id);
    }
}

#[test]
fn cases_are_named_after_their_cve_and_documented() {
    let readme = fs::read_to_string(directory().join("README.md")).expect("vectors/cve/README.md");
    for (path, case) in cases() {
        assert_eq!(path.file_stem().and_then(|s| s.to_str()), Some(case.id.as_str()));
        assert!(case.id.starts_with("CVE-"), "{}", case.id);
        assert!(readme.contains(&case.id), "{} is not in the README", case.id);
        assert!(!case.script.steps.is_empty(), "{} does nothing", case.id);
    }
}
