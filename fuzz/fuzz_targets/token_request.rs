//! Fuzzes the mock's token endpoint in-process: request parsing (form
//! encoding, content type, parameters) and client/user assertion
//! validation, through the mock's own router (`mock_entra::fuzzing`, the
//! `fuzzing` feature), one `oneshot` per input.
//!
//! The first input byte picks what the rest becomes, so the fuzzer can get
//! past signature checks and reach the claim checks behind them:
//!   0  the raw body (form content type)
//!   1  extra parameters appended to a valid secret request
//!   2  the `client_assertion` of a jwt-bearer request
//!   3  the claims JSON of a blueprint assertion signed with its real key
//!   4  the header JSON of a blueprint assertion signed with its real key
//!   5  the claims of a federated credential (T1) signed by the mock, for Leg 2
//!   6  the claims of a user credential (T2) signed by the mock, for user_fic
//!   7  the raw body with a fuzzed content type (first line)
//!
//! Oracle: no answer is a 500 (the mock's panic handler), every refusal is
//! Entra-shaped JSON with a numeric AADSTS code, and every request is
//! journaled exactly once.

#![no_main]

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use mock_entra::fixtures::{AGENT_A, BLUEPRINT, TENANT};
use mock_entra::fuzzing::Offline;
use serde_json::Value;
use tower::ServiceExt;

const EXCHANGE: &str = "api%3A%2F%2FAzureADTokenExchange%2F.default";
const JWT_BEARER: &str = "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";
const PORT: u16 = 443;
const BLUEPRINT_KEY: &str = include_str!("../../fixtures/certs/blueprint.key");

struct World {
    runtime: tokio::runtime::Runtime,
    router: Router,
    mock: Offline,
    blueprint_key: EncodingKey,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mock = Offline::new(dir.path());
        World {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            router: mock.router(),
            mock,
            blueprint_key: EncodingKey::from_rsa_pem(BLUEPRINT_KEY.as_bytes()).expect("key"),
            _dir: dir,
        }
    })
}

fn enc(s: &str) -> String {
    // Minimal form encoding for fuzzed values: every byte outside
    // unreserved characters percent-encoded.
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn endpoint() -> String {
    format!("https://localhost:{PORT}/{TENANT}/oauth2/v2.0/token")
}

fn sign(header: &str, claims: &str, key: &EncodingKey) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), key, Algorithm::RS256).expect("sign");
    format!("{input}.{sig}")
}

fn blueprint_header() -> String {
    let app = world().mock.directory().app(BLUEPRINT.as_str()).expect("blueprint");
    serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t#S256": app.certificates[0].x5t_s256})
        .to_string()
}

fn blueprint_claims() -> String {
    serde_json::json!({
        "aud": endpoint(), "iss": BLUEPRINT, "sub": BLUEPRINT,
        "exp": now() + 600, "nbf": now(), "iat": now(), "jti": "fuzz",
    })
    .to_string()
}

fn now() -> i64 {
    world().mock.now()
}

fn assertion_form(assertion: &str, client: &str) -> String {
    format!(
        "grant_type=client_credentials&client_id={client}&client_assertion_type={JWT_BEARER}&client_assertion={}&scope={EXCHANGE}",
        enc(assertion)
    )
}

/// The request an input stands for: (content type, body).
fn request_for(data: &[u8]) -> Option<(String, Vec<u8>)> {
    let (&mode, rest) = data.split_first()?;
    let text = String::from_utf8_lossy(rest);
    let form = "application/x-www-form-urlencoded".to_owned();
    let w = world();
    Some(match mode % 8 {
        0 => (form, rest.to_vec()),
        1 => {
            let mut body = format!(
                "grant_type=client_credentials&client_id={BLUEPRINT}&client_secret=blueprint-secret&scope={EXCHANGE}&"
            )
            .into_bytes();
            body.extend_from_slice(rest);
            (form, body)
        }
        2 => (form, assertion_form(&text, BLUEPRINT.as_str()).into_bytes()),
        3 => {
            let a = sign(&blueprint_header(), &text, &w.blueprint_key);
            (form, assertion_form(&a, BLUEPRINT.as_str()).into_bytes())
        }
        4 => {
            let a = sign(&text, &blueprint_claims(), &w.blueprint_key);
            (form, assertion_form(&a, BLUEPRINT.as_str()).into_bytes())
        }
        5 => {
            let claims: Value = serde_json::from_slice(rest).ok()?;
            let t1 = w.mock.sign(&claims);
            (form, assertion_form(&t1, AGENT_A.as_str()).into_bytes())
        }
        6 => {
            let claims: Value = serde_json::from_slice(rest).ok()?;
            let t2 = w.mock.sign(&claims);
            let t1 = w.mock.sign(
                &serde_json::json!({
                    "iss": format!("https://localhost:{PORT}/{TENANT}/v2.0"),
                    "aud": "api://AzureADTokenExchange",
                    "sub": format!("/eid1/c/pub/t/{TENANT}/a/{BLUEPRINT}/{AGENT_A}"),
                    "azp": BLUEPRINT, "idtyp": "app", "exp": now() + 3600, "iat": now(),
                }),
            );
            let body = format!(
                "grant_type=user_fic&client_id={AGENT_A}&client_assertion_type={JWT_BEARER}&client_assertion={}&user_federated_identity_credential={}&username=alice%40contoso.com&scope=api%3A%2F%2Fcontoso-api%2Fread+openid&client_info=1",
                enc(&t1),
                enc(&t2)
            );
            (form, body.into_bytes())
        }
        _ => {
            let (ct, body) = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or((rest, &[][..]), |i| (&rest[..i], &rest[i + 1..]));
            (String::from_utf8_lossy(ct).into_owned(), body.to_vec())
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((content_type, body)) = request_for(data) else {
        return;
    };
    let w = world();
    let Ok(request) = http::Request::post(format!("/{TENANT}/oauth2/v2.0/token"))
        .header(http::header::CONTENT_TYPE, content_type.as_bytes())
        .body(Body::from(body))
    else {
        return; // not a valid header value: never reaches a server
    };
    let before = w.mock.journal().len();
    let (status, bytes) = w.runtime.block_on(async {
        let response = w
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("axum routers are infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, bytes)
    });
    assert_ne!(
        status,
        http::StatusCode::INTERNAL_SERVER_ERROR,
        "the mock failed internally: {}",
        String::from_utf8_lossy(&bytes)
    );
    let json: Value = serde_json::from_slice(&bytes).expect("every answer is JSON");
    if status != http::StatusCode::OK {
        assert!(json["error"].is_string(), "{json}");
        assert!(json["error_codes"][0].is_u64(), "{json}");
    }
    assert_eq!(w.mock.journal().len(), before + 1, "one journal entry per request");
    // Keep memory flat over millions of runs.
    w.mock.journal().clear();
});
