//! The load generator: N workers, each with its own keep-alive connection
//! (HTTP/1.1, as `wrk` drives a server), sending pre-built form bodies as
//! fast as answers come back, for a warm-up and then a measured window.
//!
//! Bodies are built before the clock starts, and each worker drives a bare
//! hyper HTTP/1.1 connection (no pool, redirects or decompression): the
//! generator shares the machine's two cores with the server, so every
//! microsecond it spends per request is taken from the server being measured.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use rustls_pki_types::pem::PemObject;

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

/// Where the workers connect, and how.
struct Target {
    url: url::Url,
    addr: String,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
}

impl Target {
    fn new(url: &str, ca_pem: Option<&str>) -> anyhow::Result<Target> {
        let url = url::Url::parse(url).context("parsing the token endpoint URL")?;
        let host = url.host_str().context("the URL has no host")?.to_owned();
        let port = url.port_or_known_default().context("the URL has no port")?;
        let tls = match url.scheme() {
            "http" => None,
            "https" => {
                let mut roots = rustls::RootCertStore::empty();
                let pem = ca_pem.context("an https URL needs the CA to trust")?;
                for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
                    roots
                        .add(cert.context("reading the CA PEM")?)
                        .context("adding the CA")?;
                }
                let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .context("TLS versions")?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                let name = ServerName::try_from(host.clone()).context("the TLS server name")?;
                Some((tokio_rustls::TlsConnector::from(Arc::new(config)), name))
            }
            other => anyhow::bail!("unsupported scheme {other}"),
        };
        Ok(Target {
            addr: format!("{host}:{port}"),
            url,
            tls,
        })
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<Full<bytes::Bytes>>> {
        let tcp = tokio::net::TcpStream::connect(&self.addr)
            .await
            .with_context(|| format!("connecting to {}", self.addr))?;
        tcp.set_nodelay(true)?;
        match &self.tls {
            None => handshake(tcp).await,
            Some((connector, name)) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .context("TLS handshake")?;
                handshake(tls).await
            }
        }
    }

    fn request(&self, body: bytes::Bytes) -> hyper::Request<Full<bytes::Bytes>> {
        let mut request = hyper::Request::new(Full::new(body));
        *request.method_mut() = hyper::Method::POST;
        *request.uri_mut() = self.url[url::Position::BeforePath..]
            .parse()
            .expect("a path from a parsed URL is a valid URI");
        let headers = request.headers_mut();
        headers.insert(
            HOST,
            HeaderValue::from_str(&self.addr).expect("host:port is a valid header value"),
        );
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        request
    }
}

async fn handshake<S>(stream: S) -> anyhow::Result<SendRequest<Full<bytes::Bytes>>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1.1 handshake")?;
    tokio::spawn(connection);
    Ok(send)
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
    let target = Arc::new(Target::new(&load.url, load.ca_pem.as_deref())?);
    let mut workers = Vec::with_capacity(load.concurrency);
    for _ in 0..load.concurrency {
        let (target, bodies, next) = (target.clone(), load.bodies.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            worker(target, bodies, next, measure_from, stop_at).await
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
    target: Arc<Target>,
    bodies: Arc<Bodies>,
    next: Arc<AtomicUsize>,
    measure_from: Instant,
    stop_at: Instant,
) -> WorkerResult {
    let mut result = WorkerResult {
        latencies: Vec::new(),
        failures: 0,
        last_end: None,
        exhausted: false,
    };
    let mut connection = None;
    loop {
        let began = Instant::now();
        if began >= stop_at {
            return result;
        }
        let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) else {
            result.exhausted = true;
            return result;
        };
        // A connection the server closed (or never opened) is replaced, and
        // the request that found it so counts as a failure.
        if connection
            .as_ref()
            .is_none_or(|c: &SendRequest<_>| c.is_closed())
        {
            connection = target.connect().await.ok();
        }
        let ok = match connection.as_mut() {
            Some(send) => match async {
                send.ready().await?;
                send.send_request(target.request(body.clone())).await
            }
            .await
            {
                // The whole body is read: a token response is only useful
                // whole, and the connection is reused only after it.
                Ok(r) => {
                    r.status() == hyper::StatusCode::OK && r.into_body().collect().await.is_ok()
                }
                Err(_) => {
                    connection = None;
                    false
                }
            },
            None => false,
        };
        let ended = Instant::now();
        if began >= measure_from {
            result.latencies.push(ended - began);
            result.failures += usize::from(!ok);
            result.last_end = Some(ended);
        }
    }
}
