//! Known differences between a real port and the reference client, declared
//! in `fixtures/divergences.toml`: deliberate ones (*divergent*) and bugs
//! found in a released port (*known port bug*). The matrix reports a failing
//! scenario declared here as one of those rather than failed; a declaration
//! that no longer matches a failure is *stale* and fails the run, so the
//! file cannot quietly outlive the behaviour it describes (a port release
//! that fixes its bug turns the entry stale). Every declaration names the
//! step expected to fail, so a failure anywhere else is never absorbed.
//!
//! The same file declares the *cross-port differences*: artifacts a port
//! pins differently from the reference client (its cache-key layout, the
//! wording of a refusal). An undeclared difference fails the run.
//!
//! A reason shared by several declarations is written once, as
//! `[reason.<id>]`, and referenced with `reason = "<id>"`.
//!
//! A declaration may hold for some versions of the port only: `versions =
//! "<=7.2.4"` (a semver requirement, MSAL Go's versions without their `v`).
//! It then applies to a build whose loaded version is in the range; outside
//! it the declaration is not there for that build (see [`crate::verdict`]
//! for a declared bug that no longer fails).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::authority::AuthorityMode;
use crate::port_build::BuildScope;
use crate::ports::{ALL, Port};

/// The repository's declarations, relative to its root.
pub const DEFAULT_PATH: &str = "fixtures/divergences.toml";

#[derive(Debug, thiserror::Error)]
/// Why `fixtures/divergences.toml` could not be used.
pub enum DivergenceError {
    #[error("cannot read {path}: {source}")]
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    #[error("{path} is not valid: {source}")]
    /// The file is not valid TOML of the declaration shape.
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: Box<toml::de::Error>,
    },
    #[error("{path}: {entry} {problem}")]
    /// A declaration breaks a rule (unknown port, missing step, ...).
    Invalid {
        /// The file.
        path: PathBuf,
        /// Which declaration.
        entry: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// Why a port fails a scenario on purpose, or knowingly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DivergenceKind {
    /// The port chose another behaviour (another cache-key layout, a check
    /// it leaves to the IdP): reported, never a failure.
    #[default]
    Divergence,
    /// The released port is wrong by its own design or the protocol, and
    /// the harness found it: reported apart so it is not mistaken for a
    /// choice, and not a CI failure, since no one here can fix the port.
    PortBug,
}

/// What a declaration says, written once in `[reason.<id>]` and referenced
/// by every declaration it explains, or inline (`what` and `spec`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// What the port does differently, in a sentence.
    pub what: String,
    /// Where the protocol reference describes it, e.g. `docs/protocol.md §4`.
    pub spec: String,
}

/// The versions of a port a declaration holds for (`versions = "<=7.2.4"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions(semver::VersionReq);

impl Versions {
    /// Parses a semver requirement (`<=7.2.4`, `>=1.26.0, <1.27.0`).
    pub fn parse(text: &str) -> Result<Versions, semver::Error> {
        semver::VersionReq::parse(text).map(Versions)
    }

    /// Whether a build's version is in the range. A version that is not
    /// semver is taken to be in it: the declaration then holds as written.
    pub fn contains(&self, build: &BuildScope) -> bool {
        build.semver().is_none_or(|v| self.0.matches(&v))
    }
}

impl std::fmt::Display for Versions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Versions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Whether a declaration with these `versions` holds for a build.
fn holds_for(versions: &Option<Versions>, build: &BuildScope) -> bool {
    versions.as_ref().is_none_or(|v| v.contains(build))
}

/// One declared divergence: a scenario the port fails at a known step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// `python`, `node`, `java` or `go` (the matrix column).
    pub port: String,
    /// A divergence (deliberate) or a known bug of the released port.
    pub kind: DivergenceKind,
    /// The scenario's name, exactly as in its feature file.
    pub scenario: String,
    /// The step expected to fail, keyword included (`Then …`), as the
    /// matrix reports it: a failure at any other step is not this
    /// divergence and fails the run.
    pub step: String,
    /// The `[reason.<id>]` it references, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_id: Option<String>,
    /// What the port does differently, in a sentence.
    pub what: String,
    /// Where the protocol says what is right (`docs/protocol.md §n`).
    pub spec: String,
    /// The only authority mode the declaration holds in (`production` or
    /// `localhost`); absent, it holds in both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityMode>,
    /// The port versions it holds for; absent, every version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
}

