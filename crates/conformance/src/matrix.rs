//! The conformance matrix: the feature suite run once per port, every
//! scenario classified per port as pass / fail / divergent / not supported /
//! skipped.
//!
//! Classification keeps `fixtures/divergences.toml` honest:
//! - a failing scenario declared there is *divergent* (expected, reported),
//!   or a *known port bug* when declared with `kind = "port-bug"`;
//! - a failing scenario not declared there *fails*;
//! - a declared scenario that now passes is *stale* and fails the run, as
//!   does a declaration naming a scenario the suite does not have.
//!
//! Before a real port runs, its driver's `hello` must name the pinned
//! version and announce the protocol's core capabilities: a stale install or
//! a package without fmi_path fails the port with that reason instead of
//! turning every scenario into "not supported".

use std::path::PathBuf;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;

use crate::client_under_test::{ClientFactory, ClientUnderTest, DriverFailure};
use crate::divergences::{DivergenceKind, Divergences};
use crate::driver_protocol::{Command, Hello};
use crate::port_driver::{Launch, PortDriver};
use crate::ports::{Availability, PROTOCOL_CAPABILITIES, Port};

/// One scenario's result for one port, as the suite reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioResult {
    pub feature: String,
    pub scenario: String,
    pub tags: Vec<String>,
    pub outcome: ScenarioOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ScenarioOutcome {
    Passed,
    Failed { step: String, message: String },
    NotSupported { capability: String },
}

/// What the matrix needs from the suite: run every (tag-filtered) scenario
/// with clients from `factory`, reporting as `port`.
pub type SuiteRunner = std::sync::Arc<
    dyn Fn(String, ClientFactory) -> BoxFuture<'static, Result<Vec<ScenarioResult>, String>>
        + Send
        + Sync,
>;

pub struct MatrixOptions {
    pub root: PathBuf,
    pub ports: Vec<Port>,
    /// The in-process reference client's factory (the `rust` column).
    pub reference: ClientFactory,
    /// A port whose runtime is missing fails instead of being skipped.
    pub require_ports: bool,
    /// `--tags` was given: declarations for scenarios that did not run are
    /// then not stale, merely filtered out.
    pub filtered: bool,
    /// The longest one driver command may take.
    pub command_timeout: Duration,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub columns: Vec<PortColumn>,
}

/// One port's column.
#[derive(Debug, Clone, Serialize)]
pub struct PortColumn {
    pub port: String,
    pub state: ColumnState,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ColumnState {
    /// The suite ran against the port.
    Ran {
        library: String,
        version: String,
        cells: Vec<Cell>,
        /// Declarations for this port that match no scenario of the suite.
        unknown_divergences: Vec<String>,
    },
    /// Not run here, and that is allowed: the reason says why.
    Skipped { reason: String },
    /// Could not run, and that fails the run (wrong version, no fmi_path,
    /// driver does not start, missing runtime under `FIC_REQUIRE_PORTS=1`).
    Broken { reason: String },
}

/// One scenario × port.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub feature: String,
    pub scenario: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail {
        step: String,
        message: String,
    },
    /// Failed as declared in `fixtures/divergences.toml`.
    Divergent {
        what: String,
        spec: String,
        step: String,
        message: String,
    },
    /// Failed because of a bug in the released port, declared (with
    /// `kind = "port-bug"`) in `fixtures/divergences.toml`.
    KnownPortBug {
        what: String,
        spec: String,
        step: String,
        message: String,
    },
    /// Declared divergent, but it passed (or cannot run): the declaration
    /// is out of date.
    Stale {
        what: String,
        outcome: String,
    },
    NotSupported {
        capability: String,
    },
}

impl Verdict {
    pub fn is_failure(&self) -> bool {
        matches!(self, Verdict::Fail { .. } | Verdict::Stale { .. })
    }

    /// The word shown in the matrix table.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail { .. } => "FAIL",
            Verdict::Divergent { .. } => "divergent",
            Verdict::KnownPortBug { .. } => "known port bug",
            Verdict::Stale { .. } => "STALE",
            Verdict::NotSupported { .. } => "not supported",
        }
    }
}

