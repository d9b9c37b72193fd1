//! Load: 2,000 token requests from 64 concurrent clients (each with its own
//! TLS connection) against an in-process mock. Every request must be
//! answered, the journal must hold exactly 2,000 entries with unique
//! sequence numbers and every request's assertion accounted for, and
//! neither the journal nor the captured logs may contain the blueprint's
//! secret or any raw client assertion.
//!
//! This asserts counts and uniqueness only, never time: speed is measured
//! by `fic-harness bench` (BENCHMARKS.md), not asserted in tests.

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use mock_entra::fixtures::{AGENT_A, AGENT_B, BLUEPRINT, FixtureId};
use mock_entra::{Directory, MockEntra};
use serde_json::{Value, json};

const REQUESTS: usize = 2_000;
const CLIENTS: usize = 64;
const SECRET: &str = "blueprint-secret";
static AGENTS: [&FixtureId; 2] = [&AGENT_A, &AGENT_B];
const EXCHANGE: &str = "api://AzureADTokenExchange/.default";
const JWT_BEARER: &str = fic_protocol::AssertionType::JWT_BEARER_URN;
const BLUEPRINT_CERT: &str = include_str!("../fixtures/certs/blueprint.crt");
const BLUEPRINT_KEY: &str = include_str!("../fixtures/certs/blueprint.key");

/// A `tracing` writer that appends to a shared buffer, so the test can read
/// everything the mock logged.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// How request `i` authenticates: the three ways a blueprint can.
#[derive(Debug, Clone, Copy)]
enum Auth {
    SecretPost,
    SecretBasic,
    Assertion,
}

fn auth_for(i: usize) -> Auth {
    match i % 3 {
        0 => Auth::SecretPost,
        1 => Auth::SecretBasic,
        _ => Auth::Assertion,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64
}

/// One RS256 certificate assertion per assertion request, each with its own
/// `jti`, signed before the load starts.
fn presign(audience: &str, count: usize) -> Vec<String> {
    let der = STANDARD
        .decode(
            BLUEPRINT_CERT
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .expect("fixture PEM");
    let key = EncodingKey::from_rsa_pem(BLUEPRINT_KEY.as_bytes()).expect("fixture key");
    let header = URL_SAFE_NO_PAD.encode(
        json!({"alg": "RS256", "typ": "JWT", "x5t#S256": fic_protocol::thumbprint::x5t_s256(&der)})
            .to_string(),
    );
    (0..count)
        .map(|_| {
            let claims = json!({
                "aud": audience, "iss": BLUEPRINT, "sub": BLUEPRINT,
                "exp": now() + 600, "nbf": now(), "iat": now(),
                "jti": uuid::Uuid::new_v4().to_string(),
            });
            let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
            let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::RS256)
                .expect("signing works");
            format!("{input}.{signature}")
        })
        .collect()
}

/// What a client task reports about one request.
struct Sent {
    status: u16,
    /// The `jti` of the assertion it carried, if any.
    jti: Option<String>,
}

fn jti_of(assertion: &str) -> String {
    let claims = assertion.split('.').nth(1).expect("three parts");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).expect("base64url")).expect("JSON");
    claims["jti"].as_str().expect("jti").to_owned()
}

