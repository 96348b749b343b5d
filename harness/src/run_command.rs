//! `ikelab run [FILTER] [--results DIR] [--jobs N] [--partition slice:M/N] [--simulate]`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Args;
use harness::cases::Case;
use harness::expectations::Expectations;
use harness::report::{self, RunReport, terminal};
use harness::runner::schedule::{self, Partition};
use harness::runner::{CaseReport, Mode};
use harness::scenario::Catalogue;

#[derive(Args)]
pub struct RunArgs {
    /// Run only cases whose id (`peer::role::case`) contains this text.
    filter: Option<String>,
    /// Where each case's folder (capture, keys, traces, logs) and the reports go.
    #[arg(long, default_value = "results")]
    results: PathBuf,
    /// Run only the scenarios of this theme (`policy-order`, `nat-t`, ...).
    #[arg(long)]
    theme: Option<String>,
    /// Cases run at once, each in its own namespaces.
    #[arg(long, default_value_t = 10)]
    jobs: usize,
    /// This runner's share of the matrix: slice:M/N or hash:M/N.
    #[arg(long, value_name = "PARTITION", value_parser = parse_partition)]
    partition: Option<(Partition, String)>,
    /// Read the scenario files from this folder instead of the built-in ones (its
    /// expectations.toml too, unless --expectations says otherwise).
    #[arg(long)]
    scenarios: Option<PathBuf>,
    /// Judge against this expectations file instead of the built-in one.
    #[arg(long)]
    expectations: Option<PathBuf>,
    /// Run in the in-process simulation even as root.
    #[arg(long)]
    simulate: bool,
}

pub fn main(args: &RunArgs) -> ExitCode {
    let (catalogue, expectations) = match load(args) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("ikelab: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut cases: Vec<Case> = catalogue
        .cases()
        .into_iter()
        .filter(|case| case.matches(args.filter.as_deref()))
        .filter(|case| args.theme.as_ref().is_none_or(|theme| case.theme == *theme))
        .collect();
    if let Some((partition, _)) = &args.partition {
        cases = partition.select(cases);
    }
    if cases.is_empty() {
        eprintln!("ikelab: no case matches {:?}", args.filter.as_deref().unwrap_or(""));
        return ExitCode::FAILURE;
    }
    let mode = if args.simulate { Mode::Simulated } else { Mode::for_this_process() };
    prepare(mode, args, cases.len());
    let started = Instant::now();
    let finished = AtomicUsize::new(0);
    let total = cases.len();
    let progress = |report: &CaseReport| {
        let count = finished.fetch_add(1, Ordering::SeqCst) + 1;
        let mut report = report.clone();
        expectations.judge(&mut report);
        eprintln!(
            "[{count:>3}/{total}] {:<9} {:>6.2}s  {}",
            report.verdict.label(),
            report.wall_secs,
            report.id
        );
    };
    let mut reports = schedule::run_all(&cases, mode, &args.results, args.jobs, &progress);
    for report in &mut reports {
        expectations.judge(report);
    }
    let wall = started.elapsed();
    print!("\n{}", terminal::table(&reports));
    println!("\nwall time {:.1} s for {} cases with {} jobs", wall.as_secs_f64(), reports.len(), args.jobs);
    let acceptable = reports.iter().all(|report| report.verdict.acceptable());
    let partition = args.partition.as_ref().map(|(_, text)| text.clone());
    let run =
        RunReport::new(mode.label(), args.jobs, partition, wall.as_secs_f64(), catalogue.themes, reports);
    if let Err(error) = report::write_case_pages(&run) {
        eprintln!("ikelab: writing the case pages: {error}");
    }
    conclude("ikelab", report::write_all(&args.results, &run), acceptable)
}

/// Names the report files written and gives the exit status: failure when they could
/// not be written or the run is not `acceptable`.
pub fn conclude(command: &str, written: Result<Vec<PathBuf>, String>, acceptable: bool) -> ExitCode {
    match written {
        Ok(files) => {
            let names: Vec<String> = files.iter().map(|file| file.display().to_string()).collect();
            println!("reports: {}", names.join(", "));
        }
        Err(error) => {
            eprintln!("{command}: writing the reports: {error}");
            return ExitCode::FAILURE;
        }
    }
    if acceptable { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The catalogue and the expectations, built in or from the given files.
fn load(args: &RunArgs) -> Result<(Catalogue, Expectations), String> {
    let catalogue = match &args.scenarios {
        Some(folder) => Catalogue::load(folder)?,
        None => Catalogue::embedded()?,
    };
    let expectations = match (&args.expectations, &args.scenarios) {
        (Some(path), _) => Expectations::load(path)?,
        (None, Some(folder)) => Expectations::load(&folder.join("expectations.toml"))?,
        (None, None) => Expectations::embedded()?,
    };
    Ok((catalogue, expectations))
}

/// A partition, and how it was written (for the reports).
fn parse_partition(text: &str) -> Result<(Partition, String), String> {
    text.parse::<Partition>().map(|partition| (partition, text.to_owned()))
}

/// Says what is about to run; for real peers also installs what is missing and
/// arms the clean-up.
fn prepare(mode: Mode, args: &RunArgs, count: usize) {
    match mode {
        Mode::Real => {
            crate::real_peers::prepare();
            eprintln!(
                "ikelab: {count} cases against the real peers, {} at a time, results in {}",
                args.jobs,
                args.results.display()
            );
        }
        Mode::Simulated if !args.simulate => eprintln!(
            "ikelab: not running as root, so no real peers (they need namespaces, daemons and guests).\n\
             ikelab: running the embedded default instead: the {count} cases against a second reference \
             engine in the in-process simulation; cases that need a real peer are reported not-run."
        ),
        Mode::Simulated => eprintln!("ikelab: {count} cases in the in-process simulation"),
    }
}