impl Matrix {
    /// Whether the run must exit non-zero.
    pub fn failed(&self) -> bool {
        self.columns.iter().any(|c| match &c.state {
            ColumnState::Ran {
                cells,
                unknown_divergences,
                ..
            } => cells.iter().any(|x| x.verdict.is_failure()) || !unknown_divergences.is_empty(),
            ColumnState::Skipped { .. } => false,
            ColumnState::Broken { .. } => true,
        })
    }
}

/// Classifies one port's suite results against the declarations.
pub fn classify(
    port: &str,
    results: &[ScenarioResult],
    divergences: &Divergences,
    filtered: bool,
) -> (Vec<Cell>, Vec<String>) {
    let cells = results
        .iter()
        .map(|r| {
            let declared = divergences.find(port, &r.scenario);
            let verdict = match (&r.outcome, declared) {
                (ScenarioOutcome::Passed, None) => Verdict::Pass,
                (ScenarioOutcome::Passed, Some(d)) => Verdict::Stale {
                    what: d.what.clone(),
                    outcome: "passed".into(),
                },
                (ScenarioOutcome::Failed { step, message }, None) => Verdict::Fail {
                    step: step.clone(),
                    message: message.clone(),
                },
                (ScenarioOutcome::Failed { step, message }, Some(d)) => match &d.step {
                    // Failing elsewhere is another problem hiding behind
                    // the declaration.
                    Some(expected) if expected != step => Verdict::Fail {
                        step: step.clone(),
                        message: format!(
                            "{message}\n(declared divergent at `{expected}`, but failed at this step)"
                        ),
                    },
                    _ => match d.kind {
                        DivergenceKind::Divergence => Verdict::Divergent {
                            what: d.what.clone(),
                            spec: d.spec.clone(),
                            step: step.clone(),
                            message: message.clone(),
                        },
                        DivergenceKind::PortBug => Verdict::KnownPortBug {
                            what: d.what.clone(),
                            spec: d.spec.clone(),
                            step: step.clone(),
                            message: message.clone(),
                        },
                    },
                },
                (ScenarioOutcome::NotSupported { capability }, None) => Verdict::NotSupported {
                    capability: capability.clone(),
                },
                (ScenarioOutcome::NotSupported { capability }, Some(d)) => Verdict::Stale {
                    what: d.what.clone(),
                    outcome: format!("not supported (no {capability}), so it cannot diverge"),
                },
            };
            Cell {
                feature: r.feature.clone(),
                scenario: r.scenario.clone(),
                verdict,
            }
        })
        .collect();
    // With a tag filter, a declaration may name a scenario that was merely
    // filtered out; only a full run can tell it names nothing.
    let unknown = if filtered {
        vec![]
    } else {
        divergences
            .for_port(port)
            .filter(|d| !results.iter().any(|r| r.scenario == d.scenario))
            .map(|d| d.scenario.clone())
            .collect()
    };
    (cells, unknown)
}

/// Runs the suite for every selected port, one after the other (the ports
/// share two cores with everything else; parallel JVMs would only thrash).
pub async fn run_matrix(
    options: &MatrixOptions,
    divergences: &Divergences,
    suite: SuiteRunner,
) -> Matrix {
    let mut columns = Vec::new();
    for &port in &options.ports {
        let state = run_port(options, port, divergences, &suite).await;
        columns.push(PortColumn {
            port: port.name().to_owned(),
            state,
        });
    }
    Matrix { columns }
}

