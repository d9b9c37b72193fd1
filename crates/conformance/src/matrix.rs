//! The conformance run: the IdP conformance section once, then the feature
//! suite once per port, each scenario classified per port (the rules are in
//! [`crate::verdict`]), and every port's pinned artifacts lined up against
//! the reference client's.
//!
//! Before a real port runs, its driver's `hello` must name the pinned
//! version and announce the protocol's core capabilities: a stale install or
//! a package without fmi_path fails the port with that reason instead of
//! turning every scenario into "not supported".
//!
//! A column is a port build ([`PortBuild`]): the default pin, a released
//! version or a local build, installed first when it is not the default. A
//! build that is not the default has its artifacts compared with the
//! reference client's only, never with the port's snapshots, which pin the
//! default build ([`Section::Build`]); a build that cannot be installed is a
//! broken column quoting its installer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use serde::Serialize;
use serde_json::Value;

use crate::client_under_test::{ClientFactory, ClientUnderTest, DriverFailure};
use crate::divergences::Divergences;
use crate::driver_protocol::{Command, Hello};
use crate::port_build::{BuildScope, BuildSource, PortBuild};
use crate::port_driver::{DriverPool, Launch};
use crate::ports::{Availability, PROTOCOL_CAPABILITIES, Port};
use crate::scenario::{Evidence, ScenarioResult};
use crate::suite::{OnFinished, Section};
use crate::verdict::{self, ColumnResults, Comparison, StaleDifference, Verdict};

pub use crate::suite::SuiteRunner;

/// What the run tells as it goes.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A section starts: `idp`, or a port with its library and version.
    Started {
        /// `idp` or the port.
        section: String,
        /// The library and version, for a port.
        detail: String,
    },
    /// One scenario finished, with its verdict.
    Finished {
        /// `idp` or the port.
        section: String,
        /// The scenario and its verdict.
        cell: Box<Cell>,
    },
}

/// The callback that receives [`Progress`].
pub type OnProgress = Arc<dyn Fn(&Progress) + Send + Sync>;

/// What a run covers and how it behaves.
pub struct MatrixOptions {
    /// The repository root (features, fixtures, snapshots, ports).
    pub root: PathBuf,
    /// The port builds to run, in column order ([`PortBuild::parse_list`]).
    pub ports: Vec<PortBuild>,
    /// The in-process reference client's factory (the `rust` column).
    pub reference: ClientFactory,
    /// A port whose runtime is missing fails instead of being skipped.
    pub require_ports: bool,
    /// Only part of the suite runs (`--tags`, or `--features` naming another
    /// folder): declarations for scenarios that did not run are then not
    /// stale, merely filtered out.
    pub filtered: bool,
    /// The longest one driver command may take.
    pub command_timeout: Duration,
    /// Told as each section starts and each scenario finishes.
    pub progress: Option<OnProgress>,
    /// The authority mode of the run: which reference snapshots the ports
    /// are compared with.
    pub authority: crate::authority::AuthorityMode,
    /// How many ports run at the same time (at least one).
    pub jobs: usize,
}

/// How many ports run at the same time by default: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// The IdP conformance section (`None`: the tag filter selected none of it).
    pub idp: Option<PortColumn>,
    /// One column per port run.
    pub columns: Vec<PortColumn>,
    /// The cross-port comparison of artifacts.
    pub cross_port: CrossPort,
}

/// Every port's artifacts against the reference's.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CrossPort {
    /// Where the reference's pinned artifacts were read, relative to the
    /// repository (`snapshots/rust/`, or `snapshots/localhost/rust/`).
    pub reference_dir: String,
    /// Each artifact lined up across ports.
    pub comparisons: Vec<Comparison>,
    /// Declared differences nothing matched.
    pub stale: Vec<StaleDifference>,
}

