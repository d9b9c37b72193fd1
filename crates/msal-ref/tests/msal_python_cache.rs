//! Cross-check with the real MSAL Python 1.39.0: a cache the reference
//! client wrote loads in `SerializableTokenCache`, and MSAL Python finds
//! the same tokens (`acquire_token_silent` for users,
//! `acquire_token_for_client(fmi_path=)` for apps) without a token request.
//!
//! Needs the venv `ports/install.sh` creates (`.build/venv` with
//! msal==1.39.0). Without it the test is skipped, unless `FIC_REQUIRE_PORTS`
//! or `CI` is set, in which case it fails.

mod support;

use std::path::PathBuf;
use std::process::Stdio;

use mock_entra::fixtures::{AGENT_A as AGENT, AGENT_B};
use msal_ref::{ConfidentialClient, Credential, HashAlgorithm, TokenCache, UserId};
use serde_json::{Value, json};
use support::{APP, EXCHANGE, TENANT, entra_like, start};
use tokio::io::AsyncWriteExt;

fn venv_python() -> Option<PathBuf> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.build/venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    let required = std::env::var_os("FIC_REQUIRE_PORTS").is_some_and(|v| v == "1")
        || std::env::var_os("CI").is_some();
    if required {
        panic!(
            "{} is missing: run ports/install.sh to create the MSAL Python 1.39.0 venv",
            python.display()
        );
    }
    eprintln!(
        "skipped: {} is missing (run ports/install.sh; set FIC_REQUIRE_PORTS=1 to make this a failure)",
        python.display()
    );
    None
}

async fn run_python(python: &PathBuf, input: Value) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/msal_python_cache.py");
    let mut child = tokio::process::Command::new(python)
        .arg(&script)
        .env_remove("REQUESTS_CA_BUNDLE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start MSAL Python");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "MSAL Python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints one JSON object")
}

/// Blueprint app tokens (two fmi paths and none) and the agent's user
/// tokens (Alice, Bob), written into one cache by two reference clients.
async fn cache_with_tokens(algorithm: HashAlgorithm) -> (TokenCache, Vec<(Value, String)>) {
    let (authority, _fake) = start(entra_like()).await;
    let blueprint = ConfidentialClient::builder(APP.as_str(), &authority)
        .credential(Credential::secret("blueprint-secret"))
        .hash_algorithm(algorithm)
        .allow_plain_http(true)
        .build()
        .unwrap();
    let mut expected = vec![];
    for fmi_path in [Some(AGENT.as_str()), Some(AGENT_B.as_str()), None] {
        let mut request = blueprint.acquire_token_for_client([EXCHANGE]);
        if let Some(p) = fmi_path {
            request = request.fmi_path(p);
        }
        let token = request.execute().await.unwrap().access_token;
        expected.push((
            json!({"client_id": APP.as_str(), "kind": "app", "scopes": [EXCHANGE], "fmi_path": fmi_path}),
            token,
        ));
    }
    // The agent's client starts from the blueprint's serialized cache, so
    // the file MSAL Python reads went through deserialize_json as well.
    let shared =
        TokenCache::deserialize_json(&blueprint.cache().serialize_json().unwrap()).unwrap();
    let agent = ConfidentialClient::builder(AGENT.as_str(), &authority)
        .credential(Credential::assertion("t1"))
        .token_cache(shared)
        .allow_plain_http(true)
        .build()
        .unwrap();
    for upn in ["alice@contoso.com", "bob@contoso.com"] {
        let token = agent
            .acquire_token_by_user_fic(["api://resource/Read"], "t2", UserId::Upn(upn.into()))
            .execute()
            .await
            .unwrap()
            .access_token;
        expected.push((
            json!({"client_id": AGENT.as_str(), "kind": "user", "scopes": ["api://resource/Read"], "username": upn}),
            token,
        ));
    }
    (agent.cache(), expected)
}

#[tokio::test]
async fn msal_python_finds_the_reference_clients_tokens() {
    let Some(python) = venv_python() else { return };
    let (cache, expected) = cache_with_tokens(HashAlgorithm::Netstring).await;
    let checks: Vec<Value> = expected.iter().map(|(c, _)| c.clone()).collect();
    let out = run_python(
        &python,
        json!({"authority": format!("https://localhost/{TENANT}"),
               "cache": cache.serialize_json().unwrap(), "checks": checks}),
    )
    .await;
    assert_eq!(out["msal_version"], "1.39.0");
    for ((check, token), result) in expected.iter().zip(out["results"].as_array().unwrap()) {
        assert_eq!(
            result["access_token"].as_str(),
            Some(token.as_str()),
            "MSAL Python did not find the token for {check}: {result}"
        );
        assert_eq!(result["token_source"], "cache", "{check}");
    }
    assert_eq!(out["token_requests"], 0, "MSAL Python went to the network");
}

/// The documented divergence, shown rather than assumed: entries hashed
/// with the legacy concat form are invisible to MSAL Python 1.39.0, which
/// hashes fmi paths as netstrings; user tokens (never hashed) still match.
#[tokio::test]
async fn legacy_concat_entries_are_invisible_to_msal_python() {
    let Some(python) = venv_python() else { return };
    let (cache, expected) = cache_with_tokens(HashAlgorithm::LegacyConcat).await;
    let checks: Vec<Value> = expected.iter().map(|(c, _)| c.clone()).collect();
    let out = run_python(
        &python,
        json!({"authority": format!("https://localhost/{TENANT}"),
               "cache": cache.serialize_json().unwrap(), "checks": checks}),
    )
    .await;
    let results = out["results"].as_array().unwrap();
    for ((check, token), result) in expected.iter().zip(results) {
        let hashed = check["fmi_path"].is_string();
        assert_eq!(
            result["access_token"].as_str() == Some(token.as_str()),
            !hashed,
            "{check}: {result}"
        );
    }
    assert_eq!(out["token_requests"], 2, "one miss per fmi path");
}