async fn run_port(
    options: &MatrixOptions,
    port: Port,
    divergences: &Divergences,
    suite: &SuiteRunner,
) -> ColumnState {
    let factory = match port.availability(&options.root) {
        Availability::InProcess => options.reference.clone(),
        Availability::Driver(launch) => driver_factory(port, launch, options.command_timeout),
        Availability::Missing { reason } if options.require_ports => {
            return ColumnState::Broken {
                reason: format!("{reason}; required because FIC_REQUIRE_PORTS=1"),
            };
        }
        Availability::Missing { reason } => return ColumnState::Skipped { reason },
    };
    let hello = match preflight(options, port, &factory).await {
        Ok(hello) => hello,
        Err(reason) => return ColumnState::Broken { reason },
    };
    match suite(port.name().to_owned(), factory).await {
        Ok(results) => {
            let (cells, unknown_divergences) =
                classify(port.name(), &results, divergences, options.filtered);
            ColumnState::Ran {
                library: hello.library,
                version: hello.version,
                cells,
                unknown_divergences,
            }
        }
        Err(reason) => ColumnState::Broken {
            reason: format!("the suite could not run: {reason}"),
        },
    }
}

/// A fresh driver process per scenario, so scenarios never share caches.
fn driver_factory(port: Port, launch: Launch, timeout: Duration) -> ClientFactory {
    std::sync::Arc::new(move || {
        let driver = PortDriver::new(port.name(), launch.clone(), None, timeout);
        Box::pin(async move { Ok(Box::new(driver) as Box<dyn ClientUnderTest>) })
    })
}

/// Asks the client who it is and checks it against the pin and the
/// protocol's core capabilities.
async fn preflight(
    options: &MatrixOptions,
    port: Port,
    factory: &ClientFactory,
) -> Result<Hello, String> {
    let name = port.name();
    let mut client = factory().await.map_err(|e| e.to_string())?;
    let hello = hello(client.as_mut()).await?;
    let _ = client.send(Command::Shutdown).await;
    if hello.port != name {
        return Err(format!(
            "the driver says it is {:?}, not {name}",
            hello.port
        ));
    }
    let pin = port
        .pinned_version(&options.root)
        .map_err(|e| e.to_string())?;
    if let Some(pin) = pin
        && hello.version != pin
    {
        return Err(format!(
            "{} {} is installed, but {} pins {pin}: re-run `bash ports/install.sh`",
            hello.library,
            hello.version,
            port.pin_file().unwrap_or("the pin file"),
        ));
    }
    if port.is_real() {
        let missing: Vec<&str> = PROTOCOL_CAPABILITIES
            .into_iter()
            .filter(|c| !hello.capabilities.iter().any(|have| have == c))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "{} {} lacks {}: it cannot run the agent identity protocol (is the pin a release with fmi_path and user_fic?)",
                hello.library,
                hello.version,
                missing.join(", ")
            ));
        }
    }
    Ok(hello)
}

