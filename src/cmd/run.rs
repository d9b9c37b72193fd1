//! `fic-harness run`: the feature suite against the reference client and
//! the real MSAL ports, printed as a matrix (scenario × port). Exits 1 when
//! any cell fails, a declared divergence is stale, or a port cannot run
//! (wrong version, no fmi_path, or a missing runtime under
//! `FIC_REQUIRE_PORTS=1`); a port merely not installed is skipped and says so.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use conformance::authority::AuthorityMode;
use conformance::divergences::{self, Divergences};
use conformance::matrix::{MatrixOptions, run_matrix};
use conformance::port_driver::repo_root;
use conformance::{ports, report, suite};

#[derive(clap::Args)]
pub struct RunArgs {
    /// Which client to run: rust (the reference), python, node, java, go, or all.
    #[arg(long, default_value = "all")]
    port: String,
    /// Only scenarios whose tags match this expression (cucumber's syntax, e.g. `@leg1 and not @slow`).
    #[arg(long, value_name = "EXPR")]
    tags: Option<String>,
    /// Also write the matrix as `json` or `junit` to PATH (repeatable).
    #[arg(long, num_args = 2, value_names = ["FORMAT", "PATH"], action = clap::ArgAction::Append)]
    report: Vec<String>,
    /// The Gherkin features to run.
    #[arg(long, value_name = "DIR", default_value = "features")]
    features: PathBuf,
    /// The longest one driver command may take, in seconds.
    #[arg(long, env = "FIC_DRIVER_TIMEOUT_SECS", default_value_t = 60)]
    command_timeout: u64,
    /// The authority the clients get: production (https://login.microsoftonline.com/<tenant> through the mock's proxy) or localhost (the mock's own https://localhost:PORT/<tenant>).
    #[arg(long, value_name = "MODE", default_value = "production")]
    authority: AuthorityMode,
}

#[derive(Debug, Clone, Copy)]
enum ReportFormat {
    Json,
    Junit,
}

#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("--report takes json or junit, not {0:?}")]
    ReportFormat(String),
    #[error("no *.feature files in {0}")]
    NoFeatures(PathBuf),
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    // A run checks snapshots, it never writes them (`INSTA_UPDATE=always`
    // does, deliberately), and insta's diffs would interleave with the
    // matrix on stdout: the failing step is in the matrix; `INSTA_OUTPUT=diff`
    // shows the diffs again.
    for (name, default) in [("INSTA_UPDATE", "no"), ("INSTA_OUTPUT", "none")] {
        if std::env::var_os(name).is_none() {
            // SAFETY: set before any other thread (the runtime) exists.
            unsafe { std::env::set_var(name, default) };
        }
    }
    let root = repo_root();
    let ports = ports::select(&args.port)?;
    let reports = args
        .report
        .chunks(2)
        .map(|pair| {
            let format = match pair[0].as_str() {
                "json" => ReportFormat::Json,
                "junit" => ReportFormat::Junit,
                other => return Err(RunError::ReportFormat(other.to_owned())),
            };
            Ok((format, PathBuf::from(&pair[1])))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let features_dir = if args.features.is_absolute() {
        args.features.clone()
    } else {
        std::env::current_dir()?.join(&args.features)
    };
    if !suite::has_features(&features_dir) {
        return Err(RunError::NoFeatures(features_dir).into());
    }
    let divergences =
        Divergences::load(&root.join(divergences::DEFAULT_PATH))?.for_authority(args.authority);
    let options = MatrixOptions {
        root,
        ports,
        reference: conformance::reference_driver::reference_factory(),
        require_ports: std::env::var("FIC_REQUIRE_PORTS").is_ok_and(|v| v == "1"),
        filtered: args.tags.is_some(),
        command_timeout: Duration::from_secs(args.command_timeout),
    };
    let runner = suite::matrix_runner(features_dir, args.tags.clone(), args.authority);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let matrix = runtime.block_on(run_matrix(&options, &divergences, runner));

    println!("authority: {}", args.authority);
    print!("{}", report::table(&matrix));
    for (format, path) in reports {
        let text = match format {
            ReportFormat::Json => report::json(&matrix),
            ReportFormat::Junit => report::junit(&matrix),
        };
        std::fs::write(&path, text)
            .with_context(|| format!("writing the report to {}", path.display()))?;
    }
    Ok(if matrix.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