/// One port build's column (or the IdP section).
#[derive(Debug, Clone, Serialize)]
pub struct PortColumn {
    /// `idp`, `rust`, `python`, ..., or a build that is not the default:
    /// `node@7.2.4`, `node=../msal-node` ([`PortBuild::label`]).
    pub port: String,
    /// The port build it ran (`None` for the IdP section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<PortBuild>,
    /// Whether it ran, and what it gave.
    pub state: ColumnState,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
/// Whether a column ran.
pub enum ColumnState {
    /// The suite ran against the port.
    Ran {
        /// The library the driver loaded.
        library: String,
        /// Its version, as loaded.
        version: String,
        /// One cell per scenario, in suite order.
        cells: Vec<Cell>,
        /// Declarations for this port that match no scenario of the suite.
        unknown_divergences: Vec<String>,
    },
    /// Not run here, and that is allowed: the reason says why.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Could not run, and that fails the run (wrong version, no fmi_path,
    /// driver does not start, missing runtime under `FIC_REQUIRE_PORTS=1`).
    Broken {
        /// Why.
        reason: String,
    },
}

/// One scenario × port.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// The scenario's short id (`fci-3`).
    pub id: String,
    /// The feature's name.
    pub feature: String,
    /// The scenario's name.
    pub scenario: String,
    /// What the scenario's outcome means for this port.
    pub verdict: Verdict,
    /// Wall time.
    pub duration_ms: u64,
    /// What the scenario observed of the client.
    pub evidence: Evidence,
}

/// A column's verdicts counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Scenarios that ran against the client (all but "not supported").
    pub exercised: usize,
    /// Passed.
    pub pass: usize,
    /// Failed where a divergence is declared.
    pub divergent: usize,
    /// Failed where a known port bug is declared.
    pub known_port_bug: usize,
    /// Not supported by the port.
    pub not_supported: usize,
    /// Failed.
    pub fail: usize,
    /// Declared, but did not fail as declared.
    pub stale: usize,
    /// A declared port bug this build no longer has.
    pub fixed: usize,
}

impl PortColumn {
    /// The scenarios' cells; empty unless the column ran.
    pub fn cells(&self) -> &[Cell] {
        match &self.state {
            ColumnState::Ran { cells, .. } => cells,
            _ => &[],
        }
    }

    /// The column's verdicts counted.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for cell in self.cells() {
            match cell.verdict {
                Verdict::Pass => c.pass += 1,
                Verdict::Fail { .. } => c.fail += 1,
                Verdict::Divergent { .. } => c.divergent += 1,
                Verdict::KnownPortBug { .. } => c.known_port_bug += 1,
                Verdict::Stale { .. } => c.stale += 1,
                Verdict::NotSupported { .. } => c.not_supported += 1,
                Verdict::FixedInThisBuild { .. } => c.fixed += 1,
            }
        }
        c.exercised = self.cells().len() - c.not_supported;
        if let ColumnState::Ran {
            unknown_divergences,
            ..
        } = &self.state
        {
            c.stale += unknown_divergences.len();
        }
        c
    }

    /// Failing cells, stale declarations, or 1 for a broken column.
    pub fn failures(&self) -> usize {
        match &self.state {
            ColumnState::Ran { .. } => {
                let c = self.counts();
                c.fail + c.stale
            }
            ColumnState::Skipped { .. } => 0,
            ColumnState::Broken { .. } => 1,
        }
    }
}

impl Matrix {
    /// Everything that fails the run: failing cells and stale declarations
    /// (IdP section included), broken ports, new or stale cross-port
    /// differences.
    pub fn failure_count(&self) -> usize {
        self.idp
            .iter()
            .chain(&self.columns)
            .map(PortColumn::failures)
            .sum::<usize>()
            + self.new_differences()
            + self.cross_port.stale.len()
    }

    /// Whether the run must exit non-zero.
    pub fn failed(&self) -> bool {
        self.failure_count() > 0
    }

    /// Port artifacts that differ from the reference without a declaration.
    pub fn new_differences(&self) -> usize {
        self.cross_port
            .comparisons
            .iter()
            .flat_map(|c| &c.ports)
            .filter(|p| p.verdict == verdict::Difference::New)
            .count()
    }

    /// Every scenario any column ran, `(id, feature, scenario)`, in
    /// first-seen order (the IdP section's apart).
    pub fn port_rows(&self) -> Vec<(String, String, String)> {
        let mut rows: Vec<(String, String, String)> = Vec::new();
        for cell in self.columns.iter().flat_map(PortColumn::cells) {
            if !rows.iter().any(|r| r.0 == cell.id) {
                rows.push((cell.id.clone(), cell.feature.clone(), cell.scenario.clone()));
            }
        }
        rows
    }
}

