//! The catalogue of hostile single requests to the mock and the refusal
//! each must get: one list shared by the conformance steps
//! (`idp_validation.feature`, where the case name is the step text), the
//! workspace's hostile-input test and the mock's own tests.
//!
//! Only requests that are complete without the mock's state are here: a
//! case that first obtains a token, signs an assertion for the mock's
//! endpoint (its audience carries the listening port), re-signs a token or
//! moves the clock is built where it is sent.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use fic_protocol::{AssertionType, TOKEN_EXCHANGE_SCOPE, form};

use crate::fixtures::{self, BLUEPRINT, DAEMON, TENANT};

/// The form content type.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// One hostile request and the refusal it must get.
#[derive(Debug, Clone)]
pub struct HostileCase {
    /// What the request does wrong, as a feature step names it.
    pub name: &'static str,
    /// `GET` or `POST`.
    pub method: http::Method,
    /// Path and query under the mock's base URL.
    pub path: String,
    /// The `content-type` header, if any.
    pub content_type: Option<&'static str>,
    /// Further headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body as sent.
    pub body: Vec<u8>,
    /// The HTTP status of the refusal.
    pub status: u16,
    /// The AADSTS code of the refusal.
    pub code: u32,
    /// Whether the request reaches the token endpoint (and so the journal).
    pub journaled: bool,
}

impl HostileCase {
    fn post(name: &'static str, body: Vec<u8>, status: u16, code: u32) -> HostileCase {
        HostileCase {
            name,
            method: http::Method::POST,
            path: token_path(&TENANT),
            content_type: Some(FORM),
            headers: Vec::new(),
            body,
            status,
            code,
            journaled: true,
        }
    }

    fn form(name: &'static str, pairs: &[(&str, &str)], status: u16, code: u32) -> HostileCase {
        let body = serde_urlencoded::to_string(pairs).expect("string pairs encode");
        HostileCase::post(name, body.into_bytes(), status, code)
    }

    fn content_type(mut self, content_type: &'static str) -> HostileCase {
        self.content_type = Some(content_type);
        self
    }

    fn path(mut self, path: String, journaled: bool) -> HostileCase {
        self.path = path;
        self.journaled = journaled;
        self
    }
}

fn token_path(tenant: &str) -> String {
    format!("/{tenant}/oauth2/v2.0/token")
}

fn secret_of(app: &str) -> &'static str {
    fixtures::directory()
        .app(app)
        .and_then(|a| a.secrets.first())
        .map(String::as_str)
        .expect("the fixture app has a secret")
}

