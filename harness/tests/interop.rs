//! The interop matrix as tests: one trial per case, named `peer::role::case`, so
//! `cargo test`, `cargo nextest` (listing, filtering, partitioning) see each case.
//!
//! As root each trial runs the real case against the real peer and is judged against
//! scenarios/expectations.toml: it passes when the case passes or reproduces its
//! known deviation exactly. A peer that is missing or fails to start fails its trials
//! with a message that says what is missing. Without root the trials run the embedded
//! default (the simulation); a case it cannot play fails, saying so.
//!
//! Trials in one process share idle stations (topology and running peer) by key, so
//! `cargo test` boots a Libreswan guest per thread and shape, not per case.

use std::path::PathBuf;
use std::sync::LazyLock;

use harness::cases::catalogue;
use harness::expectations::Expectations;
use harness::runner::{self, Mode, StationPool, Verdict};
use libtest_mimic::{Arguments, Failed, Trial};

static POOL: LazyLock<StationPool> = LazyLock::new(|| StationPool::new(4));

fn main() {
    let arguments = Arguments::from_args();
    let mode = Mode::for_this_process();
    if mode == Mode::Real {
        peers::guard::clean_up_on_interrupt();
    }
    let expectations = Expectations::embedded().expect("the embedded expectations file");
    let results = std::env::var_os("IKELAB_RESULTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("interop-results"));
    let expectations = std::sync::Arc::new(expectations);
    let trials = catalogue::all()
        .into_iter()
        .map(|case| {
            let (results, expectations) = (results.clone(), expectations.clone());
            Trial::test(case.id(), move || {
                let mut report = runner::run_case_in(&case, mode, &results, &POOL);
                expectations.judge(&mut report);
                match report.verdict {
                    Verdict::Pass | Verdict::Deviation => Ok(()),
                    Verdict::Fail | Verdict::NotRun => {
                        let steps = serde_json::to_string_pretty(&report.steps).unwrap_or_default();
                        Err(Failed::from(format!(
                            "{} ({} mode, {:.2}s): {}\n{}\nresults: {}\nsteps: {steps}",
                            report.id,
                            report.mode,
                            report.wall_secs,
                            report.verdict.label(),
                            report.verdict_detail.or(report.failure).unwrap_or_default(),
                            report.results.unwrap_or_else(|| "none".into())
                        )))
                    }
                }
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&arguments, trials);
    POOL.clear();
    conclusion.exit();
}