impl Divergence {
    /// Whether it holds for a build (its version is in `versions`).
    pub fn holds_for(&self, build: &BuildScope) -> bool {
        holds_for(&self.versions, build)
    }
}

/// One declared cross-port difference: an artifact the port pins
/// differently from the reference client, on purpose or knowingly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `python`, `node`, `java` or `go`.
    pub port: String,
    /// The artifact's kind, as its snapshot names it (`blueprint_cache_keys`,
    /// `agent_a_stored_entries`, `requests`, `refusal`, …), or its ending
    /// (`cache_keys`: every app's).
    pub artifact: String,
    /// Only this scenario's artifact; `None`: every scenario's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `[reason.<id>]` it references, if any.
    pub reason_id: Option<String>,
    /// What differs, in a sentence.
    pub what: String,
    /// Where the protocol says what is right (`docs/protocol.md §n`).
    pub spec: String,
    /// As for [`Divergence::authority`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityMode>,
    /// As for [`Divergence::versions`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
}

impl Difference {
    /// Whether it holds for a build (its version is in `versions`).
    pub fn holds_for(&self, build: &BuildScope) -> bool {
        holds_for(&self.versions, build)
    }

    /// Whether it covers an artifact of this kind: the kind itself, or
    /// every kind ending in `_<artifact>` (`cache_keys` covers
    /// `blueprint_cache_keys` and `agent_a_cache_keys`).
    pub fn covers(&self, kind: &str) -> bool {
        kind == self.artifact
            || kind
                .strip_suffix(self.artifact.as_str())
                .is_some_and(|head| head.ends_with('_'))
    }
}

/// One declared `explore` signature: sessions whose first difference from
/// the reference is at a step of one of these kinds, in this aspect, are
/// reported as known rather than new (`fic-harness explore`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExploreDeclaration {
    /// `python`, `node`, `java` or `go`.
    pub port: String,
    /// A divergence (deliberate) or a known bug of the released port.
    pub kind: DivergenceKind,
    /// The step kinds (`app_token`, `app_token_with_fmi_path`, `leg2`,
    /// `user_fic`, `silent`); empty: any.
    pub steps: Vec<String>,
    /// What differs: `source`, `refusal`, `requests`, `token` or `cache`.
    pub observed: String,
    /// The feature scenario that shows the same behaviour, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `[reason.<id>]` it references, if any.
    pub reason_id: Option<String>,
    /// What differs, in a sentence.
    pub what: String,
    /// Where the protocol says what is right (`docs/protocol.md §n`).
    pub spec: String,
    /// The port versions it holds for; absent, every version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
}

impl ExploreDeclaration {
    /// Whether it holds for a build (its version is in `versions`).
    pub fn holds_for(&self, build: &BuildScope) -> bool {
        holds_for(&self.versions, build)
    }

