//! The verdict rules, pure: what a scenario's outcome means for one port
//! given `fixtures/divergences.toml`, and how each port's pinned artifacts
//! compare with the reference client's.
//!
//! Per scenario:
//! - passed and undeclared: *pass*; failed and undeclared: *FAIL*;
//! - failed at the declared step: *divergent*, or *known port bug* for
//!   `kind = "port-bug"`; failed at any other step: *FAIL* (a declaration
//!   never absorbs a second problem);
//! - declared but passed, or not supported so it cannot diverge: *STALE*,
//!   and so is a declaration naming a scenario the suite does not have;
//! - a declared port bug that passed in a build the declaration does not
//!   hold for (its version outside the declaration's `versions`) or in a
//!   local build: *fixed in this build*, not a failure; a declared
//!   divergence that passed there is a plain *pass*. A build outside the
//!   range that fails at the declared step is a *FAIL*: the declaration
//!   says that version does not have it.
//!
//! Across ports, per artifact (a snapshot: cache keys, stored entries,
//! request wire, refusal): equal to the reference's pinned value, or a
//! difference that is *expected* (declared with `[[difference]]`) or *new*.
//! A new difference fails the run, and so does a declared difference that
//! no longer differs.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::divergences::{Divergence, DivergenceKind, Divergences};
use crate::port_build::BuildScope;
use crate::scenario::{Outcome, ScenarioResult};

/// One scenario × port.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every step passed.
    Pass,
    /// Failed, and nothing declared explains it.
    Fail {
        /// The failing step.
        step: String,
        /// Its failure.
        message: String,
    },
    /// Failed at the step declared in `fixtures/divergences.toml`.
    Divergent {
        /// The declaration's what.
        what: String,
        /// The declaration's reference.
        spec: String,
        /// The failing step.
        step: String,
        /// Its failure.
        message: String,
    },
    /// Failed at the declared step because of a bug in the released port
    /// (`kind = "port-bug"`).
    KnownPortBug {
        /// The declaration's what.
        what: String,
        /// The declaration's reference.
        spec: String,
        /// The failing step.
        step: String,
        /// Its failure.
        message: String,
    },
    /// Declared, but it passed (or cannot run): the declaration is out of date.
    Stale {
        /// The declaration's what.
        what: String,
        /// What happened instead.
        outcome: String,
    },
    /// The port lacks a capability the scenario requires.
    NotSupported {
        /// The capability.
        capability: String,
    },
    /// A declared port bug passed in a build the declaration does not hold
    /// for, or in a local build: this build fixes it.
    FixedInThisBuild {
        /// The declaration's what.
        what: String,
        /// The declaration's reference.
        spec: String,
        /// The build, and why the declaration does not hold for it.
        build: String,
    },
}

impl Verdict {
    /// True for the verdicts that fail the run (`Fail`, `Stale`).
    pub fn is_failure(&self) -> bool {
        matches!(self, Verdict::Fail { .. } | Verdict::Stale { .. })
    }

    /// The word used in summaries, reports and the legend.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail { .. } => "FAIL",
            Verdict::Divergent { .. } => "divergent",
            Verdict::KnownPortBug { .. } => "known port bug",
            Verdict::Stale { .. } => "STALE",
            Verdict::NotSupported { .. } => "not supported",
            Verdict::FixedInThisBuild { .. } => "fixed in this build",
        }
    }

    /// At most five characters, for the terminal matrix.
    pub fn short(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail { .. } => "FAIL",
            Verdict::Divergent { .. } => "div",
            Verdict::KnownPortBug { .. } => "bug",
            Verdict::Stale { .. } => "STALE",
            Verdict::NotSupported { .. } => "n/s",
            Verdict::FixedInThisBuild { .. } => "fixed",
        }
    }

    /// The CSS class and JUnit type: `pass`, `fail`, `divergent`, …
    pub fn class(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail { .. } => "fail",
            Verdict::Divergent { .. } => "divergent",
            Verdict::KnownPortBug { .. } => "port-bug",
            Verdict::Stale { .. } => "stale",
            Verdict::NotSupported { .. } => "not-supported",
            Verdict::FixedInThisBuild { .. } => "fixed",
        }
    }
}

