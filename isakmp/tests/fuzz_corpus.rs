//! Replays the committed fuzz corpora (fuzz/corpus/<target>/) through the
//! same invariants the fuzz targets check, so a regression input found by a
//! campaign fails `cargo test` too.

use std::fs;
use std::path::PathBuf;

fn replay(target: &str, check: fn(&[u8])) {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut replayed = 0;
    for entry in fs::read_dir(&directory).unwrap_or_else(|err| panic!("{}: {err}", directory.display())) {
        let path = entry.unwrap().path();
        if path.is_file() {
            check(&fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    // The seeds alone are the 89 real ISAKMP messages (natt_demux: 4500 traffic).
    assert!(replayed >= 50, "{target}: only {replayed} corpus files");
}

#[test]
fn isakmp_parse_corpus() {
    replay("isakmp_parse", isakmp::invariants::parse_round_trip);
}

#[test]
fn isakmp_structured_corpus() {
    replay("isakmp_structured", isakmp::invariants::structured_round_trip);
}

#[test]
fn natt_demux_corpus() {
    replay("natt_demux", isakmp::invariants::natt_demux);
}
