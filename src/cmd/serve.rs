//! `fic-harness serve`: the mock on a port, for other processes (port
//! drivers, curl, CI jobs in other languages).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use mock_entra::state::Timeouts;
use mock_entra::{Directory, JtiPolicy, MockConfig, MockEntra};

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
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let directory = match &args.directory {
        Some(path) => {
            Directory::load(path).with_context(|| format!("loading {}", path.display()))?
        }
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
            "authority": mock.authority(),
            "token_endpoint": mock.token_endpoint(),
            "issuer": mock.issuer(),
            "journal": format!("{}/_harness/journal", mock.base_url()),
        });
        println!("{ready}");
        if exposed {
            tracing::warn!(%addr, "listening beyond this machine: the harness API requires the admin token");
        }
        tracing::info!(url = %mock.base_url(), "mock Entra ID ready; Ctrl-C to stop");
        shutdown_signal().await;
        tracing::info!("stopping");
        mock.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
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
