//! A small made-up run with one case of every verdict, a crashed peer among them:
//! what the report tests (and the Chromium test) render, with no peer running.

use peers::Health;
use serde_json::json;

use super::RunReport;
use crate::cases::catalogue;
use crate::runner::report::{FailedStep, StepOutcome, StepReport};
use crate::runner::{CaseReport, Verdict};
use crate::scenario::Catalogue;

/// The basic theme's cases with invented outcomes: all four verdicts, one crash.
pub fn run() -> RunReport {
    let catalogue = Catalogue::embedded().expect("the embedded catalogue");
    let themes = catalogue.themes.iter().filter(|theme| theme.name == "basic").cloned().collect();
    let cases: Vec<CaseReport> = catalogue::all()
        .into_iter()
        .filter(|case| case.theme == "basic")
        .enumerate()
        .map(|(index, case)| {
            let mut report = CaseReport::new(&case, "real");
            report.wall_secs = 0.5 + index as f64 / 10.0;
            report.results = Some(format!("/results/{}", case.folder()));
            report.steps.push(step(1, "initiate", StepOutcome::Done, "the reference started Phase 1"));
            report.peer_health = Some(Health::Alive);
            match index % 8 {
                3 => fail(&mut report),
                5 => deviation(&mut report),
                6 => not_run(&mut report),
                7 => crash(&mut report),
                _ => pass(&mut report),
            }
            report
        })
        .collect();
    RunReport::new("real", 2, None, 12.5, themes, cases)
}

fn step(number: usize, label: &str, outcome: StepOutcome, detail: &str) -> StepReport {
    StepReport {
        number,
        label: label.into(),
        step: format!("{{ step = \"{label}\" }}"),
        in_finally: false,
        outcome,
        detail: detail.into(),
        at_secs: number as f64 / 10.0,
        values: json!({ "sample": true }),
    }
}

fn pass(report: &mut CaseReport) {
    report.steps.push(step(2, "phase-1", StepOutcome::Passed, "Main Mode, aes128-sha256-modp2048, 86400 s"));
    report.passed = true;
    report.verdict = Verdict::Pass;
}

fn failed(report: &mut CaseReport, label: &str, detail: &str) {
    report.steps.push(step(2, label, StepOutcome::Failed, detail));
    report.failed_step = Some(FailedStep { number: 2, label: label.into(), detail: detail.into() });
    report.failure = Some(format!("{label}: {detail}"));
}

fn fail(report: &mut CaseReport) {
    failed(report, "phase-2", "the reference has no IPsec SA after 10s");
    report.verdict = Verdict::Fail;
    report.verdict_detail = Some(
        "- expected: pass\n+ observed: fails at `phase-2`: the reference has no IPsec SA after 10s".into(),
    );
}

fn deviation(report: &mut CaseReport) {
    failed(report, "nat", "expected NAT detected false: reference NAT detected true");
    report.verdict = Verdict::Deviation;
    report.verdict_detail = Some("kernel-libipsec always encapsulates <ESP> in UDP & fakes a NAT".into());
}

fn not_run(report: &mut CaseReport) {
    report.verdict = Verdict::NotRun;
    report.verdict_detail = Some("the simulation cannot play `peer-restarts`; it needs a real peer".into());
}

fn crash(report: &mut CaseReport) {
    report.peer_health = Some(Health::Crashed("pluto is no longer running in the guest".into()));
    report.failure = Some("peer-health: the peer CRASHED: pluto is no longer running in the guest".into());
    report.verdict = Verdict::Fail;
    report.verdict_detail =
        Some("- expected: pass\n+ observed: fails at `peer-health`: the peer CRASHED".into());
}
