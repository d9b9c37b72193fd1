//! Runs the feature suite against one client and reports every scenario:
//! passed, failed (with the step and the message) or not supported (the
//! port's `hello` lacks a capability the scenario requires with
//! `@requires-<capability>`), each with the evidence it observed.
//!
//! The suite has two sections. Scenarios tagged `@idp` check the mock IdP
//! itself against Entra's rules (hostile raw requests): they never drive a
//! client, so they run once per run, with no client under test at all
//! (a step that tries to use one fails). Every other scenario drives the
//! client under test and runs once per port.
//!
//! `fic-harness run` builds its matrix on top of [`run_suite`];
//! `tests/features.rs` runs both sections for the reference client.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cucumber::feature::Ext as _;
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::{World as _, event, gherkin, parser, writer};
use futures::FutureExt;
use serde::Serialize;

use crate::authority::AuthorityMode;
use crate::client_under_test::{ClientFactory, ClientUnderTest, DriverFailure};
use crate::driver_protocol::{Command, Hello, Reply};
use crate::scenario::{Evidence, Outcome, ScenarioResult, id_prefix};
use crate::world::{ACTIVE, FicWorld, SuiteContext, UNSUPPORTED_MARK};

/// The tag of the IdP conformance section.
pub const IDP_TAG: &str = "idp";

/// Which scenarios a run selects, and where their snapshots live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "section", content = "port", rename_all = "snake_case")]
pub enum Section {
    /// The `@idp` scenarios, snapshots in `snapshots/idp/`.
    Idp,
    /// Every other scenario against one port, snapshots in `snapshots/<port>/`.
    Port(String),
    /// Every other scenario against a build of the port that is not its
    /// default (`node@7.2.4`, `node=PATH`): its artifacts are compared with
    /// the reference client's (cross-port), not with `snapshots/<port>/`,
    /// which pins the default build; nothing is written there.
    Build(String),
}

impl Section {
    /// `idp`, or the port's name.
    pub fn name(&self) -> &str {
        match self {
            Section::Idp => IDP_TAG,
            Section::Port(port) | Section::Build(port) => port,
        }
    }

    fn selects(&self, tags: &[String]) -> bool {
        let idp = tags.iter().any(|t| t.trim_start_matches('@') == IDP_TAG);
        idp == matches!(self, Section::Idp)
    }
}

/// What the matrix needs from the suite (so it does not depend on how the
/// suite runs): run one section's (tag-filtered)
/// scenarios with clients from the factory, calling back as each finishes.
pub type SuiteRunner = Arc<
    dyn Fn(
            Section,
            ClientFactory,
            Option<OnFinished>,
        ) -> futures::future::BoxFuture<'static, Result<Vec<ScenarioResult>, String>>
        + Send
        + Sync,
>;

/// Called as each scenario finishes, for progress output.
pub type OnFinished = Arc<dyn Fn(&ScenarioResult) + Send + Sync>;

/// How to run the suite against one client.
pub struct SuiteOptions {
    /// Directory holding the `*.feature` files.
    pub features_dir: PathBuf,
    /// A tag expression: `@a and not @b`, `@a or @b`, parentheses.
    pub tag_filter: Option<String>,
    /// One fresh client under test per scenario ([`no_client`] for the IdP section).
    pub factory: ClientFactory,
    /// Which section this run is (the IdP section or a port).
    pub section: Section,
    /// Told as each scenario finishes.
    pub on_finished: Option<OnFinished>,
    /// Which authority the clients get (`AuthorityMode::snapshot_dir`,
    /// `AuthorityMode::runs`).
    pub authority: AuthorityMode,
}