/// Classifies one port build's results against the declarations (`build`
/// `None`: every declaration holds, whatever its `versions`).
pub fn classify(
    port: &str,
    build: Option<&BuildScope>,
    results: Vec<ScenarioResult>,
    divergences: &Divergences,
    filtered: bool,
) -> (Vec<Cell>, Vec<String>) {
    let unknown = verdict::unknown_declarations(port, &results, divergences, filtered);
    let cells = results
        .into_iter()
        .map(|r| cell(port, build, r, divergences))
        .collect();
    (cells, unknown)
}

fn cell(
    port: &str,
    build: Option<&BuildScope>,
    r: ScenarioResult,
    divergences: &Divergences,
) -> Cell {
    Cell {
        verdict: verdict::classify_build(port, build, &r, divergences),
        id: r.id,
        feature: r.feature,
        scenario: r.scenario,
        duration_ms: r.duration_ms,
        evidence: r.evidence,
    }
}

/// Runs the IdP section and the suite for every selected port, up to
/// `options.jobs` ports at a time beside the IdP section (each port has its
/// own mocks and driver processes), then the cross-port comparison. Columns
/// keep the order of `options.ports`, whichever finishes first.
pub async fn run_matrix(
    options: &MatrixOptions,
    divergences: &Divergences,
    suite: SuiteRunner,
) -> Matrix {
    let ports = futures::stream::iter(options.ports.iter().enumerate())
        .map(|(at, build)| {
            let suite = &suite;
            async move {
                (
                    at,
                    build,
                    run_port(options, build, divergences, suite).await,
                )
            }
        })
        .buffer_unordered(options.jobs.max(1))
        .collect::<Vec<_>>();
    let quiet = crate::suite::QuietSuitePanics::install();
    let (idp, mut finished) = futures::join!(run_idp(options, &suite), ports);
    drop(quiet);
    finished.sort_by_key(|(at, _, _)| *at);
    let mut columns = Vec::new();
    let mut observed: Vec<Observed> = Vec::new();
    for (_, build, (state, results)) in finished {
        if let (Some(results), ColumnState::Ran { version, .. }) = (results, &state) {
            observed.push(Observed {
                column: build.label(),
                port: build.port,
                scope: build.scope(version),
                results,
            });
        }
        columns.push(PortColumn {
            port: build.label(),
            build: Some(build.clone()),
            state,
        });
    }
    let cross_port = cross_port(
        &options.root,
        options.authority,
        &observed,
        divergences,
        options.filtered,
    );
    Matrix {
        idp,
        columns,
        cross_port,
    }
}

fn report(options: &MatrixOptions, progress: Progress) {
    if let Some(p) = &options.progress {
        p(&progress);
    }
}

/// What one column observed, for the cross-port comparison.
struct Observed {
    column: String,
    port: Port,
    scope: BuildScope,
    results: Vec<ScenarioResult>,
}

/// A callback that classifies each finished scenario and reports it under
/// `section` (the column's name).
fn on_finished(
    options: &MatrixOptions,
    section: &str,
    port: &str,
    build: Option<BuildScope>,
    divergences: &Divergences,
) -> Option<OnFinished> {
    let progress = options.progress.clone()?;
    let section = section.to_owned();
    let port = port.to_owned();
    let divergences = divergences.clone();
    Some(Arc::new(move |r: &ScenarioResult| {
        let cell = cell(&port, build.as_ref(), r.clone(), &divergences);
        progress(&Progress::Finished {
            section: section.clone(),
            cell: Box::new(cell),
        });
    }))
}

async fn run_idp(options: &MatrixOptions, suite: &SuiteRunner) -> Option<PortColumn> {
    let name = crate::suite::IDP_TAG;
    report(
        options,
        Progress::Started {
            section: name.into(),
            detail: "IdP conformance: the mock against Entra's rules, once per run".into(),
        },
    );
    let none = Divergences::default();
    let state = match suite(
        Section::Idp,
        crate::suite::no_client(),
        on_finished(options, name, name, None, &none),
    )
    .await
    {
        Ok(results) if results.is_empty() => return None,
        Ok(results) => ColumnState::Ran {
            library: "mock-entra".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            cells: classify(name, None, results, &none, true).0,
            unknown_divergences: vec![],
        },
        Err(reason) => ColumnState::Broken {
            reason: format!("the IdP section could not run: {reason}"),
        },
    };
    Some(PortColumn {
        port: name.into(),
        build: None,
        state,
    })
}