/// Every case, in a fixed order; each is independent of the others.
pub fn catalogue() -> Vec<HostileCase> {
    let blueprint = BLUEPRINT.as_str();
    let blueprint_secret = secret_of(blueprint);
    let cc = (form::GRANT_TYPE, "client_credentials");
    let scope = (form::SCOPE, TOKEN_EXCHANGE_SCOPE);
    let id = (form::CLIENT_ID, blueprint);
    let secret = (form::CLIENT_SECRET, blueprint_secret);
    let jwt_bearer = AssertionType::JWT_BEARER_URN;
    let user_scopes = "api://contoso-api/read openid profile offline_access";
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::json!({"iss": blueprint, "sub": blueprint}).to_string())
    );
    let basic = STANDARD.encode(format!("{DAEMON}:{}", secret_of(&DAEMON)));
    let c = HostileCase::form;
    vec![
        // The request itself.
        c(
            "an unsupported grant type",
            &[id, secret, (form::GRANT_TYPE, "password"), scope],
            400,
            70003,
        ),
        c("no grant type", &[id, secret, scope], 400, 900144),
        c("no scope", &[id, secret, cc], 400, 900144),
        c(
            "a resource scope without /.default",
            &[id, secret, cc, (form::SCOPE, "api://contoso-api/read")],
            400,
            1002012,
        ),
        c(
            "two resources in the scope",
            &[
                id,
                secret,
                cc,
                (
                    form::SCOPE,
                    "api://contoso-api/.default api://AzureADTokenExchange/.default",
                ),
            ],
            400,
            70011,
        ),
        c(
            "an unknown resource",
            &[id, secret, cc, (form::SCOPE, "api://nobody/.default")],
            400,
            500011,
        ),
        c(
            "an fmi path with a dot-dot segment",
            &[id, secret, cc, scope, (form::FMI_PATH, "../x")],
            400,
            9990008,
        ),
        c(
            "mtls_pop without a client certificate",
            &[id, secret, cc, scope, (form::TOKEN_TYPE, "mtls_pop")],
            400,
            9990010,
        ),
        HostileCase::post(
            "a duplicated parameter",
            b"grant_type=client_credentials&grant_type=client_credentials".to_vec(),
            400,
            9990002,
        ),
        HostileCase::post(
            "a JSON body",
            br#"{"grant_type":"client_credentials"}"#.to_vec(),
            400,
            9990003,
        )
        .content_type("application/json"),
        HostileCase::post(
            "an undecodable body",
            b"grant_type=%FF".to_vec(),
            400,
            9002313,
        ),
        HostileCase::post("a body over 64 KiB", vec![b'a'; 70 * 1024], 413, 9990001),
        HostileCase::post(
            "an unknown tenant",
            format!("grant_type=client_credentials&client_id={blueprint}&client_secret={blueprint_secret}")
                .into_bytes(),
            400,
            90002,
        )
        .path(token_path("nope.example"), true),
        HostileCase::post(
            "an unknown endpoint",
            b"grant_type=client_credentials".to_vec(),
            404,
            9990014,
        )
        .path(format!("/{TENANT}/oauth2/v2.0/nothing-here"), false),
        HostileCase {
            method: http::Method::GET,
            content_type: None,
            ..HostileCase::post("instance discovery for another host", Vec::new(), 400, 50049)
                .path(
                    "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.example/common/oauth2/v2.0/authorize"
                        .to_owned(),
                    false,
                )
        },
        // Client authentication.
        c("no client credential", &[cc, scope, id], 400, 7000218),
        c("no client id", &[cc, scope, secret], 400, 900144),
        c(
            "a wrong client secret",
            &[cc, scope, id, (form::CLIENT_SECRET, "nope")],
            401,
            7000215,
        ),
        c(
            "an unknown client id",
            &[
                cc,
                scope,
                (form::CLIENT_ID, "00000000-0000-0000-0000-00000000dead"),
                (form::CLIENT_SECRET, "x"),
            ],
            400,
            700016,
        ),
        c(
            "an unknown assertion type",
            &[
                cc,
                scope,
                id,
                (form::CLIENT_ASSERTION_TYPE, "urn:other"),
                (form::CLIENT_ASSERTION, "x.y.z"),
            ],
            400,
            9990004,
        ),
        c(
            "a garbage assertion",
            &[
                cc,
                scope,
                id,
                (form::CLIENT_ASSERTION_TYPE, jwt_bearer),
                (form::CLIENT_ASSERTION, "garbage"),
            ],
            400,
            50027,
        ),
        c(
            "an unsigned assertion",
            &[
                cc,
                scope,
                id,
                (form::CLIENT_ASSERTION_TYPE, jwt_bearer),
                (form::CLIENT_ASSERTION, &unsigned),
            ],
            401,
            700027,
        ),
        HostileCase {
            headers: vec![("authorization", format!("Basic {basic}"))],
            ..c("Basic credentials naming another client", &[cc, scope, id], 400, 9990013)
        },
        // Refresh tokens.
        c(
            "a refresh token the mock did not issue",
            &[
                id,
                secret,
                (form::GRANT_TYPE, "refresh_token"),
                (form::REFRESH_TOKEN, "not-a-refresh-token"),
                (form::SCOPE, user_scopes),
            ],
            400,
            70000,
        ),
    ]
}

/// The case with this name.
pub fn case(name: &str) -> Option<HostileCase> {
    catalogue().into_iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_code_is_in_the_catalogue() {
        let all = catalogue();
        let mut names: Vec<_> = all.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for c in &all {
            assert!(
                crate::Aadsts::ALL.iter().any(|a| {
                    let spec = a.spec();
                    (spec.code, spec.status.as_u16()) == (c.code, c.status)
                }),
                "{}: {} AADSTS{} is no entry of the AADSTS catalogue",
                c.name,
                c.status,
                c.code
            );
        }
        assert_eq!(case("no scope").map(|c| c.code), Some(900144));
        assert!(case("nothing of the sort").is_none());
    }
}
