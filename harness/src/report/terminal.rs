//! The table `ikelab run` prints at the end: case, peer, role, verdict, wall time; then
//! what failed and why, and any peer that crashed or hung, loudly.

use std::fmt::Write as _;

use crate::runner::{CaseReport, Verdict};

pub fn table(reports: &[CaseReport]) -> String {
    let width = reports.iter().map(|report| report.case.len()).max().unwrap_or(4).max(4);
    let mut out =
        format!("{:<width$}  {:<10}  {:<19}  {:<9}  {:>7}\n", "case", "peer", "role", "verdict", "wall");
    for report in reports {
        let _ = writeln!(
            out,
            "{:<width$}  {:<10}  {:<19}  {:<9}  {:>6.2}s",
            report.case,
            report.peer,
            report.role,
            report.verdict.label(),
            report.wall_secs
        );
    }
    let count = |verdict| reports.iter().filter(|report| report.verdict == verdict).count();
    let _ = writeln!(
        out,
        "\n{} pass, {} deviation, {} fail, {} not run",
        count(Verdict::Pass),
        count(Verdict::Deviation),
        count(Verdict::Fail),
        count(Verdict::NotRun)
    );
    for report in reports.iter().filter(|report| report.peer_broken()) {
        let _ = writeln!(
            out,
            "\n!!! PEER {} in {}: {}",
            health_word(report),
            report.id,
            report.failure.as_deref().unwrap_or("")
        );
    }
    for report in reports.iter().filter(|report| report.verdict == Verdict::Fail) {
        let why = report.verdict_detail.as_deref().or(report.failure.as_deref()).unwrap_or("failed");
        let _ = writeln!(out, "\n{}:\n{}", report.id, indent(why));
    }
    out
}

fn health_word(report: &CaseReport) -> &'static str {
    match report.peer_health {
        Some(peers::Health::Crashed(_)) => "CRASHED",
        Some(peers::Health::Hung(_)) => "HUNG",
        _ => "UNHEALTHY",
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}")).collect::<Vec<_>>().join("\n")
}
