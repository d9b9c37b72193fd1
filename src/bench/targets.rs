//! The servers under load, each a child process started the way a user
//! starts it: the mock as `fic-harness serve`, the peer as axa
//! oauth2-mock-server under Node (bench/peer). Both print one JSON ready
//! line; the child is killed when its handle is dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

/// How long a server may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ReadyError {
    #[error("{0} exited before its ready line")]
    Exited(String),
    #[error("{0} printed no ready line within {1:?}")]
    Timeout(String, Duration),
    #[error("{name}'s ready line is not the expected JSON: {line}")]
    BadLine { name: String, line: String },
}

/// A running server and what its ready line said.
pub struct Server {
    child: Child,
    pub token_endpoint: String,
    /// Time from spawning the process to reading its ready line.
    pub ready_after: Duration,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `command` (stdout piped, stderr discarded: the mock logs every
/// token at info level, which must not fill a pipe nobody reads) and waits
/// for its JSON ready line.
fn spawn(name: &str, mut command: Command) -> anyhow::Result<Server> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    let stdout = child.stdout.take().context("the child's stdout")?;
    // Read on a thread so a silent child cannot hang the bench.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send((read.map(|_| line), Instant::now()));
    });
    let (line, at) = match rx.recv_timeout(READY_TIMEOUT) {
        Ok((Ok(line), at)) if !line.is_empty() => (line, at),
        Ok(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ReadyError::Exited(name.into()).into());
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ReadyError::Timeout(name.into(), READY_TIMEOUT).into());
        }
    };
    let ready: Value = serde_json::from_str(line.trim()).map_err(|_| ReadyError::BadLine {
        name: name.into(),
        line: line.clone(),
    })?;
    let Some(token_endpoint) = ready["token_endpoint"].as_str() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(ReadyError::BadLine {
            name: name.into(),
            line,
        }
        .into());
    };
    Ok(Server {
        token_endpoint: token_endpoint.to_owned(),
        ready_after: at - started,
        child,
    })
}

/// `fic-harness serve` from this very binary.
pub fn start_mock(addr: SocketAddr, state_dir: &Path, tls: bool) -> anyhow::Result<Server> {
    let exe = std::env::current_exe().context("locating the fic-harness binary")?;
    let mut command = Command::new(exe);
    command
        .arg("serve")
        .arg("--addr")
        .arg(addr.to_string())
        .arg("--state-dir")
        .arg(state_dir);
    if !tls {
        command.arg("--plain-http");
    }
    spawn("fic-harness serve", command)
}

/// The peer: `node bench/peer/serve.mjs`, over TLS with the mock's server
/// certificate (so one CA serves both) or plain HTTP.
pub fn start_peer(peer_dir: &Path, tls: Option<(&Path, &Path)>) -> anyhow::Result<Server> {
    let mut command = Command::new("node");
    command.current_dir(peer_dir).arg("serve.mjs");
    if let Some((key, cert)) = tls {
        command.arg("--tls").arg(key).arg(cert);
    }
    spawn("oauth2-mock-server", command)
}

/// Installs the pinned peer with `npm ci` unless already installed.
pub fn install_peer(peer_dir: &Path) -> anyhow::Result<()> {
    if peer_dir
        .join("node_modules/oauth2-mock-server/package.json")
        .exists()
    {
        return Ok(());
    }
    let status = Command::new("npm")
        .current_dir(peer_dir)
        .args(["ci", "--no-audit", "--no-fund"])
        .stdout(Stdio::null())
        .status()
        .context("running npm ci in bench/peer")?;
    anyhow::ensure!(status.success(), "npm ci in bench/peer failed: {status}");
    Ok(())
}

/// The version `npm ci` installed, from its package.json.
pub fn peer_version(peer_dir: &Path) -> Option<String> {
    let text =
        std::fs::read_to_string(peer_dir.join("node_modules/oauth2-mock-server/package.json"))
            .ok()?;
    let json: Value = serde_json::from_str(&text).ok()?;
    json["version"].as_str().map(str::to_owned)
}

/// A loopback port free right now, so every mock process of a transport
/// can listen on the same one (the assertions' `aud` names it).
pub fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?)
}