    /// Whether it covers a disagreement at a step of this kind, in this aspect.
    pub fn covers(&self, step_kind: &str, observed: &str) -> bool {
        self.observed == observed
            && (self.steps.is_empty() || self.steps.iter().any(|s| s == step_kind))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExplore {
    port: String,
    #[serde(default)]
    kind: DivergenceKind,
    #[serde(default)]
    steps: Vec<String>,
    observed: String,
    scenario: Option<String>,
    reason: Option<String>,
    what: Option<String>,
    spec: Option<String>,
    versions: Option<String>,
}

/// A declaration as written: the reason inline or referenced.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDivergence {
    port: String,
    #[serde(default)]
    kind: DivergenceKind,
    scenario: String,
    step: Option<String>,
    reason: Option<String>,
    what: Option<String>,
    spec: Option<String>,
    authority: Option<AuthorityMode>,
    versions: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDifference {
    port: String,
    artifact: String,
    scenario: Option<String>,
    reason: Option<String>,
    what: Option<String>,
    spec: Option<String>,
    authority: Option<AuthorityMode>,
    versions: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    reason: BTreeMap<String, Reason>,
    #[serde(default)]
    divergence: Vec<RawDivergence>,
    #[serde(default)]
    difference: Vec<RawDifference>,
    #[serde(default)]
    explore: Vec<RawExplore>,
}

/// All declarations, checked for shape when loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Divergences {
    entries: Vec<Divergence>,
    differences: Vec<Difference>,
    explore: Vec<ExploreDeclaration>,
}

/// The modes a declaration holds in: one, or both when it names none (so an
/// entry for both modes clashes with any other for the same cell).
fn modes(authority: Option<AuthorityMode>) -> Vec<AuthorityMode> {
    match authority {
        Some(mode) => vec![mode],
        None => vec![AuthorityMode::Production, AuthorityMode::Localhost],
    }
}

/// Which declaration an error is about: `divergence #3 (node / "S")`.
fn label(table: &str, index: usize, port: &str, name: &str) -> String {
    format!("{table} #{index} ({port} / {name:?})")
}

impl Divergences {
    /// Reads and checks a declarations file.
    pub fn load(path: &Path) -> Result<Divergences, DivergenceError> {
        let text = std::fs::read_to_string(path).map_err(|source| DivergenceError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Divergences::parse(&text, path)
    }

    /// Parses `text`; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Divergences, DivergenceError> {
        let file: File = toml::from_str(text).map_err(|source| DivergenceError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        let invalid = |entry: String, problem: String| DivergenceError::Invalid {
            path: path.to_path_buf(),
            entry,
            problem,
        };
        for (id, r) in &file.reason {
            for (field, value) in [("what", &r.what), ("spec", &r.spec)] {
                if value.trim().is_empty() {
                    return Err(invalid(
                        format!("reason {id:?}"),
                        format!(
                            "has an empty `{field}`: say what differs and where the protocol reference says so"
                        ),
                    ));
                }
            }
        }
        let resolve = |entry: &str,
                       reason: &Option<String>,
                       what: &Option<String>,
                       spec: &Option<String>|
         -> Result<Reason, DivergenceError> {
            match (reason, what, spec) {
                (Some(id), None, None) => file.reason.get(id).cloned().ok_or_else(|| {
                    invalid(
                        entry.to_owned(),
                        format!("references reason {id:?}, which no `[reason.{id}]` defines"),
                    )
                }),
                (None, Some(what), Some(spec)) => {
                    for (field, value) in [("what", what), ("spec", spec)] {
                        if value.trim().is_empty() {
                            return Err(invalid(
                                entry.to_owned(),
                                format!(
                                    "has an empty `{field}`: say what differs and where the protocol reference says so"
                                ),
                            ));
                        }
                    }
                    Ok(Reason {
                        what: what.clone(),
                        spec: spec.clone(),
                    })
                }
                _ => Err(invalid(
                    entry.to_owned(),
                    "needs either `reason = \"<id>\"` or both `what` and `spec`".into(),
                )),
            }
        };
        let known_port = |entry: &str, port: &str| {
            if Port::parse(port).is_err() {
                Err(invalid(
                    entry.to_owned(),
                    format!("names port {port:?}; known ports: {}", ALL.join(", ")),
                ))
            } else {
                Ok(())
            }
        };
        let versions = |entry: &str,
                        text: &Option<String>|
         -> Result<Option<Versions>, DivergenceError> {
            text.as_deref()
                .map(|t| {
                    Versions::parse(t).map_err(|e| {
                        invalid(
                            entry.to_owned(),
                            format!("has `versions = {t:?}`, not a semver range (e.g. \"<=7.2.4\", \">=1.26.0, <1.27.0\"): {e}"),
                        )
                    })
                })
                .transpose()
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut entries = Vec::new();
        for (i, d) in file.divergence.iter().enumerate() {
            let entry = label("divergence", i + 1, &d.port, &d.scenario);
            known_port(&entry, &d.port)?;
            if d.scenario.trim().is_empty() {
                return Err(invalid(entry, "has an empty `scenario`".into()));
            }
            let step = match &d.step {
                Some(step) if !step.trim().is_empty() => step.clone(),
                _ => {
                    return Err(invalid(
                        entry,
                        "has no `step`: name the step expected to fail, keyword included, so a failure anywhere else is not absorbed".into(),
                    ));
                }
            };
            let reason = resolve(&entry, &d.reason, &d.what, &d.spec)?;
            let scoped = versions(&entry, &d.versions)?;
            if !modes(d.authority).into_iter().all(|mode| {
                seen.insert((d.port.clone(), d.scenario.clone(), mode, d.versions.clone()))
            }) {
                return Err(invalid(entry, "is declared twice".into()));
            }
            entries.push(Divergence {
                port: d.port.clone(),
                kind: d.kind,
                scenario: d.scenario.clone(),
                step,
                reason_id: d.reason.clone(),
                what: reason.what,
                spec: reason.spec,
                authority: d.authority,
                versions: scoped,
            });
        }
        let mut differences = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (i, d) in file.difference.iter().enumerate() {
            let name = d.scenario.as_deref().unwrap_or("every scenario");
            let entry = label("difference", i + 1, &d.port, name);
            known_port(&entry, &d.port)?;
            if d.artifact.trim().is_empty() {
                return Err(invalid(entry, "has an empty `artifact`".into()));
            }
            let reason = resolve(&entry, &d.reason, &d.what, &d.spec)?;
            let scoped = versions(&entry, &d.versions)?;
            if !modes(d.authority).into_iter().all(|mode| {
                seen.insert((
                    d.port.clone(),
                    d.artifact.clone(),
                    d.scenario.clone(),
                    mode,
                    d.versions.clone(),
                ))
            }) {
                return Err(invalid(entry, "is declared twice".into()));
            }
            differences.push(Difference {
                port: d.port.clone(),
                artifact: d.artifact.clone(),
                scenario: d.scenario.clone(),
                reason_id: d.reason.clone(),
                what: reason.what,
                spec: reason.spec,
                authority: d.authority,
                versions: scoped,
            });
        }
        let mut explore = Vec::new();
        for (i, d) in file.explore.iter().enumerate() {
            let name = d.scenario.as_deref().unwrap_or(&d.observed);
            let entry = label("explore", i + 1, &d.port, name);
            known_port(&entry, &d.port)?;
            if crate::explore::compare::Aspect::parse(&d.observed).is_none() {
                return Err(invalid(
                    entry,
                    format!(
                        "observes {:?}; known: source, refusal, requests, token, cache",
                        d.observed
                    ),
                ));
            }
            if let Some(step) = d
                .steps
                .iter()
                .find(|s| crate::explore::model::StepKind::parse(s).is_none())
            {
                return Err(invalid(
                    entry,
                    format!(
                        "names step kind {step:?}; known: app_token, app_token_with_fmi_path, leg2, user_fic, silent, clock_moves"
                    ),
                ));
            }
            let reason = resolve(&entry, &d.reason, &d.what, &d.spec)?;
            let scoped = versions(&entry, &d.versions)?;
            explore.push(ExploreDeclaration {
                port: d.port.clone(),
                kind: d.kind,
                steps: d.steps.clone(),
                observed: d.observed.clone(),
                scenario: d.scenario.clone(),
                reason_id: d.reason.clone(),
                what: reason.what,
                spec: reason.spec,
                versions: scoped,
            });
        }
        Ok(Divergences {
            entries,
            differences,
            explore,
        })
    }

    /// The declarations that hold in one authority mode.
    pub fn for_authority(&self, mode: AuthorityMode) -> Divergences {
        let holds = |m: Option<AuthorityMode>| m.is_none_or(|m| m == mode);
        Divergences {
            entries: self
                .entries
                .iter()
                .filter(|d| holds(d.authority))
                .cloned()
                .collect(),
            differences: self
                .differences
                .iter()
                .filter(|d| holds(d.authority))
                .cloned()
                .collect(),
            explore: self.explore.clone(),
        }
    }

    /// The `[[explore]]` declaration covering a disagreement of this port's
    /// build at a step of this kind, in this aspect.
    pub fn find_explore(
        &self,
        port: &str,
        build: &BuildScope,
        step_kind: &str,
        observed: &str,
    ) -> Option<&ExploreDeclaration> {
        self.explore
            .iter()
            .find(|d| d.port == port && d.holds_for(build) && d.covers(step_kind, observed))
    }

    /// The declaration for this port and scenario, if any.
    pub fn find(&self, port: &str, scenario: &str) -> Option<&Divergence> {
        self.entries
            .iter()
            .find(|d| d.port == port && d.scenario == scenario)
    }

    /// The declaration for this port and scenario that holds for the
    /// build, or else one that does not (whose range the build is outside).
    pub fn find_for(&self, port: &str, scenario: &str, build: &BuildScope) -> Option<&Divergence> {
        let mut declared = self
            .entries
            .iter()
            .filter(|d| d.port == port && d.scenario == scenario);
        let all: Vec<&Divergence> = declared.by_ref().collect();
        all.iter()
            .find(|d| d.holds_for(build))
            .or(all.first())
            .copied()
    }

    /// Every declaration for one port.
    pub fn for_port<'a>(&'a self, port: &'a str) -> impl Iterator<Item = &'a Divergence> + 'a {
        self.entries.iter().filter(move |d| d.port == port)
    }

    /// The declared cross-port difference covering this port's artifact:
    /// one naming the scenario wins over one for every scenario.
    pub fn find_difference(
        &self,
        port: &str,
        artifact: &str,
        scenario: &str,
    ) -> Option<&Difference> {
        self.find_difference_for(port, artifact, scenario, None)
    }

    /// As [`Divergences::find_difference`], among the declarations that
    /// hold for the build (`None`: all of them).
    pub fn find_difference_for(
        &self,
        port: &str,
        artifact: &str,
        scenario: &str,
        build: Option<&BuildScope>,
    ) -> Option<&Difference> {
        let of = |s: Option<&str>| {
            self.differences.iter().find(|d| {
                d.port == port
                    && d.covers(artifact)
                    && d.scenario.as_deref() == s
                    && build.is_none_or(|b| holds_for(&d.versions, b))
            })
        };
        of(Some(scenario)).or_else(|| of(None))
    }

    /// Every declared cross-port difference for one port.
    pub fn differences_for<'a>(
        &'a self,
        port: &'a str,
    ) -> impl Iterator<Item = &'a Difference> + 'a {
        self.differences.iter().filter(move |d| d.port == port)
    }

