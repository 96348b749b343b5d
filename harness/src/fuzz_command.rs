//! `ikelab fuzz --peer strongswan|libreswan [--seconds N] [--cases N] [--seed S]
//! [--replay INDEX] [--jobs N] [--results DIR]`: live fuzzing of a real peer.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Args;
use harness::live_fuzz::campaign::{CaseLine, Outcome};
use harness::live_fuzz::{Campaign, Summary};
use peers::PeerKind;

#[derive(Args)]
pub struct FuzzArgs {
    /// The peer to fuzz: strongswan or libreswan.
    #[arg(long, value_parser = parse_peer)]
    peer: PeerKind,
    /// The campaign's seed: case N of seed S is always the same case.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Start no case after this many seconds (default 600 unless --cases is given).
    #[arg(long)]
    seconds: Option<u64>,
    /// Run at most this many cases.
    #[arg(long)]
    cases: Option<u64>,
    /// Run only case INDEX of the seed again (a finding's reproducer), keeping its folder.
    #[arg(long, value_name = "INDEX", conflicts_with_all = ["seconds", "cases"])]
    replay: Option<u64>,
    /// Cases run at once, each on its own station.
    #[arg(long, default_value_t = 8)]
    jobs: usize,
    /// Where findings' folders, cases.jsonl and fuzz-summary.json go.
    #[arg(long, default_value = "results-fuzz")]
    results: PathBuf,
}

fn parse_peer(text: &str) -> Result<PeerKind, String> {
    [PeerKind::StrongSwan, PeerKind::LibreswanGuest]
        .into_iter()
        .find(|kind| kind.label() == text)
        .ok_or_else(|| format!("{text:?}: the peers are strongswan and libreswan"))
}

pub fn main(args: &FuzzArgs) -> ExitCode {
    if !peers::guard::is_root() {
        eprintln!("ikelab fuzz: needs root: the peers run in namespaces and guests");
        return ExitCode::FAILURE;
    }
    crate::real_peers::prepare();
    let campaign = campaign(args);
    eprintln!(
        "ikelab fuzz: {} seed {} from case {}, {}, {} at a time, results in {}",
        campaign.peer.label(),
        campaign.seed,
        campaign.first,
        bounds(&campaign),
        campaign.jobs,
        campaign.results.display()
    );
    let done = AtomicU64::new(0);
    let progress = |line: &CaseLine| {
        let count = done.fetch_add(1, Ordering::SeqCst) + 1;
        let reaction = line.reaction.as_deref().unwrap_or("-");
        let flag =
            if line.outcome == Outcome::Survived { String::new() } else { format!("  {:?}", line.outcome) };
        eprintln!("[{count:>5}] {reaction:<9} {:>5.1}s  {}{flag}", line.wall_secs, line.case);
    };
    match harness::live_fuzz::campaign::run(&campaign, &progress) {
        Ok(summary) => {
            print!("{}", render(&summary));
            if summary.findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(error) => {
            eprintln!("ikelab fuzz: {error}");
            ExitCode::FAILURE
        }
    }
}

fn campaign(args: &FuzzArgs) -> Campaign {
    let (first, cases, budget) = match args.replay {
        Some(index) => (index, Some(1), None),
        None => {
            let seconds = args.seconds.or(if args.cases.is_some() { None } else { Some(600) });
            (0, args.cases, seconds.map(Duration::from_secs))
        }
    };
    let jobs = if args.replay.is_some() { 1 } else { args.jobs };
    Campaign {
        peer: args.peer,
        seed: args.seed,
        first,
        cases,
        budget,
        jobs,
        results: args.results.clone(),
        keep_folders: args.replay.is_some(),
    }
}

fn bounds(campaign: &Campaign) -> String {
    match (campaign.cases, campaign.budget) {
        (Some(cases), Some(budget)) => format!("up to {cases} cases or {} s", budget.as_secs()),
        (Some(cases), None) => format!("{cases} cases"),
        (None, Some(budget)) => format!("{} s", budget.as_secs()),
        (None, None) => "no bound".into(),
    }
}

/// The summary as the terminal shows it.
fn render(summary: &Summary) -> String {
    let mut text = format!(
        "\n{} cases against {} in {:.0} s ({:.2} cases/s, {} jobs), {} peer restarts\n",
        summary.cases,
        summary.peer,
        summary.wall_secs,
        summary.cases_per_sec,
        summary.jobs,
        summary.peer_restarts
    );
    let tally = |map: &std::collections::BTreeMap<String, u64>| {
        map.iter().map(|(name, count)| format!("{name} {count}")).collect::<Vec<_>>().join(", ")
    };
    let outcomes: Vec<String> =
        summary.outcomes.iter().map(|(outcome, count)| format!("{outcome:?} {count}")).collect();
    text += &format!("outcomes:  {}\n", outcomes.join(", "));
    text += &format!("reactions: {}\n", tally(&summary.reactions));
    text += &format!("peer notifies: {}\n", tally(&summary.peer_notifies));
    for (kind, reactions) in &summary.reactions_by_impairment {
        text += &format!("  {kind:<34} {}\n", tally(reactions));
    }
    text += &format!("findings: {}\n", summary.findings.len());
    for finding in &summary.findings {
        text += &format!(
            "  #{} {:?}: {}\n    {}\n    replay: {}\n",
            finding.index,
            finding.outcome,
            finding.failure,
            finding.folder.as_deref().unwrap_or("-"),
            finding.replay
        );
    }
    text
}
