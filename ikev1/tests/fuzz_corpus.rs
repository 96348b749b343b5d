//! Replays the committed corpora of the engine fuzz targets
//! (fuzz/corpus/engine_*/) through the very functions the targets call, so
//! every invariant a campaign checks is checked by `cargo test` too, and an
//! input a campaign found stays fixed.
//!
//! The targets run the engine on the null crypto provider, which cargo-fuzz
//! builds get from `cfg(fuzzing)` and this test from the `fuzz` feature
//! (enabled for ikev1's own tests by its dev-dependency on itself). The
//! real provider would not do: the scripted peers' forged messages are only
//! authentic because every PRF output of the null provider is zeros.

use std::fs;
use std::path::PathBuf;

use ikev1::fuzz::{seeds, targets};

fn replay(target: &str, run: fn(&[u8]), seeds: Vec<seeds::Seed>) {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut replayed = 0;
    for entry in fs::read_dir(&directory).unwrap_or_else(|err| panic!("{}: {err}", directory.display())) {
        let path = entry.expect("corpus entry").path();
        let bytes = fs::read(&path).expect("corpus file");
        if let Err(panic) = std::panic::catch_unwind(|| run(&bytes)) {
            std::panic::resume_unwind(Box::new(format!("{}: {panic:?}", path.display())));
        }
        replayed += 1;
    }
    // Every seed script is committed (the generator writes them all).
    for (name, script) in &seeds {
        let committed = fs::read(directory.join(format!("seed-{name}"))).expect("seed committed");
        assert_eq!(
            committed,
            script.to_bytes(),
            "{target}: seed-{name} is stale; re-run export_engine_corpus"
        );
    }
    assert!(replayed >= seeds.len(), "{target}: {replayed} files");
}

#[test]
fn engine_responder_corpus() {
    replay("engine_responder", targets::engine_responder, seeds::engine_responder());
}

#[test]
fn engine_initiator_corpus() {
    replay("engine_initiator", targets::engine_initiator, seeds::engine_initiator());
}

#[test]
fn esp_decap_corpus() {
    replay("esp_decap", targets::esp_decap, seeds::esp_decap());
}

#[test]
fn engine_informational_corpus() {
    replay("engine_informational", targets::engine_informational, seeds::engine_informational());
}
