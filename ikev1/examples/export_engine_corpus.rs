//! Writes the seed corpora of the engine fuzz targets from the seed scripts
//! (`ikev1::fuzz::seeds`): one file per seed under fuzz/corpus/<target>/.
//! Run from anywhere:
//! `cargo run -p ikev1 --features fuzz --example export_engine_corpus`.

use std::fs;
use std::path::PathBuf;

use ikev1::fuzz::seeds;

fn main() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let targets = [
        ("engine_responder", seeds::engine_responder()),
        ("engine_initiator", seeds::engine_initiator()),
        ("engine_informational", seeds::engine_informational()),
        ("esp_decap", seeds::esp_decap()),
    ];
    let mut written = 0;
    for (target, seeds) in targets {
        let directory = corpus.join(target);
        fs::create_dir_all(&directory).expect("corpus directory");
        for (name, script) in seeds {
            fs::write(directory.join(format!("seed-{name}")), script.to_bytes()).expect("corpus file");
            written += 1;
        }
    }
    println!("wrote {written} seed files under {}", corpus.display());
}