/// Runs the suite against one column: installs the build if it is not the
/// default, checks its driver's `hello`, runs the scenarios, classifies them.
pub async fn run_port(
    options: &MatrixOptions,
    build: &PortBuild,
    divergences: &Divergences,
    suite: &SuiteRunner,
) -> (ColumnState, Option<Vec<ScenarioResult>>) {
    let port = build.port;
    let label = build.label();
    let availability = if build.is_default() {
        port.availability(&options.root)
    } else {
        let (installing, root) = (build.clone(), options.root.clone());
        match tokio::task::spawn_blocking(move || installing.prepare(&root)).await {
            Ok(Ok(availability)) => availability,
            Ok(Err(e)) => {
                let reason = format!("{label} could not be installed: {e}");
                return (ColumnState::Broken { reason }, None);
            }
            Err(e) => {
                let reason = format!("{label}: the installer's thread failed: {e}");
                return (ColumnState::Broken { reason }, None);
            }
        }
    };
    let factory = match availability {
        Availability::InProcess => options.reference.clone(),
        Availability::Driver(launch) => driver_factory(port, launch, options.command_timeout),
        Availability::Missing { reason } if options.require_ports => {
            let reason = format!("{reason}; required because FIC_REQUIRE_PORTS=1");
            return (ColumnState::Broken { reason }, None);
        }
        Availability::Missing { reason } => return (ColumnState::Skipped { reason }, None),
    };
    let hello = match preflight(options, build, &factory).await {
        Ok(hello) => hello,
        Err(reason) => return (ColumnState::Broken { reason }, None),
    };
    let scope = build.scope(&hello.version);
    report(
        options,
        Progress::Started {
            section: label.clone(),
            detail: format!(
                "{} {}{}",
                hello.library,
                hello.version,
                if build.is_local() {
                    " (local build)"
                } else {
                    ""
                }
            ),
        },
    );
    let section = if build.is_default() {
        Section::Port(port.name().to_owned())
    } else {
        Section::Build(port.name().to_owned())
    };
    let callback = on_finished(
        options,
        &label,
        port.name(),
        Some(scope.clone()),
        divergences,
    );
    match suite(section, factory, callback).await {
        Ok(results) => {
            let (cells, unknown_divergences) = classify(
                port.name(),
                Some(&scope),
                results.clone(),
                divergences,
                options.filtered,
            );
            let state = ColumnState::Ran {
                library: hello.library,
                version: hello.version,
                cells,
                unknown_divergences,
            };
            (state, Some(results))
        }
        Err(reason) => {
            let reason = format!("the suite could not run: {reason}");
            (ColumnState::Broken { reason }, None)
        }
    }
}

/// The reference client's pinned artifacts in one authority mode
/// (`snapshots/rust/*.snap` in production mode).
pub fn reference_artifacts(
    root: &Path,
    authority: crate::authority::AuthorityMode,
) -> BTreeMap<String, Value> {
    let dir = authority.snapshot_dir(root, crate::reference_driver::PORT);
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "snap") {
            continue;
        }
        let Some(name) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Some(value) = snapshot_body(&text) {
            out.insert(name, value);
        }
    }
    out
}

/// The JSON under an insta snapshot's `---` header.
fn snapshot_body(text: &str) -> Option<Value> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    serde_json::from_str(&rest[end + 5..]).ok()
}

fn cross_port(
    root: &Path,
    authority: crate::authority::AuthorityMode,
    observed: &[Observed],
    divergences: &Divergences,
    filtered: bool,
) -> CrossPort {
    let reference = reference_artifacts(root, authority);
    let ports: Vec<ColumnResults<'_>> = observed
        .iter()
        .filter(|o| o.port.is_real())
        .map(|o| ColumnResults {
            column: &o.column,
            port: o.port.name(),
            build: Some(&o.scope),
            results: &o.results,
        })
        .collect();
    let comparisons = verdict::compare(&reference, &ports, divergences);
    let stale = if filtered {
        vec![]
    } else {
        verdict::stale_differences(&ports, &comparisons, divergences)
    };
    let reference_dir = format!(
        "{}/",
        authority
            .snapshot_dir(Path::new(""), crate::reference_driver::PORT)
            .display()
    );
    CrossPort {
        reference_dir,
        comparisons,
        stale,
    }
}