    /// True when nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.differences.is_empty() && self.explore.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port_driver::repo_root;

    fn parse(text: &str) -> Result<Divergences, DivergenceError> {
        Divergences::parse(text, Path::new("test.toml"))
    }

    const ENTRY: &str = "[[divergence]]\nport = \"node\"\nscenario = \"S\"\nwhat = \"w\"\nspec = \"§4\"\nstep = \"Then x\"\n";

    #[test]
    fn the_repository_file_is_valid() {
        // Whether each declaration still matches a failure is the matrix's
        // check (stale / unknown); here only the shape.
        let d = Divergences::load(&repo_root().join(DEFAULT_PATH)).unwrap();
        assert!(!d.is_empty());
    }

    #[test]
    fn finds_by_port_and_scenario() {
        let d = parse(ENTRY).unwrap();
        let found = d.find("node", "S").unwrap();
        assert_eq!((found.spec.as_str(), found.step.as_str()), ("§4", "Then x"));
        assert!(d.find("python", "S").is_none());
        assert!(d.find("node", "s").is_none(), "names match exactly");
        assert_eq!(d.for_port("node").count(), 1);
    }

    #[test]
    fn a_shared_reason_is_written_once_and_referenced() {
        let text = "[reason.authority-port]\nwhat = \"ignores the port\"\nspec = \"§4\"\n\n\
            [[divergence]]\nport = \"java\"\nkind = \"port-bug\"\nscenario = \"A\"\nstep = \"Then a\"\nreason = \"authority-port\"\n\n\
            [[divergence]]\nport = \"java\"\nkind = \"port-bug\"\nscenario = \"B\"\nstep = \"Then b\"\nreason = \"authority-port\"\n";
        let d = parse(text).unwrap();
        assert_eq!(d.find("java", "A").unwrap().what, "ignores the port");
        assert_eq!(d.find("java", "B").unwrap().kind, DivergenceKind::PortBug);
        let dangling = text.replace("reason = \"authority-port\"\n\n", "reason = \"nope\"\n\n");
        let err = parse(&dangling).unwrap_err().to_string();
        assert!(err.contains("no `[reason.nope]`"), "{err}");
        let both = ENTRY.replace("step =", "reason = \"r\"\nstep =");
        let err = parse(&both).unwrap_err().to_string();
        assert!(err.contains("either `reason"), "{err}");
    }

