//! `fic-harness bench`: measures the mock against its performance targets
//! (BENCHMARKS.md) and prints the figures recorded there. Speed is reported here, never
//! asserted in tests.
//!
//! Sections: `throughput` (the mock and the peer oauth2-mock-server under
//! the same load generator), `signing` (the RS256 ceiling), `startup`
//! (spawn to ready line), `suite` (feature-suite wall time), `cache`
//! (reference-client cache lookup).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

// The bench's parts live in src/bench/ (main.rs declares only `cmd`).
#[path = "../bench/mod.rs"]
mod parts;

use parts::stats::median;
use parts::throughput::{self, Auth, Row, Target, Transport};
use parts::{cache_lookup, signing, startup, suite};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    Throughput,
    Signing,
    Startup,
    Suite,
    Cache,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Sections to run (comma-separated); all by default.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "signing,throughput,startup,cache,suite"
    )]
    sections: Vec<Section>,
    /// Concurrent connections (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    concurrency: Vec<usize>,
    /// Transports (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "tls,plain")]
    transport: Vec<Transport>,
    /// Runs per scenario; figures are medians over them.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 3.0)]
    duration: f64,
    /// Warm-up seconds per run (requests sent, not measured).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Skip the peer (oauth2-mock-server under Node).
    #[arg(long)]
    no_peer: bool,
    /// Start-ups measured per kind (warm, cold).
    #[arg(long, default_value_t = 10)]
    startup_runs: usize,
    /// Seconds `openssl speed` signs for.
    #[arg(long, default_value_t = 3)]
    openssl_seconds: u32,
    /// The repository (fixtures, bench/peer, tests/features.rs).
    #[arg(long, default_value = env!("CARGO_MANIFEST_DIR"))]
    repo: PathBuf,
}

/// Figures the target check reads, gathered as sections run.
#[derive(Default)]
struct Results {
    rows: Vec<Row>,
    openssl_sign_per_core: Option<f64>,
    startup: Option<startup::Startup>,
    lookups: Vec<cache_lookup::Lookup>,
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let work = tempfile::Builder::new()
        .prefix("fic-harness-bench-")
        .tempdir()
        .context("creating a scratch directory")?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("# fic-harness bench ({cores} cores)");
    let mut results = Results::default();
    for section in &args.sections {
        match section {
            Section::Signing => results.openssl_sign_per_core = Some(run_signing(&args)?),
            Section::Throughput => results.rows = run_throughput(&args, work.path())?,
            Section::Startup => {
                println!("\n## start-up: spawn to ready line (ms)");
                let s = startup::measure(work.path(), args.startup_runs)?;
                println!(
                    "warm (--state-dir reused): median {:.1}  all {:?}",
                    s.warm_median(),
                    rounded(&s.warm_ms)
                );
                println!(
                    "cold (fresh state dir):    median {:.1}  all {:?}",
                    s.cold_median(),
                    rounded(&s.cold_ms)
                );
                results.startup = Some(s);
            }
            Section::Suite => run_suite(&args)?,
            Section::Cache => results.lookups = run_cache(),
        }
    }
    print_targets(&results, cores);
    Ok(ExitCode::SUCCESS)
}

fn rounded(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| (x * 10.0).round() / 10.0).collect()
}

fn run_signing(args: &BenchArgs) -> anyhow::Result<f64> {
    println!("\n## RS256 signing ceiling");
    let openssl = signing::openssl_sign_per_second(args.openssl_seconds)?;
    println!(
        "openssl speed -seconds {} rsa2048: {openssl:.0} sign/s per core",
        args.openssl_seconds
    );
    let aws_lc = signing::aws_lc_sign_per_second(&args.repo, Duration::from_secs(2))?;
    println!(
        "jsonwebtoken 11 + aws-lc-rs encode (re-parses the key per call), one thread: {aws_lc:.0} sign/s"
    );
    let once = signing::aws_lc_parsed_once_per_second(&args.repo, Duration::from_secs(2))?;
    println!(
        "aws-lc-rs with the key parsed once (the mock's signing path), one thread: {once:.0} sign/s"
    );
    Ok(openssl)
}

fn run_throughput(args: &BenchArgs, work: &std::path::Path) -> anyhow::Result<Vec<Row>> {
    println!(
        "\n## token throughput (client_credentials + fmi_path; {} run(s) x {}s after {}s warm-up; medians)",
        args.runs, args.duration, args.warmup
    );
    let opts = throughput::Options {
        repo: args.repo.clone(),
        work_dir: work.to_owned(),
        transports: args.transport.clone(),
        concurrency: args.concurrency.clone(),
        runs: args.runs.max(1),
        warmup: Duration::from_secs_f64(args.warmup),
        duration: Duration::from_secs_f64(args.duration),
        peer: !args.no_peer,
    };
    // The generator shares the machine with the servers, so it runs on one
    // thread (as `wrk -t1` would): it needs about a fifth of a core at the
    // mock's rate, and a second thread only adds cross-thread wake-ups.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the generator's runtime")?;
    let rows = runtime.block_on(throughput::run(&opts))?;
    if !args.no_peer {
        println!("\nratio fic-harness / oauth2-mock-server (req/s):");
        for (mock, peer) in throughput::pairs(&rows) {
            if let Some(peer) = peer {
                let s = mock.scenario;
                println!(
                    "  {:<5} {:<15} conc {:>3}: {:.2}x",
                    s.transport.to_string(),
                    s.auth.to_string(),
                    s.concurrency,
                    mock.rps() / peer.rps().max(f64::EPSILON)
                );
            }
        }
    }
    Ok(rows)
}

