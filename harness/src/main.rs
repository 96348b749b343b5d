//! `ikelab`: the IKEv1/ESP interop conformance and fuzz harness.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cve_command;
mod decode;
mod fuzz_command;
mod list_command;
mod real_peers;
mod run_command;

#[derive(Parser)]
#[command(name = "ikelab", version, about = "IKEv1/ESP interop conformance and fuzz harness")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print every ISAKMP message in a capture (pcap or pcapng); with --keys, decrypt ISAKMP and ESP.
    Decode(decode::DecodeArgs),
    /// Run the interop cases (all, or those whose `peer::role::case` id contains FILTER) and print a table.
    Run(run_command::RunArgs),
    /// Replay the CVE cases of vectors/cve against the real peers, each followed by a liveness check.
    Cve(cve_command::CveArgs),
    /// Show which peers peers/install.sh installed, and what is missing.
    Peers,
    /// Merge the results folders of several partitions (report.json and case folders) into one.
    Merge {
        /// Where the merged reports and case folders go.
        #[arg(long, default_value = "results")]
        results: std::path::PathBuf,
        /// The partitions' results folders.
        #[arg(required = true)]
        partitions: Vec<std::path::PathBuf>,
    },
    /// Fuzz a real peer: damaged handshakes from a seed, each followed by a liveness check.
    Fuzz(fuzz_command::FuzzArgs),
    /// List the cases (`peer::role::scenario`) and count them.
    List(list_command::ListArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::main(&args),
        Command::Run(args) => run_command::main(&args),
        Command::Cve(args) => cve_command::main(&args),
        Command::Merge { results, partitions } => {
            match harness::report::merge::merge(&partitions, &results) {
                Ok(files) => {
                    let names: Vec<String> = files.iter().map(|file| file.display().to_string()).collect();
                    println!("merged {} partitions: {}", partitions.len(), names.join(", "));
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("ikelab merge: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::List(args) => list_command::main(&args),
        Command::Fuzz(args) => fuzz_command::main(&args),
        Command::Peers => {
            let (report, complete) = harness::peers_command::report();
            print!("{report}");
            if complete { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
    }
}
