//! Triage for an engine fuzz finding: prints the script an input decodes
//! to, then runs it through its target (a violated invariant panics with
//! its message). `cargo run -p ikev1 --features fuzz --example
//! explain_fuzz_input -- engine_responder fuzz/artifacts/engine_responder/crash-...`

use ikev1::fuzz::script::Script;
use ikev1::fuzz::targets;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(target), Some(path)) = (args.next(), args.next()) else {
        eprintln!(
            "usage: explain_fuzz_input <engine_responder|engine_initiator|engine_informational|esp_decap> <file>"
        );
        std::process::exit(2);
    };
    let data = std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let script = Script::from_bytes(&data);
    println!("setup: {:?}", script.setup);
    for (index, step) in script.steps.iter().enumerate() {
        println!("{index:3}: {step:?}");
    }
    let run = match target.as_str() {
        "engine_responder" => targets::engine_responder,
        "engine_initiator" => targets::engine_initiator,
        "engine_informational" => targets::engine_informational,
        "esp_decap" => targets::esp_decap,
        other => panic!("no target {other}"),
    };
    run(&data);
    println!("no invariant violated");
}
