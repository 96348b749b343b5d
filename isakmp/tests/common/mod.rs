//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The case directories of vectors/real, in name order.
pub fn real_cases() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors/real");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("vectors/real exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("capture.pcap").exists())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 10, "expected the ten real cases");
    cases
}