/// A driver as fresh as a new process per scenario, so scenarios never
/// share caches: a kept process after `reset` when the driver announces it
/// (the JVM then starts once per concurrent scenario, not once per
/// scenario), a new process otherwise.
fn driver_factory(port: Port, launch: Launch, timeout: Duration) -> ClientFactory {
    let pool = DriverPool::new(port.name(), launch, timeout);
    std::sync::Arc::new(move || {
        let pool = pool.clone();
        Box::pin(async move { Ok(Box::new(pool.take().await) as Box<dyn ClientUnderTest>) })
    })
}

/// Asks the client who it is and checks it against the build (the pin for
/// the default build, the version asked for a released one, the port's
/// library for a local one) and the protocol's core capabilities.
async fn preflight(
    options: &MatrixOptions,
    build: &PortBuild,
    factory: &ClientFactory,
) -> Result<Hello, String> {
    let port = build.port;
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
    match &build.source {
        BuildSource::Default => {
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
        }
        BuildSource::Release(version) if hello.version != *version => {
            return Err(format!(
                "{} {} is installed for {}, not {version}: delete {} to reinstall it",
                hello.library,
                hello.version,
                build.label(),
                build
                    .install_dir(&options.root)
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
            ));
        }
        BuildSource::Release(_) | BuildSource::Local(_) => {}
    }
    if hello.library != port.library() {
        return Err(format!(
            "{} loaded {} {}, not {}",
            build.label(),
            hello.library,
            hello.version,
            port.library()
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

/// Asks a client who it is (`hello`), read as the protocol's [`Hello`].
pub(crate) async fn hello(client: &mut dyn ClientUnderTest) -> Result<Hello, String> {
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

    #[test]
    fn skipped_passes_but_broken_fails() {
        let col = |state| Matrix {
            idp: None,
            columns: vec![PortColumn {
                port: "java".into(),
                build: Some(PortBuild::default_of(Port::Java)),
                state,
            }],
            cross_port: CrossPort::default(),
        };
        assert!(!col(ColumnState::Skipped { reason: "r".into() }).failed());
        assert!(col(ColumnState::Broken { reason: "r".into() }).failed());
        let unknown = col(ColumnState::Ran {
            library: "l".into(),
            version: "v".into(),
            cells: vec![],
            unknown_divergences: vec!["renamed long ago".into()],
        });
        assert!(unknown.failed());
        assert_eq!(unknown.columns[0].counts().stale, 1);
    }

    #[test]
    fn the_reference_artifacts_are_the_pinned_snapshots() {
        let body = snapshot_body("---\nsource: x\ndescription: y\n---\n{\n  \"a\": 1\n}\n");
        assert_eq!(body, Some(serde_json::json!({"a": 1})));
        let pinned = reference_artifacts(
            &crate::port_driver::repo_root(),
            crate::authority::AuthorityMode::Production,
        );
        assert!(
            pinned.contains_key(
                "fmi_cache_isolation__two_fmi_paths_get_two_cache_entries_and_one_request_each__blueprint_cache_keys"
            ),
            "{:?}",
            pinned.keys().collect::<Vec<_>>()
        );
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
            ports: vec![PortBuild::default_of(Port::Python)],
            reference: factory(serde_json::json!({})),
            require_ports: false,
            filtered: false,
            command_timeout: Duration::from_secs(1),
            progress: None,
            authority: crate::authority::AuthorityMode::Production,
            jobs: 1,
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
            &PortBuild::default_of(Port::Python),
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
            &PortBuild::default_of(Port::Python),
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
        let err = preflight(
            &options(root.clone()),
            &PortBuild::default_of(Port::Python),
            &factory(old),
        )
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
                ports: vec![PortBuild::default_of(port)],
                reference: driver_factory(port, launch.clone(), Duration::from_secs(60)),
                require_ports: required,
                filtered: false,
                command_timeout: Duration::from_secs(60),
                progress: None,
                authority: crate::authority::AuthorityMode::Production,
                jobs: 1,
            };
            let factory = driver_factory(port, launch, Duration::from_secs(60));
            let hello = preflight(&options, &PortBuild::default_of(port), &factory)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", port.name()));
            assert_eq!(hello.library, port.library(), "{}", port.name());
        }
    }
}
