//! A live fuzzing campaign: cases `first..` of a seed, played against one real
//! peer by parallel workers until a case count or a time budget runs out.
//! Each worker keeps its station (namespaces, peer daemon or guest) across
//! cases while the peer stays healthy, and gets a fresh one when it does not.
//!
//! Every case ends with the liveness oracle ([`crate::scenario::liveness`]).
//! A case whose peer crashed or hung, or failed the oracle, is a finding: its
//! folder (capture, peer log, reference trace, keys) is kept with a
//! `reproducer.json` naming the seed and index that replay it. The folders of
//! cases that found nothing are removed, so a long campaign stays small.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ikev1::policy::ExchangeMode;
use peers::{Health, PeerKind};
use serde::Serialize;

use super::FuzzCase;
use super::case::runner_case;
use crate::runner::report::StepOutcome;
use crate::runner::{CaseReport, Mode, StationPool, run_case_in};
use crate::scenario::{Catalogue, Reaction};

/// What to run.
#[derive(Clone, Debug)]
pub struct Campaign {
    pub peer: PeerKind,
    pub seed: u64,
    /// The first case index; a replay runs one case from here.
    pub first: u64,
    /// At most this many cases.
    pub cases: Option<u64>,
    /// Start no case after this long.
    pub budget: Option<Duration>,
    pub jobs: usize,
    pub results: PathBuf,
    /// Keep every case's folder, not only the findings' (for a replay).
    pub keep_folders: bool,
}

/// How one case ended for the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Alive, and a fresh handshake completed after the case.
    Survived,
    /// The peer process died or stopped answering its control socket.
    PeerBroken,
    /// The process answered, but the fresh handshake or its ping failed.
    LivenessLost,
    /// The case could not be set up (station, daemon start): not the peer's doing
    /// as far as we can tell, but counted and kept for a look.
    HarnessError,
}

impl Outcome {
    fn of(report: &CaseReport) -> Outcome {
        let reaction_broken =
            matches!(report.observations.peer_reaction, Some(Reaction::Crashed | Reaction::Hung));
        if report.peer_broken() || reaction_broken {
            Outcome::PeerBroken
        } else if report.steps.iter().any(|step| step.in_finally && step.outcome == StepOutcome::Failed) {
            Outcome::LivenessLost
        } else if report.failure.is_some() {
            Outcome::HarnessError
        } else {
            Outcome::Survived
        }
    }

    pub fn is_finding(self) -> bool {
        matches!(self, Outcome::PeerBroken | Outcome::LivenessLost)
    }
}

/// One line of `cases.jsonl`.
#[derive(Clone, Debug, Serialize)]
pub struct CaseLine {
    pub index: u64,
    pub case: String,
    /// accepted / rejected / ignored / crashed / hung, when the case got that far.
    pub reaction: Option<String>,
    /// The error notifies the peer answered the damaged handshake with.
    pub peer_notifies: Vec<String>,
    pub outcome: Outcome,
    pub failure: Option<String>,
    pub wall_secs: f64,
}

/// A case worth a look, and how to run it again.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub index: u64,
    pub outcome: Outcome,
    pub case: String,
    pub failure: String,
    pub folder: Option<String>,
    pub replay: String,
}

/// What `fuzz-summary.json` says.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub peer: String,
    pub seed: u64,
    pub first: u64,
    pub jobs: usize,
    pub cases: u64,
    pub wall_secs: f64,
    pub cases_per_sec: f64,
    pub outcomes: BTreeMap<Outcome, u64>,
    /// How the peer took the damaged handshakes.
    pub reactions: BTreeMap<String, u64>,
    /// Reactions by the kind of damage (`mutate/payload`, `zero_ke`...).
    pub reactions_by_impairment: BTreeMap<String, BTreeMap<String, u64>>,
    /// In how many cases the peer answered with each error notify.
    pub peer_notifies: BTreeMap<String, u64>,
    /// Stations torn down and built again (a peer restart): after every case whose
    /// peer was not healthy or whose set-up failed.
    pub peer_restarts: u64,
    pub findings: Vec<Finding>,
}

