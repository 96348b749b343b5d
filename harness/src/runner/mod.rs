//! Runs cases: against the real peers when root, else in the simulation, and reports.
//! [`schedule`] runs many cases at once on reused stations.

pub mod capture;
pub mod engine_api;
pub mod icmp;
pub mod network;
pub mod peer_messages;
pub mod pool;
pub mod reference;
pub mod report;
pub mod results;
pub mod schedule;
mod session;
pub mod simulated;
pub mod station;
pub mod tshark;

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::time::Instant;

use peers::Health;

use crate::cases::Case;
pub use pool::StationPool;
pub use report::{CaseReport, Verdict};
use results::ResultsFolder;
pub use session::is_error_notify;
use station::StationKey;

/// Where cases run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Against the real peers in namespaces and guests (needs root).
    Real,
    /// Against a second reference engine in the in-process simulation.
    Simulated,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Real => "real",
            Mode::Simulated => "simulated",
        }
    }

    /// Real as root; the simulation otherwise.
    pub fn for_this_process() -> Mode {
        if peers::guard::is_root() { Mode::Real } else { Mode::Simulated }
    }
}

/// Runs one case on a station of its own, torn down afterwards.
pub fn run_case(case: &Case, mode: Mode, results: &Path) -> CaseReport {
    run_case_in(case, mode, results, &StationPool::new(0))
}

/// Runs one case, on a station from `pool` when real; a panic inside the case is a
/// failure, not a crash. The verdict is the raw outcome until expectations judge it.
pub fn run_case_in(case: &Case, mode: Mode, results: &Path, pool: &StationPool) -> CaseReport {
    let started = Instant::now();
    let mut report = CaseReport::new(case, mode.label());
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| execute(case, mode, results, pool, &mut report)));
    let setup_error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(panic) => Some(format!("panicked: {}", panic_message(panic.as_ref()))),
    };
    if report.verdict != Verdict::NotRun {
        report.finish(case, started.elapsed(), setup_error);
    }
    if let Some(path) = &report.results {
        ResultsFolder::at(Path::new(path)).write_json("outcome.json", &report);
    }
    report
}

fn execute(
    case: &Case,
    mode: Mode,
    results: &Path,
    pool: &StationPool,
    report: &mut CaseReport,
) -> Result<(), String> {
    match mode {
        Mode::Real => {
            let folder = ResultsFolder::create(results, &case.folder())?;
            report.results = Some(folder.path().display().to_string());
            let mut station = pool.take(StationKey { peer: case.peer, shape: case.shape() })?;
            let outcome = session::run(case, &mut station, &folder, report);
            // Only a healthy peer that went through its case cleanly serves again.
            if outcome.is_ok() && report.peer_health == Some(Health::Alive) {
                pool.give_back(station);
            } else {
                station.stop();
            }
            outcome
        }
        Mode::Simulated => simulated::run(case, report),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}