fn run_suite(args: &BenchArgs) -> anyhow::Result<()> {
    println!("\n## feature suite: cargo test --release --test features");
    match suite::features_wall_time(&args.repo, args.runs.max(1))? {
        None => println!("tests/features.rs not present; skipped"),
        Some(times) => {
            let secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
            println!(
                "wall time: median {:.2} s  all {:?}",
                median(&secs).unwrap_or(0.0),
                rounded(&secs)
            );
        }
    }
    Ok(())
}

fn run_cache() -> Vec<cache_lookup::Lookup> {
    println!(
        "\n## reference-client cache lookup (msal-ref TokenCache, app tokens keyed by fmi_path)"
    );
    println!("{:>8} {:>12} {:>14}", "tokens", "hit ns", "miss ns");
    let mut out = Vec::new();
    for tokens in [1_000, 10_000, 100_000] {
        // Median of three measurements of half a second each.
        let runs: Vec<_> = (0..3)
            .map(|_| cache_lookup::measure(tokens, Duration::from_millis(500)))
            .collect();
        let pick = |f: fn(&cache_lookup::Lookup) -> f64| {
            median(&runs.iter().map(f).collect::<Vec<_>>()).unwrap_or(f64::NAN)
        };
        let l = cache_lookup::Lookup {
            tokens,
            hit_ns: pick(|l| l.hit_ns),
            miss_ns: pick(|l| l.miss_ns),
        };
        println!("{:>8} {:>12.0} {:>14.0}", l.tokens, l.hit_ns, l.miss_ns);
        out.push(l);
    }
    out
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// The performance targets (BENCHMARKS.md) against what was measured in this run.
fn print_targets(r: &Results, cores: usize) {
    println!("\n## targets");
    let find = |target, transport, auth, c| {
        r.rows.iter().find(|row| {
            let s = row.scenario;
            s.target == target && s.transport == transport && s.auth == auth && s.concurrency == c
        })
    };
    for transport in [Transport::Tls, Transport::Plain] {
        for auth in [Auth::Secret, Auth::Certificate] {
            let Some(mock) = find(Target::Mock, transport, auth, 16) else {
                continue;
            };
            if let Some(peer) = find(Target::Peer, transport, auth, 16) {
                let ratio = mock.rps() / peer.rps().max(f64::EPSILON);
                println!(
                    ">= 3x peer at 16 conns ({transport}, {auth}): {:.0} vs {:.0} req/s = {ratio:.2}x  {}",
                    mock.rps(),
                    peer.rps(),
                    verdict(ratio >= 3.0)
                );
            }
            println!(
                "p99 <= 8 ms at 16 conns ({transport}, {auth}): {:.2} ms  {}",
                mock.p99_ms(),
                verdict(mock.p99_ms() <= 8.0)
            );
            if let Some(per_core) = r.openssl_sign_per_core {
                let ceiling = per_core * cores as f64;
                println!(
                    "fraction of the signing ceiling ({transport}, {auth}, 16 conns): {:.0} / {ceiling:.0} = {:.0}% (target about 70%)",
                    mock.rps(),
                    100.0 * mock.rps() / ceiling
                );
            }
        }
    }
    if let Some(s) = &r.startup {
        println!(
            "ready < 100 ms (warm, --state-dir): {:.1} ms  {}",
            s.warm_median(),
            verdict(s.warm_median() < 100.0)
        );
        println!(
            "ready < 100 ms (cold, keys generated): {:.1} ms  {}",
            s.cold_median(),
            verdict(s.cold_median() < 100.0)
        );
    }
    if let (Some(small), Some(large)) = (
        r.lookups.iter().find(|l| l.tokens == 1_000),
        r.lookups.iter().find(|l| l.tokens == 100_000),
    ) {
        let hit = large.hit_ns / small.hit_ns;
        let miss = large.miss_ns / small.miss_ns;
        println!(
            "lookup flat within 2x, 1k -> 100k (hit): {hit:.2}x  {}",
            verdict(hit <= 2.0)
        );
        println!(
            "lookup flat within 2x, 1k -> 100k (miss): {miss:.2}x  {}",
            verdict(miss <= 2.0)
        );
    }
}