/// Runs the campaign; the summary is also written to `fuzz-summary.json`.
pub fn run(campaign: &Campaign, progress: &(dyn Fn(&CaseLine) + Sync)) -> Result<Summary, String> {
    let catalogue = Catalogue::embedded()?;
    check_base_cases(&catalogue, campaign.peer)?;
    fs::create_dir_all(&campaign.results)
        .map_err(|error| format!("creating {}: {error}", campaign.results.display()))?;
    let started = Instant::now();
    let next = AtomicU64::new(campaign.first);
    let lines: Mutex<Vec<(FuzzCase, CaseLine, CaseReport)>> = Mutex::new(Vec::new());
    let jsonl = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for worker in 0..campaign.jobs.max(1) {
            let (next, lines, jsonl, catalogue) = (&next, &lines, &jsonl, &catalogue);
            thread::Builder::new()
                .name(format!("ikelab-fuzz-{worker}"))
                .spawn_scoped(scope, move || {
                    let pool = StationPool::new(1);
                    while let Some(index) = claim(campaign, next, started) {
                        let fuzz = FuzzCase::generate(campaign.seed, index);
                        let (line, report) = play(campaign, catalogue, &fuzz, &pool);
                        progress(&line);
                        let mut json = serde_json::to_string(&line).unwrap_or_default();
                        json.push('\n');
                        jsonl.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(json);
                        lines
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .push((fuzz, line, report));
                    }
                })
                .expect("spawning a fuzz worker");
        }
    });
    let wall = started.elapsed();
    let mut lines = lines.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    lines.sort_by_key(|(fuzz, _, _)| fuzz.index);
    let summary = summarise(campaign, &lines, wall);
    write(&campaign.results.join("cases.jsonl"), jsonl.into_inner().unwrap_or_default().concat().as_bytes())?;
    let json = serde_json::to_vec_pretty(&summary).map_err(|error| error.to_string())?;
    write(&campaign.results.join("fuzz-summary.json"), &json)?;
    Ok(summary)
}

/// Every fuzz case starts from a plain catalogue case; all four must be there.
fn check_base_cases(catalogue: &Catalogue, peer: PeerKind) -> Result<(), String> {
    for exchange in [ExchangeMode::Main, ExchangeMode::Aggressive] {
        for reference_initiates in [true, false] {
            let fuzz = FuzzCase { seed: 0, index: 0, exchange, reference_initiates, impairments: Vec::new() };
            runner_case(catalogue, &fuzz, peer)?;
        }
    }
    Ok(())
}

/// The next case index, unless the count or the time budget is used up.
fn claim(campaign: &Campaign, next: &AtomicU64, started: Instant) -> Option<u64> {
    if campaign.budget.is_some_and(|budget| started.elapsed() >= budget) {
        return None;
    }
    let index = next.fetch_add(1, Ordering::SeqCst);
    let limit = campaign.cases.map(|cases| campaign.first.saturating_add(cases));
    (limit.is_none_or(|limit| index < limit)).then_some(index)
}

/// Plays one case; keeps its folder only if it found something.
fn play(
    campaign: &Campaign,
    catalogue: &Catalogue,
    fuzz: &FuzzCase,
    pool: &StationPool,
) -> (CaseLine, CaseReport) {
    let case = runner_case(catalogue, fuzz, campaign.peer).expect("base cases checked before the campaign");
    let report = run_case_in(&case, Mode::Real, &campaign.results, pool);
    let outcome = Outcome::of(&report);
    let line = CaseLine {
        index: fuzz.index,
        case: fuzz.describe(),
        reaction: report.observations.peer_reaction.map(|reaction| reaction.label().to_owned()),
        peer_notifies: error_notifies(&report),
        outcome,
        failure: report.failure.clone(),
        wall_secs: report.wall_secs,
    };
    if let Some(folder) = &report.results {
        let folder = Path::new(folder);
        if outcome == Outcome::Survived && !campaign.keep_folders {
            let _ = fs::remove_dir_all(folder);
        } else {
            let reproducer = serde_json::json!({
                "fuzz_case": fuzz,
                "peer": campaign.peer.label(),
                "replay": replay_command(campaign.peer, fuzz),
            });
            let _ = fs::write(
                folder.join("reproducer.json"),
                serde_json::to_vec_pretty(&reproducer).unwrap_or_default(),
            );
        }
    }
    (line, report)
}

/// What the peer-reaction step saw the peer send (the reference that counted
/// them is replaced by the liveness oracle's fresh one).
fn error_notifies(report: &CaseReport) -> Vec<String> {
    let step = report.steps.iter().find(|step| step.label == "peer-reaction");
    let names = step.and_then(|step| step.values.get("error_notifies")).and_then(|names| names.as_array());
    names.into_iter().flatten().filter_map(|name| name.as_str().map(str::to_owned)).collect()
}

