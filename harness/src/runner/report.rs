//! What a case run produced: a verdict per check, the wall time, and the table the
//! CLI prints.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::cases::Case;

#[derive(Clone, Debug, Serialize)]
pub struct CaseReport {
    pub id: String,
    pub peer: String,
    pub role: String,
    pub case: String,
    /// `real` (against the peer daemon) or `simulated` (a second reference engine).
    pub mode: &'static str,
    pub passed: bool,
    /// Why it failed: the first failing check's detail, or a setup error.
    pub failure: Option<String>,
    pub checks: Vec<CheckReport>,
    pub wall_secs: f64,
    pub results: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub check: &'static str,
    pub outcome: CheckOutcome,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckOutcome {
    Passed,
    Failed,
    /// Not evaluated because an earlier check failed (the case has failed already).
    NotReached,
}

impl CaseReport {
    pub fn new(case: &Case, mode: &'static str) -> Self {
        CaseReport {
            id: case.id(),
            peer: case.peer.label().to_owned(),
            role: case.initiator.label().to_owned(),
            case: case.name.clone(),
            mode,
            passed: false,
            failure: None,
            checks: Vec::new(),
            wall_secs: 0.0,
            results: None,
        }
    }

    pub fn record(&mut self, check: &'static str, result: Result<String, String>) -> bool {
        let (outcome, detail) = match result {
            Ok(detail) => (CheckOutcome::Passed, detail),
            Err(detail) => (CheckOutcome::Failed, detail),
        };
        self.checks.push(CheckReport { check, outcome, detail });
        outcome == CheckOutcome::Passed
    }

    /// Closes the report: passed only if every check of the case ran and passed.
    pub fn finish(&mut self, case: &Case, wall: Duration, setup_error: Option<String>) {
        for check in case.checks.iter().skip(self.checks.len()) {
            self.checks.push(CheckReport {
                check: check.label(),
                outcome: CheckOutcome::NotReached,
                detail: "not reached: an earlier step failed".into(),
            });
        }
        let first_failure = self
            .checks
            .iter()
            .find(|check| check.outcome == CheckOutcome::Failed)
            .map(|check| format!("{}: {}", check.check, check.detail));
        self.failure = setup_error.or(first_failure);
        self.passed =
            self.failure.is_none() && self.checks.iter().all(|check| check.outcome == CheckOutcome::Passed);
        self.wall_secs = wall.as_secs_f64();
    }
}

/// The results table: case, peer, role, result, wall time; then the failures.
pub fn table(reports: &[CaseReport]) -> String {
    let width = reports.iter().map(|report| report.case.len()).max().unwrap_or(4).max(4);
    let mut out =
        format!("{:<width$}  {:<10}  {:<19}  {:<6}  {:>7}\n", "case", "peer", "role", "result", "wall");
    for report in reports {
        let result = if report.passed { "pass" } else { "FAIL" };
        let _ = writeln!(
            out,
            "{:<width$}  {:<10}  {:<19}  {:<6}  {:>6.2}s",
            report.case, report.peer, report.role, result, report.wall_secs
        );
    }
    let passed = reports.iter().filter(|report| report.passed).count();
    let _ = writeln!(out, "\n{passed} passed, {} failed", reports.len() - passed);
    for report in reports.iter().filter(|report| !report.passed) {
        let failure = report.failure.as_deref().unwrap_or("failed");
        let _ = writeln!(out, "\n{}: {}", report.id, failure.lines().next().unwrap_or(failure));
    }
    out
}
