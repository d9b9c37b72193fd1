//! The engine end to end on the reference client and a fake port that
//! evicts the plain app token when it stores an fmi path's (the msal-node
//! 7.2.1 bug, reproduced in front of the reference client's own cache).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use super::run::{EntryKind, entry_kind};
use super::*;
use crate::client_under_test::DriverFailure;
use crate::driver_protocol::{AppRef, Reply};
use crate::reference_driver::ReferenceDriver;

/// The reference client, except that whenever an app stores a token with
/// an extended key (an fmi path's, asked for directly or by an agent's
/// callback), the plain app tokens it held are hidden from then on, as if
/// deleted.
#[derive(Default)]
struct Evicting {
    inner: ReferenceDriver,
    apps: Vec<String>,
    extended: HashMap<String, usize>,
    hidden: HashMap<String, HashSet<String>>,
}

impl Evicting {
    async fn keys(&mut self, app: &str) -> Result<Vec<String>, DriverFailure> {
        let reply = self
            .inner
            .send(Command::Cache(AppRef { app: app.into() }))
            .await?;
        Ok(reply.body["access_token_keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect())
    }

    async fn evict(&mut self) -> Result<(), DriverFailure> {
        for app in self.apps.clone() {
            let keys = self.keys(&app).await?;
            let extended = keys
                .iter()
                .filter(|k| entry_kind(k) == EntryKind::AppWithExtendedKey)
                .count();
            if extended > self.extended.get(&app).copied().unwrap_or(0) {
                let plain = keys.into_iter().filter(|k| entry_kind(k) == EntryKind::App);
                self.hidden.entry(app.clone()).or_default().extend(plain);
            }
            self.extended.insert(app, extended);
        }
        Ok(())
    }
}

#[async_trait]
impl ClientUnderTest for Evicting {
    fn port(&self) -> &str {
        "node"
    }

    async fn send(&mut self, command: Command) -> Result<Reply, DriverFailure> {
        match command {
            Command::Configure(ref c) => {
                self.apps.push(c.app.clone());
                self.inner.send(command).await
            }
            Command::Cache(ref c) => {
                let hidden = self.hidden.get(&c.app).cloned().unwrap_or_default();
                let mut reply = self.inner.send(command).await?;
                if let Some(Value::Array(keys)) = reply.body.get_mut("access_token_keys") {
                    keys.retain(|k| k.as_str().is_none_or(|k| !hidden.contains(k)));
                }
                Ok(reply)
            }
            other => {
                let reply = self.inner.send(other).await?;
                self.evict().await?;
                Ok(reply)
            }
        }
    }
}

fn options(emit: Option<&Path>) -> ExploreOptions {
    ExploreOptions {
        root: crate::port_driver::repo_root(),
        ports: vec![],
        seed: 1,
        cases: 4,
        max_steps: 6,
        time_budget: None,
        emit: emit.map(Path::to_path_buf),
        command_timeout: Duration::from_secs(30),
        require_ports: false,
        max_shrink_runs: 100,
    }
}

fn columns() -> Vec<Column> {
    let factory: ClientFactory = Arc::new(|| {
        Box::pin(async { Ok(Box::new(Evicting::default()) as Box<dyn ClientUnderTest>) })
    });
    vec![Column {
        name: "node".into(),
        port: "node".into(),
        scope: crate::port_build::BuildScope::release("7.2.1"),
        factory: Some(factory),
        state: PortState::Ran("fake".into()),
    }]
}

fn declarations(text: &str) -> Divergences {
    Divergences::parse(text, Path::new("test.toml")).unwrap()
}

#[tokio::test]
async fn an_eviction_is_shrunk_to_two_steps_and_emitted_as_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let reference = crate::reference_driver::reference_factory();
    let mut said = Vec::new();
    let summary = explore_columns(
        &options(Some(dir.path())),
        &Divergences::default(),
        &reference,
        columns(),
        &mut |line| said.push(line),
    )
    .await
    .unwrap();
    assert!(summary.failed());
    let port = &summary.ports[0];
    assert_eq!(port.new.len(), 1, "{}", said.join("\n"));
    let finding = &port.new[0];
    assert!(finding.confirmed);
    // Case 3 of seed 1 (six steps) differs first at its third step;
    // proptest shrinks it to a plain app token, then Leg 2 (whose callback
    // stores T1 in the blueprint's cache).
    assert_eq!((finding.case, finding.found_steps), (3, 6));
    assert_eq!(
        finding.minimal.steps,
        [
            model::Step::AppToken {
                app: model::App::Blueprint,
                fmi_path: None
            },
            model::Step::Leg2 {
                agent: model::Agent::A
            },
        ]
    );
    assert_eq!(
        finding.disagreement.signature(),
        (model::StepKind::Leg2, compare::Aspect::Cache)
    );
    let fails_at = "And the blueprint's cache holds 2 access tokens";
    assert_eq!(finding.fails_at.as_deref(), Some(fails_at));
    let path = finding.emitted.as_ref().unwrap();
    let feature = std::fs::read_to_string(path).unwrap();
    let steps: Vec<&str> = feature
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(str::trim)
        .collect();
    assert_eq!(
        steps,
        [
            "Given the blueprint app with a secret credential",
            "And agent A whose assertion callback gets T1 from the blueprint",
            "When the blueprint acquires an app token",
            "Then the token came from the identity provider",
            "And exactly 1 request reached the IdP",
            "And the token's \"azp\" claim is \"blueprint\"",
            "And the token's \"sub\" claim is \"blueprint\"",
            "And the token's \"oid\" claim is \"blueprint\"",
            "And the blueprint's cache holds 1 access token",
            "And agent A's cache holds 0 access tokens",
            "When agent A acquires an app token",
            "Then the token came from the identity provider",
            "And exactly 3 requests reached the IdP",
            "And the token's \"azp\" claim is \"agent A\"",
            "And the token's \"sub\" claim is \"agent A\"",
            "And the token's \"oid\" claim is \"agent A\"",
            fails_at,
            "And agent A's cache holds 1 access token",
        ],
        "{feature}"
    );
    assert!(feature.contains("--seed 1"), "{feature}");
    assert!(feature.contains("@requires-fmi_path"), "{feature}");
}

#[tokio::test]
async fn a_declared_eviction_is_known_and_the_run_passes() {
    let reference = crate::reference_driver::reference_factory();
    let declared = declarations(
        "[[explore]]\nport = \"node\"\nkind = \"port-bug\"\nsteps = [\"app_token_with_fmi_path\", \"leg2\", \"user_fic\"]\nobserved = \"cache\"\nwhat = \"evicts\"\nspec = \"docs/protocol.md §4\"\n",
    );
    let mut said = Vec::new();
    let summary = explore_columns(
        &options(None),
        &declared,
        &reference,
        columns(),
        &mut |line| said.push(line),
    )
    .await
    .unwrap();
    let port = &summary.ports[0];
    assert!(!summary.failed(), "{}", said.join("\n"));
    assert!(port.new.is_empty());
    assert_eq!(port.known.len(), 1);
    assert_eq!(port.known[0].declaration.what, "evicts");
    assert_eq!(summary.sessions, 4);
    assert!(summary_text(&summary).contains("known port bug on node"));
}

#[test]
fn declarations_name_known_step_kinds_and_aspects() {
    let entry = "[[explore]]\nport = \"node\"\nsteps = [\"leg2\"]\nobserved = \"cache\"\nwhat = \"w\"\nspec = \"s\"\n";
    let d = declarations(entry);
    let v = crate::port_build::BuildScope::release("7.2.1");
    assert!(d.find_explore("node", &v, "leg2", "cache").is_some());
    assert!(d.find_explore("node", &v, "leg2", "source").is_none());
    assert!(d.find_explore("node", &v, "user_fic", "cache").is_none());
    assert!(d.find_explore("go", &v, "leg2", "cache").is_none());
    let any_step = declarations(&entry.replace("steps = [\"leg2\"]\n", ""));
    assert!(
        any_step
            .find_explore("node", &v, "silent", "cache")
            .is_some()
    );
    let err = |text: String| {
        Divergences::parse(&text, Path::new("t.toml"))
            .unwrap_err()
            .to_string()
    };
    assert!(err(entry.replace("\"cache\"", "\"keys\"")).contains("observes \"keys\""));
    assert!(err(entry.replace("\"leg2\"", "\"leg4\"")).contains("step kind \"leg4\""));
}

#[test]
fn an_explore_declaration_holds_only_for_its_versions() {
    let d = declarations(
        "[[explore]]\nport = \"node\"\nkind = \"port-bug\"\nobserved = \"cache\"\nversions = \"<=7.2.4\"\nwhat = \"w\"\nspec = \"s\"\n",
    );
    let scope = crate::port_build::BuildScope::release;
    assert!(
        d.find_explore("node", &scope("7.2.1"), "leg2", "cache")
            .is_some()
    );
    assert!(
        d.find_explore("node", &scope("7.2.4"), "leg2", "cache")
            .is_some()
    );
    assert!(
        d.find_explore("node", &scope("7.3.0"), "leg2", "cache")
            .is_none()
    );
}