/// Every verdict with its short form and meaning, for legends.
pub const LEGEND: [(&str, &str, &str); 7] = [
    ("pass", "pass", "every step passed, snapshots matched"),
    ("FAIL", "FAIL", "a step failed and nothing declares it"),
    (
        "div",
        "divergent",
        "failed at the declared step: the port chose another behaviour",
    ),
    (
        "bug",
        "known port bug",
        "failed at the declared step: a bug in the released port",
    ),
    (
        "n/s",
        "not supported",
        "the port lacks a capability the scenario needs",
    ),
    (
        "STALE",
        "STALE",
        "declared, but it passed or cannot run: fix the declaration",
    ),
    (
        "fixed",
        "fixed in this build",
        "a declared port bug passed in a build outside the declaration's versions, or a local one",
    ),
];

/// The verdict of one port's scenario, every declaration holding whatever
/// its `versions`.
pub fn classify(port: &str, result: &ScenarioResult, divergences: &Divergences) -> Verdict {
    classify_build(port, None, result, divergences)
}

/// The verdict of one port's scenario in a build (`None`: every
/// declaration holds, whatever its `versions`).
pub fn classify_build(
    port: &str,
    build: Option<&BuildScope>,
    result: &ScenarioResult,
    divergences: &Divergences,
) -> Verdict {
    let declared = match build {
        Some(b) => divergences.find_for(port, &result.scenario, b),
        None => divergences.find(port, &result.scenario),
    };
    let holds = declared.is_some_and(|d| build.is_none_or(|b| d.holds_for(b)));
    // A local build's version number may not say what it contains: a
    // declaration passing there is news about the build, never stale.
    let local = build.is_some_and(|b| b.local);
    match (&result.outcome, declared) {
        (Outcome::Passed, None) => Verdict::Pass,
        (Outcome::Passed, Some(d)) if holds && !local => Verdict::Stale {
            what: d.what.clone(),
            outcome: "passed".into(),
        },
        (Outcome::Passed, Some(d)) => match d.kind {
            DivergenceKind::PortBug => Verdict::FixedInThisBuild {
                what: d.what.clone(),
                spec: d.spec.clone(),
                build: why_not_held(d, build),
            },
            DivergenceKind::Divergence => Verdict::Pass,
        },
        (Outcome::Failed { step, message }, None) => Verdict::Fail {
            step: step.clone(),
            message: message.clone(),
        },
        // Failing elsewhere is another problem hiding behind the declaration.
        (Outcome::Failed { step, message }, Some(d)) if d.step != *step => Verdict::Fail {
            step: step.clone(),
            message: format!(
                "{message}\n(declared {} at `{}`, but failed at this step)",
                match d.kind {
                    DivergenceKind::Divergence => "divergent",
                    DivergenceKind::PortBug => "a known port bug",
                },
                d.step
            ),
        },
        (Outcome::Failed { step, message }, Some(d)) if !holds => Verdict::Fail {
            step: step.clone(),
            message: format!(
                "{message}\n(declared {} at this step for {port} {} only; {})",
                match d.kind {
                    DivergenceKind::Divergence => "divergent",
                    DivergenceKind::PortBug => "a known port bug",
                },
                d.versions
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string),
                why_not_held(d, build)
            ),
        },
        (Outcome::Failed { step, message }, Some(d)) => match d.kind {
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
        (Outcome::NotSupported { capability }, None) => Verdict::NotSupported {
            capability: capability.clone(),
        },
        (Outcome::NotSupported { capability }, Some(_)) if !holds || local => {
            Verdict::NotSupported {
                capability: capability.clone(),
            }
        }
        (Outcome::NotSupported { capability }, Some(d)) => Verdict::Stale {
            what: d.what.clone(),
            outcome: format!("not supported (no {capability}), so it cannot diverge"),
        },
    }
}

/// The build, and why a declaration does not hold for it.
fn why_not_held(d: &Divergence, build: Option<&BuildScope>) -> String {
    match (build, &d.versions) {
        (Some(b), _) if b.local => format!("local build, {}", b.version),
        (Some(b), Some(range)) => format!("{}, outside {range}", b.version),
        (Some(b), None) => b.version.clone(),
        (None, _) => "any build".into(),
    }
}

