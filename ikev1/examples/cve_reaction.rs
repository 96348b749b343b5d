//! Prints what the engine does with each CVE case of vectors/cve (the
//! `ours` section the case files carry), so a reviewer can compare it with
//! the committed expectations after an engine change:
//! `cargo run -p ikev1 --features fuzz --example cve_reaction [CASE.json ...]`.

use std::path::PathBuf;

use ikev1::fuzz::cve::{CveCase, observe};

fn main() {
    let mut paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors/cve");
        paths = std::fs::read_dir(&directory)
            .expect("vectors/cve")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
    }
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let case: CveCase =
            serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let observed = observe(&case);
        let verdict = if observed == case.ours { "as recorded" } else { "DIFFERS" };
        println!("{} ({verdict}): {}", case.id, serde_json::to_string(&observed).expect("JSON"));
    }
}
