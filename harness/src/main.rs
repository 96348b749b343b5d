//! `ikelab`: the IKEv1/ESP interop conformance and fuzz harness.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod decode;
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
    /// Show which peers peers/install.sh installed, and what is missing.
    Peers,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::main(&args),
        Command::Run(args) => run_command::main(&args),
        Command::Peers => {
            let (report, complete) = harness::peers_command::report();
            print!("{report}");
            if complete { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
    }
}