#[derive(Debug, Clone, Default, Serialize)]
/// Every scenario's result, and what kept the suite from running properly.
pub struct SuiteReport {
    /// In feature-file order (files sorted by name), then line order.
    pub scenarios: Vec<ScenarioResult>,
    /// What kept the suite itself from running properly (an invalid tag
    /// expression, a feature that does not parse, `INSTA_FORCE_PASS`).
    pub errors: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
/// Why the suite could not be set up.
pub enum SuiteError {
    #[error("invalid tag expression {expr:?}: {reason}")]
    /// The `--tags` expression does not parse.
    TagExpression {
        /// The expression.
        expr: String,
        /// Why.
        reason: String,
    },
    #[error("cannot read {path}: {reason}")]
    /// A feature file could not be read or parsed.
    Feature {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    #[error("cannot list {path}: {source}")]
    /// The features directory could not be listed.
    Dir {
        /// The directory.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
}

impl SuiteReport {
    /// (passed, failed, not supported).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for s in &self.scenarios {
            match s.outcome {
                Outcome::Passed => c.0 += 1,
                Outcome::Failed { .. } => c.1 += 1,
                Outcome::NotSupported { .. } => c.2 += 1,
            }
        }
        c
    }

    /// True when the suite ran without errors and no scenario failed.
    pub fn is_success(&self) -> bool {
        self.errors.is_empty() && self.counts().1 == 0
    }

