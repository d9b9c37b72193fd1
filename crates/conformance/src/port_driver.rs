//! A [`ClientUnderTest`] that runs a real MSAL port through its JSON-lines
//! driver process (`ports/<lang>/`, `docs/driver-protocol.md`).
//!
//! The process is started lazily and with the mock's CA in its environment
//! (`FIC_CA_CERT`, `NODE_EXTRA_CA_CERTS`) for drivers that must set up trust
//! at start-up, and the CA is known only when the first `configure` names
//! it. So a process started for `hello` (before any app exists) is restarted
//! once with the CA of the first `configure`; `hello` holds no state, so
//! nothing is lost. A driver that announces `reset` takes its trust from
//! each `configure` instead, so after a reset its process serves another
//! mock without a restart: a [`DriverPool`] keeps one port's processes
//! between scenarios that way.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command as Process};

use crate::client_under_test::{ClientUnderTest, DriverFailure};
use crate::driver_protocol::{Command, Hello, Reply, Request, capability};

/// How many stderr lines of a driver are kept for error messages.
const STDERR_TAIL_LINES: usize = 40;

/// How to start one port's driver: `program args…` in `working_dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The program (`python`, `node`, `java`, a built Go binary).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// The repository root: drivers resolve relative fixture paths from it.
    pub working_dir: PathBuf,
    /// Extra environment for this port (e.g. `FIC_DRIVER_LOG`).
    pub env: Vec<(String, String)>,
}

