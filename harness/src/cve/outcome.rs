//! What one CVE replay against one peer showed: whether the replay ran as mapped,
//! how the peer took it, the notifies it sent, and whether it survived (its
//! process answers, and a fresh Main Mode and Quick Mode with it complete and
//! carry traffic, as vectors/cve/README.md defines liveness).

use std::collections::BTreeMap;

use ikev1::impairment::Impairment;
use peers::Health;
use serde::Serialize;

use super::mapping::{Fidelity, Replay};
use super::vector::CveVector;
use crate::runner::peer_messages::is_ikev2_error;
use crate::runner::report::StepOutcome;
use crate::runner::{CaseReport, is_error_notify};
use crate::scenario::Reaction;

#[derive(Clone, Debug, Serialize)]
pub struct CveOutcome {
    pub cve: String,
    pub title: String,
    pub peer: String,
    pub fidelity: Fidelity,
    /// How the script was played live, approximations and reasons included.
    pub how: Vec<String>,
    pub correct_reaction: String,
    /// Every step of the replay ran as mapped; `None` when not replayable.
    pub replayed: Option<bool>,
    pub reaction: Option<Reaction>,
    /// Notify types the peer sent by the end of the replay: those in the clear
    /// (from the capture) and those the reference decrypted.
    pub notifies: BTreeMap<String, u64>,
    /// How often the peer sent its MM2 or AM2 (resends included), for the cases where
    /// the reference goes silent after its first message (CVE-2016-5361's shape).
    pub first_responses: Option<u64>,
    /// `None` when the case did not run.
    pub survived: Option<bool>,
    /// The first failed step, or why the case did not run.
    pub failure: Option<String>,
    pub peer_health: Option<Health>,
    pub secs: f64,
    pub results: Option<String>,
}

impl CveOutcome {
    /// A case that has no live counterpart: reported, never counted as passing.
    pub fn not_replayable(vector: &CveVector, replay: &Replay) -> CveOutcome {
        CveOutcome {
            cve: vector.id.clone(),
            title: vector.title.clone(),
            peer: replay.peer.label().to_owned(),
            fidelity: replay.fidelity,
            how: replay.how.clone(),
            correct_reaction: vector.correct_reaction.clone(),
            replayed: None,
            reaction: None,
            notifies: BTreeMap::new(),
            first_responses: None,
            survived: None,
            failure: None,
            peer_health: None,
            secs: 0.0,
            results: None,
        }
    }

    /// Reads the runner's report of the replay's case.
    pub fn of_run(vector: &CveVector, replay: &Replay, report: &CaseReport) -> CveOutcome {
        let timeline: Vec<_> = report.steps.iter().filter(|step| !step.in_finally).collect();
        let finally: Vec<_> = report.steps.iter().filter(|step| step.in_finally).collect();
        let ran = |steps: &[&crate::runner::report::StepReport]| {
            !steps.is_empty()
                && steps.iter().all(|step| matches!(step.outcome, StepOutcome::Done | StepOutcome::Passed))
        };
        let peer_messages =
            timeline.iter().find(|step| step.label == "peer-messages").map(|step| &step.values);
        let notifies = peer_messages.map(notifies_of).unwrap_or_default();
        let silent = replay.case.as_ref().is_some_and(|case| {
            case.reference.impairments.iter().any(|i| matches!(i, Impairment::SilentAfter { .. }))
        });
        let first_responses = peer_messages
            .and_then(|values| values.pointer("/capture/first_responses"))
            .and_then(serde_json::Value::as_u64)
            .filter(|_| silent);
        let alive = report.peer_health == Some(Health::Alive);
        let setup_failed = report.steps.is_empty();
        CveOutcome {
            cve: vector.id.clone(),
            title: vector.title.clone(),
            peer: report.peer.clone(),
            fidelity: replay.fidelity,
            how: replay.how.clone(),
            correct_reaction: vector.correct_reaction.clone(),
            replayed: Some(ran(&timeline)),
            reaction: reaction(report.observations.peer_reaction, &notifies),
            notifies,
            first_responses,
            survived: (!setup_failed).then(|| alive && ran(&finally)),
            failure: report.failure.clone(),
            peer_health: report.peer_health.clone(),
            secs: report.wall_secs,
            results: report.results.clone(),
        }
    }

    /// The replay did not run as mapped (a setup error or a failed replay step).
    pub fn harness_failed(&self) -> bool {
        self.replayed == Some(false) || (self.replayed.is_some() && self.survived.is_none())
    }

    pub fn peer_failed(&self) -> bool {
        self.survived == Some(false)
    }
}

/// The plain notifies of the capture and those the reference decrypted, summed.
fn notifies_of(values: &serde_json::Value) -> BTreeMap<String, u64> {
    let mut notifies = BTreeMap::new();
    for pointer in ["/capture/plain_notifies", "/decrypted_notifies"] {
        let Some(counts) = values.pointer(pointer).and_then(serde_json::Value::as_object) else { continue };
        for (name, count) in counts {
            *notifies.entry(name.clone()).or_default() += count.as_u64().unwrap_or(0);
        }
    }
    notifies
}

/// The runner's classification, except that an error notify the peer sent in the
/// clear under cookies the reference's engine has no SA for (so its counters missed
/// it) makes an `ignored` a `rejected`.
fn reaction(checked: Option<Reaction>, notifies: &BTreeMap<String, u64>) -> Option<Reaction> {
    match checked {
        Some(Reaction::Ignored)
            if notifies.keys().any(|name| is_error_notify(name) || is_ikev2_error(name)) =>
        {
            Some(Reaction::Rejected)
        }
        other => other,
    }
}
