//! `ikelab list [FILTER] [--partition slice:M/N]`: the cases a run would play.

use std::process::ExitCode;

use clap::Args;
use harness::runner::schedule::Partition;
use harness::scenario::Catalogue;

#[derive(Args)]
pub struct ListArgs {
    /// Only cases whose id (`peer::role::case`) contains this text.
    filter: Option<String>,
    /// Only this share of the matrix: slice:M/N or hash:M/N.
    #[arg(long)]
    partition: Option<Partition>,
}

pub fn main(args: &ListArgs) -> ExitCode {
    let catalogue = match Catalogue::embedded() {
        Ok(catalogue) => catalogue,
        Err(error) => {
            eprintln!("ikelab: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut cases: Vec<_> =
        catalogue.cases().into_iter().filter(|case| case.matches(args.filter.as_deref())).collect();
    if let Some(partition) = args.partition {
        cases = partition.select(cases);
    }
    for case in &cases {
        println!("{}", case.id());
    }
    let mut scenarios: Vec<&str> = cases.iter().map(|case| case.name.as_str()).collect();
    scenarios.sort_unstable();
    scenarios.dedup();
    eprintln!("{} cases of {} scenarios in {} themes", cases.len(), scenarios.len(), catalogue.themes.len());
    ExitCode::SUCCESS
}
