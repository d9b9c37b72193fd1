//! `fic-harness`: one binary for the mock IdP, the cache-key calculators and
//! the conformance matrix. Each subcommand lives in `src/cmd/<name>.rs`.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "fic-harness", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the mock Entra ID until SIGINT/SIGTERM; prints one JSON ready line on stdout.
    Serve(cmd::serve::ServeArgs),
    /// Print the ext cache key hash of key=value components (base64url, case preserved).
    Hash(cmd::hash::HashArgs),
    /// Print a full access-token cache key for the given parts, per key profile.
    Key(cmd::key::KeyArgs),
    /// Run the conformance features against the reference client and real MSAL ports.
    Run(cmd::run::RunArgs),
    /// Measure the mock's throughput, latency and start-up (see BENCHMARKS.md).
    Bench(cmd::bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::Hash(args) => cmd::hash::run(args),
        Command::Key(args) => cmd::key::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Bench(args) => cmd::bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("fic-harness: {err:#}");
            ExitCode::from(2)
        }
    }
}