async fn hello(client: &mut dyn ClientUnderTest) -> Result<Hello, String> {
    let reply = client
        .send(Command::Hello)
        .await
        .map_err(|e: DriverFailure| e.to_string())?;
    if !reply.ok {
        return Err(match reply.error {
            Some(e) => format!("hello failed: {e}"),
            None => "hello failed without saying why".to_owned(),
        });
    }
    serde_json::from_value(serde_json::Value::Object(reply.body))
        .map_err(|e| format!("hello reply is not the protocol: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn result(scenario: &str, outcome: ScenarioOutcome) -> ScenarioResult {
        ScenarioResult {
            feature: "f".into(),
            scenario: scenario.into(),
            tags: vec![],
            outcome,
        }
    }

    fn failed() -> ScenarioOutcome {
        ScenarioOutcome::Failed {
            step: "Then x".into(),
            message: "boom".into(),
        }
    }

    fn declared(entries: &[(&str, &str)]) -> Divergences {
        let text: String = entries
            .iter()
            .map(|(port, scenario)| {
                format!("[[divergence]]\nport = \"{port}\"\nscenario = \"{scenario}\"\nwhat = \"differs\"\nspec = \"SPEC §4\"\n")
            })
            .collect();
        Divergences::parse(&text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn every_combination_of_outcome_and_declaration() {
        let d = declared(&[("node", "declared fails"), ("node", "declared passes")]);
        let results = vec![
            result("passes", ScenarioOutcome::Passed),
            result("fails", failed()),
            result("declared fails", failed()),
            result("declared passes", ScenarioOutcome::Passed),
            result(
                "needs pop",
                ScenarioOutcome::NotSupported {
                    capability: "jwt_pop".into(),
                },
            ),
        ];
        let (cells, unknown) = classify("node", &results, &d, false);
        let labels: Vec<_> = cells.iter().map(|c| c.verdict.label()).collect();
        assert_eq!(
            labels,
            ["pass", "FAIL", "divergent", "STALE", "not supported"]
        );
        assert!(unknown.is_empty());
        // The same results for a port with no declarations.
        let (cells, _) = classify("python", &results, &d, false);
        let labels: Vec<_> = cells.iter().map(|c| c.verdict.label()).collect();
        assert_eq!(labels, ["pass", "FAIL", "FAIL", "pass", "not supported"]);
    }

    #[test]
    fn a_declared_port_bug_is_reported_apart_and_goes_stale_when_fixed() {
        let text = "[[divergence]]\nport = \"java\"\nkind = \"port-bug\"\nscenario = \"bug\"\nwhat = \"PORT BUG\"\nspec = \"SPEC §5\"\n";
        let d = Divergences::parse(text, Path::new("t.toml")).unwrap();
        let (cells, _) = classify("java", &[result("bug", failed())], &d, false);
        assert_eq!(cells[0].verdict.label(), "known port bug");
        assert!(!cells[0].verdict.is_failure());
        let (cells, _) = classify("java", &[result("bug", ScenarioOutcome::Passed)], &d, false);
        assert_eq!(cells[0].verdict.label(), "STALE");
        assert!(cells[0].verdict.is_failure());
    }

    #[test]
    fn a_declared_step_must_be_the_failing_one() {
        let text = "[[divergence]]\nport = \"node\"\nscenario = \"S\"\nwhat = \"w\"\nspec = \"SPEC §4\"\nstep = \"Then x\"\n";
        let d = Divergences::parse(text, Path::new("t.toml")).unwrap();
        let at = |step: &str| {
            let r = result(
                "S",
                ScenarioOutcome::Failed {
                    step: step.into(),
                    message: "boom".into(),
                },
            );
            classify("node", &[r], &d, false).0.remove(0).verdict
        };
        assert_eq!(at("Then x").label(), "divergent");
        match at("When y") {
            Verdict::Fail { message, .. } => {
                assert!(
                    message.contains("declared divergent at `Then x`"),
                    "{message}"
                )
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_declaration_for_a_missing_scenario_fails_only_a_full_run() {
        let d = declared(&[("go", "renamed long ago")]);
        let results = vec![result("passes", ScenarioOutcome::Passed)];
        let (_, unknown) = classify("go", &results, &d, false);
        assert_eq!(unknown, vec!["renamed long ago"]);
        let (_, unknown) = classify("go", &results, &d, true);
        assert!(unknown.is_empty(), "--tags may have filtered it out");
        let matrix = Matrix {
            columns: vec![PortColumn {
                port: "go".into(),
                state: ColumnState::Ran {
                    library: "l".into(),
                    version: "v".into(),
                    cells: vec![],
                    unknown_divergences: vec!["renamed long ago".into()],
                },
            }],
        };
        assert!(matrix.failed());
    }

    #[test]
    fn skipped_passes_but_broken_fails() {
        let col = |state| Matrix {
            columns: vec![PortColumn {
                port: "java".into(),
                state,
            }],
        };
        assert!(!col(ColumnState::Skipped { reason: "r".into() }).failed());
        assert!(col(ColumnState::Broken { reason: "r".into() }).failed());
    }
}

#[cfg(test)]
mod preflight_tests {
    use super::*;
    use async_trait::async_trait;
    use std::sync::Arc;

    use crate::driver_protocol::Reply;

    /// A client that only answers `hello`, as told.
    struct Says(serde_json::Value);

    #[async_trait]
    impl ClientUnderTest for Says {
        fn port(&self) -> &str {
            "python"
        }
        async fn send(&mut self, _command: Command) -> Result<Reply, DriverFailure> {
            let mut body = self.0.as_object().cloned().unwrap_or_default();
            body.insert("id".into(), 1.into());
            body.insert("ok".into(), true.into());
            Ok(serde_json::from_value(serde_json::Value::Object(body)).unwrap())
        }
    }

    fn factory(hello: serde_json::Value) -> ClientFactory {
        Arc::new(move || {
            let hello = hello.clone();
            Box::pin(async move { Ok(Box::new(Says(hello)) as Box<dyn ClientUnderTest>) })
        })
    }

    fn options(root: PathBuf) -> MatrixOptions {
        MatrixOptions {
            root,
            ports: vec![Port::Python],
            reference: factory(serde_json::json!({})),
            require_ports: false,
            filtered: false,
            command_timeout: Duration::from_secs(1),
        }
    }

    fn root_pinning(version: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("fic-matrix-{}-{version}", std::process::id()));
        std::fs::create_dir_all(root.join("ports/python")).unwrap();
        std::fs::write(
            root.join("ports/python/requirements.txt"),
            format!("msal=={version} \\\n    --hash=sha256:00\n"),
        )
        .unwrap();
        root
    }

    fn python_hello(version: &str, capabilities: &[&str]) -> serde_json::Value {
        serde_json::json!({"port": "python", "library": "msal", "version": version, "capabilities": capabilities})
    }

    const ALL_CORE: [&str; 5] = [
        "secret",
        "fmi_path",
        "context_callback",
        "user_fic",
        "cache",
    ];

    #[tokio::test]
    async fn the_pinned_version_with_the_protocol_passes() {
        let root = root_pinning("1.39.0");
        let hello = preflight(
            &options(root.clone()),
            Port::Python,
            &factory(python_hello("1.39.0", &ALL_CORE)),
        )
        .await
        .unwrap();
        assert_eq!(hello.version, "1.39.0");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[tokio::test]
    async fn a_stale_install_fails_with_the_pin_and_the_fix() {
        let root = root_pinning("1.40.0");
        let err = preflight(
            &options(root.clone()),
            Port::Python,
            &factory(python_hello("1.39.0", &ALL_CORE)),
        )
        .await
        .unwrap_err();
        assert!(err.contains("msal 1.39.0 is installed"), "{err}");
        assert!(
            err.contains("pins 1.40.0") && err.contains("ports/install.sh"),
            "{err}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[tokio::test]
    async fn a_package_without_fmi_path_fails_readably() {
        let root = root_pinning("1.30.0");
        let old = python_hello("1.30.0", &["secret", "certificate", "silent", "cache"]);
        let err = preflight(&options(root.clone()), Port::Python, &factory(old))
            .await
            .unwrap_err();
        assert!(
            err.contains("msal 1.30.0 lacks fmi_path, context_callback, user_fic"),
            "{err}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}

/// The preflight against the real, installed drivers: each must load its pin
/// and announce the protocol.
#[cfg(test)]
mod installed_ports {
    use super::*;
    use crate::port_driver::repo_root;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_installed_driver_loads_its_pin() {
        let required = std::env::var("FIC_REQUIRE_PORTS").is_ok_and(|v| v == "1");
        let root = repo_root();
        for port in crate::ports::select("all").unwrap() {
            let launch = match port.availability(&root) {
                Availability::Driver(launch) => launch,
                Availability::Missing { reason } => {
                    assert!(!required, "{}: {reason}", port.name());
                    eprintln!("skipped {}: {reason}", port.name());
                    continue;
                }
                Availability::InProcess => continue,
            };
            let options = MatrixOptions {
                root: root.clone(),
                ports: vec![port],
                reference: driver_factory(port, launch.clone(), Duration::from_secs(60)),
                require_ports: required,
                filtered: false,
                command_timeout: Duration::from_secs(60),
            };
            let factory = driver_factory(port, launch, Duration::from_secs(60));
            let hello = preflight(&options, port, &factory)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", port.name()));
            assert_eq!(hello.library, port.library(), "{}", port.name());
        }
    }
}
