//! `ikelab cve [CVE] [--peer strongswan|libreswan] [--results DIR] [--jobs N]`:
//! the CVE cases of vectors/cve replayed against each real peer, each followed by
//! the liveness check (vectors/cve/README.md, "Replaying against a real peer").
//! Exit status: 0 when every peer survived every replayed case and every replay ran
//! as mapped; 1 otherwise; 2 when the cases cannot be loaded or run at all.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::{Args, ValueEnum};
use harness::cases::Case;
use harness::cve::{self, CveOutcome, CveReport, CveVector, Replay};
use harness::runner::schedule;
use harness::runner::{CaseReport, Mode};
use peers::PeerKind;

#[derive(Args)]
pub struct CveArgs {
    /// Only the cases whose CVE id contains this text (e.g. `2015-3240`).
    filter: Option<String>,
    /// Only this peer (default: both).
    #[arg(long, value_enum)]
    peer: Option<PeerArg>,
    /// Where each case's folder (capture, traces, peer log) and the reports go.
    #[arg(long, default_value = "results-cve")]
    results: PathBuf,
    /// Cases run at once, each in its own namespaces.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// The folder of the CVE cases.
    #[arg(long)]
    vectors: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum PeerArg {
    Strongswan,
    Libreswan,
}

impl PeerArg {
    fn kind(self) -> PeerKind {
        match self {
            PeerArg::Strongswan => PeerKind::StrongSwan,
            PeerArg::Libreswan => PeerKind::LibreswanGuest,
        }
    }
}

/// One case against one peer: the vector, how it maps, and the live case if any.
struct Planned {
    vector: CveVector,
    replay: Replay,
}

pub fn main(args: &CveArgs) -> ExitCode {
    let planned = match plan(args) {
        Ok(planned) if !planned.is_empty() => planned,
        Ok(_) => {
            eprintln!("ikelab cve: no case matches {:?}", args.filter.as_deref().unwrap_or(""));
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("ikelab cve: {error}");
            return ExitCode::from(2);
        }
    };
    if Mode::for_this_process() != Mode::Real {
        eprintln!(
            "ikelab cve: the replays need the real peers, hence root (namespaces, daemons, guests); \
             ikev1/tests/cve_regressions.rs replays the cases against our engine without it"
        );
        return ExitCode::from(2);
    }
    crate::real_peers::prepare();
    let cases: Vec<Case> = planned.iter().filter_map(|planned| planned.replay.case.clone()).collect();
    eprintln!(
        "ikelab cve: {} replays against the real peers ({} not replayable), {} at a time, results in {}",
        cases.len(),
        planned.len() - cases.len(),
        args.jobs,
        args.results.display()
    );
    let started = Instant::now();
    let finished = AtomicUsize::new(0);
    let progress = |report: &CaseReport| {
        let count = finished.fetch_add(1, Ordering::SeqCst) + 1;
        let line = planned
            .iter()
            .find(|planned| planned.replay.case.as_ref().is_some_and(|case| case.id() == report.id))
            .map(|planned| CveOutcome::of_run(&planned.vector, &planned.replay, report))
            .map(|outcome| progress_line(&outcome))
            .unwrap_or_default();
        eprintln!("[{count:>2}/{}] {line}", cases.len());
    };
    let reports = schedule::run_all(&cases, Mode::Real, &args.results, args.jobs, &progress);
    let wall = started.elapsed().as_secs_f64();
    let outcomes: Vec<CveOutcome> = planned
        .iter()
        .map(|planned| {
            let id = planned.replay.case.as_ref().map(Case::id);
            match reports.iter().find(|report| Some(&report.id) == id.as_ref()) {
                Some(report) => CveOutcome::of_run(&planned.vector, &planned.replay, report),
                None => CveOutcome::not_replayable(&planned.vector, &planned.replay),
            }
        })
        .collect();
    let mut peers: Vec<String> = outcomes.iter().map(|outcome| outcome.peer.clone()).collect();
    peers.dedup();
    let report = CveReport { peers, jobs: args.jobs, wall_secs: wall, outcomes };
    print!("\n{}", cve::report::table(&report.outcomes));
    println!("\nwall time {wall:.1} s for {} replays with {} jobs", cases.len(), args.jobs);
    crate::run_command::conclude("ikelab cve", report.write(&args.results), report.acceptable())
}

/// Every selected vector mapped for every selected peer, peer by peer.
fn plan(args: &CveArgs) -> Result<Vec<Planned>, String> {
    let folder = args.vectors.clone().unwrap_or_else(cve::vector::default_folder);
    let filter = args.filter.as_deref().map(str::to_uppercase);
    let vectors: Vec<CveVector> = cve::load_all(&folder)?
        .into_iter()
        .filter(|vector| filter.as_deref().is_none_or(|filter| vector.id.contains(filter)))
        .collect();
    let peers = match args.peer {
        Some(peer) => vec![peer.kind()],
        None => vec![PeerKind::StrongSwan, PeerKind::LibreswanGuest],
    };
    let mut planned = Vec::new();
    for peer in peers {
        let base = cve::base_case(peer)?;
        for vector in &vectors {
            planned.push(Planned { vector: vector.clone(), replay: cve::replay(vector, &base) });
        }
    }
    Ok(planned)
}

fn progress_line(outcome: &CveOutcome) -> String {
    let verdict = if outcome.peer_failed() {
        "NOT SURVIVED"
    } else if outcome.harness_failed() {
        "replay FAILED"
    } else {
        "survived"
    };
    let reaction =
        outcome.reaction.map(|reaction| format!("{reaction:?}").to_lowercase()).unwrap_or_default();
    format!(
        "{verdict:<13} {:>6.1}s  {} {} ({}, {reaction})",
        outcome.secs,
        outcome.cve,
        outcome.peer,
        outcome.fidelity.label()
    )
}
