//! `fic-harness explore`: random multi-step sessions on the reference
//! client and the real MSAL ports, each disagreement with the reference
//! shrunk to a minimal session and printed as a Gherkin scenario (written
//! to `--emit DIR`). Exits 1 on a disagreement no `[[explore]]`
//! declaration covers or a port that cannot run, 2 when the run cannot
//! start.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use conformance::divergences::{self, Divergences};
use conformance::explore::{ExploreOptions, explore, summary_text};
use conformance::port_build::PortBuild;
use conformance::port_driver::repo_root;

#[derive(clap::Args)]
pub struct ExploreArgs {
    /// Which port builds to compare with the reference client, as `run --port` takes them: python, node, java, go, all; NAME@VERSION; NAME=PATH. Comma-separated and repeatable.
    #[arg(long, value_name = "BUILDS", default_value = "all", action = clap::ArgAction::Append)]
    port: Vec<String>,
    /// How many sessions to draw.
    #[arg(long, default_value_t = 100)]
    cases: u64,
    /// Seeds the sessions: the same seed draws the same sessions.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The longest session, in steps.
    #[arg(long, default_value_t = 8)]
    max_steps: usize,
    /// Start no new session after this many seconds.
    #[arg(long, value_name = "SECS")]
    time_budget: Option<u64>,
    /// Write each minimal session as a `.feature` file in DIR.
    #[arg(long, value_name = "DIR")]
    emit: Option<PathBuf>,
    /// The declarations of known differences.
    #[arg(long, value_name = "PATH", default_value = divergences::DEFAULT_PATH)]
    divergences: PathBuf,
    /// The most sessions one shrink may run.
    #[arg(long, default_value_t = 200)]
    max_shrink_runs: usize,
    /// The longest one driver command may take, in seconds.
    #[arg(long, env = "FIC_DRIVER_TIMEOUT_SECS", default_value_t = 60)]
    command_timeout: u64,
}

pub fn run(args: ExploreArgs) -> anyhow::Result<ExitCode> {
    let root = repo_root();
    let ports = PortBuild::parse_list(&args.port.join(","))?;
    let path = if args.divergences.is_absolute() {
        args.divergences.clone()
    } else {
        std::env::current_dir()?.join(&args.divergences)
    };
    let declarations = Divergences::load(&path)?;
    let options = ExploreOptions {
        root,
        ports,
        seed: args.seed,
        cases: args.cases,
        max_steps: args.max_steps,
        time_budget: args.time_budget.map(Duration::from_secs),
        emit: args.emit,
        command_timeout: Duration::from_secs(args.command_timeout),
        require_ports: std::env::var("FIC_REQUIRE_PORTS").is_ok_and(|v| v == "1"),
        max_shrink_runs: args.max_shrink_runs,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let summary = runtime.block_on(explore(&options, &declarations, &mut |line| {
        println!("{line}");
    }))?;
    print!("{}", summary_text(&summary));
    Ok(if summary.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