    /// Every failure with its scenario, step, message and journal.
    pub fn failure_details(&self) -> String {
        let mut out = String::new();
        for e in &self.errors {
            out.push_str(&format!("suite error: {e}\n"));
        }
        for s in &self.scenarios {
            if let Outcome::Failed { step, message } = &s.outcome {
                let journal =
                    serde_json::to_string_pretty(&s.evidence.requests).unwrap_or_default();
                out.push_str(&format!(
                    "\nFAILED {} / {}\n  step: {step}\n  {}\n  journal of what reached the IdP:\n{}\n",
                    s.feature,
                    s.scenario,
                    message.replace('\n', "\n  "),
                    indent(&journal, "    ")
                ));
            }
        }
        out
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The IdP section's "client": there is none. A step that tries to drive
/// a client fails with this reason, so a scenario tagged `@idp` cannot
/// quietly exercise a port.
pub fn no_client() -> ClientFactory {
    Arc::new(|| Box::pin(async { Ok(Box::new(NoClient) as Box<dyn ClientUnderTest>) }))
}

struct NoClient;

#[async_trait::async_trait]
impl ClientUnderTest for NoClient {
    fn port(&self) -> &str {
        IDP_TAG
    }
    async fn send(&mut self, _command: Command) -> Result<Reply, DriverFailure> {
        Err(DriverFailure::Internal {
            port: IDP_TAG.into(),
            message: format!(
                "the IdP conformance section has no client under test; a scenario that drives a client must not be tagged @{IDP_TAG}"
            ),
        })
    }
}

/// A scenario the selection holds, before it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioRef {
    /// The scenario's short id.
    pub id: String,
    /// The feature's name.
    pub feature: String,
    /// The scenario's name.
    pub scenario: String,
    /// Feature and scenario tags, with `@`.
    pub tags: Vec<String>,
}

/// Scenario position: feature file name, then line (outline rows have their own).
type Key = (String, usize);

fn file_key(path: Option<&PathBuf>, line: usize) -> Key {
    let name = path
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (name, line)
}

/// Every scenario of the feature files with its short id, in file order
/// (files sorted by name), outline rows expanded.
fn index(features_dir: &Path) -> Result<Vec<(Key, ScenarioRef)>, SuiteError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(features_dir)
        .map_err(|source| SuiteError::Dir {
            path: features_dir.to_owned(),
            source,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "feature"))
        .collect();
    files.sort();
    let mut prefixes: Vec<String> = files.iter().map(|f| id_prefix(f)).collect();
    // Two files with the same initials keep their whole name.
    for (i, file) in files.iter().enumerate() {
        if prefixes.iter().filter(|p| **p == prefixes[i]).count() > 1 {
            prefixes[i] = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
    }
    let mut out = Vec::new();
    for (file, prefix) in files.iter().zip(prefixes) {
        let feature = gherkin::Feature::parse_path(file, gherkin::GherkinEnv::default())
            .map_err(|e| SuiteError::Feature {
                path: file.clone(),
                reason: e.to_string(),
            })?
            .expand_examples()
            .map_err(|e| SuiteError::Feature {
                path: file.clone(),
                reason: e.to_string(),
            })?;
        let mut all: Vec<(Option<&gherkin::Rule>, &gherkin::Scenario)> =
            feature.scenarios.iter().map(|s| (None, s)).collect();
        for rule in &feature.rules {
            all.extend(rule.scenarios.iter().map(|s| (Some(rule), s)));
        }
        all.sort_by_key(|(_, s)| s.position.line);
        for (n, (rule, scenario)) in all.into_iter().enumerate() {
            out.push((
                file_key(Some(file), scenario.position.line),
                ScenarioRef {
                    id: format!("{prefix}-{}", n + 1),
                    feature: feature.name.clone(),
                    scenario: scenario.name.clone(),
                    tags: all_tags(&feature, rule, scenario),
                },
            ));
        }
    }
    Ok(out)
}

fn parse_tags(tag_filter: Option<&str>) -> Result<Option<TagOperation>, SuiteError> {
    tag_filter
        .map(|expr| {
            TagOperation::from_str(expr).map_err(|e| SuiteError::TagExpression {
                expr: expr.to_owned(),
                reason: e.to_string(),
            })
        })
        .transpose()
}

fn tags_match(op: Option<&TagOperation>, tags: &[String]) -> bool {
    op.is_none_or(|op| op.eval(tags.iter().map(|t| t.trim_start_matches('@'))))
}

/// The scenarios a run of `section` with `tag_filter` would select, in
/// order; what `fic-harness run` checks before it starts anything.
pub fn select(
    features_dir: &Path,
    tag_filter: Option<&str>,
    section: &Section,
    authority: AuthorityMode,
) -> Result<Vec<ScenarioRef>, SuiteError> {
    let op = parse_tags(tag_filter)?;
    Ok(index(features_dir)?
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| {
            authority.runs(&s.tags) && section.selects(&s.tags) && tags_match(op.as_ref(), &s.tags)
        })
        .collect())
}

/// A [`SuiteRunner`] over [`run_suite`], for `fic-harness run`.
pub fn matrix_runner(
    features_dir: PathBuf,
    tag_filter: Option<String>,
    authority: AuthorityMode,
) -> SuiteRunner {
    Arc::new(move |section, factory, on_finished| {
        let options = SuiteOptions {
            features_dir: features_dir.clone(),
            tag_filter: tag_filter.clone(),
            factory,
            section,
            on_finished,
            authority,
        };
        async move {
            let report = run_suite(options).await;
            if report.errors.is_empty() {
                Ok(report.scenarios)
            } else {
                Err(report.errors.join("; "))
            }
        }
        .boxed()
    })
}

/// The name of every thread a suite runs its scenarios on.
const SUITE_THREAD_PREFIX: &str = "suite-";

/// Keeps overlapping suites from printing their failing steps' panics.
///
/// cucumber silences the panic hook while a suite runs and puts back the
/// hook it found when the suite ends. Suites that overlap hand each other's
/// silence back and forth: one ending early brings the printing hook back
/// while another still runs (its failing steps print backtraces), and the
/// last to end may leave the silent hook in place for good. While this guard
/// lives, panics on the suites' threads (failing steps, which the results
/// carry already) are not printed and every other thread's are; dropping it
/// puts back the hook that was there before.
pub struct QuietSuitePanics {
    previous: Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync>,
}

impl QuietSuitePanics {
    /// Installs the hook until the guard is dropped.
    pub fn install() -> QuietSuitePanics {
        let previous: Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
            Arc::from(std::panic::take_hook());
        let delegate = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            let on_suite = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with(SUITE_THREAD_PREFIX));
            if !on_suite {
                delegate(info);
            }
        }));
        QuietSuitePanics { previous }
    }
}