/// Declarations for `port` naming a scenario that did not run. With a tag
/// filter a declaration may name a scenario merely filtered out: only a
/// full run can tell it names nothing.
pub fn unknown_declarations(
    port: &str,
    results: &[ScenarioResult],
    divergences: &Divergences,
    filtered: bool,
) -> Vec<String> {
    if filtered {
        return vec![];
    }
    divergences
        .for_port(port)
        .filter(|d| !results.iter().any(|r| r.scenario == d.scenario))
        .map(|d| d.scenario.clone())
        .collect()
}

/// One artifact lined up across ports against the reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The snapshot name, `<feature>__<scenario>__<kind>`.
    pub artifact: String,
    /// The artifact's kind (`requests`, `blueprint_cache_keys`, ...).
    pub kind: String,
    /// The scenario's short id.
    pub id: String,
    /// The feature's name.
    pub feature: String,
    /// The scenario's name.
    pub scenario: String,
    /// The reference client's pinned value (`snapshots/rust/`).
    pub reference: Value,
    /// Each port's value.
    pub ports: Vec<PortArtifact>,
}

/// One port's value of an artifact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortArtifact {
    /// The port.
    pub port: String,
    /// Its value.
    pub value: Value,
    /// The fields that differ from the reference (`access_token_keys[0]`,
    /// `status`, …); empty when equal.
    pub differing: Vec<String>,
    /// Whether the difference is none, declared, or new.
    pub verdict: Difference,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "difference", rename_all = "snake_case")]
/// How a port's artifact relates to the reference's.
pub enum Difference {
    /// Equal.
    Same,
    /// Different, as declared in `fixtures/divergences.toml`.
    Expected {
        /// What differs.
        what: String,
        /// Where the protocol says what is right.
        spec: String,
    },
    /// Different, and not declared.
    New,
}

impl Difference {
    /// The report's word for it.
    pub fn label(&self) -> &'static str {
        match self {
            Difference::Same => "same",
            Difference::Expected { .. } => "expected",
            Difference::New => "NEW",
        }
    }
}

/// A declared difference that matched no differing artifact of a port
/// that ran the whole suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleDifference {
    /// The port.
    pub port: String,
    /// The artifact kind it names.
    pub artifact: String,
    /// The scenario it names, if any.
    pub scenario: Option<String>,
    /// The declaration's what.
    pub what: String,
}

/// One column's results, for the cross-port comparison.
#[derive(Debug, Clone, Copy)]
pub struct ColumnResults<'a> {
    /// The column (`node`, `node@7.2.4`, `node=../msal-node`).
    pub column: &'a str,
    /// Its port, as declarations name it (`node`).
    pub port: &'a str,
    /// Its build (`None`: every declaration holds, whatever its `versions`).
    pub build: Option<&'a BuildScope>,
    /// What it observed.
    pub results: &'a [ScenarioResult],
}

impl<'a> ColumnResults<'a> {
    /// A column named after its port, every declaration holding.
    pub fn port(port: &'a str, results: &'a [ScenarioResult]) -> ColumnResults<'a> {
        ColumnResults {
            column: port,
            port,
            build: None,
            results,
        }
    }
}