fn replay_command(peer: PeerKind, fuzz: &FuzzCase) -> String {
    format!("ikelab fuzz --peer {} --seed {} --replay {}", peer.label(), fuzz.seed, fuzz.index)
}

fn summarise(campaign: &Campaign, lines: &[(FuzzCase, CaseLine, CaseReport)], wall: Duration) -> Summary {
    let mut summary = Summary {
        peer: campaign.peer.label().to_owned(),
        seed: campaign.seed,
        first: campaign.first,
        jobs: campaign.jobs,
        cases: lines.len() as u64,
        wall_secs: wall.as_secs_f64(),
        cases_per_sec: lines.len() as f64 / wall.as_secs_f64().max(f64::EPSILON),
        outcomes: BTreeMap::new(),
        reactions: BTreeMap::new(),
        reactions_by_impairment: BTreeMap::new(),
        peer_notifies: BTreeMap::new(),
        peer_restarts: 0,
        findings: Vec::new(),
    };
    for (fuzz, line, report) in lines {
        *summary.outcomes.entry(line.outcome).or_default() += 1;
        let reaction = line.reaction.clone().unwrap_or_else(|| "not-reached".into());
        *summary.reactions.entry(reaction.clone()).or_default() += 1;
        for kind in fuzz.impairments.iter().map(impairment_kind) {
            *summary.reactions_by_impairment.entry(kind).or_default().entry(reaction.clone()).or_default() +=
                1;
        }
        for notify in &line.peer_notifies {
            *summary.peer_notifies.entry(notify.clone()).or_default() += 1;
        }
        if report.peer_health != Some(Health::Alive) || line.outcome == Outcome::HarnessError {
            summary.peer_restarts += 1;
        }
        if line.outcome.is_finding() {
            summary.findings.push(Finding {
                index: fuzz.index,
                outcome: line.outcome,
                case: line.case.clone(),
                failure: line.failure.clone().unwrap_or_default(),
                folder: report.results.clone(),
                replay: replay_command(campaign.peer, fuzz),
            });
        }
    }
    summary
}

/// `zero_ke`, or `mutate/<mutation>` for the fuzz mutations.
fn impairment_kind(impairment: &ikev1::impairment::Impairment) -> String {
    match impairment {
        ikev1::impairment::Impairment::Mutate { mutation, authentic, .. } => {
            let value = serde_json::to_value(mutation).unwrap_or_default();
            let name = match &value {
                serde_json::Value::String(name) => name.clone(),
                serde_json::Value::Object(fields) => fields.keys().next().cloned().unwrap_or_default(),
                _ => String::new(),
            };
            let authentic = if *authentic { " (authentic)" } else { "" };
            format!("mutate/{name}{authentic}")
        }
        other => other.name(),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|error| format!("writing {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ikev1::impairment::{Impairment, Mutation};

    fn campaign(cases: Option<u64>, budget: Option<Duration>) -> Campaign {
        Campaign {
            peer: PeerKind::StrongSwan,
            seed: 1,
            first: 10,
            cases,
            budget,
            jobs: 2,
            results: PathBuf::from("unused"),
            keep_folders: false,
        }
    }

    #[test]
    fn claims_stop_at_the_count_and_at_the_budget() {
        let counted = campaign(Some(3), None);
        let next = AtomicU64::new(counted.first);
        let claimed: Vec<u64> = std::iter::from_fn(|| claim(&counted, &next, Instant::now())).collect();
        assert_eq!(claimed, [10, 11, 12]);
        let timed = campaign(None, Some(Duration::ZERO));
        assert_eq!(claim(&timed, &AtomicU64::new(0), Instant::now()), None);
    }

    #[test]
    fn impairments_are_tallied_by_kind() {
        let mutate = |mutation, authentic| Impairment::Mutate { nth: 1, mutation, authentic };
        assert_eq!(impairment_kind(&mutate(Mutation::Truncate { keep: 3 }, false)), "mutate/truncate");
        assert_eq!(impairment_kind(&mutate(Mutation::None, true)), "mutate/none (authentic)");
        assert_eq!(impairment_kind(&Impairment::ZeroKe), "zero_ke");
    }
}
