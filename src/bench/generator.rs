//! The load generator: N workers, each with its own keep-alive connection
//! (HTTP/1.1, as `wrk` drives a server), sending pre-built form bodies as
//! fast as answers come back, for a warm-up and then a measured window.
//!
//! Bodies are built before the clock starts, so the generator spends its
//! time on HTTP, not on encoding or signing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::cpu::cpu_time;
use super::stats::percentile;

/// What each request carries.
pub enum Bodies {
    /// Every request sends the same body (a secret: nothing single-use).
    Same(bytes::Bytes),
    /// Request `i` sends body `i`; the run ends early when they run out
    /// (single-use assertions must not be re-sent).
    Pool(Vec<bytes::Bytes>),
}

impl Bodies {
    fn get(&self, i: usize) -> Option<&bytes::Bytes> {
        match self {
            Bodies::Same(b) => Some(b),
            Bodies::Pool(v) => v.get(i),
        }
    }
}

pub struct Load {
    pub url: String,
    /// The CA to trust for `https` URLs (only that CA).
    pub ca_pem: Option<String>,
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub bodies: Arc<Bodies>,
    /// The server's process, to account its CPU time in the window.
    pub server_pid: Option<u32>,
}

/// What one run measured (requests started inside the measured window).
#[derive(Debug, Clone)]
pub struct Measurement {
    pub requests: usize,
    /// Answers other than 200, and transport errors.
    pub failures: usize,
    /// The measured window: `duration`, or less when a pool ran out.
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub pool_exhausted: bool,
    /// Server CPU time in the measured window.
    pub server_cpu: Option<Duration>,
    /// This process's (the generator's) CPU time in the measured window.
    pub generator_cpu: Option<Duration>,
    /// The wall time the CPU figures cover.
    pub cpu_window: Duration,
}

impl Measurement {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Server CPU per answered request, in microseconds.
    pub fn server_us_per_request(&self) -> Option<f64> {
        let cpu = self.server_cpu?;
        (self.requests > 0).then(|| cpu.as_secs_f64() * 1e6 / self.requests as f64)
    }

    /// The generator's CPU as a share of the whole machine (all cores).
    pub fn generator_share(&self, cores: usize) -> Option<f64> {
        let cpu = self.generator_cpu?;
        Some(cpu.as_secs_f64() / (self.cpu_window.as_secs_f64() * cores as f64).max(f64::EPSILON))
    }
}

struct WorkerResult {
    latencies: Vec<Duration>,
    failures: usize,
    last_end: Option<Instant>,
    exhausted: bool,
}

fn client(ca_pem: Option<&str>) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30));
    if let Some(pem) = ca_pem {
        let ca = reqwest::Certificate::from_pem(pem.as_bytes()).context("reading the CA PEM")?;
        builder = builder.tls_certs_only([ca]);
    }
    builder.build().context("building the HTTP client")
}

/// Runs `load` on the current Tokio runtime.
pub async fn run(load: &Load) -> anyhow::Result<Measurement> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let measure_from = start + load.warmup;
    let stop_at = measure_from + load.duration;
    // CPU snapshots at the edges of the measured window.
    let pid = load.server_pid;
    let sampler = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from.into()).await;
        let before = (cpu_time(pid), cpu_time(None), Instant::now());
        tokio::time::sleep_until(stop_at.into()).await;
        let after = (cpu_time(pid), cpu_time(None), Instant::now());
        let delta = |a: Option<Duration>, b: Option<Duration>| Some(b?.saturating_sub(a?));
        (
            delta(before.0, after.0),
            delta(before.1, after.1),
            after.2 - before.2,
        )
    });
    let mut workers = Vec::with_capacity(load.concurrency);
    for _ in 0..load.concurrency {
        let http = client(load.ca_pem.as_deref())?;
        let (url, bodies, next) = (load.url.clone(), load.bodies.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            worker(http, url, bodies, next, measure_from, stop_at).await
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    let mut last_end = measure_from;
    let mut exhausted = false;
    for w in workers {
        let r = w.await.context("a load worker failed")?;
        latencies.extend(r.latencies);
        failures += r.failures;
        last_end = last_end.max(r.last_end.unwrap_or(measure_from));
        exhausted |= r.exhausted;
    }
    let (server_cpu, generator_cpu, cpu_window) =
        sampler.await.context("the CPU sampler failed")?;
    latencies.sort_unstable();
    let elapsed = if exhausted {
        last_end.saturating_duration_since(measure_from)
    } else {
        load.duration
    };
    Ok(Measurement {
        requests: latencies.len(),
        failures,
        elapsed,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        pool_exhausted: exhausted,
        server_cpu,
        generator_cpu,
        cpu_window,
    })
}

async fn worker(
    http: reqwest::Client,
    url: String,
    bodies: Arc<Bodies>,
    next: Arc<AtomicUsize>,
    measure_from: Instant,
    stop_at: Instant,
) -> WorkerResult {
    let form = HeaderValue::from_static("application/x-www-form-urlencoded");
    let mut result = WorkerResult {
        latencies: Vec::new(),
        failures: 0,
        last_end: None,
        exhausted: false,
    };
    loop {
        let began = Instant::now();
        if began >= stop_at {
            return result;
        }
        let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) else {
            result.exhausted = true;
            return result;
        };
        let answer = http
            .post(&url)
            .header(CONTENT_TYPE, form.clone())
            .body(body.clone())
            .send()
            .await;
        // The whole body is read: a token response is only useful whole,
        // and the connection is reused only after it.
        let ok = match answer {
            Ok(r) => r.status() == reqwest::StatusCode::OK && r.bytes().await.is_ok(),
            Err(_) => false,
        };
        let ended = Instant::now();
        if began >= measure_from {
            result.latencies.push(ended - began);
            result.failures += usize::from(!ok);
            result.last_end = Some(ended);
        }
    }
}