impl Launch {
    /// `program args…` as a person would type it, for messages.
    pub fn display(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One port's driver process, speaking the protocol over its pipes.
pub struct PortDriver {
    port: String,
    launch: Launch,
    /// The longest the driver may take to answer one command. A hung port
    /// must fail its scenario, not stall the whole matrix.
    timeout: Duration,
    /// The CA the process was (or will be) started with.
    ca_cert: Option<PathBuf>,
    /// Whether an app was configured in the running process: from then on a
    /// restart would lose state, so the process is kept.
    configured: bool,
    /// The running process answered `reset`: its driver takes the CA from
    /// each `configure`, so another CA needs no restart.
    trusts_per_configure: bool,
    process: Option<Running>,
    next_id: u64,
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl PortDriver {
    /// A driver that starts `launch` on its first command. `ca_cert`, when
    /// already known, is put in the environment from the first start.
    pub fn new(
        port: impl Into<String>,
        launch: Launch,
        ca_cert: Option<PathBuf>,
        timeout: Duration,
    ) -> PortDriver {
        PortDriver {
            port: port.into(),
            launch,
            timeout,
            ca_cert,
            configured: false,
            trusts_per_configure: false,
            process: None,
            next_id: 1,
        }
    }

    /// The last lines the driver wrote to stderr (empty before it started).
    pub fn stderr_tail(&self) -> String {
        self.process
            .as_ref()
            .map(|p| tail_text(&p.stderr_tail))
            .unwrap_or_default()
    }

    async fn start(&mut self) -> Result<(), DriverFailure> {
        if let Some(old) = self.process.take() {
            stop(old).await;
        }
        let mut command = Process::new(&self.launch.program);
        command
            .args(&self.launch.args)
            .current_dir(&self.launch.working_dir)
            .envs(self.launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(ca) = &self.ca_cert {
            command
                .env("FIC_CA_CERT", ca)
                .env("NODE_EXTRA_CA_CERTS", ca);
        }
        let mut child = command.spawn().map_err(|source| DriverFailure::Spawn {
            port: self.port.clone(),
            program: self.launch.display(),
            source,
        })?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let stderr = child.stderr.take().expect("stderr is piped");
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        tokio::spawn(keep_tail(stderr, stderr_tail.clone()));
        self.process = Some(Running {
            child,
            stdin,
            stdout,
            stderr_tail,
        });
        self.configured = false;
        self.trusts_per_configure = false;
        Ok(())
    }

    /// Makes the running process as fresh as a new one with `reset`. False
    /// when there is no process or the reset failed: then the caller starts
    /// a new one.
    pub async fn reset(&mut self) -> bool {
        if self.process.is_none() {
            return false;
        }
        match self.send(Command::Reset).await {
            Ok(reply) if reply.ok => {
                self.configured = false;
                self.trusts_per_configure = true;
                if let Some(p) = &self.process {
                    p.stderr_tail.lock().expect("stderr tail lock").clear();
                }
                true
            }
            _ => false,
        }
    }

    /// Starts or restarts the process as the command needs (see the module
    /// comment on the CA).
    async fn ensure_started_for(&mut self, command: &Command) -> Result<(), DriverFailure> {
        if let Command::Configure(configure) = command {
            let wanted = PathBuf::from(&configure.ca_cert);
            let ca_differs = self.ca_cert.as_deref() != Some(wanted.as_path());
            if ca_differs && !self.configured && !self.trusts_per_configure {
                self.ca_cert = Some(wanted);
                return self.start().await;
            }
        }
        if self.process.is_none() {
            self.start().await?;
        }
        Ok(())
    }

    async fn exchange(&mut self, request: &Request) -> Result<Reply, DriverFailure> {
        let port = self.port.clone();
        let process = self.process.as_mut().expect("started before exchange");
        let mut line = serde_json::to_string(request).map_err(|e| DriverFailure::Internal {
            port: port.clone(),
            message: format!("cannot encode the request: {e}"),
        })?;
        line.push('\n');
        let io = |source| DriverFailure::Io {
            port: port.clone(),
            source,
        };
        if let Err(e) = process.stdin.write_all(line.as_bytes()).await {
            // A broken pipe means the driver died: say why, from its stderr.
            return Err(exited_or(process, &port, io(e)).await);
        }
        process.stdin.flush().await.map_err(io)?;
        let reply_line = match process.stdout.next_line().await.map_err(io)? {
            Some(l) => l,
            None => {
                return Err(DriverFailure::Exited {
                    port,
                    stderr_tail: wait_for_tail(process).await,
                });
            }
        };
        let reply: Reply =
            serde_json::from_str(&reply_line).map_err(|e| DriverFailure::BadReply {
                port: port.clone(),
                line: reply_line.clone(),
                reason: format!("{e} (stderr tail: {})", tail_text(&process.stderr_tail)),
            })?;
        if reply.id != request.id {
            return Err(DriverFailure::BadReply {
                port,
                line: reply_line,
                reason: format!("the reply's id is not the request's ({})", request.id),
            });
        }
        Ok(reply)
    }
}

#[async_trait]
impl ClientUnderTest for PortDriver {
    fn port(&self) -> &str {
        &self.port
    }

    async fn send(&mut self, command: Command) -> Result<Reply, DriverFailure> {
        self.ensure_started_for(&command).await?;
        let request = Request {
            id: self.next_id,
            command,
        };
        self.next_id += 1;
        let name = command_name(&request.command);
        let outcome = tokio::time::timeout(self.timeout, self.exchange(&request)).await;
        let reply = match outcome {
            Ok(result) => result,
            Err(_elapsed) => {
                // The reply order is lost: the process cannot be reused.
                let tail = self.stderr_tail();
                if let Some(mut p) = self.process.take() {
                    // It is hung: an orderly stop would only wait longer.
                    let _ = p.child.kill().await;
                }
                return Err(DriverFailure::Timeout {
                    port: self.port.clone(),
                    command: format!("`{name}` (stderr tail: {tail})"),
                    seconds: self.timeout.as_secs(),
                });
            }
        };
        match (&reply, &request.command) {
            // Whatever broke, the pipes no longer line up with the protocol.
            (Err(_), _) | (Ok(_), Command::Shutdown) => {
                if let Some(p) = self.process.take() {
                    stop(p).await;
                }
            }
            (Ok(r), Command::Configure(_)) if r.ok => self.configured = true,
            _ => {}
        }
        reply
    }
}

/// One port column's driver processes, kept between scenarios: a scenario
/// takes an idle process made fresh with `reset`, or a new one, and gives it
/// back when it ends. A process is reused only when its driver announces
/// `reset` and answers it; one that failed, timed out, or was shut down is
/// never given back, so a crashed or hung driver is replaced. Scenarios
/// running at the same time each have their own process.
pub struct DriverPool {
    port: String,
    launch: Launch,
    timeout: Duration,
    idle: Mutex<Vec<PortDriver>>,
    /// Whether the driver announces `reset`, once a `hello` said so.
    resets: Mutex<Option<bool>>,
}

impl DriverPool {
    /// An empty pool for `port`'s driver.
    pub fn new(port: impl Into<String>, launch: Launch, timeout: Duration) -> Arc<DriverPool> {
        Arc::new(DriverPool {
            port: port.into(),
            launch,
            timeout,
            idle: Mutex::new(Vec::new()),
            resets: Mutex::new(None),
        })
    }

    /// A driver as fresh as a new process: an idle one after `reset`, or a
    /// new one (started on its first command).
    pub async fn take(self: &Arc<Self>) -> PooledDriver {
        loop {
            let idle = self.idle.lock().expect("driver pool lock").pop();
            let Some(mut driver) = idle else {
                let driver =
                    PortDriver::new(self.port.clone(), self.launch.clone(), None, self.timeout);
                return self.lend(driver);
            };
            if self.announces_reset(&mut driver).await && driver.reset().await {
                return self.lend(driver);
            }
            // Dropped, its process is killed; the next idle one is tried.
        }
    }

    fn lend(self: &Arc<Self>, driver: PortDriver) -> PooledDriver {
        PooledDriver {
            driver: Some(driver),
            pool: self.clone(),
        }
    }

    async fn announces_reset(&self, driver: &mut PortDriver) -> bool {
        if let Some(known) = *self.resets.lock().expect("driver pool lock") {
            return known;
        }
        let Ok(reply) = driver.send(Command::Hello).await else {
            return false;
        };
        let announced = reply.ok
            && serde_json::from_value::<Hello>(serde_json::Value::Object(reply.body))
                .is_ok_and(|h| h.capabilities.iter().any(|c| c == capability::RESET));
        *self.resets.lock().expect("driver pool lock") = Some(announced);
        announced
    }

    fn give_back(&self, driver: PortDriver) {
        if driver.process.is_some() {
            self.idle.lock().expect("driver pool lock").push(driver);
        }
    }
}

/// A driver lent by a [`DriverPool`] for one scenario; given back on drop.
pub struct PooledDriver {
    driver: Option<PortDriver>,
    pool: Arc<DriverPool>,
}

#[async_trait]
impl ClientUnderTest for PooledDriver {
    fn port(&self) -> &str {
        &self.pool.port
    }

    async fn send(&mut self, command: Command) -> Result<Reply, DriverFailure> {
        self.driver
            .as_mut()
            .expect("lent until dropped")
            .send(command)
            .await
    }
}

impl Drop for PooledDriver {
    fn drop(&mut self) {
        if let Some(driver) = self.driver.take() {
            self.pool.give_back(driver);
        }
    }
}

/// The protocol name of a command, for messages.
pub fn command_name(command: &Command) -> String {
    serde_json::to_value(command)
        .ok()
        .and_then(|v| v.get("cmd").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

async fn keep_tail(stderr: tokio::process::ChildStderr, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut tail = tail.lock().expect("stderr tail lock");
        if tail.len() == STDERR_TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

fn tail_text(tail: &Mutex<VecDeque<String>>) -> String {
    let tail = tail.lock().expect("stderr tail lock");
    if tail.is_empty() {
        "(empty)".to_owned()
    } else {
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

/// Gives a dying driver a moment to exit and its stderr reader to drain, so
/// the tail holds the crash message.
async fn wait_for_tail(process: &mut Running) -> String {
    let _ = tokio::time::timeout(Duration::from_secs(2), process.child.wait()).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    tail_text(&process.stderr_tail)
}

async fn exited_or(process: &mut Running, port: &str, fallback: DriverFailure) -> DriverFailure {
    match tokio::time::timeout(Duration::from_secs(2), process.child.wait()).await {
        Ok(Ok(_status)) => DriverFailure::Exited {
            port: port.to_owned(),
            stderr_tail: wait_for_tail(process).await,
        },
        _ => fallback,
    }
}

/// Ends a driver: closing stdin is its orderly exit; kill if it lingers.
async fn stop(mut process: Running) {
    drop(process.stdin);
    if tokio::time::timeout(Duration::from_secs(3), process.child.wait())
        .await
        .is_err()
    {
        let _ = process.child.kill().await;
    }
}

/// The repository root, for launching drivers and resolving fixtures.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/conformance sits two levels below the root")
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver_protocol::{AppRef, ErrorKind, Hello};

    /// A stand-in driver written in sh, so the transport is tested without
    /// any port installed: it answers `hello`, echoes its CA variable, can
    /// hang, crash, or answer out of order.
    fn sh_driver(script: &str) -> Launch {
        Launch {
            program: PathBuf::from("sh"),
            args: vec!["-c".into(), script.into()],
            working_dir: repo_root(),
            env: vec![],
        }
    }

    const ECHO_DRIVER: &str = r#"
        while IFS= read -r line; do
          id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
          case "$line" in
            *'"cmd":"hello"'*) printf '{"id":%s,"ok":true,"port":"sh","library":"sh","version":"1","capabilities":["%s"]}\n' "$id" "${FIC_CA_CERT:-none}" ;;
            *'"cmd":"cache"'*) echo "about to hang" >&2; sleep 30 ;;
            *'"cmd":"accounts"'*) echo "fatal: glue crashed" >&2; exit 3 ;;
            *'"cmd":"callback_contexts"'*) printf '{"id":999,"ok":true,"contexts":[]}\n' ;;
            *) printf '{"id":%s,"ok":false,"error":{"kind":"unsupported","message":"no"}}\n' "$id" ;;
          esac
        done"#;

    fn hello_of(reply: Reply) -> Hello {
        serde_json::from_value(serde_json::Value::Object(reply.body)).expect("hello body")
    }

    fn configure(ca: &str) -> Command {
        serde_json::from_value(serde_json::json!({
            "cmd": "configure", "app": "a", "client_id": "c", "authority": "https://localhost:1/t",
            "ca_cert": ca, "credential": {"type": "secret", "secret": "s"}
        }))
        .expect("configure command")
    }

    #[tokio::test]
    async fn restarts_with_the_ca_of_the_first_configure_only() {
        let mut d = PortDriver::new("sh", sh_driver(ECHO_DRIVER), None, Duration::from_secs(5));
        let first = hello_of(d.send(Command::Hello).await.unwrap());
        assert_eq!(first.capabilities, vec!["none"]);
        // The shell answers configure with an error, so nothing counts as
        // configured: the next configure with another CA restarts again.
        let reply = d.send(configure("/ca/one.pem")).await.unwrap();
        assert_eq!(reply.error.unwrap().kind, ErrorKind::Unsupported);
        let after = hello_of(d.send(Command::Hello).await.unwrap());
        assert_eq!(after.capabilities, vec!["/ca/one.pem"]);
        // Once an app exists the process is kept, whatever the CA says.
        d.configured = true;
        d.send(configure("/ca/two.pem")).await.unwrap();
        let kept = hello_of(d.send(Command::Hello).await.unwrap());
        assert_eq!(kept.capabilities, vec!["/ca/one.pem"]);
    }

    #[tokio::test]
    async fn a_hung_driver_times_out_with_its_stderr_tail() {
        let mut d = PortDriver::new(
            "sh",
            sh_driver(ECHO_DRIVER),
            None,
            Duration::from_millis(500),
        );
        let err = d
            .send(Command::Cache(AppRef { app: "a".into() }))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, DriverFailure::Timeout { .. }), "{text}");
        assert!(
            text.contains("`cache`") && text.contains("about to hang"),
            "{text}"
        );
        // The next command gets a fresh process.
        assert!(d.send(Command::Hello).await.unwrap().ok);
    }

    #[tokio::test]
    async fn a_crash_reports_the_exit_with_the_stderr_tail() {
        let mut d = PortDriver::new("sh", sh_driver(ECHO_DRIVER), None, Duration::from_secs(5));
        let err = d
            .send(Command::Accounts(AppRef { app: "a".into() }))
            .await
            .unwrap_err();
        match err {
            DriverFailure::Exited { stderr_tail, .. } => {
                assert!(stderr_tail.contains("glue crashed"), "{stderr_tail}")
            }
            other => panic!("expected Exited, got {other}"),
        }
    }

    #[tokio::test]
    async fn an_out_of_order_reply_is_not_the_protocol() {
        let mut d = PortDriver::new("sh", sh_driver(ECHO_DRIVER), None, Duration::from_secs(5));
        let err = d
            .send(Command::CallbackContexts(AppRef { app: "a".into() }))
            .await
            .unwrap_err();
        assert!(matches!(err, DriverFailure::BadReply { .. }), "{err}");
    }

    /// A stand-in driver that counts its configured apps, forgets them on
    /// `reset`, announces the capabilities in `$CAPS`, and crashes on `cache`.
    const COUNTING_DRIVER: &str = r#"
        apps=0
        while IFS= read -r line; do
          id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
          case "$line" in
            *'"cmd":"hello"'*) printf '{"id":%s,"ok":true,"port":"sh","library":"sh","version":"1","capabilities":[%s]}\n' "$id" "$CAPS" ;;
            *'"cmd":"configure"'*) apps=$((apps + 1)); printf '{"id":%s,"ok":true}\n' "$id" ;;
            *'"cmd":"reset"'*) apps=0; printf '{"id":%s,"ok":true}\n' "$id" ;;
            *'"cmd":"accounts"'*) printf '{"id":%s,"ok":true,"accounts":[],"apps":%s,"pid":%s}\n' "$id" "$apps" "$$" ;;
            *'"cmd":"cache"'*) exit 3 ;;
            *) printf '{"id":%s,"ok":false,"error":{"kind":"driver","message":"unknown cmd"}}\n' "$id" ;;
          esac
        done"#;

    fn counting_pool(capabilities: &str) -> Arc<DriverPool> {
        let mut launch = sh_driver(COUNTING_DRIVER);
        launch.env.push(("CAPS".into(), capabilities.into()));
        DriverPool::new("sh", launch, Duration::from_secs(5))
    }

    /// One scenario's use: configure an app with its own mock's CA, then
    /// (apps configured in the process, its pid).
    async fn scenario(client: &mut PooledDriver, ca: &str) -> (u64, u64) {
        assert!(client.send(configure(ca)).await.unwrap().ok);
        let reply = client
            .send(Command::Accounts(AppRef { app: "a".into() }))
            .await
            .unwrap();
        let number = |name: &str| reply.body[name].as_u64().expect(name);
        (number("apps"), number("pid"))
    }

    #[tokio::test]
    async fn a_driver_announcing_reset_serves_the_next_scenario_as_new() {
        let pool = counting_pool(r#""reset""#);
        let mut first = pool.take().await;
        let (apps, pid) = scenario(&mut first, "/ca/one.pem").await;
        assert_eq!(apps, 1);
        drop(first);
        let mut second = pool.take().await;
        // Same process, another mock's CA, and nothing left of the first
        // scenario: without the reset it would count two apps.
        assert_eq!(scenario(&mut second, "/ca/two.pem").await, (1, pid));
        // A scenario running meanwhile gets its own process.
        let mut beside = pool.take().await;
        let (apps, other) = scenario(&mut beside, "/ca/three.pem").await;
        assert_eq!(apps, 1);
        assert_ne!(other, pid);
    }

    #[tokio::test]
    async fn without_reset_every_scenario_gets_a_new_process() {
        let pool = counting_pool("");
        let mut first = pool.take().await;
        let (_, pid) = scenario(&mut first, "/ca/one.pem").await;
        drop(first);
        let mut second = pool.take().await;
        let (apps, other) = scenario(&mut second, "/ca/two.pem").await;
        assert_eq!(apps, 1);
        assert_ne!(other, pid);
    }

    #[tokio::test]
    async fn a_crashed_driver_is_replaced_not_reused() {
        let pool = counting_pool(r#""reset""#);
        let mut first = pool.take().await;
        let (_, pid) = scenario(&mut first, "/ca/one.pem").await;
        let crash = first.send(Command::Cache(AppRef { app: "a".into() })).await;
        assert!(
            matches!(crash, Err(DriverFailure::Exited { .. })),
            "{crash:?}"
        );
        drop(first);
        let mut second = pool.take().await;
        let (apps, other) = scenario(&mut second, "/ca/two.pem").await;
        assert_eq!(apps, 1);
        assert_ne!(other, pid);
    }

    #[tokio::test]
    async fn a_missing_program_is_a_spawn_failure() {
        let launch = Launch {
            program: PathBuf::from("/nonexistent/driver"),
            args: vec![],
            working_dir: repo_root(),
            env: vec![],
        };
        let mut d = PortDriver::new("ghost", launch, None, Duration::from_secs(1));
        let err = d.send(Command::Hello).await.unwrap_err();
        assert!(matches!(err, DriverFailure::Spawn { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/driver"), "{err}");
    }
}