async fn send(http: &reqwest::Client, endpoint: &str, i: usize, assertion: Option<&str>) -> Sent {
    let agent = AGENTS[i % AGENTS.len()].as_str();
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("scope", EXCHANGE),
        ("fmi_path", agent),
    ];
    let mut request = http.post(endpoint);
    match (auth_for(i), assertion) {
        (Auth::SecretPost, _) => {
            form.extend([("client_id", BLUEPRINT.as_str()), ("client_secret", SECRET)]);
        }
        (Auth::SecretBasic, _) => {
            request = request.basic_auth(BLUEPRINT.as_str(), Some(SECRET));
        }
        (Auth::Assertion, Some(a)) => {
            form.extend([
                ("client_id", BLUEPRINT.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", a),
            ]);
        }
        (Auth::Assertion, None) => unreachable!("every assertion request has one"),
    }
    let status = match request.form(&form).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            // Read the whole body so the connection is reused.
            let _ = r.bytes().await;
            status
        }
        Err(_) => 0,
    };
    Sent {
        status,
        jti: assertion.map(jti_of),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_requests_from_64_clients_are_all_answered_and_journaled_without_secrets() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "mock_entra=trace,tower_http=trace,debug",
        ))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let mock = MockEntra::start(Directory::default_directory())
        .await
        .expect("mock starts");
    let endpoint = mock.token_endpoint();
    let assertion_indices: Vec<usize> = (0..REQUESTS)
        .filter(|i| matches!(auth_for(*i), Auth::Assertion))
        .collect();
    let assertions = presign(&endpoint, assertion_indices.len());
    // Request i's assertion, when it uses one.
    let mut by_request: Vec<Option<String>> = vec![None; REQUESTS];
    for (i, a) in assertion_indices.iter().zip(&assertions) {
        by_request[*i] = Some(a.clone());
    }
    let by_request = Arc::new(by_request);
    let ca = reqwest::Certificate::from_pem(mock.ca_cert_pem().as_bytes()).expect("CA PEM");

    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        // One client, one connection each: 64 concurrent TLS connections.
        let http = reqwest::Client::builder()
            .tls_certs_only([ca.clone()])
            .pool_max_idle_per_host(1)
            .http1_only()
            .build()
            .expect("client");
        let (next, by_request, endpoint) = (next.clone(), by_request.clone(), endpoint.clone());
        clients.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= REQUESTS {
                    return sent;
                }
                sent.push(send(&http, &endpoint, i, by_request[i].as_deref()).await);
            }
        }));
    }
    let mut sent = Vec::new();
    for c in clients {
        sent.extend(c.await.expect("client task"));
    }

    // Every request answered, with a token.
    assert_eq!(sent.len(), REQUESTS);
    let not_ok: Vec<u16> = sent
        .iter()
        .map(|s| s.status)
        .filter(|s| *s != 200)
        .collect();
    assert!(not_ok.is_empty(), "statuses other than 200: {not_ok:?}");

    // Exactly one journal entry per request: unique seq 1..=2000, each
    // assertion's jti present once, all successes.
    let entries = mock.journal().entries();
    assert_eq!(entries.len(), REQUESTS, "journal entries");
    let seqs: BTreeSet<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs.len(), REQUESTS, "duplicate seq numbers");
    assert_eq!(
        (seqs.first().copied(), seqs.last().copied()),
        (Some(1), Some(REQUESTS as u64)),
        "seq numbers are not 1..={REQUESTS}"
    );
    assert!(entries.iter().all(|e| e.outcome.status == 200));
    let journaled_jtis: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.assertion.as_ref()?.claims["jti"].as_str())
        .collect();
    let sent_jtis: HashSet<&str> = sent.iter().filter_map(|s| s.jti.as_deref()).collect();
    assert_eq!(journaled_jtis.len(), sent_jtis.len(), "assertion entries");
    assert_eq!(
        journaled_jtis.iter().copied().collect::<HashSet<_>>(),
        sent_jtis,
        "journaled jtis differ from the ones sent"
    );
    let by_auth = |name: &str| {
        entries
            .iter()
            .filter(|e| e.client_auth.as_deref() == Some(name))
            .count()
    };
    assert_eq!(
        (
            by_auth("secret_post"),
            by_auth("secret_basic"),
            by_auth("jwt_bearer")
        ),
        (
            (0..REQUESTS).filter(|i| i % 3 == 0).count(),
            (0..REQUESTS).filter(|i| i % 3 == 1).count(),
            assertions.len()
        )
    );

    // No secret and no raw assertion anywhere: not in the journal (as the
    // embedding API and the HTTP API serve it), not in the logs.
    let http = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .expect("client");
    let served = http
        .get(format!("{}/_harness/journal", mock.base_url()))
        .send()
        .await
        .expect("journal API answers")
        .text()
        .await
        .expect("journal body");
    let journal_json = serde_json::to_string(&entries).expect("journal serializes");
    let log_text = logs.text();
    assert!(
        log_text.contains("token issued"),
        "the log capture saw nothing"
    );
    let basic = STANDARD.encode(format!("{BLUEPRINT}:{SECRET}"));
    for (place, text) in [
        ("journal", &journal_json),
        ("journal API", &served),
        ("logs", &log_text),
    ] {
        assert!(!text.contains(SECRET), "the secret is in the {place}");
        assert!(
            !text.contains(&basic),
            "the Basic credentials are in the {place}"
        );
        for a in &assertions {
            // The signature is what makes an assertion usable; the decoded
            // header and claims are journaled on purpose.
            let signature = a.rsplit('.').next().expect("three parts");
            assert!(
                !text.contains(a.as_str()) && !text.contains(signature),
                "a raw assertion is in the {place}"
            );
        }
    }
}
