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
    /// Run random multi-step sessions on every port and shrink each disagreement with the reference client to a scenario.
    Explore(cmd::explore::ExploreArgs),
    /// Measure the mock's throughput, latency and start-up (see BENCHMARKS.md).
    Bench(cmd::bench::BenchArgs),
}

/// What to type instead of an argument a subcommand does not take.
const HINTS: &[(&str, &str, &str)] = &[
    (
        "serve",
        "--port",
        "serve listens on --addr HOST:PORT, e.g. `--addr 127.0.0.1:8443`",
    ),
    (
        "serve",
        "--tenant",
        "tenants come from the directory file: `--directory PATH` (see docs/mock-entra.md)",
    ),
    (
        "run",
        "--ports",
        "`--port all`, or one of rust, python, node, java, go",
    ),
    (
        "run",
        "--tag",
        "`--tags EXPR`, e.g. `--tags '@fmi_path and not @requires-cache'`",
    ),
];

/// clap's error, with a tip on what to type instead when one is known.
fn with_hint(mut err: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() != ErrorKind::UnknownArgument {
        return err;
    }
    let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg) else {
        return err;
    };
    let arg = arg.split('=').next().unwrap_or_default().to_owned();
    let subcommand = std::env::args().nth(1).unwrap_or_default();
    if let Some((_, _, hint)) = HINTS
        .iter()
        .find(|(cmd, given, _)| *cmd == subcommand && *given == arg)
    {
        err.insert(
            ContextKind::Suggested,
            ContextValue::StyledStrs(vec![(*hint).into()]),
        );
    }
    err
}

fn main() -> ExitCode {
    // Usage errors exit 2 (clap's convention), with help on stdout exiting 0.
    let cli = Cli::try_parse().unwrap_or_else(|err| with_hint(err).exit());
    let result = match cli.command {
        Command::Serve(args) => cmd::serve::run(args),
        Command::Hash(args) => cmd::hash::run(args),
        Command::Key(args) => cmd::key::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Explore(args) => cmd::explore::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("fic-harness: {err:#}");
            ExitCode::from(2)
        }
    }
}