impl Drop for QuietSuitePanics {
    fn drop(&mut self) {
        let previous = self.previous.clone();
        drop(std::panic::take_hook());
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Runs the selected scenarios against fresh clients from `opts.factory`
/// and reports every one. Several runs may go on at once (one per port).
pub async fn run_suite(opts: SuiteOptions) -> SuiteReport {
    // cucumber's run is not `Send`, while the matrix needs a `Send` future:
    // the suite runs on its own thread with its own runtime (the mocks and
    // clients of the scenarios live there too).
    let (tx, rx) = tokio::sync::oneshot::channel();
    let thread_name = format!("{SUITE_THREAD_PREFIX}{}", opts.section.name());
    let spawned = std::thread::Builder::new()
        .name(thread_name.clone())
        .spawn(move || {
            let report = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(thread_name)
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(run_here(opts)),
                Err(e) => SuiteReport {
                    scenarios: vec![],
                    errors: vec![format!("cannot build the suite's runtime: {e}")],
                },
            };
            let _ = tx.send(report);
        });
    if let Err(e) = spawned {
        return SuiteReport {
            scenarios: vec![],
            errors: vec![format!("cannot start the suite's thread: {e}")],
        };
    }
    rx.await.unwrap_or_else(|_| SuiteReport {
        scenarios: vec![],
        errors: vec!["the suite's thread panicked".into()],
    })
}

/// A tag expression in cucumber's syntax (`@a and not @b`, `@a or @b`,
/// parentheses), or what is wrong with it, quoting it.
pub fn parse_tag_expression(expr: &str) -> Result<TagOperation, String> {
    TagOperation::from_str(expr).map_err(|e| format!("invalid tag expression `{expr}`: {e}"))
}

async fn run_here(opts: SuiteOptions) -> SuiteReport {
    let mut errors = Vec::new();
    if std::env::var_os("INSTA_FORCE_PASS").is_some() {
        errors.push("INSTA_FORCE_PASS is set: snapshot mismatches would pass silently".into());
    }
    let fail = |e: SuiteError, mut errors: Vec<String>| {
        errors.push(e.to_string());
        SuiteReport {
            scenarios: vec![],
            errors,
        }
    };
    let tag_filter = match parse_tags(opts.tag_filter.as_deref()) {
        Ok(op) => op,
        Err(e) => return fail(e, errors),
    };
    let ids: Arc<BTreeMap<Key, ScenarioRef>> = match index(&opts.features_dir) {
        Ok(index) => Arc::new(index.into_iter().collect()),
        Err(e) => return fail(e, errors),
    };
    let capabilities = capabilities(&opts.factory).await;
    let context = Arc::new(SuiteContext {
        port: opts.section.name().to_owned(),
        factory: opts.factory.clone(),
        snapshot_dir: match &opts.section {
            Section::Idp => crate::port_driver::repo_root()
                .join("snapshots")
                .join(IDP_TAG),
            Section::Port(port) | Section::Build(port) => opts
                .authority
                .snapshot_dir(&crate::port_driver::repo_root(), port),
        },
        snapshots_unchecked: matches!(opts.section, Section::Build(_)),
        authority: opts.authority,
    });
    let authority = opts.authority;

    let not_supported: Arc<Mutex<Vec<(Key, ScenarioResult)>>> = Arc::default();
    let skipped = not_supported.clone();
    let section = opts.section.clone();
    let filter_ids = ids.clone();
    let filter_on_finished = opts.on_finished.clone();
    let filter = move |feature: &gherkin::Feature,
                       rule: Option<&gherkin::Rule>,
                       scenario: &gherkin::Scenario| {
        let tags = all_tags(feature, rule, scenario);
        if !authority.runs(&tags)
            || !section.selects(&tags)
            || !tags_match(tag_filter.as_ref(), &tags)
        {
            return false;
        }
        let missing = capabilities.as_ref().and_then(|caps| {
            tags.iter()
                .filter_map(|t| t.strip_prefix("@requires-"))
                .find(|needed| !caps.iter().any(|c| c == needed))
        });
        match missing {
            None => true,
            Some(capability) => {
                let k = key(feature, scenario);
                let result = ScenarioResult {
                    id: id_of(&filter_ids, &k),
                    feature: feature.name.clone(),
                    scenario: scenario.name.clone(),
                    tags: tags.clone(),
                    outcome: Outcome::NotSupported {
                        capability: capability.to_owned(),
                    },
                    duration_ms: 0,
                    evidence: Evidence::default(),
                };
                if let Some(f) = &filter_on_finished {
                    f(&result);
                }
                skipped
                    .lock()
                    .expect("not-supported lock")
                    .push((k, result));
                false
            }
        }
    };

    let evidence: Arc<Mutex<BTreeMap<Key, Evidence>>> = Arc::default();
    let observed = evidence.clone();
    let run = FicWorld::cucumber()
        .max_concurrent_scenarios(Some(4))
        .before(|feature, _rule, scenario, world| {
            world.feature = feature.name.clone();
            world.scenario = scenario.name.clone();
            Box::pin(async {})
        })
        .after(move |feature, _rule, scenario, _finished, world| {
            let observed = observed.clone();
            let k = key(feature, scenario);
            Box::pin(async move {
                if let Some(world) = world {
                    let mut evidence = world.evidence();
                    evidence.cache = final_cache(world).await;
                    observed.lock().expect("evidence lock").insert(k, evidence);
                }
            })
        })
        .with_writer(Collector {
            ids,
            evidence,
            on_finished: opts.on_finished.clone(),
            started: BTreeMap::new(),
            failures: BTreeMap::new(),
            done: Vec::new(),
            errors: Vec::new(),
        })
        .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
        .filter_run(&opts.features_dir, filter);
    let collector = ACTIVE.scope(context, run).await;

    errors.extend(collector.errors);
    let mut all: BTreeMap<Key, ScenarioResult> = collector.done.into_iter().collect();
    all.extend(not_supported.lock().expect("not-supported lock").drain(..));
    SuiteReport {
        scenarios: all.into_values().collect(),
        errors,
    }
}

/// Each app's cache keys at the scenario's end, for the reports: observed
/// after the last step, failed or not (apps the scenario never configured
/// are left out).
async fn final_cache(world: &mut FicWorld) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    if world.env.is_none() {
        return out;
    }
    for app in ["the blueprint", "agent A", "agent B"] {
        if let Ok(c) = crate::steps::cache::cache(world, app).await {
            let name = crate::steps::snapshot::slug(app.trim_start_matches("the "));
            out.insert(
                name,
                serde_json::json!({
                    "access_token_keys": c.access_token_keys,
                    "account_keys": c.account_keys,
                    "id_token_keys": c.id_token_keys,
                    "refresh_token_keys": c.refresh_token_keys,
                }),
            );
        }
    }
    out
}

