//! MSAL Python 1.39.0, unmodified, against the mock over TLS: Leg 1 with
//! `fmi_path` and the blueprint's certificate, through ports/python/driver.py.
//! Needs `bash ports/install.sh`; without the venv it skips, or fails under
//! `FIC_REQUIRE_PORTS=1` / `CI`.

mod support;

use mock_entra::fixtures::{AGENT_A as AGENT, BLUEPRINT};
use mock_entra::{Directory, MockEntra};
use serde_json::{Value, json};
use support::{Driver, jwt_claims, python_venv_or_skip, repo_root};

const EXCHANGE_SCOPE: &str = "api://AzureADTokenExchange/.default";
const JWT_BEARER: &str = fic_protocol::AssertionType::JWT_BEARER_URN;

#[tokio::test(flavor = "multi_thread")]
async fn msal_python_leg1_with_fmi_path_and_certificate() {
    let Some(python) = python_venv_or_skip("msal_python_leg1_with_fmi_path_and_certificate") else {
        return;
    };
    let mock = MockEntra::start(Directory::default_directory())
        .await
        .expect("mock starts");
    let ca_cert = mock.ca_cert_path().to_path_buf();
    let authority = mock.authority();
    let certs = repo_root().join("fixtures/certs");

    // The driver blocks on pipes; the mock keeps serving on the runtime.
    let (hello, first, second, cache) = tokio::task::spawn_blocking(move || {
        let mut driver = Driver::spawn(&python, &["ports/python/driver.py"], &ca_cert);
        let hello = driver.ok("hello", json!({}));
        driver.ok(
            "configure",
            json!({
                "app": "blueprint", "client_id": BLUEPRINT, "authority": authority, "ca_cert": ca_cert,
                "credential": {
                    "type": "certificate",
                    "cert_pem_path": certs.join("blueprint.crt"),
                    "key_pem_path": certs.join("blueprint.key"),
                    "send_x5c": true,
                },
            }),
        );
        let leg1 = json!({"app": "blueprint", "scopes": [EXCHANGE_SCOPE], "fmi_path": AGENT});
        let first = driver.call("acquire_for_client", leg1.clone());
        let second = driver.call("acquire_for_client", leg1);
        let cache = driver.call("cache", json!({"app": "blueprint"}));
        driver.shutdown();
        (hello, first, second, cache)
    })
    .await
    .expect("driver thread");

    assert_eq!(
        hello["version"], "1.39.0",
        "the pinned msal must be the one loaded: {hello}"
    );
    assert_eq!(first["ok"], true, "Leg 1 failed: {first}");
    let token = &first["token"];
    assert_eq!(token["source"], "identity_provider");
    let claims = jwt_claims(token["access_token"].as_str().expect("access_token"));
    // T1's subject names the blueprint and the fmi path (docs/ARCHITECTURE.md,
    // mock-entra as built); the path itself is also in `xms_fmi_path`.
    let tenant = mock.tenant_id();
    assert_eq!(
        claims["sub"],
        format!("/eid1/c/pub/t/{tenant}/a/{BLUEPRINT}/{AGENT}"),
        "T1 must carry the fmi path in sub: {claims}"
    );
    assert_eq!(claims["xms_fmi_path"], AGENT.as_str(), "{claims}");
    assert_eq!(claims["azp"], BLUEPRINT.as_str(), "{claims}");
    assert_eq!(claims["azpacr"], "2", "a certificate credential: {claims}");

    // MSAL's own cache answers the repeat; the extended key keeps the fmi path.
    assert_eq!(second["ok"], true, "{second}");
    assert_eq!(second["token"]["source"], "cache", "{second}");
    assert_eq!(second["token"]["access_token"], token["access_token"]);
    let keys = &cache["access_token_keys"];
    assert_eq!(keys.as_array().map(Vec::len), Some(1), "{cache}");
    let key = keys[0].as_str().unwrap();
    assert!(
        key.starts_with("-localhost-atext-"),
        "MSAL Python's ext key layout: {key}"
    );

    let entries: Vec<Value> = mock
        .journal()
        .entries()
        .iter()
        .map(|e| serde_json::to_value(e).expect("journal entry serializes"))
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "exactly one token request reaches the IdP: {entries:#?}"
    );
    let entry = &entries[0];
    assert_eq!(entry["grant_type"], "client_credentials", "{entry:#}");
    assert_eq!(entry["client_id"], BLUEPRINT.as_str(), "{entry:#}");
    assert_eq!(entry["form"]["fmi_path"], AGENT.as_str(), "{entry:#}");
    assert_eq!(
        entry["form"]["client_assertion_type"], JWT_BEARER,
        "{entry:#}"
    );
    assert_eq!(entry["client_auth"], "jwt_bearer", "{entry:#}");
    assert!(
        entry["assertion"].is_object(),
        "the decoded client assertion is journaled: {entry:#}"
    );
    assert_eq!(entry["outcome"]["status"], 200, "{entry:#}");
    mock.shutdown().await;
}

/// The driver's own offline tests (hello, bad lines, unsupported features),
/// run here so `cargo test` covers them.
#[test]
fn python_driver_protocol_unit_tests() {
    let Some(python) = python_venv_or_skip("python_driver_protocol_unit_tests") else {
        return;
    };
    let out = std::process::Command::new(python)
        .args(["-m", "unittest", "discover", "-s", "ports/python"])
        .current_dir(repo_root())
        .output()
        .expect("run unittest");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ports/python unit tests failed:\n{stderr}"
    );
    assert!(stderr.contains("OK"), "no test ran:\n{stderr}");
}
