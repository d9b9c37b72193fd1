//! What one scenario did against one client, the one result model from the
//! suite to the reports: its outcome, how long it took, and the evidence it
//! observed before judging (the requests the mock journaled and the
//! artifacts it pinned in snapshots).
//!
//! Scenarios also get a short id (`fci-3`: the initials of the feature
//! file's name, then the scenario's place in that file, outline rows
//! counted one by one), stable across ports and tag filters, so the
//! terminal matrix stays narrow while the reports carry the full names.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

/// One scenario run against one client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioResult {
    /// Short id, e.g. `fci-3`.
    pub id: String,
    /// The feature's name.
    pub feature: String,
    /// The scenario's name.
    pub scenario: String,
    /// With `@`, feature and scenario tags together.
    pub tags: Vec<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Wall time from the scenario's start to its end.
    pub duration_ms: u64,
    /// What it observed of the client.
    pub evidence: Evidence,
}

/// How a scenario ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Every step passed.
    Passed,
    /// The first step that failed; the steps after it did not run.
    Failed {
        /// The step, keyword included.
        step: String,
        /// The step's failure.
        message: String,
    },
    /// The client lacks a capability the scenario requires
    /// (`@requires-<capability>`, or the port answered `unsupported`).
    NotSupported {
        /// The capability the client lacks.
        capability: String,
    },
}

/// What the scenario observed of the client, whatever its checks said.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// The mock's journal at the scenario's end: every request that reached
    /// the IdP, secrets already redacted by the journal.
    pub requests: Vec<Value>,
    /// Every snapshot the scenario took, in order.
    pub artifacts: Vec<Artifact>,
    /// Each app's cache keys as the client held them at the scenario's end
    /// (`blueprint`, `agent_a`, …), whatever the checks said.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cache: BTreeMap<String, Value>,
}

/// One pinned value: what a snapshot step observed (cache keys, stored
/// entries, request wire, a refusal), recorded before it is compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Artifact {
    /// The snapshot's name, `<feature>__<scenario>__<kind>`.
    pub name: String,
    /// `blueprint_cache_keys`, `requests`, `refusal`, … (suffix `_2` for a
    /// second snapshot of one kind in a scenario).
    pub kind: String,
    /// The observed value.
    pub value: Value,
}

impl ScenarioResult {
    /// Whether the scenario ran against the client (it was not "not supported").
    pub fn exercised(&self) -> bool {
        !matches!(self.outcome, Outcome::NotSupported { .. })
    }
}

/// The id prefix of a feature file: the initials of its name's words
/// (`fmi_cache_isolation.feature` → `fci`).
pub fn id_prefix(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let initials: String = stem
        .split(['_', '-', ' '])
        .filter_map(|w| w.chars().next())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if initials.is_empty() { stem } else { initials }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_the_initials_of_the_file_name() {
        assert_eq!(
            id_prefix(Path::new("features/fmi_cache_isolation.feature")),
            "fci"
        );
        assert_eq!(id_prefix(Path::new("/x/user_fic.feature")), "uf");
        assert_eq!(id_prefix(Path::new("idp.feature")), "i");
    }
}