fn id_of(ids: &BTreeMap<Key, ScenarioRef>, k: &Key) -> String {
    ids.get(k)
        .map_or_else(|| format!("{}:{}", k.0, k.1), |s| s.id.clone())
}

/// The port's capabilities from `hello`; `None` when it cannot say, so
/// that every scenario runs and fails with the reason instead of being
/// silently "not supported".
async fn capabilities(factory: &ClientFactory) -> Option<Vec<String>> {
    let mut client = factory().await.ok()?;
    let reply = client.send(Command::Hello).await.ok()?;
    let hello: Hello = serde_json::from_value(serde_json::Value::Object(reply.body)).ok()?;
    let _ = client.send(Command::Shutdown).await;
    Some(hello.capabilities)
}

fn all_tags(
    feature: &gherkin::Feature,
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
) -> Vec<String> {
    let mut tags: Vec<String> = feature
        .tags
        .iter()
        .chain(rule.iter().flat_map(|r| &r.tags))
        .chain(&scenario.tags)
        .map(|t| format!("@{}", t.trim_start_matches('@')))
        .collect();
    tags.dedup();
    tags
}

fn key(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> Key {
    file_key(feature.path.as_ref(), scenario.position.line)
}

/// Collects one result per scenario from cucumber's event stream. Events
/// of concurrent scenarios interleave; results are keyed by position, so
/// the order of the report does not depend on timing.
struct Collector {
    ids: Arc<BTreeMap<Key, ScenarioRef>>,
    /// Filled by the `after` hook, which sees the world.
    evidence: Arc<Mutex<BTreeMap<Key, Evidence>>>,
    on_finished: Option<OnFinished>,
    started: BTreeMap<Key, Instant>,
    /// First failure of each scenario still running.
    failures: BTreeMap<Key, Outcome>,
    done: Vec<(Key, ScenarioResult)>,
    errors: Vec<String>,
}

impl writer::Normalized for Collector {}

impl cucumber::Writer<FicWorld> for Collector {
    type Cli = cucumber::cli::Empty;

    async fn handle_event(
        &mut self,
        ev: parser::Result<event::Event<event::Cucumber<FicWorld>>>,
        _cli: &Self::Cli,
    ) {
        use event::{Cucumber, Feature, Rule};
        match ev.map(event::Event::into_inner) {
            Err(e) => self.errors.push(e.to_string()),
            Ok(Cucumber::Feature(f, Feature::Scenario(s, ev))) => {
                self.scenario_event(&f, None, &s, ev.event);
            }
            Ok(Cucumber::Feature(f, Feature::Rule(r, Rule::Scenario(s, ev)))) => {
                self.scenario_event(&f, Some(&r), &s, ev.event);
            }
            Ok(_) => {}
        }
    }
}

impl Collector {
    fn scenario_event(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        ev: event::Scenario<FicWorld>,
    ) {
        use event::{Hook, Scenario, Step};
        let k = key(feature, scenario);
        let failure = match ev {
            Scenario::Started => {
                self.started.insert(k, Instant::now());
                return;
            }
            Scenario::Step(step, ev) | Scenario::Background(step, ev) => match ev {
                Step::Failed(_, _, _, err) => Some(failed(&step, err.to_string())),
                Step::Skipped => Some(failed(&step, "no step definition matches this step".into())),
                _ => None,
            },
            Scenario::Hook(which, Hook::Failed(_, info)) => Some(Outcome::Failed {
                step: format!("{which:?} hook"),
                message: panic_text(&info),
            }),
            Scenario::Finished => {
                let outcome = match self.failures.remove(&k) {
                    None => Outcome::Passed,
                    Some(failure) => not_supported(failure),
                };
                let duration_ms = self.started.remove(&k).map_or(0, |t| {
                    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
                });
                let evidence = self
                    .evidence
                    .lock()
                    .expect("evidence lock")
                    .remove(&k)
                    .unwrap_or_default();
                let result = ScenarioResult {
                    id: id_of(&self.ids, &k),
                    feature: feature.name.clone(),
                    scenario: scenario.name.clone(),
                    tags: all_tags(feature, rule, scenario),
                    outcome,
                    duration_ms,
                    evidence,
                };
                if let Some(f) = &self.on_finished {
                    f(&result);
                }
                self.done.push((k, result));
                return;
            }
            _ => None,
        };
        if let Some(f) = failure {
            // Only the first failing step counts; later steps are skipped.
            self.failures.entry(k).or_insert(f);
        }
    }
}

/// A step failed because the port answered `unsupported` (a knob only
/// some clients have, e.g. the reference client's key profiles): the
/// scenario is not supported there, whatever its tags said.
fn not_supported(failure: Outcome) -> Outcome {
    match &failure {
        Outcome::Failed { message, .. } => match message.find(UNSUPPORTED_MARK) {
            Some(at) => Outcome::NotSupported {
                capability: message[at + UNSUPPORTED_MARK.len()..].trim().to_owned(),
            },
            None => failure,
        },
        _ => failure,
    }
}

fn failed(step: &gherkin::Step, message: String) -> Outcome {
    Outcome::Failed {
        step: format!("{}{}", step.keyword, step.value),
        message,
    }
}

fn panic_text(info: &event::Info) -> String {
    info.downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "panicked".into())
}

