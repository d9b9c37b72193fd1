//! Runs the feature suite against one port and reports every scenario:
//! passed, failed (with the step, the message and the journal of what
//! reached the IdP) or not supported (the port's `hello` lacks a
//! capability the scenario requires with `@requires-<capability>`).
//!
//! `fic-harness run` builds its matrix on top of [`run_suite`];
//! `tests/features.rs` runs it for the reference client.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::{World as _, event, gherkin, parser, writer};
use futures::FutureExt;
use serde::Serialize;

use crate::authority::AuthorityMode;
use crate::client_under_test::ClientFactory;
use crate::driver_protocol::{Command, Hello};
use crate::world::{ACTIVE, FicWorld, SuiteContext, UNSUPPORTED_MARK};

pub struct SuiteOptions {
    /// Directory holding the `*.feature` files.
    pub features_dir: PathBuf,
    /// A tag expression: `@a and not @b`, `@a or @b`, parentheses.
    pub tag_filter: Option<String>,
    /// One fresh client under test per scenario.
    pub factory: ClientFactory,
    /// The port's name: `rust`, `python`, ...; snapshots live in the
    /// authority mode's folder for it.
    pub port: String,
    /// Which authority the clients get (`AuthorityMode::snapshot_dir`,
    /// `AuthorityMode::runs`).
    pub authority: AuthorityMode,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SuiteReport {
    /// In feature-file order (files sorted by name), then line order.
    pub scenarios: Vec<ScenarioOutcome>,
    /// What kept the suite itself from running properly (an invalid tag
    /// expression, a feature that does not parse, `INSTA_FORCE_PASS`).
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioOutcome {
    pub feature: String,
    pub scenario: String,
    /// With `@`, feature and scenario tags together.
    pub tags: Vec<String>,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed {
        step: String,
        message: String,
        /// The mock's journal when the step failed (pretty JSON array).
        journal_json: String,
    },
    NotSupported {
        capability: String,
    },
}

impl SuiteReport {
    /// (passed, failed, not supported).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for s in &self.scenarios {
            match s.status {
                Status::Passed => c.0 += 1,
                Status::Failed { .. } => c.1 += 1,
                Status::NotSupported { .. } => c.2 += 1,
            }
        }
        c
    }

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
            if let Status::Failed {
                step,
                message,
                journal_json,
            } = &s.status
            {
                out.push_str(&format!(
                    "\nFAILED {} / {}\n  step: {step}\n  {}\n  journal of what reached the IdP:\n{}\n",
                    s.feature,
                    s.scenario,
                    message.replace('\n', "\n  "),
                    indent(journal_json, "    ")
                ));
            }
        }
        out
    }

    /// The matrix's view of this report.
    pub fn to_matrix_results(&self) -> Vec<crate::matrix::ScenarioResult> {
        use crate::matrix::{ScenarioOutcome as M, ScenarioResult};
        self.scenarios
            .iter()
            .map(|s| ScenarioResult {
                feature: s.feature.clone(),
                scenario: s.scenario.clone(),
                tags: s.tags.clone(),
                outcome: match &s.status {
                    Status::Passed => M::Passed,
                    Status::Failed { step, message, .. } => M::Failed {
                        step: step.clone(),
                        message: message.clone(),
                    },
                    Status::NotSupported { capability } => M::NotSupported {
                        capability: capability.clone(),
                    },
                },
            })
            .collect()
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A [`crate::matrix::SuiteRunner`] over [`run_suite`], for `fic-harness run`.
pub fn matrix_runner(
    features_dir: PathBuf,
    tag_filter: Option<String>,
    authority: AuthorityMode,
) -> crate::matrix::SuiteRunner {
    Arc::new(move |port, factory| {
        let options = SuiteOptions {
            features_dir: features_dir.clone(),
            tag_filter: tag_filter.clone(),
            factory,
            port,
            authority,
        };
        async move {
            let report = run_suite(options).await;
            if report.errors.is_empty() {
                Ok(report.to_matrix_results())
            } else {
                Err(report.errors.join("; "))
            }
        }
        .boxed()
    })
}

/// Serializes suite runs: the world constructor reads the active context.
static RUN_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Scenario position: feature file, then line (outline rows have their own).
type Key = (PathBuf, usize);

pub async fn run_suite(opts: SuiteOptions) -> SuiteReport {
    let _running = RUN_LOCK.lock().await;
    // cucumber's run is not `Send`, while the matrix needs a `Send` future:
    // the suite runs on its own thread with its own runtime (the mocks and
    // clients of the scenarios live there too).
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("suite-{}", opts.port))
        .spawn(move || {
            let report = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
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

async fn run_here(opts: SuiteOptions) -> SuiteReport {
    let mut errors = Vec::new();
    if std::env::var_os("INSTA_FORCE_PASS").is_some() {
        errors.push("INSTA_FORCE_PASS is set: snapshot mismatches would pass silently".into());
    }
    let tag_filter = match opts.tag_filter.as_deref().map(TagOperation::from_str) {
        None => None,
        Some(Ok(op)) => Some(op),
        Some(Err(e)) => {
            errors.push(format!("invalid tag expression {:?}: {e}", opts.tag_filter));
            return SuiteReport {
                scenarios: vec![],
                errors,
            };
        }
    };
    let capabilities = capabilities(&opts.factory).await;
    *ACTIVE.lock().expect("suite context lock") = Some(Arc::new(SuiteContext {
        port: opts.port.clone(),
        factory: opts.factory.clone(),
        snapshot_dir: opts
            .authority
            .snapshot_dir(&crate::port_driver::repo_root(), &opts.port),
        authority: opts.authority,
    }));
    let authority = opts.authority;

    let not_supported: Arc<Mutex<Vec<(Key, ScenarioOutcome)>>> = Arc::default();
    let skipped = not_supported.clone();
    let filter = move |feature: &gherkin::Feature,
                       rule: Option<&gherkin::Rule>,
                       scenario: &gherkin::Scenario| {
        let tags = all_tags(feature, rule, scenario);
        if !authority.runs(&tags) {
            return false;
        }
        if let Some(op) = &tag_filter
            && !op.eval(tags.iter().map(|t| t.trim_start_matches('@')))
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
                let outcome = ScenarioOutcome {
                    feature: feature.name.clone(),
                    scenario: scenario.name.clone(),
                    tags: tags.clone(),
                    status: Status::NotSupported {
                        capability: capability.to_owned(),
                    },
                };
                skipped
                    .lock()
                    .expect("not-supported lock")
                    .push((key(feature, scenario), outcome));
                false
            }
        }
    };

    let collector = FicWorld::cucumber()
        .max_concurrent_scenarios(Some(4))
        .before(|feature, _rule, scenario, world| {
            world.feature = feature.name.clone();
            world.scenario = scenario.name.clone();
            Box::pin(async {})
        })
        .with_writer(Collector::default())
        .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
        .filter_run(&opts.features_dir, filter)
        .await;
    *ACTIVE.lock().expect("suite context lock") = None;

    errors.extend(collector.errors);
    let mut all: BTreeMap<Key, ScenarioOutcome> = collector.done.into_iter().collect();
    all.extend(not_supported.lock().expect("not-supported lock").drain(..));
    SuiteReport {
        scenarios: all.into_values().collect(),
        errors,
    }
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
    (
        feature.path.clone().unwrap_or_default(),
        scenario.position.line,
    )
}

/// Collects one outcome per scenario from cucumber's event stream. Events
/// of concurrent scenarios interleave; outcomes are keyed by position, so
/// the order of the report does not depend on timing.
#[derive(Default)]
struct Collector {
    /// First failure of each scenario still running.
    failures: BTreeMap<Key, Status>,
    done: Vec<(Key, ScenarioOutcome)>,
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
            Scenario::Step(step, ev) | Scenario::Background(step, ev) => match ev {
                Step::Failed(_, _, world, err) => {
                    Some(failed(&step, err.to_string(), world.as_deref()))
                }
                Step::Skipped => Some(failed(
                    &step,
                    "no step definition matches this step".into(),
                    None,
                )),
                _ => None,
            },
            Scenario::Hook(which, Hook::Failed(world, info)) => Some(Status::Failed {
                step: format!("{which:?} hook"),
                message: panic_text(&info),
                journal_json: world.map(|w| w.journal_json()).unwrap_or_default(),
            }),
            Scenario::Finished => {
                let status = match self.failures.remove(&k) {
                    None => Status::Passed,
                    Some(failure) => not_supported(failure),
                };
                let outcome = ScenarioOutcome {
                    feature: feature.name.clone(),
                    scenario: scenario.name.clone(),
                    tags: all_tags(feature, rule, scenario),
                    status,
                };
                self.done.push((k, outcome));
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
fn not_supported(failure: Status) -> Status {
    match &failure {
        Status::Failed { message, .. } => match message.find(UNSUPPORTED_MARK) {
            Some(at) => Status::NotSupported {
                capability: message[at + UNSUPPORTED_MARK.len()..].trim().to_owned(),
            },
            None => failure,
        },
        _ => failure,
    }
}

fn failed(step: &gherkin::Step, message: String, world: Option<&FicWorld>) -> Status {
    Status::Failed {
        step: format!("{}{}", step.keyword, step.value),
        message,
        journal_json: world.map(FicWorld::journal_json).unwrap_or_default(),
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
            port: "stub".into(),
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
            report.scenarios[0].status,
            Status::NotSupported {
                capability: "fmi_path".into()
            }
        );
        match &report.scenarios[1].status {
            Status::Failed { step, message, .. } => {
                assert_eq!(step, "Given the blueprint app with a secret credential");
                assert!(message.contains("stub refuses"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        match &report.scenarios[2].status {
            Status::Failed { message, .. } => {
                assert!(message.contains("no step definition"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        match &report.scenarios[3].status {
            Status::NotSupported { capability } => {
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
