//! `fic-harness run`: the IdP conformance section once, then the feature
//! suite against the reference client and the real MSAL ports, a line per
//! scenario as it finishes, then a matrix (scenario × port). Exits 1 when
//! any cell fails, a declared divergence is stale, a port's artifact differs
//! from the reference without a declaration, or a port cannot run (wrong
//! version, no fmi_path, or a missing runtime under `FIC_REQUIRE_PORTS=1`);
//! a port merely not installed is skipped and says so, a build that cannot
//! be installed is broken. Exits 2 when the run cannot start (a bad option,
//! `--tags` selecting no scenario).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use conformance::authority::AuthorityMode;
use conformance::divergences::{self, Divergences};
use conformance::matrix::{MatrixOptions, Progress, default_jobs, run_matrix};
use conformance::port_build::PortBuild;
use conformance::port_driver::repo_root;
use conformance::{report, report_html, suite};

#[derive(clap::Args)]
pub struct RunArgs {
    /// Which port builds to run, as matrix columns: rust (the reference), python, node, java, go (the pinned versions), all; NAME@VERSION (a released version, installed under .build/ports/); NAME=PATH (a local build). Comma-separated and repeatable.
    #[arg(long, value_name = "BUILDS", default_value = "all", action = clap::ArgAction::Append)]
    port: Vec<String>,
    /// Only scenarios whose tags match this expression (cucumber's syntax, e.g. `@fmi_path and not @requires-cache`).
    #[arg(long, value_name = "EXPR", value_parser = tag_expression)]
    tags: Option<String>,
    /// Also write the matrix as `json`, `junit` or `html` to PATH (repeatable).
    #[arg(long, num_args = 2, value_names = ["FORMAT", "PATH"], action = clap::ArgAction::Append)]
    report: Vec<String>,
    /// The Gherkin features to run.
    #[arg(long, value_name = "DIR", default_value = "features")]
    features: PathBuf,
    /// The longest one driver command may take, in seconds.
    #[arg(long, env = "FIC_DRIVER_TIMEOUT_SECS", default_value_t = 60)]
    command_timeout: u64,
    // This doc comment is the option's --help text, not rustdoc: its URL and
    // `<tenant>` placeholder are meant literally.
    #[allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]
    /// The authority the clients get: production (https://login.microsoftonline.com/<tenant> through the mock's proxy) or localhost (the mock's own https://localhost:PORT/<tenant>).
    #[arg(long, value_name = "MODE", default_value = "production")]
    authority: AuthorityMode,
    /// How many ports run at the same time (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

/// Checks `--tags` while parsing the command line, so a bad expression is
/// a usage error rather than every port failing to run.
fn tag_expression(expr: &str) -> Result<String, String> {
    suite::parse_tag_expression(expr)
        .map(|_| expr.to_owned())
        .map_err(|e| {
            format!(
                "{e} (e.g. '@fmi_path and not @requires-cache'; tags are in features/*.feature)"
            )
        })
}

#[derive(Debug, Clone, Copy)]
enum ReportFormat {
    Json,
    Junit,
    Html,
}

#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("--report takes json, junit or html, not {0:?}")]
    ReportFormat(String),
    #[error("no *.feature files in {0}")]
    NoFeatures(PathBuf),
    #[error("--tags {0:?} selects no scenario in {1}: nothing would be checked")]
    NothingSelected(String, PathBuf),
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    // A run checks snapshots, it never writes them (`INSTA_UPDATE=new`
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
    let ports = PortBuild::parse_list(&args.port.join(","))?;
    let reports = args
        .report
        .chunks(2)
        .map(|pair| {
            let format = match pair[0].as_str() {
                "json" => ReportFormat::Json,
                "junit" => ReportFormat::Junit,
                "html" => ReportFormat::Html,
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
    if let Some(tags) = &args.tags {
        let selected = [suite::Section::Idp, suite::Section::Port(String::new())]
            .iter()
            .map(|section| {
                suite::select(&features_dir, Some(tags), section, args.authority).map(|s| s.len())
            })
            .sum::<Result<usize, _>>()?;
        if selected == 0 {
            return Err(RunError::NothingSelected(tags.clone(), features_dir).into());
        }
    }
    let divergences =
        Divergences::load(&root.join(divergences::DEFAULT_PATH))?.for_authority(args.authority);
    let filtered = args.tags.is_some() || !is_the_suite(&root, &features_dir);
    let options = MatrixOptions {
        root,
        ports,
        reference: conformance::reference_driver::reference_factory(),
        require_ports: std::env::var("FIC_REQUIRE_PORTS").is_ok_and(|v| v == "1"),
        filtered,
        command_timeout: Duration::from_secs(args.command_timeout),
        progress: Some(std::sync::Arc::new(|p: &Progress| {
            // Each scenario's line as it finishes, whatever else is running.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", report::progress_line(p));
            let _ = out.flush();
        })),
        authority: args.authority,
        jobs: args.jobs.map_or_else(default_jobs, usize::from),
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
            ReportFormat::Html => report_html::html(&matrix),
        };
        // A report path like target/fic.html works from a fresh clone.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the report's folder {}", dir.display()))?;
        }
        std::fs::write(&path, text)
            .with_context(|| format!("writing the report to {}", path.display()))?;
    }
    Ok(if matrix.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether `dir` is the repository's own features folder: declarations
/// name its scenarios, so in another folder (an explore finding, a draft)
/// those that do not run are filtered out, not stale.
fn is_the_suite(root: &std::path::Path, dir: &std::path::Path) -> bool {
    let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    canonical(dir).is_some_and(|d| Some(d) == canonical(&root.join("features")))
}
