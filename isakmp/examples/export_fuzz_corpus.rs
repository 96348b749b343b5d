//! Writes the seed corpora of the fuzz targets from the real captures:
//! every ISAKMP message (isakmp_parse, isakmp_structured) and every UDP
//! payload on port 4500 (natt_demux). Run from the repository root:
//! `cargo run -p isakmp --example export_fuzz_corpus`.

use std::fs;
use std::path::{Path, PathBuf};

use isakmp::natt::IkeDatagram;
use vectors::Case;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let corpus = root.join("fuzz/corpus");
    let mut written = 0;
    for case in Case::all().expect("vectors/real") {
        let short = case.name.split('-').next().unwrap_or(&case.name).to_owned();
        for frame in case.frames().expect("capture") {
            let (Some(udp), Some(payload)) = (frame.udp(), frame.payload()) else {
                continue;
            };
            let file = format!("real-{short}-frame{:03}", frame.number);
            let (sport, dport) = (udp.src.port(), udp.dst.port());
            if sport == 4500 || dport == 4500 {
                write(&corpus.join("natt_demux"), &file, payload);
                written += 1;
            }
            if let Some(Ok(IkeDatagram::Ike { message, .. })) = IkeDatagram::classify(sport, dport, payload) {
                write(&corpus.join("isakmp_parse"), &file, message);
                write(&corpus.join("isakmp_structured"), &file, message);
                written += 2;
            }
        }
    }
    write(&corpus.join("natt_demux"), "keepalive", &[0xff]);
    println!("wrote {} seed files under {}", written + 1, corpus.display());
}

fn write(directory: &Path, name: &str, bytes: &[u8]) {
    fs::create_dir_all(directory).expect("corpus directory");
    fs::write(directory.join(name), bytes).expect("corpus file");
}
