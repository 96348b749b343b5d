//! Runs cases: against the real peers when root, else in the simulation, and reports.

pub mod capture;
pub mod engine_api;
pub mod icmp;
mod network;
pub mod real;
pub mod reference;
pub mod report;
pub mod results;
mod simulated;
pub mod tshark;

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::time::Instant;

use crate::cases::Case;
pub use report::{CaseReport, table};
use results::ResultsFolder;

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

/// Runs one case and reports it; a panic inside the case is a failure, not a crash.
pub fn run_case(case: &Case, mode: Mode, results: &Path) -> CaseReport {
    let started = Instant::now();
    let mut report = CaseReport::new(case, mode.label());
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| execute(case, mode, results, &mut report)));
    let setup_error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(panic) => Some(format!("panicked: {}", panic_message(panic.as_ref()))),
    };
    report.finish(case, started.elapsed(), setup_error);
    if let Some(path) = &report.results
        && let Ok(text) = serde_json::to_string_pretty(&report)
        && let Err(error) = std::fs::write(Path::new(path).join("outcome.json"), text + "\n")
    {
        eprintln!("ikelab: writing the outcome of {}: {error}", case.id());
    }
    report
}

fn execute(case: &Case, mode: Mode, results: &Path, report: &mut CaseReport) -> Result<(), String> {
    match mode {
        Mode::Real => {
            let folder = ResultsFolder::create(results, &case.folder())?;
            report.results = Some(folder.path().display().to_string());
            real::run(case, &folder, report)
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
