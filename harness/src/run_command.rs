//! `ikelab run [FILTER] [--results DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use harness::cases::catalogue;
use harness::runner::{self, Mode};

#[derive(Args)]
pub struct RunArgs {
    /// Run only cases whose id (`peer::role::case`) contains this text.
    filter: Option<String>,
    /// Where each case's folder (capture, keys, traces, logs) goes.
    #[arg(long, default_value = "results")]
    results: PathBuf,
    /// Run in the in-process simulation even as root.
    #[arg(long)]
    simulate: bool,
}

pub fn main(args: &RunArgs) -> ExitCode {
    let cases: Vec<_> =
        catalogue::all().into_iter().filter(|case| case.matches(args.filter.as_deref())).collect();
    if cases.is_empty() {
        eprintln!("ikelab: no case matches {:?}", args.filter.as_deref().unwrap_or(""));
        return ExitCode::FAILURE;
    }
    let mode = if args.simulate { Mode::Simulated } else { Mode::for_this_process() };
    match mode {
        Mode::Real => {
            // Ctrl-C and kill remove this run's namespaces, daemons and guests; a
            // previous run that crashed has its leftovers removed now.
            peers::guard::clean_up_on_interrupt();
            if let Ok(swept) = peers::guard::sweep_leftovers()
                && !swept.is_empty()
            {
                eprintln!("ikelab: removed leftovers of earlier runs: {swept:?}");
            }
            eprintln!(
                "ikelab: {} cases against the real peers, results in {}",
                cases.len(),
                args.results.display()
            );
        }
        Mode::Simulated if !args.simulate => eprintln!(
            "ikelab: not running as root, so no real peers (they need namespaces, daemons and guests).\n\
             ikelab: running the embedded default instead: the same {} cases against a second reference \
             engine in the in-process simulation.",
            cases.len()
        ),
        Mode::Simulated => eprintln!("ikelab: {} cases in the in-process simulation", cases.len()),
    }
    let mut reports = Vec::new();
    for case in &cases {
        let report = runner::run_case(case, mode, &args.results);
        eprintln!(
            "{:<6} {:>6.2}s  {}",
            if report.passed { "pass" } else { "FAIL" },
            report.wall_secs,
            report.id
        );
        reports.push(report);
    }
    print!("\n{}", runner::table(&reports));
    if reports.iter().all(|report| report.passed) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
