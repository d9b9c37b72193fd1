//! The cucumber `World` of the conformance suite: per scenario, a running
//! mock IdP, one client under test (from the port's factory), the tokens the
//! scenario remembered and the last reply.
//!
//! The mock and the client are started lazily by the first step that needs
//! them, so a start-up failure is reported as that step's failure with its
//! reason. Starting per scenario isolates the journal and the caches.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use mock_entra::{Directory, JournalEntry, MockEntra};
use serde_json::Value;

use crate::authority::{AuthorityMode, Target};
use crate::client_under_test::{ClientFactory, ClientUnderTest};
use crate::driver_protocol::{Command, DriverError, Reply};
use crate::scenario::{Artifact, Evidence};

/// What one `run_suite` call shares with every scenario's world.
pub struct SuiteContext {
    /// The port's name.
    pub port: String,
    /// Makes a fresh client per scenario.
    pub factory: ClientFactory,
    /// The mode's snapshot folder for the port (`AuthorityMode::snapshot_dir`).
    pub snapshot_dir: PathBuf,
    /// A build that is not the port's default: its artifacts are recorded
    /// for the cross-port comparison, never checked against or written to
    /// the port's snapshots (those pin the default build).
    pub snapshots_unchecked: bool,
    /// Which authority the clients get.
    pub authority: AuthorityMode,
}

tokio::task_local! {
    /// The context of the suite run this task belongs to. cucumber builds
    /// worlds with a plain constructor, inside the run's own future, so the
    /// runner hands the factory over here; being task-local, suites of
    /// several ports can run side by side.
    pub(crate) static ACTIVE: Arc<SuiteContext>;
}

