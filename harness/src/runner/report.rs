//! What a case run produced: every step with its outcome, detail and values, what
//! the reference observed, the peer's health, the wall time, and (once judged against
//! the expectations) the verdict.

use std::time::Duration;

use ikev1::IkeSaInfo;
use ikev1::counters::Counters;
use peers::{Health, PeerStatus};
use serde::{Deserialize, Serialize};

use super::engine_api::IpsecSaUp;
use crate::cases::Case;
use crate::scenario::Reaction;

/// Reports read back (`ikelab merge`) lose the observations: merged reports carry
/// them as the partitions wrote them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseReport {
    pub id: String,
    pub peer: String,
    pub role: String,
    /// The scenario's name.
    pub case: String,
    pub theme: String,
    pub summary: String,
    pub rfc: Vec<String>,
    /// `real` (against the peer daemon) or `simulated` (a second reference engine).
    pub mode: String,
    /// Every step ran and passed, and the peer is healthy.
    pub passed: bool,
    /// Why it did not: `label: detail` of the first failed step, or a setup error.
    pub failure: Option<String>,
    pub failed_step: Option<FailedStep>,
    pub verdict: Verdict,
    /// The deviation's reason, or for a failure what was expected and what was seen.
    pub verdict_detail: Option<String>,
    pub steps: Vec<StepReport>,
    /// The peer's state after the case; anything but alive is flagged in every report.
    pub peer_health: Option<Health>,
    #[serde(skip_deserializing)]
    pub observations: Observations,
    /// Building or resetting the station, starting the reference and capture.
    pub setup_secs: f64,
    pub wall_secs: f64,
    pub results: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedStep {
    /// 1-based, counting the timeline and then `finally`.
    pub number: usize,
    pub label: String,
    pub detail: String,
}

/// How a case compares with what the expectations file says of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    /// A known deviation, reproduced exactly.
    Deviation,
    Fail,
    /// Could not run where it was asked to (the simulation cannot play this step).
    NotRun,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Deviation => "deviation",
            Verdict::Fail => "FAIL",
            Verdict::NotRun => "not-run",
        }
    }

    /// What a CI gate accepts.
    pub fn acceptable(self) -> bool {
        matches!(self, Verdict::Pass | Verdict::Deviation)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepReport {
    pub number: usize,
    pub label: String,
    /// The step as the scenario file writes it.
    pub step: String,
    pub in_finally: bool,
    pub outcome: StepOutcome,
    pub detail: String,
    /// Seconds since the case started, when the step ended.
    pub at_secs: f64,
    /// What the step measured (negotiated algorithms, lifetimes, timings...).
    pub values: serde_json::Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepOutcome {
    /// An action that was carried out.
    Done,
    Passed,
    Failed,
    /// Not evaluated because an earlier step failed (the case has failed already).
    NotReached,
}

/// What the reference saw during the whole case.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Observations {
    pub ike_sas: Vec<IkeSaInfo>,
    pub ipsec_sas: Vec<IpsecSaUp>,
    pub sa_events: Vec<TimedText>,
    pub session_history: Vec<TimedText>,
    pub peer_vendor_ids: Vec<String>,
    pub keepalives_sent: u32,
    pub echo_requests_answered: usize,
    pub counters: Option<Counters>,
    pub peer_reaction: Option<Reaction>,
    pub peer_status: Option<PeerStatus>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TimedText {
    pub at_secs: f64,
    pub text: String,
}

impl CaseReport {
    pub fn new(case: &Case, mode: &str) -> Self {
        CaseReport {
            id: case.id(),
            peer: case.peer.label().to_owned(),
            role: case.initiator.label().to_owned(),
            case: case.name.clone(),
            theme: case.theme.clone(),
            summary: case.summary.clone(),
            rfc: case.rfc.clone(),
            mode: mode.to_owned(),
            passed: false,
            failure: None,
            failed_step: None,
            verdict: Verdict::Fail,
            verdict_detail: None,
            steps: Vec::new(),
            peer_health: None,
            observations: Observations::default(),
            setup_secs: 0.0,
            wall_secs: 0.0,
            results: None,
        }
    }

    /// Records a step; whether it went well.
    pub fn record(&mut self, step: StepReport) -> bool {
        let fine = step.outcome != StepOutcome::Failed;
        self.steps.push(step);
        fine
    }

    /// Closes the report: passed only if every step ran and passed and the peer is
    /// healthy; otherwise the first failure says why.
    pub fn finish(&mut self, case: &Case, wall: Duration, setup_error: Option<String>) {
        let all = case
            .timeline
            .iter()
            .map(|step| (step, false))
            .chain(case.finally.iter().map(|step| (step, true)));
        for (number, (step, in_finally)) in all.enumerate().skip(self.steps.len()) {
            self.steps.push(StepReport {
                number: number + 1,
                label: step.label(),
                step: step.describe(),
                in_finally,
                outcome: StepOutcome::NotReached,
                detail: "not reached: an earlier step failed".into(),
                at_secs: wall.as_secs_f64(),
                values: serde_json::Value::Null,
            });
        }
        self.failed_step = self.steps.iter().find(|step| step.outcome == StepOutcome::Failed).map(|step| {
            FailedStep { number: step.number, label: step.label.clone(), detail: step.detail.clone() }
        });
        let unhealthy = match &self.peer_health {
            Some(Health::Crashed(detail)) => Some(format!("peer-health: the peer CRASHED: {detail}")),
            Some(Health::Hung(detail)) => Some(format!("peer-health: the peer HUNG: {detail}")),
            _ => None,
        };
        let first_failure = self.failed_step.as_ref().map(|step| format!("{}: {}", step.label, step.detail));
        self.failure = setup_error.or(first_failure).or(unhealthy);
        self.passed = self.failure.is_none()
            && self.steps.iter().all(|step| matches!(step.outcome, StepOutcome::Passed | StepOutcome::Done));
        self.verdict = if self.passed { Verdict::Pass } else { Verdict::Fail };
        self.wall_secs = wall.as_secs_f64();
    }

    /// Whether the peer crashed or hung during or after the case.
    pub fn peer_broken(&self) -> bool {
        matches!(self.peer_health, Some(Health::Crashed(_) | Health::Hung(_)))
    }
}
