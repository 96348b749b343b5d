//! `ikelab`: the IKEv1/ESP interop conformance and fuzz harness.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod decode;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::main(&args),
    }
}
