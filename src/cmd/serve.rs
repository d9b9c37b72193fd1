//! `fic-harness serve`: the mock on a port, for other processes (port
//! drivers, curl, CI jobs in other languages).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use mock_entra::{Directory, JtiPolicy, MockConfig, MockEntra, Timeouts};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Tenant directory (TOML); the embedded fixtures/directory.toml by default.
    #[arg(long)]
    directory: Option<PathBuf>,
    /// Keep the CA, server certificate and signing key here, and reuse them
    /// on the next start (clients keep trusting the same CA). It must be
    /// yours and not writable by others; without it a fresh private
    /// temporary directory is used and removed on exit.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Serve plain HTTP instead of TLS (no MSAL port accepts this; for tools).
    #[arg(long)]
    plain_http: bool,
    /// Host name used in URLs, the issuer and the server certificate.
    #[arg(long, default_value = "localhost")]
    host: String,
    /// Refuse every reuse of a client-assertion jti, even an identical
    /// re-send (MSAL Python and msal-node re-send their cached assertion).
    #[arg(long)]
    strict_jti: bool,
    /// The most token requests the journal keeps; past it the oldest are
    /// dropped (counted in GET /_harness/journal's x-journal-dropped header).
    #[arg(long, default_value_t = mock_entra::journal::DEFAULT_CAPACITY)]
    journal_capacity: usize,
    /// Address of the forward proxy through which clients reach the mock as
    /// login.microsoftonline.com; by default the --addr IP, a free port.
    #[arg(long)]
    proxy_addr: Option<SocketAddr>,

    /// Also write the ready line to PATH once the server accepts connections
    /// (atomically: wait for the file to exist, then read it). Parent
    /// folders are created; the file is removed on a clean stop.
    #[arg(long, value_name = "PATH")]
    ready_file: Option<PathBuf>,

    /// Bearer token required on /_harness/* (journal, faults, clock);
    /// mandatory when --addr is not a loopback address.
    #[arg(long, env = "FIC_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Seconds a connection may take to send its request headers (and the
    /// TLS handshake).
    #[arg(long, default_value_t = Timeouts::default().header.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds a request body may take to arrive.
    #[arg(long, default_value_t = Timeouts::default().body.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// Seconds without a byte either way before a connection is closed.
    #[arg(long, default_value_t = Timeouts::default().idle.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let directory = match &args.directory {
        // Each problem already names the file and line.
        Some(path) => Directory::load(path)
            .map_err(|e| anyhow::anyhow!("cannot serve this directory:\n{e}"))?,
        None => Directory::default_directory(),
    };
    let addr = args.addr;
    let exposed = !addr.ip().is_loopback();
    let config = MockConfig {
        addr: args.addr,
        host: args.host,
        tls: !args.plain_http,
        // Without --state-dir the mock makes a fresh private temporary
        // directory of its own, removed when it stops.
        state_dir: args.state_dir,
        directory,
        jti_policy: if args.strict_jti {
            JtiPolicy::RejectAnyReuse
        } else {
            JtiPolicy::AllowIdenticalResend
        },
        journal_capacity: args.journal_capacity,
        proxy_addr: args.proxy_addr,
        timeouts: Timeouts {
            header: Duration::from_secs(args.header_timeout),
            body: Duration::from_secs(args.body_timeout),
            idle: Duration::from_secs(args.idle_timeout),
        },
        admin_token: args.admin_token,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let mock = MockEntra::start_with(config).await?;
        let ready = serde_json::json!({
            "url": mock.base_url(),
            "ca_cert": mock.ca_cert_path(),
            "tenant_id": mock.tenant_id(),
            "proxy": mock.proxy_url().as_str().trim_end_matches('/'),
            "authority": mock.public_authority(),
            "token_endpoint": mock.public_token_endpoint(),
            "issuer": mock.public_issuer(),
            "local_authority": mock.authority(),
            "journal": format!("{}/_harness/journal", mock.base_url()),
        });
        println!("{ready}");
        if let Some(path) = &args.ready_file {
            write_atomically(path, format!("{ready}\n").as_bytes())
                .with_context(|| format!("writing the ready file {}", path.display()))?;
        }
        if exposed {
            tracing::warn!(%addr, "listening beyond this machine: the harness API requires the admin token");
        }
        tracing::info!(url = %mock.base_url(), "mock Entra ID ready; Ctrl-C to stop");
        shutdown_signal().await;
        tracing::info!("stopping");
        mock.shutdown().await;
        anyhow::Ok(())
    })?;
    // The file says a server is up: it goes when the server does.
    if let Some(path) = &args.ready_file {
        let _ = std::fs::remove_file(path);
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to a temporary file next to `path`, then renames it over
/// `path`: a reader waiting for the file sees all of it or nothing.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
