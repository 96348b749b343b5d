//! The interop matrix as tests: one trial per case, named `peer::role::case`, so
//! `cargo test`, `cargo nextest` (listing, filtering, partitioning) see each case.
//!
//! As root each trial runs the real case against the real peer; a peer that is
//! missing or fails to start fails its trials with a message that says what is
//! missing. Without root the trials run the embedded default (the simulation) and
//! say so in their failure messages.

use std::path::PathBuf;

use harness::cases::catalogue;
use harness::runner::{self, Mode};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let arguments = Arguments::from_args();
    let mode = Mode::for_this_process();
    if mode == Mode::Real {
        peers::guard::clean_up_on_interrupt();
    }
    let results = std::env::var_os("IKELAB_RESULTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("interop-results"));
    let trials = catalogue::all()
        .into_iter()
        .map(|case| {
            let results = results.clone();
            Trial::test(case.id(), move || {
                let report = runner::run_case(&case, mode, &results);
                if report.passed {
                    Ok(())
                } else {
                    let detail = serde_json::to_string_pretty(&report.checks).unwrap_or_default();
                    Err(Failed::from(format!(
                        "{} ({} mode, {:.2}s): {}\nresults: {}\nchecks: {detail}",
                        report.id,
                        report.mode,
                        report.wall_secs,
                        report.failure.unwrap_or_default(),
                        report.results.unwrap_or_else(|| "none".into())
                    )))
                }
            })
        })
        .collect();
    libtest_mimic::run(&arguments, trials).exit();
}
