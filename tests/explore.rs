//! `fic-harness explore` on the real msal-node: it finds the plain app
//! token's eviction (when an fmi path's token is stored), shrinks it, and
//! emits a scenario that passes on the reference client and fails on
//! msal-node at the step explore named; once declared, the same run reports
//! it as known and exits 0. Skipped when msal-node is not installed (a
//! failure under `FIC_REQUIRE_PORTS=1` or `CI`).

use std::path::Path;
use std::process::Output;

use conformance::ports::{Availability, Port};

mod support;
use support::{ports_required, run_harness};

/// The declaration the repository's file holds for the eviction.
const EVICTION: &str = "[[explore]]\nport = \"node\"\nkind = \"port-bug\"\nversions = \"<=7.2.4\"\nsteps = [\"app_token_with_fmi_path\", \"leg2\", \"user_fic\"]\nobserved = \"cache\"\n";

fn run(args: &[&str]) -> (Output, String) {
    let out = run_harness(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

#[test]
fn the_node_eviction_is_found_shrunk_emitted_and_then_known() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Availability::Missing { reason } = Port::Node.availability(root) {
        assert!(!ports_required(), "msal-node is required: {reason}");
        eprintln!("skipped: msal-node is not installed: {reason}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let declared = std::fs::read_to_string(root.join("fixtures/divergences.toml")).unwrap();
    assert!(declared.contains(EVICTION), "the eviction is declared");
    // The same file with the eviction's declaration narrowed to a step kind
    // that cannot show it (its reason and scenario stay valid).
    let undeclared = dir.path().join("divergences.toml");
    std::fs::write(
        &undeclared,
        declared.replace(
            EVICTION,
            "[[explore]]\nport = \"node\"\nsteps = [\"silent\"]\nobserved = \"cache\"\n",
        ),
    )
    .unwrap();
    let features = dir.path().join("features");
    let session = [
        "explore",
        "--port",
        "node",
        "--seed",
        "1",
        "--cases",
        "4",
        "--max-steps",
        "6",
    ];

    let mut args = session.to_vec();
    args.extend(["--emit", features.to_str().unwrap()]);
    args.extend(["--divergences", undeclared.to_str().unwrap()]);
    let (out, said) = run(&args);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("node: case 3 (6 steps): new disagreement at step 3 (leg2), cache"),
        "{said}"
    );
    assert!(said.contains("shrunk from 6 to 2 steps"), "{said}");
    assert!(said.contains("re-run: differs the same way"), "{said}");
    let fails_at = "And the blueprint's cache holds 2 access tokens";
    assert!(
        said.contains(&format!("# node fails at: {fails_at}")),
        "{said}"
    );
    assert!(said.contains("NEW on node (case 3"), "{said}");

    let emitted = features.join("explore_node_seed_1_case_3.feature");
    let feature = std::fs::read_to_string(&emitted).unwrap();
    assert!(
        feature.contains("`fic-harness explore --port node --seed 1`"),
        "{feature}"
    );
    for line in [
        "    When the blueprint acquires an app token\n",
        "    When agent A acquires an app token\n",
        &format!("    {fails_at}\n"),
    ] {
        assert!(feature.contains(line), "{line:?} in {feature}");
    }

    let features_arg = features.to_str().unwrap();
    let (out, said) = run(&["run", "--port", "rust", "--features", features_arg]);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let (out, said) = run(&["run", "--port", "node", "--features", features_arg]);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains(&format!("  at: {fails_at}")), "{said}");

    let (out, said) = run(&session);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("known port bug on node"), "{said}");
    assert!(!said.contains("NEW on"), "{said}");
}
