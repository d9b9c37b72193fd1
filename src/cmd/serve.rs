//! `fic-harness serve`: the mock on a port, for other processes (port
//! drivers, curl, CI jobs in other languages).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
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
    /// on the next start (clients keep trusting the same CA).
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
    // Without --state-dir the keys live in a per-process directory that is
    // removed on a clean stop.
    let temporary = args.state_dir.is_none();
    let state_dir = args.state_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("fic-harness-{}", std::process::id()))
    });
    let config = MockConfig {
        addr: args.addr,
        host: args.host,
        tls: !args.plain_http,
        state_dir: Some(state_dir.clone()),
        directory,
        jti_policy: if args.strict_jti {
            JtiPolicy::RejectAnyReuse
        } else {
            JtiPolicy::AllowIdenticalResend
        },
        journal_capacity: args.journal_capacity,
        proxy_addr: args.proxy_addr,
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
        tracing::info!(url = %mock.base_url(), "mock Entra ID ready; Ctrl-C to stop");
        shutdown_signal().await;
        tracing::info!("stopping");
        mock.shutdown().await;
        anyhow::Ok(())
    })?;
    if temporary {
        let _ = std::fs::remove_dir_all(&state_dir);
    }
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