/// The repository's `features/` directory.
pub fn default_features_dir() -> PathBuf {
    crate::port_driver::repo_root().join("features")
}

/// Whether `path` holds at least one `.feature` file.
pub fn has_features(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|d| {
        d.filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|x| x == "feature"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_under_test::{ClientUnderTest, DriverFailure};
    use crate::driver_protocol::Reply;
    use async_trait::async_trait;
    use serde_json::json;

    /// A port that announces only `secret` and refuses every `configure`.
    struct Refuses;

    #[async_trait]
    impl ClientUnderTest for Refuses {
        fn port(&self) -> &str {
            "stub"
        }
        async fn send(&mut self, command: Command) -> Result<Reply, DriverFailure> {
            let reply = match command {
                Command::Hello => json!({"id": 1, "ok": true, "port": "stub", "library": "stub",
                    "version": "0", "capabilities": ["secret"]}),
                Command::Configure(c) if c.options.key_profile.is_some() => json!({"id": 1,
                    "ok": false, "error": {"kind": "unsupported", "message": "no key profiles"}}),
                _ => json!({"id": 1, "ok": false,
                    "error": {"kind": "driver", "message": "stub refuses"}}),
            };
            Ok(serde_json::from_value(reply).expect("reply"))
        }
    }

    const FEATURE: &str = "Feature: Stub
  @requires-fmi_path
  Scenario: needs fmi
    Given the blueprint app with a secret credential

  @smoke
  Scenario: configure fails
    Given the blueprint app with a secret credential

  Scenario: undefined step
    Given nothing like this exists

  Scenario: a knob the port lacks
    Given the blueprint app with a secret credential and the \"msal_node\" key profile

  @idp
  Scenario: an IdP check that drives a client
    Given the blueprint app with a secret credential
";

    async fn run(tags: Option<&str>) -> SuiteReport {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stub.feature"), FEATURE).unwrap();
        let factory: ClientFactory =
            Arc::new(|| Box::pin(async { Ok(Box::new(Refuses) as Box<dyn ClientUnderTest>) }));
        run_suite(SuiteOptions {
            features_dir: dir.path().to_owned(),
            tag_filter: tags.map(str::to_owned),
            factory,
            section: Section::Port("stub".into()),
            on_finished: None,
            authority: AuthorityMode::Localhost,
        })
        .await
    }

    #[tokio::test]
    async fn every_scenario_is_reported_in_file_order() {
        let report = run(None).await;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let names: Vec<_> = report
            .scenarios
            .iter()
            .map(|s| s.scenario.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "needs fmi",
                "configure fails",
                "undefined step",
                "a knob the port lacks"
            ]
        );
        assert_eq!(
            report.scenarios[0].outcome,
            Outcome::NotSupported {
                capability: "fmi_path".into()
            }
        );
        match &report.scenarios[1].outcome {
            Outcome::Failed { step, message, .. } => {
                assert_eq!(step, "Given the blueprint app with a secret credential");
                assert!(message.contains("stub refuses"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        match &report.scenarios[2].outcome {
            Outcome::Failed { message, .. } => {
                assert!(message.contains("no step definition"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        match &report.scenarios[3].outcome {
            Outcome::NotSupported { capability } => {
                assert!(capability.contains("no key profiles"), "{capability}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(report.counts(), (0, 2, 2));
        assert!(!report.is_success());
        assert!(
            report
                .failure_details()
                .contains("FAILED Stub / configure fails")
        );
    }

    #[tokio::test]
    async fn the_idp_section_runs_apart_with_no_client_under_test() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stub_checks.feature"), FEATURE).unwrap();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = seen.clone();
        let report = run_suite(SuiteOptions {
            features_dir: dir.path().to_owned(),
            tag_filter: None,
            factory: no_client(),
            section: Section::Idp,
            on_finished: Some(Arc::new(move |r: &ScenarioResult| {
                sink.lock().unwrap().push(r.id.clone())
            })),
            authority: AuthorityMode::Production,
        })
        .await;
        assert_eq!(report.scenarios.len(), 1, "{:?}", report.scenarios);
        let only = &report.scenarios[0];
        assert_eq!(only.id, "sc-5", "the fifth scenario of stub_checks.feature");
        match &only.outcome {
            Outcome::Failed { message, .. } => {
                assert!(message.contains("no client under test"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(*seen.lock().unwrap(), ["sc-5"], "reported as it finished");
        let select = |tags: Option<&str>, section: &Section| {
            select(dir.path(), tags, section, AuthorityMode::Production)
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(select(None, &Section::Idp), ["sc-5"]);
        assert_eq!(select(Some("@smoke"), &Section::Port("p".into())), ["sc-2"]);
        assert!(select(Some("@nothing"), &Section::Idp).is_empty());
        assert!(
            super::select(
                dir.path(),
                Some("@a and and"),
                &Section::Idp,
                AuthorityMode::Production,
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn the_tag_filter_selects_and_a_bad_one_is_an_error() {
        let report = run(Some("@smoke or @requires-fmi_path")).await;
        let names: Vec<_> = report
            .scenarios
            .iter()
            .map(|s| s.scenario.as_str())
            .collect();
        assert_eq!(names, ["needs fmi", "configure fails"]);
        let report = run(Some("not @smoke and not @requires-fmi_path")).await;
        assert_eq!(report.scenarios.len(), 2);
        let report = run(Some("@smoke and and")).await;
        assert!(report.scenarios.is_empty());
        assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    }
}