/// A step's failure, shown under the step in the report.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("{0}")]
    /// A check failed.
    Check(String),
    #[error("cannot start the mock IdP: {0}")]
    /// The mock did not start.
    Mock(#[from] mock_entra::MockError),
    #[error(transparent)]
    /// The driver failed (not the port).
    Driver(#[from] crate::client_under_test::DriverFailure),
    #[error("the {port} client answered `{command}` with an error: {error}")]
    /// The port refused a command where the step expected success.
    Refused {
        /// The port.
        port: String,
        /// The command.
        command: String,
        /// The port's error.
        error: String,
    },
    /// The port answered `unsupported`: it has no such feature. The suite
    /// reports the scenario as not supported, not failed.
    #[error("{UNSUPPORTED_MARK} the `{command}` feature ({port}: {message})")]
    Unsupported {
        /// The port.
        port: String,
        /// The command.
        command: String,
        /// The port's message.
        message: String,
    },
    #[error("{0}")]
    /// An I/O error in the harness itself (the scenario's files).
    Io(#[from] std::io::Error),
}

/// How a step failure says "not supported" to the suite's collector
/// (cucumber only hands the collector the failure's text).
pub const UNSUPPORTED_MARK: &str = "[unsupported]";

/// What a step returns.
pub type StepResult = Result<(), StepError>;

/// Fails the step with a message unless `cond` holds.
pub fn check(cond: bool, message: impl FnOnce() -> String) -> StepResult {
    if cond {
        Ok(())
    } else {
        Err(StepError::Check(message()))
    }
}

/// The running mock and the client under test for one scenario.
pub struct Env {
    /// The scenario's mock IdP.
    pub mock: MockEntra,
    /// The scenario's client.
    pub client: Box<dyn ClientUnderTest>,
    /// Files the scenario writes (token-binding certificates).
    pub files: tempfile::TempDir,
}

/// A token request the scenario posted itself (hostile requests are not a
/// client behaviour, so `idp_validation.feature` bypasses the client).
#[derive(Debug, Clone)]
pub struct RawReply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

#[derive(cucumber::World)]
#[world(init = Self::new)]
/// One scenario's state: the suite context, the mock and client (started
/// on first use), and what the steps observed.
pub struct FicWorld {
    /// The suite run this scenario belongs to.
    pub suite: Option<Arc<SuiteContext>>,
    /// The mock and the client, once started.
    pub env: Option<Env>,
    /// Feature and scenario names, for snapshot names.
    pub feature: String,
    /// The scenario's name.
    pub scenario: String,
    /// Tokens the scenario named ("T1", "T2", ...).
    pub tokens: HashMap<String, String>,
    /// The reply to the last acquire command.
    pub last: Option<Reply>,
    /// Journal length before the last command, to tell whether it sent anything.
    pub journal_before_last: usize,
    /// The reply to the last raw request.
    pub last_raw: Option<RawReply>,
    /// x5t#S256 of the current token-binding certificate, and how many
    /// were issued in this scenario.
    pub binding_x5t: Option<String>,
    /// How many token-binding certificates the scenario issued.
    pub bindings_issued: usize,
    /// Per scenario, how often each snapshot kind was taken (name suffix).
    pub snapshot_counts: HashMap<String, usize>,
    /// What the snapshot steps observed, recorded before comparing.
    pub artifacts: Vec<Artifact>,
}

impl fmt::Debug for FicWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FicWorld")
            .field("feature", &self.feature)
            .field("scenario", &self.scenario)
            .field("mock", &self.env.as_ref().map(|e| e.mock.base_url()))
            .field("tokens", &self.tokens.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl FicWorld {
    fn new() -> FicWorld {
        FicWorld {
            suite: ACTIVE.try_with(Arc::clone).ok(),
            env: None,
            feature: String::new(),
            scenario: String::new(),
            tokens: HashMap::new(),
            last: None,
            journal_before_last: 0,
            last_raw: None,
            binding_x5t: None,
            bindings_issued: 0,
            snapshot_counts: HashMap::new(),
            artifacts: Vec::new(),
        }
    }

    /// The suite context, or a step error when run outside a suite.
    pub fn suite(&self) -> Result<&Arc<SuiteContext>, StepError> {
        self.suite
            .as_ref()
            .ok_or_else(|| StepError::Check("no suite run is active (use run_suite)".into()))
    }

    /// The scenario's mock and client, started on first use.
    pub async fn env(&mut self) -> Result<&mut Env, StepError> {
        if self.env.is_none() {
            let factory = self.suite()?.factory.clone();
            let mock = MockEntra::start(Directory::default_directory()).await?;
            let client = factory().await?;
            self.env = Some(Env {
                mock,
                client,
                files: tempfile::tempdir()?,
            });
        }
        Ok(self.env.as_mut().expect("just started"))
    }

    /// The scenario's mock, started with its client on first use.
    pub async fn mock(&mut self) -> Result<&MockEntra, StepError> {
        Ok(&self.env().await?.mock)
    }

    /// The authority (and proxy) the client under test is configured with.
    pub async fn target(&mut self) -> Result<Target, StepError> {
        let mode = self.suite()?.authority;
        Ok(mode.target(self.mock().await?))
    }

    /// Sends a command and returns the reply as is (errors included).
    pub async fn send(&mut self, command: Command) -> Result<Reply, StepError> {
        let env = self.env().await?;
        Ok(env.client.send(command).await?)
    }

    /// Sends an acquire command, remembering the reply and how many token
    /// requests had reached the IdP before it.
    pub async fn acquire(&mut self, command: Command) -> StepResult {
        self.journal_before_last = self.mock().await?.journal().len();
        let name = command_name(&command);
        let reply = self.send(command).await?;
        // A port that cannot even make the call has no answer to judge.
        if let (false, Some(e)) = (reply.ok, &reply.error)
            && e.kind == crate::driver_protocol::ErrorKind::Unsupported
        {
            return Err(StepError::Unsupported {
                port: self.port(),
                command: name,
                message: e.message.clone(),
            });
        }
        self.last = Some(reply);
        Ok(())
    }

    /// Sends a command that must succeed and returns its result fields.
    pub async fn expect_ok(
        &mut self,
        command: Command,
    ) -> Result<serde_json::Map<String, Value>, StepError> {
        let name = command_name(&command);
        let reply = self.send(command).await?;
        match reply.error {
            Some(e) if !reply.ok && e.kind == crate::driver_protocol::ErrorKind::Unsupported => {
                Err(StepError::Unsupported {
                    port: self.port(),
                    command: name,
                    message: e.message,
                })
            }
            Some(e) if !reply.ok => Err(self.refused(&name, &e)),
            _ => Ok(reply.body),
        }
    }

    /// The step error for a port's refusal of `command` where the step
    /// expected success.
    pub fn refused(&self, command: &str, e: &DriverError) -> StepError {
        StepError::Refused {
            port: self.port(),
            command: command.to_owned(),
            error: serde_json::to_string(e).unwrap_or_default(),
        }
    }

    /// The port under test.
    pub fn port(&self) -> String {
        self.suite
            .as_ref()
            .map_or_else(|| "?".to_owned(), |s| s.port.clone())
    }

    /// The mock's journal so far (empty before the mock starts).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.env
            .as_ref()
            .map(|e| e.mock.journal().entries())
            .unwrap_or_default()
    }

    /// The journal as pretty JSON, printed under a failed scenario.
    pub fn journal_json(&self) -> String {
        serde_json::to_string_pretty(&self.journal()).unwrap_or_default()
    }

    /// What the scenario observed, for the reports.
    pub fn evidence(&self) -> Evidence {
        Evidence {
            requests: self
                .journal()
                .iter()
                .filter_map(|e| serde_json::to_value(e).ok())
                .collect(),
            artifacts: self.artifacts.clone(),
            cache: Default::default(),
        }
    }

    /// The current token-binding certificate's `x5t#S256`.
    pub fn binding_x5t(&self) -> Result<String, StepError> {
        self.binding_x5t
            .clone()
            .ok_or_else(|| StepError::Check("no token-binding certificate was issued".into()))
    }

    /// A token the scenario named ("T1", "T2").
    pub fn token(&self, name: &str) -> Result<String, StepError> {
        self.tokens
            .get(name)
            .cloned()
            .ok_or_else(|| StepError::Check(format!("no token was remembered as {name:?}")))
    }
}

fn command_name(c: &Command) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.get("cmd").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}
