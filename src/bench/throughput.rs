//! Token issuance throughput and latency: the mock and the peer, under the
//! same generator, for each transport × client authentication ×
//! concurrency. Mock and peer runs alternate, so background load on a
//! shared machine hits both alike; each run gets a fresh server process.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::assertions::{Signer, secret_body};
use super::generator::{self, Bodies, Load, Measurement};
use super::stats::{median, ms};
use super::targets::{self, Server};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Mock,
    Peer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    Tls,
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Secret,
    Certificate,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Target::Mock => "fic-harness",
            Target::Peer => "oauth2-mock-server",
        })
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Tls => "tls",
            Transport::Plain => "http",
        })
    }
}

impl fmt::Display for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Auth::Secret => "secret",
            Auth::Certificate => "cert-assertion",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    pub target: Target,
    pub transport: Transport,
    pub auth: Auth,
    pub concurrency: usize,
}

/// Every run of one scenario, summarised by medians.
#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: Scenario,
    pub runs: Vec<Measurement>,
}

impl Row {
    pub fn rps(&self) -> f64 {
        median(
            &self
                .runs
                .iter()
                .map(Measurement::per_second)
                .collect::<Vec<_>>(),
        )
        .unwrap_or(0.0)
    }
    pub fn p50_ms(&self) -> f64 {
        median(&self.runs.iter().map(|m| ms(m.p50)).collect::<Vec<_>>()).unwrap_or(0.0)
    }
    pub fn p99_ms(&self) -> f64 {
        median(&self.runs.iter().map(|m| ms(m.p99)).collect::<Vec<_>>()).unwrap_or(0.0)
    }
    pub fn failures(&self) -> usize {
        self.runs.iter().map(|m| m.failures).sum()
    }
    /// Median server CPU per request (µs).
    pub fn server_us(&self) -> Option<f64> {
        median(
            &self
                .runs
                .iter()
                .filter_map(Measurement::server_us_per_request)
                .collect::<Vec<_>>(),
        )
    }
    /// Median share of the machine the generator used.
    pub fn generator_share(&self) -> Option<f64> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        median(
            &self
                .runs
                .iter()
                .filter_map(|m| m.generator_share(cores))
                .collect::<Vec<_>>(),
        )
    }
}

pub struct Options {
    pub repo: PathBuf,
    /// Scratch space for the mock's state directories.
    pub work_dir: PathBuf,
    pub transports: Vec<Transport>,
    pub concurrency: Vec<usize>,
    pub runs: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub peer: bool,
}