/// Lines up every artifact the ports pinned against the reference's value
/// (`reference`: snapshot name → value); artifacts the reference does not
/// pin are not compared.
pub fn compare(
    reference: &BTreeMap<String, Value>,
    columns: &[ColumnResults<'_>],
    divergences: &Divergences,
) -> Vec<Comparison> {
    let mut by_name: BTreeMap<String, Comparison> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for c in columns {
        let port = c.port;
        for r in c.results {
            for a in &r.evidence.artifacts {
                let Some(want) = reference.get(&a.name) else {
                    continue;
                };
                let differing = differing_fields(want, &a.value);
                let kind = base_kind(&a.kind);
                let verdict = if differing.is_empty() {
                    Difference::Same
                } else {
                    match divergences.find_difference_for(port, kind, &r.scenario, c.build) {
                        Some(d) => Difference::Expected {
                            what: d.what.clone(),
                            spec: d.spec.clone(),
                        },
                        None => Difference::New,
                    }
                };
                let entry = by_name.entry(a.name.clone()).or_insert_with(|| {
                    order.push(a.name.clone());
                    Comparison {
                        artifact: a.name.clone(),
                        kind: kind.to_owned(),
                        id: r.id.clone(),
                        feature: r.feature.clone(),
                        scenario: r.scenario.clone(),
                        reference: want.clone(),
                        ports: vec![],
                    }
                });
                entry.ports.push(PortArtifact {
                    port: c.column.to_owned(),
                    value: a.value.clone(),
                    differing,
                    verdict,
                });
            }
        }
    }
    order
        .into_iter()
        .filter_map(|n| by_name.remove(&n))
        .collect()
}

/// `requests_2` → `requests`: declarations name the kind once.
fn base_kind(kind: &str) -> &str {
    match kind.rsplit_once('_') {
        Some((base, n)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => base,
        _ => kind,
    }
}

/// Declared differences of the columns (which ran the whole suite) that
/// no compared artifact needed. A local build's columns are left out: a
/// maintainer's checkout changing an artifact is news, not a stale file.
pub fn stale_differences(
    columns: &[ColumnResults<'_>],
    comparisons: &[Comparison],
    divergences: &Divergences,
) -> Vec<StaleDifference> {
    let mut out = Vec::new();
    for column in columns {
        if column.build.is_some_and(|b| b.local) {
            continue;
        }
        let held = divergences
            .differences_for(column.port)
            .filter(|d| column.build.is_none_or(|b| d.holds_for(b)));
        for d in held {
            let used = comparisons.iter().any(|c| {
                d.covers(&c.kind)
                    && d.scenario.as_ref().is_none_or(|s| *s == c.scenario)
                    && c.ports.iter().any(|p| {
                        p.port == column.column
                            && matches!(&p.verdict, Difference::Expected { what, .. } if *what == d.what)
                    })
            });
            if !used {
                out.push(StaleDifference {
                    port: column.column.to_owned(),
                    artifact: d.artifact.clone(),
                    scenario: d.scenario.clone(),
                    what: d.what.clone(),
                });
            }
        }
    }
    out
}

/// The leaf paths where `a` and `b` differ (`keys[1]`, `form.scope`).
pub fn differing_fields(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_into("", a, b, &mut out);
    out
}

fn diff_into(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let null = Value::Null;
                match (x.get(k), y.get(k)) {
                    (Some(l), Some(r)) => diff_into(&join(k), l, r, out),
                    (l, r) => {
                        if l.unwrap_or(&null) != r.unwrap_or(&null) || l.is_some() != r.is_some() {
                            out.push(join(k));
                        }
                    }
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let p = format!("{path}[{i}]");
                match (x.get(i), y.get(i)) {
                    (Some(l), Some(r)) => diff_into(&p, l, r, out),
                    _ => out.push(p),
                }
            }
        }
        (l, r) if l != r => out.push(if path.is_empty() {
            "(value)".into()
        } else {
            path.into()
        }),
        _ => {}
    }
}

/// The flattened leaves of a value, `path → text`, for side-by-side tables.
pub fn leaves(value: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    leaves_into("", value, &mut out);
    out
}

fn leaves_into(path: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves_into(&p, v, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                leaves_into(&format!("{path}[{i}]"), v, out);
            }
        }
        Value::String(s) => {
            out.insert(path.to_owned(), s.clone());
        }
        other => {
            out.insert(path.to_owned(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Artifact, Evidence};
    use serde_json::json;
    use std::path::Path;

    fn result(scenario: &str, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: "f-1".into(),
            feature: "f".into(),
            scenario: scenario.into(),
            tags: vec![],
            outcome,
            duration_ms: 0,
            evidence: Evidence::default(),
        }
    }

    fn failed_at(step: &str) -> Outcome {
        Outcome::Failed {
            step: step.into(),
            message: "boom".into(),
        }
    }

    fn declared(entries: &[(&str, &str)]) -> Divergences {
        let text: String = entries
            .iter()
            .map(|(port, scenario)| {
                format!("[[divergence]]\nport = \"{port}\"\nscenario = \"{scenario}\"\nwhat = \"differs\"\nspec = \"§4\"\nstep = \"Then x\"\n")
            })
            .collect();
        Divergences::parse(&text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn every_combination_of_outcome_and_declaration() {
        let d = declared(&[("node", "declared fails"), ("node", "declared passes")]);
        let results = vec![
            result("passes", Outcome::Passed),
            result("fails", failed_at("Then x")),
            result("declared fails", failed_at("Then x")),
            result("declared passes", Outcome::Passed),
            result(
                "needs pop",
                Outcome::NotSupported {
                    capability: "jwt_pop".into(),
                },
            ),
        ];
        let labels = |port| -> Vec<&str> {
            results
                .iter()
                .map(|r| classify(port, r, &d).label())
                .collect()
        };
        assert_eq!(
            labels("node"),
            ["pass", "FAIL", "divergent", "STALE", "not supported"]
        );
        // The same results for a port with no declarations.
        assert_eq!(
            labels("python"),
            ["pass", "FAIL", "FAIL", "pass", "not supported"]
        );
        assert!(unknown_declarations("node", &results, &d, false).is_empty());
    }

    #[test]
    fn a_declared_port_bug_is_reported_apart_and_goes_stale_when_fixed() {
        let text = "[[divergence]]\nport = \"java\"\nkind = \"port-bug\"\nscenario = \"bug\"\nwhat = \"PORT BUG\"\nspec = \"§5\"\nstep = \"Then x\"\n";
        let d = Divergences::parse(text, Path::new("t.toml")).unwrap();
        let v = classify("java", &result("bug", failed_at("Then x")), &d);
        assert_eq!(v.label(), "known port bug");
        assert!(!v.is_failure());
        let v = classify("java", &result("bug", Outcome::Passed), &d);
        assert_eq!(v.label(), "STALE");
        assert!(v.is_failure());
    }

    #[test]
    fn a_declared_bug_passing_outside_its_versions_or_locally_is_fixed_in_this_build() {
        let text = "[[divergence]]\nport = \"node\"\nkind = \"port-bug\"\nscenario = \"bug\"\nwhat = \"no fmiPath\"\nspec = \"§3\"\nstep = \"Then x\"\nversions = \"<=7.2.4\"\n\
            [[divergence]]\nport = \"node\"\nkind = \"port-bug\"\nscenario = \"any version\"\nwhat = \"w\"\nspec = \"§4\"\nstep = \"Then x\"\n\
            [[divergence]]\nport = \"node\"\nscenario = \"chosen\"\nwhat = \"layout\"\nspec = \"§4\"\nstep = \"Then x\"\nversions = \"<=7.2.4\"\n";
        let d = Divergences::parse(text, Path::new("t.toml")).unwrap();
        let old = BuildScope::release("7.2.1");
        let new = BuildScope::release("7.3.0");
        let local = BuildScope {
            version: "7.2.1".into(),
            local: true,
        };
        let verdict = |build: &BuildScope, scenario: &str, outcome: Outcome| {
            classify_build("node", Some(build), &result(scenario, outcome), &d)
        };
        // Inside the range: as without versions.
        assert_eq!(
            verdict(&old, "bug", failed_at("Then x")).label(),
            "known port bug"
        );
        assert_eq!(verdict(&old, "bug", Outcome::Passed).label(), "STALE");
        // Outside it, passing: fixed, not a failure, and says why.
        let fixed = verdict(&new, "bug", Outcome::Passed);
        assert_eq!(fixed.label(), "fixed in this build");
        assert!(!fixed.is_failure());
        match fixed {
            Verdict::FixedInThisBuild { what, build, .. } => {
                assert_eq!(what, "no fmiPath");
                assert_eq!(build, "7.3.0, outside <=7.2.4");
            }
            other => panic!("{other:?}"),
        }
        // Outside it, failing at the declared step: the range says this
        // version has no such bug.
        match verdict(&new, "bug", failed_at("Then x")) {
            Verdict::Fail { message, .. } => assert!(
                message.contains("for node <=7.2.4 only; 7.3.0, outside <=7.2.4"),
                "{message}"
            ),
            other => panic!("{other:?}"),
        }
        // A local build: still failing is the known bug, passing is fixed,
        // even for a declaration without versions.
        assert_eq!(
            verdict(&local, "bug", failed_at("Then x")).label(),
            "known port bug"
        );
        assert_eq!(
            verdict(&local, "bug", Outcome::Passed).label(),
            "fixed in this build"
        );
        assert_eq!(
            verdict(&local, "any version", Outcome::Passed).label(),
            "fixed in this build"
        );
        assert_eq!(
            verdict(&new, "any version", Outcome::Passed).label(),
            "STALE"
        );
        // A divergence no longer there is a plain pass outside its range.
        assert_eq!(verdict(&new, "chosen", Outcome::Passed).label(), "pass");
        assert_eq!(verdict(&old, "chosen", Outcome::Passed).label(), "STALE");
        let n_s = Outcome::NotSupported {
            capability: "c".into(),
        };
        assert_eq!(verdict(&new, "bug", n_s.clone()).label(), "not supported");
        assert_eq!(verdict(&old, "bug", n_s).label(), "STALE");
    }

    #[test]
    fn a_failure_at_another_step_is_not_absorbed() {
        let d = declared(&[("node", "S")]);
        assert_eq!(
            classify("node", &result("S", failed_at("Then x")), &d).label(),
            "divergent"
        );
        match classify("node", &result("S", failed_at("When y")), &d) {
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
    fn a_declaration_for_a_missing_scenario_is_unknown_only_in_a_full_run() {
        let d = declared(&[("go", "renamed long ago")]);
        let results = vec![result("passes", Outcome::Passed)];
        assert_eq!(
            unknown_declarations("go", &results, &d, false),
            vec!["renamed long ago"]
        );
        assert!(unknown_declarations("go", &results, &d, true).is_empty());
    }

    fn pinned(scenario: &str, kind: &str, value: Value) -> ScenarioResult {
        let mut r = result(scenario, Outcome::Passed);
        r.evidence.artifacts.push(Artifact {
            name: format!("f__{scenario}__{kind}"),
            kind: kind.into(),
            value,
        });
        r
    }

    #[test]
    fn differences_are_same_expected_or_new_and_declarations_go_stale() {
        let reference: BTreeMap<String, Value> = [
            ("f__s__keys".to_owned(), json!({"keys": ["a", "b"]})),
            ("f__s__refusal".to_owned(), json!({"status": 400})),
        ]
        .into();
        let text = "[[difference]]\nport = \"node\"\nartifact = \"keys\"\nwhat = \"layout\"\nspec = \"§4\"\n\n\
            [[difference]]\nport = \"go\"\nartifact = \"refusal\"\nwhat = \"no status\"\nspec = \"§6\"\n";
        let d = Divergences::parse(text, Path::new("t.toml")).unwrap();
        let python = [pinned("s", "keys", json!({"keys": ["a", "b"]}))];
        let node = [
            pinned("s", "keys", json!({"keys": ["a", "c"]})),
            pinned("s", "refusal", json!({"status": null})),
        ];
        let go = [pinned("s", "refusal", json!({"status": 400}))];
        let ports = [
            ColumnResults::port("python", &python),
            ColumnResults::port("node", &node),
            ColumnResults::port("go", &go),
        ];
        let c = compare(&reference, &ports, &d);
        assert_eq!(c.len(), 2);
        let keys = &c[0];
        assert_eq!(keys.kind, "keys");
        assert_eq!(keys.ports[0].verdict, Difference::Same);
        assert_eq!(keys.ports[1].verdict.label(), "expected");
        assert_eq!(keys.ports[1].differing, ["keys[1]"]);
        let refusal = &c[1];
        assert_eq!(refusal.ports[0].port, "node");
        assert_eq!(refusal.ports[0].verdict, Difference::New);
        assert_eq!(refusal.ports[0].differing, ["status"]);
        let stale = stale_differences(&ports[1..], &c, &d);
        assert_eq!(stale.len(), 1);
        assert_eq!(
            (stale[0].port.as_str(), stale[0].what.as_str()),
            ("go", "no status")
        );
    }

    #[test]
    fn fields_missing_on_one_side_differ() {
        let a = json!({"form": {"scope": "x", "fmi_path": "p"}, "list": [1]});
        let b = json!({"form": {"scope": "y"}, "list": [1, 2]});
        assert_eq!(
            differing_fields(&a, &b),
            ["form.fmi_path", "form.scope", "list[1]"]
        );
        assert_eq!(base_kind("requests_2"), "requests");
        assert_eq!(base_kind("agent_a_cache_keys"), "agent_a_cache_keys");
        let l = leaves(&json!({"a": [1, "x"], "b": {}}));
        assert_eq!(l["a[1]"], "x");
        assert_eq!(l["b"], "{}");
    }
}