    #[test]
    fn a_difference_for_one_scenario_wins_over_one_for_every_scenario() {
        let text = "[[difference]]\nport = \"go\"\nartifact = \"refusal\"\nwhat = \"quotes the body\"\nspec = \"§6\"\n\n\
            [[difference]]\nport = \"go\"\nartifact = \"refusal\"\nscenario = \"S\"\nwhat = \"no status\"\nspec = \"§6\"\n";
        let d = parse(text).unwrap();
        assert_eq!(
            d.find_difference("go", "refusal", "S").unwrap().what,
            "no status"
        );
        assert_eq!(
            d.find_difference("go", "refusal", "T").unwrap().what,
            "quotes the body"
        );
        assert!(d.find_difference("go", "requests", "S").is_none());
        assert!(d.find_difference("node", "refusal", "S").is_none());
        let keys = "[[difference]]\nport = \"go\"\nartifact = \"cache_keys\"\nwhat = \"w\"\nspec = \"§4\"\n";
        let d = parse(keys).unwrap();
        assert!(d.find_difference("go", "agent_a_cache_keys", "S").is_some());
        assert!(d.find_difference("go", "cache_keys", "S").is_some());
        assert!(
            d.find_difference("go", "agent_a_stored_entries", "S")
                .is_none()
        );
        assert!(d.find_difference("go", "xcache_keys", "S").is_none());
    }

