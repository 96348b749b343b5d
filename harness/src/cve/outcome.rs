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

#[cfg(test)]
mod tests {
    use peers::PeerKind;
    use serde_json::json;

    use super::*;
    use crate::cve::{base_case, load_all, replay, vector::default_folder};
    use crate::runner::report::StepReport;

    fn step(label: &str, in_finally: bool, outcome: StepOutcome, values: serde_json::Value) -> StepReport {
        StepReport {
            number: 0,
            label: label.into(),
            step: String::new(),
            in_finally,
            outcome,
            detail: String::new(),
            at_secs: 0.0,
            values,
        }
    }

    /// CVE-2013-4564 as run: the timeline, then a liveness block ending with `last`.
    fn run(last: StepOutcome, health: Health) -> CveOutcome {
        let vector =
            load_all(&default_folder()).unwrap().into_iter().find(|v| v.id == "CVE-2013-4564").unwrap();
        let replay = replay(&vector, &base_case(PeerKind::StrongSwan).unwrap());
        let mut report = CaseReport::new(replay.case.as_ref().unwrap(), "real");
        report.record(step("send-datagrams", false, StepOutcome::Done, json!(null)));
        report.record(step("peer-reaction", false, StepOutcome::Passed, json!(null)));
        let seen = json!({ "capture": { "plain_notifies": { "IKEv2 INVALID_MAJOR_VERSION": 1 }, "first_responses": 0 },
                           "decrypted_notifies": {} });
        report.record(step("peer-messages", false, StepOutcome::Passed, seen));
        report.record(step("peer-alive", true, StepOutcome::Passed, json!(null)));
        report.record(step("ping", true, last, json!(null)));
        report.observations.peer_reaction = Some(Reaction::Ignored);
        report.peer_health = Some(health);
        CveOutcome::of_run(&vector, &replay, &report)
    }

    #[test]
    fn an_error_notify_only_the_capture_saw_makes_the_reaction_a_rejection() {
        let outcome = run(StepOutcome::Passed, Health::Alive);
        assert_eq!(outcome.reaction, Some(Reaction::Rejected));
        assert_eq!(outcome.notifies.get("IKEv2 INVALID_MAJOR_VERSION"), Some(&1));
        assert_eq!((outcome.replayed, outcome.survived), (Some(true), Some(true)));
        assert!(!outcome.peer_failed() && !outcome.harness_failed());
        assert_eq!(outcome.first_responses, None, "only counted where the reference goes silent");
    }

    #[test]
    fn a_peer_that_fails_the_fresh_handshake_or_dies_did_not_survive() {
        assert!(run(StepOutcome::Failed, Health::Alive).peer_failed());
        assert!(run(StepOutcome::Passed, Health::Crashed("gone".into())).peer_failed());
        let report = crate::cve::CveReport {
            peers: vec!["strongswan".into()],
            jobs: 2,
            wall_secs: 1.0,
            outcomes: vec![run(StepOutcome::Failed, Health::Alive)],
        };
        assert!(!report.acceptable());
        assert!(report.markdown().contains("| **NO** |"), "{}", report.markdown());
    }
}