/// Runs every scenario; prints each row as it completes.
pub async fn run(opts: &Options) -> anyhow::Result<Vec<Row>> {
    let peer_dir = opts.repo.join("bench/peer");
    if opts.peer {
        targets::install_peer(&peer_dir)?;
        let version = targets::peer_version(&peer_dir).unwrap_or_else(|| "unknown".into());
        println!(
            "peer: oauth2-mock-server {version} (bench/peer, npm ci), Node {}",
            node_version()
        );
    }
    let signer = Signer::from_fixtures(&opts.repo)?;
    print_header();
    let mut rows = Vec::new();
    for &transport in &opts.transports {
        let tls = transport == Transport::Tls;
        let addr = targets::free_port()?;
        let state = opts.work_dir.join(format!("mock-{transport}"));
        // The first start makes the keys; later ones reuse them.
        let endpoint = targets::start_mock(addr, &state, tls)?
            .token_endpoint
            .clone();
        let ca_pem = if tls {
            Some(std::fs::read_to_string(state.join("ca.pem")).context("reading the mock's CA")?)
        } else {
            None
        };
        let env = Env {
            opts,
            transport,
            addr,
            state: &state,
            peer_dir: &peer_dir,
            ca_pem,
        };

        let secret = Arc::new(Bodies::Same(secret_body()));
        let mut best_mock_rps: f64 = 0.0;
        for &c in &opts.concurrency {
            for row in env.pair(Auth::Secret, c, &secret).await? {
                if row.scenario.target == Target::Mock {
                    best_mock_rps = best_mock_rps.max(row.rps());
                }
                print_row(&row);
                rows.push(row);
            }
        }

        // Enough single-use assertions for the fastest secret run, and then
        // some: a run that still runs out ends early and says so.
        let window = (opts.warmup + opts.duration).as_secs_f64();
        let pool = ((best_mock_rps * window * 1.5) as usize).clamp(2_000, 200_000);
        eprintln!("  (signing {pool} assertions for {transport}...)");
        let bodies = Arc::new(Bodies::Pool(signer.assertion_bodies(&endpoint, pool)?));
        for &c in &opts.concurrency {
            for row in env.pair(Auth::Certificate, c, &bodies).await? {
                print_row(&row);
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

fn node_version() -> String {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// What the runs of one transport share.
struct Env<'a> {
    opts: &'a Options,
    transport: Transport,
    addr: std::net::SocketAddr,
    state: &'a Path,
    peer_dir: &'a Path,
    ca_pem: Option<String>,
}

impl Env<'_> {
    /// The mock's row and, when enabled, the peer's, their runs alternating.
    async fn pair(
        &self,
        auth: Auth,
        concurrency: usize,
        bodies: &Arc<Bodies>,
    ) -> anyhow::Result<Vec<Row>> {
        let mut targets = vec![Target::Mock];
        if self.opts.peer {
            targets.push(Target::Peer);
        }
        let mut rows: Vec<Row> = targets
            .iter()
            .map(|&target| Row {
                scenario: Scenario {
                    target,
                    transport: self.transport,
                    auth,
                    concurrency,
                },
                runs: Vec::new(),
            })
            .collect();
        for _ in 0..self.opts.runs {
            for row in &mut rows {
                let server = self.start(row.scenario.target)?;
                let load = Load {
                    url: server.token_endpoint.clone(),
                    ca_pem: self.ca_pem.clone(),
                    concurrency,
                    warmup: self.opts.warmup,
                    duration: self.opts.duration,
                    bodies: bodies.clone(),
                    server_pid: Some(server.pid()),
                };
                let m = generator::run(&load)
                    .await
                    .with_context(|| format!("{:?}", row.scenario))?;
                drop(server);
                row.runs.push(m);
            }
        }
        Ok(rows)
    }

    fn start(&self, target: Target) -> anyhow::Result<Server> {
        let tls = self.transport == Transport::Tls;
        match target {
            Target::Mock => targets::start_mock(self.addr, self.state, tls),
            Target::Peer => {
                let key = self.state.join("server.key");
                let cert = self.state.join("server.pem");
                targets::start_peer(
                    self.peer_dir,
                    tls.then_some((key.as_path(), cert.as_path())),
                )
            }
        }
    }
}

fn print_header() {
    println!(
        "{:<20} {:<5} {:<15} {:>5} {:>10} {:>9} {:>9} {:>9} {:>5} {:>11} {:>8}",
        "server",
        "tx",
        "auth",
        "conc",
        "req/s",
        "p50 ms",
        "p99 ms",
        "requests",
        "fail",
        "srv us/req",
        "gen cpu"
    );
}

pub fn print_row(row: &Row) {
    let s = row.scenario;
    let requests: usize = row.runs.iter().map(|m| m.requests).sum();
    let exhausted = if row.runs.iter().any(|m| m.pool_exhausted) {
        " (assertion pool ran out; window shortened)"
    } else {
        ""
    };
    let server_us = row.server_us().map_or("-".into(), |u| format!("{u:.0}"));
    let generator = row
        .generator_share()
        .map_or("-".into(), |g| format!("{:.0}%", g * 100.0));
    println!(
        "{:<20} {:<5} {:<15} {:>5} {:>10.0} {:>9.2} {:>9.2} {:>9} {:>5} {:>11} {:>8}{exhausted}",
        s.target.to_string(),
        s.transport.to_string(),
        s.auth.to_string(),
        s.concurrency,
        row.rps(),
        row.p50_ms(),
        row.p99_ms(),
        requests,
        row.failures(),
        server_us,
        generator,
    );
}

/// The mock's row for a scenario, and the peer's for the same one.
pub fn pairs(rows: &[Row]) -> Vec<(&Row, Option<&Row>)> {
    rows.iter()
        .filter(|r| r.scenario.target == Target::Mock)
        .map(|m| {
            let peer = rows.iter().find(|p| {
                p.scenario
                    == Scenario {
                        target: Target::Peer,
                        ..m.scenario
                    }
            });
            (m, peer)
        })
        .collect()
}