    #[test]
    fn a_declaration_may_hold_in_one_authority_mode_only() {
        let d = parse(
            "[[divergence]]\nport = \"java\"\nscenario = \"S\"\nstep = \"Then x\"\nwhat = \"w\"\nspec = \"s\"\nauthority = \"localhost\"\n\
             [[divergence]]\nport = \"java\"\nscenario = \"S\"\nstep = \"Then x\"\nwhat = \"other\"\nspec = \"s\"\nauthority = \"production\"\n\
             [[divergence]]\nport = \"go\"\nscenario = \"S\"\nstep = \"Then x\"\nwhat = \"w\"\nspec = \"s\"\n",
        )
        .unwrap();
        let local = d.for_authority(AuthorityMode::Localhost);
        assert_eq!(local.find("java", "S").unwrap().what, "w");
        assert!(local.find("go", "S").is_some());
        let prod = d.for_authority(AuthorityMode::Production);
        assert_eq!(prod.find("java", "S").unwrap().what, "other");
        assert!(prod.find("go", "S").is_some());
        let both_and_one = "[[divergence]]\nport = \"go\"\nscenario = \"S\"\nstep = \"Then x\"\nwhat = \"w\"\nspec = \"s\"\n\
             [[divergence]]\nport = \"go\"\nscenario = \"S\"\nstep = \"Then x\"\nwhat = \"w\"\nspec = \"s\"\nauthority = \"localhost\"\n";
        assert!(parse(both_and_one).is_err());
    }

    #[test]
    fn a_declaration_may_hold_for_a_range_of_versions_only() {
        let text = "[[divergence]]\nport = \"node\"\nkind = \"port-bug\"\nscenario = \"S\"\nstep = \"Then x\"\nwhat = \"old\"\nspec = \"s\"\nversions = \"<=7.2.4\"\n\
             [[divergence]]\nport = \"node\"\nscenario = \"S\"\nstep = \"Then y\"\nwhat = \"new\"\nspec = \"s\"\nversions = \">=7.3.0\"\n\
             [[difference]]\nport = \"go\"\nartifact = \"refusal\"\nwhat = \"w\"\nspec = \"s\"\nversions = \">=1.10.0, <1.11.0\"\n";
        let d = parse(text).unwrap();
        let at = |v: &str| d.find_for("node", "S", &BuildScope::release(v)).unwrap();
        assert_eq!(at("7.2.1").what, "old");
        assert!(at("7.2.4").holds_for(&BuildScope::release("7.2.4")));
        assert_eq!(at("7.3.1").what, "new");
        // Between the ranges neither holds; the first is still named.
        let between = at("7.2.9");
        assert!(!between.holds_for(&BuildScope::release("7.2.9")));
        // MSAL Go's `v` is not part of the range.
        let go = |v: &str| {
            d.find_difference_for("go", "refusal", "T", Some(&BuildScope::release(v)))
                .is_some()
        };
        assert!(go("v1.10.1"));
        assert!(!go("v1.11.0"));
        assert!(d.find_difference("go", "refusal", "T").is_some());
        let err = parse(&ENTRY.replace("step =", "versions = \"seven\"\nstep ="))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a semver range"), "{err}");
    }

    #[test]
    fn refuses_what_would_make_the_file_dishonest() {
        let err = |text: &str| parse(text).unwrap_err().to_string();
        assert!(err(&ENTRY.replace("node", "ruby")).contains("names port \"ruby\""));
        assert!(err(&ENTRY.replace("\"§4\"", "\" \"")).contains("empty `spec`"));
        let no_step = err(&ENTRY.replace("step = \"Then x\"\n", ""));
        assert!(no_step.contains("has no `step`"), "{no_step}");
        assert!(err(&ENTRY.repeat(2)).contains("declared twice"));
        let typo = parse(&ENTRY.replace("spec =", "specs ="));
        assert!(matches!(typo, Err(DivergenceError::Parse { .. })));
    }
}
