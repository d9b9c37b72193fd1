//! Hostile raw token requests for `idp_validation.feature`. Refusing bad
//! requests is the IdP's behaviour, not a client's, so these bypass the
//! client under test and post straight to the mock over TLS (trusting only
//! its CA), with assertions signed here by the blueprint's fixture key.
//! The single requests come from the shared catalogue
//! (`mock_entra::hostile`, where each case's name is its step text); the
//! cases that need a token first, a signature for this mock's endpoint or a
//! clock move are built here.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cucumber::{then, when};
use fic_protocol::form;
use jsonwebtoken::{Algorithm, EncodingKey};
use mock_entra::MockEntra;
use mock_entra::fixtures::BOB;
use mock_entra::hostile::{self, HostileCase};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

use super::directory::{
    AGENT_A, AGENT_B, BLUEPRINT, BLUEPRINT_SECRET, DAEMON, DAEMON_SECRET, EXCHANGE_SCOPE, TENANT,
    USER_SCOPE,
};
use super::{jwt_claims, snapshot};
use crate::world::{FicWorld, RawReply, StepError, StepResult, check};

const JWT_BEARER: &str = fic_protocol::AssertionType::JWT_BEARER_URN;
const JWT_POP: &str = fic_protocol::AssertionType::JWT_POP_URN;
const USER_SCOPES: &str = "api://contoso-api/read openid profile offline_access";

/// Posts to the mock's token endpoint, or sends a catalogue case as written.
struct Poster<'a> {
    mock: &'a MockEntra,
    http: reqwest::Client,
}

fn failed(what: &str, e: impl std::fmt::Display) -> StepError {
    StepError::Check(format!("{what}: {e}"))
}

impl Poster<'_> {
    async fn form(&self, form: &[(&str, &str)]) -> Result<RawReply, StepError> {
        let r = self
            .http
            .post(self.mock.token_endpoint())
            .form(form)
            .send()
            .await;
        reply(r.map_err(|e| failed("posting to the mock", e))?).await
    }

    /// Sends a case of the hostile-request catalogue as it is written.
    async fn send(&self, case: &HostileCase) -> Result<RawReply, StepError> {
        let url = format!("{}{}", self.mock.base_url(), case.path);
        let mut request = self.http.request(case.method.clone(), url);
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in &case.headers {
            request = request.header(*name, value);
        }
        let r = request.body(case.body.clone()).send().await;
        reply(r.map_err(|e| failed("sending to the mock", e))?).await
    }

    /// Leg 1 with the blueprint's secret: T1 for `fmi_path`.
    async fn t1(&self, fmi_path: &str) -> Result<String, StepError> {
        let r = self
            .form(&[
                (form::GRANT_TYPE, "client_credentials"),
                (form::CLIENT_ID, BLUEPRINT.as_str()),
                (form::CLIENT_SECRET, BLUEPRINT_SECRET),
                (form::SCOPE, EXCHANGE_SCOPE),
                (form::FMI_PATH, fmi_path),
            ])
            .await?;
        access_token(r)
    }

    /// Leg 2: `agent` presents `t1`.
    async fn t2_reply(&self, agent: &str, t1: &str) -> Result<RawReply, StepError> {
        self.form(&[
            (form::GRANT_TYPE, "client_credentials"),
            (form::CLIENT_ID, agent),
            (form::CLIENT_ASSERTION_TYPE, JWT_BEARER),
            (form::CLIENT_ASSERTION, t1),
            (form::SCOPE, EXCHANGE_SCOPE),
        ])
        .await
    }

    /// Leg 3 for `agent` with `user` (field, value) and `scope`.
    async fn user_fic(
        &self,
        agent: &str,
        t1: &str,
        t2: &str,
        user: &[(&str, &str)],
        scope: &str,
    ) -> Result<RawReply, StepError> {
        let mut form = vec![
            (form::GRANT_TYPE, "user_fic"),
            (form::CLIENT_ID, agent),
            (form::CLIENT_ASSERTION_TYPE, JWT_BEARER),
            (form::CLIENT_ASSERTION, t1),
            (form::SCOPE, scope),
            (form::CLIENT_INFO, "1"),
        ];
        if !t2.is_empty() {
            form.push((form::USER_FEDERATED_IDENTITY_CREDENTIAL, t2));
        }
        form.extend_from_slice(user);
        self.form(&form).await
    }

    /// client_credentials as the blueprint with a certificate assertion
    /// whose claims/header are changed by `overrides`.
    async fn with_assertion(&self, overrides: Value) -> Result<RawReply, StepError> {
        let a = blueprint_assertion(&self.mock.token_endpoint(), overrides)?;
        self.form(&[
            (form::GRANT_TYPE, "client_credentials"),
            (form::CLIENT_ID, BLUEPRINT.as_str()),
            (form::CLIENT_ASSERTION_TYPE, JWT_BEARER),
            (form::CLIENT_ASSERTION, &a),
            (form::SCOPE, EXCHANGE_SCOPE),
        ])
        .await
    }
}

async fn reply(r: reqwest::Response) -> Result<RawReply, StepError> {
    let status = r.status().as_u16();
    let text = r.text().await.map_err(|e| failed("reading the reply", e))?;
    let body = serde_json::from_str(&text).map_err(|_| {
        StepError::Check(format!(
            "the mock answered {status} with non-JSON: {text:.200}"
        ))
    })?;
    Ok(RawReply { status, body })
}

fn access_token(r: RawReply) -> Result<String, StepError> {
    r.body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| StepError::Check(format!("expected a token, got {} {}", r.status, r.body)))
}

fn refresh_token(r: RawReply) -> Result<String, StepError> {
    r.body["refresh_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            StepError::Check(format!(
                "expected a refresh token, got {} {}",
                r.status, r.body
            ))
        })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

const BLUEPRINT_CERT: &str = include_str!("../../../../fixtures/certs/blueprint.crt");
const BLUEPRINT_KEY: &str = include_str!("../../../../fixtures/certs/blueprint.key");

/// A blueprint certificate assertion as MSAL ports make them (PS256,
/// `x5t#S256`, `x5c`); `overrides` replaces claims (null removes) and may
/// carry `"_header"` fields.
fn blueprint_assertion(aud: &str, overrides: Value) -> Result<String, StepError> {
    let der = CertificateDer::from_pem_slice(BLUEPRINT_CERT.as_bytes())
        .map_err(|e| failed("blueprint certificate", e))?;
    let mut header = json!({
        "alg": "PS256", "typ": "JWT",
        "x5t#S256": fic_protocol::thumbprint::x5t_s256(&der),
        "x5c": [STANDARD.encode(&der)],
    });
    let t = now();
    let mut claims = json!({
        "aud": aud, "iss": BLUEPRINT.as_str(), "sub": BLUEPRINT.as_str(),
        "exp": t + 600, "nbf": t, "iat": t, "jti": uuid::Uuid::new_v4().to_string(),
    });
    for (k, v) in overrides.as_object().into_iter().flatten() {
        let target = if k == "_header" {
            &mut header
        } else {
            &mut claims
        };
        let fields: Vec<(String, Value)> = if k == "_header" {
            v.as_object()
                .into_iter()
                .flatten()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect()
        } else {
            vec![(k.clone(), v.clone())]
        };
        for (field, value) in fields {
            match value {
                Value::Null => {
                    target.as_object_mut().map(|m| m.remove(&field));
                }
                v => target[field] = v,
            }
        }
    }
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = EncodingKey::from_rsa_pem(BLUEPRINT_KEY.as_bytes())
        .map_err(|e| failed("blueprint key", e))?;
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::PS256)
        .map_err(|e| failed("signing", e))?;
    Ok(format!("{input}.{sig}"))
}

/// Builds and posts the named hostile request; returns the mock's answer
/// to the last request it took.
async fn post_case(p: &Poster<'_>, case: &str) -> Result<RawReply, StepError> {
    let cc = (form::GRANT_TYPE, "client_credentials");
    let scope = (form::SCOPE, EXCHANGE_SCOPE);
    if let Some(case) = hostile::case(case) {
        return p.send(&case).await;
    }
    Ok(match case {
        "an assertion for another audience" => {
            p.with_assertion(
                json!({"aud": "https://login.microsoftonline.com/x/oauth2/v2.0/token"}),
            )
            .await?
        }
        "an assertion issued by another app" => p.with_assertion(json!({"iss": AGENT_A})).await?,
        "an expired assertion" => p.with_assertion(json!({"exp": now() - 3600})).await?,
        "an assertion not valid yet" => p.with_assertion(json!({"nbf": now() + 3600})).await?,
        "an assertion valid for three days" => {
            p.with_assertion(json!({"exp": now() + 3 * 86400})).await?
        }
        "an assertion without jti" => p.with_assertion(json!({"jti": null})).await?,
        "an assertion with an unknown thumbprint" => {
            p.with_assertion(json!({"_header": {"x5t#S256": "AAAA"}}))
                .await?
        }
        "a reused jti in a different assertion" => {
            let jti = uuid::Uuid::new_v4().to_string();
            access_token(p.with_assertion(json!({"jti": jti})).await?)?;
            p.with_assertion(json!({"jti": jti, "exp": now() + 500}))
                .await?
        }
        "a jwt-pop assertion without a client certificate" => {
            let a = blueprint_assertion(&p.mock.token_endpoint(), json!({}))?;
            p.form(&[
                cc,
                scope,
                (form::CLIENT_ID, BLUEPRINT.as_str()),
                (form::CLIENT_ASSERTION_TYPE, JWT_POP),
                (form::CLIENT_ASSERTION, &a),
            ])
            .await?
        }
        "T1 for agent A presented by agent B" => {
            let t1 = p.t1(AGENT_A.as_str()).await?;
            p.t2_reply(AGENT_B.as_str(), &t1).await?
        }
        "T1 presented by an app without federated credentials" => {
            let t1 = p.t1(AGENT_A.as_str()).await?;
            p.t2_reply(DAEMON.as_str(), &t1).await?
        }
        "T1 re-signed for another audience" => {
            let mut claims = jwt_claims(&p.t1(AGENT_A.as_str()).await?)?;
            claims["aud"] = json!("api://something-else");
            p.t2_reply(AGENT_A.as_str(), &p.mock.sign_token(&claims))
                .await?
        }
        // Federated identity records match the issuer exactly (case
        // included); the mock still recognises the issuer as its own and
        // verifies the signature, so only the record match can fail.
        "T1 re-signed with its issuer's tenant id in upper case" => {
            let mut claims = jwt_claims(&p.t1(AGENT_A.as_str()).await?)?;
            let iss = claims["iss"].as_str().unwrap_or_default();
            claims["iss"] = json!(iss.replace(TENANT.as_str(), &TENANT.to_uppercase()));
            p.t2_reply(AGENT_A.as_str(), &p.mock.sign_token(&claims))
                .await?
        }
        "a user token presented as T1" => {
            let mut claims = jwt_claims(&p.t1(AGENT_A.as_str()).await?)?;
            claims["idtyp"] = json!("user");
            p.t2_reply(AGENT_A.as_str(), &p.mock.sign_token(&claims))
                .await?
        }
        "T1 with a forged signature" => {
            let t1 = p.t1(AGENT_A.as_str()).await?;
            let forged = format!(
                "{}.c2lnbmF0dXJl",
                t1.rsplit_once('.').map_or("", |(h, _)| h)
            );
            p.t2_reply(AGENT_A.as_str(), &forged).await?
        }
        "an expired T1" => {
            let t1 = p.t1(AGENT_A.as_str()).await?;
            p.mock.clock().advance(Duration::from_secs(2 * 3600));
            p.t2_reply(AGENT_A.as_str(), &t1).await?
        }
        user_case => {
            let t1 = p.t1(AGENT_A.as_str()).await?;
            let t2 = access_token(p.t2_reply(AGENT_A.as_str(), &t1).await?)?;
            let bob = [(form::USERNAME, "bob@contoso.com")];
            match user_case {
                "a user_fic for an unknown user" => {
                    p.user_fic(
                        AGENT_A.as_str(),
                        &t1,
                        &t2,
                        &[(form::USERNAME, "mallory@contoso.com")],
                        USER_SCOPES,
                    )
                    .await?
                }
                "a user_fic without openid" => {
                    p.user_fic(AGENT_A.as_str(), &t1, &t2, &bob, USER_SCOPE)
                        .await?
                }
                "a user_fic for an undefined scope" => {
                    p.user_fic(
                        AGENT_A.as_str(),
                        &t1,
                        &t2,
                        &bob,
                        "api://contoso-api/admin openid",
                    )
                    .await?
                }
                "a user_fic with both username and user_id" => {
                    let both = [
                        (form::USERNAME, "bob@contoso.com"),
                        (form::USER_ID, BOB.as_str()),
                    ];
                    p.user_fic(AGENT_A.as_str(), &t1, &t2, &both, USER_SCOPES)
                        .await?
                }
                "a user_fic without a user credential" => {
                    p.user_fic(AGENT_A.as_str(), &t1, "", &bob, USER_SCOPES)
                        .await?
                }
                "a user_fic with T2 of another agent" => {
                    let t1_b = p.t1(AGENT_B.as_str()).await?;
                    p.user_fic(AGENT_B.as_str(), &t1_b, &t2, &bob, USER_SCOPES)
                        .await?
                }
                "a user_fic with T1 as the user credential" => {
                    p.user_fic(AGENT_A.as_str(), &t1, &t1, &bob, USER_SCOPES)
                        .await?
                }
                "a user_fic with an expired T2" => {
                    p.mock.clock().advance(Duration::from_secs(3 * 3600));
                    let fresh_t1 = p.t1(AGENT_A.as_str()).await?;
                    p.user_fic(AGENT_A.as_str(), &fresh_t1, &t2, &bob, USER_SCOPES)
                        .await?
                }
                "a T2 re-signed for another audience" => {
                    let mut claims = jwt_claims(&t2)?;
                    claims["aud"] = json!("api://contoso-api");
                    let t2 = p.mock.sign_token(&claims);
                    p.user_fic(AGENT_A.as_str(), &t1, &t2, &bob, USER_SCOPES)
                        .await?
                }
                "a refresh token of another client" => {
                    let rt = refresh_token(
                        p.user_fic(AGENT_A.as_str(), &t1, &t2, &bob, USER_SCOPES)
                            .await?,
                    )?;
                    let form = [
                        (form::GRANT_TYPE, "refresh_token"),
                        (form::CLIENT_ID, DAEMON.as_str()),
                        (form::CLIENT_SECRET, DAEMON_SECRET),
                        (form::REFRESH_TOKEN, rt.as_str()),
                        (form::SCOPE, USER_SCOPES),
                    ];
                    p.form(&form).await?
                }
                "an expired refresh token" => {
                    let rt = refresh_token(
                        p.user_fic(AGENT_A.as_str(), &t1, &t2, &bob, USER_SCOPES)
                            .await?,
                    )?;
                    p.mock.clock().advance(Duration::from_secs(91 * 86400));
                    let fresh_t1 = p.t1(AGENT_A.as_str()).await?;
                    let form = [
                        (form::GRANT_TYPE, "refresh_token"),
                        (form::CLIENT_ID, AGENT_A.as_str()),
                        (form::CLIENT_ASSERTION_TYPE, JWT_BEARER),
                        (form::CLIENT_ASSERTION, fresh_t1.as_str()),
                        (form::REFRESH_TOKEN, rt.as_str()),
                        (form::SCOPE, USER_SCOPES),
                    ];
                    p.form(&form).await?
                }
                "a user_fic with a forged T2" => {
                    let forged = format!(
                        "{}.c2lnbmF0dXJl",
                        t2.rsplit_once('.').map_or("", |(h, _)| h)
                    );
                    p.user_fic(AGENT_A.as_str(), &t1, &forged, &bob, USER_SCOPES)
                        .await?
                }
                other => {
                    return Err(StepError::Check(format!(
                        "no hostile request is called {other:?}"
                    )));
                }
            }
        }
    })
}

#[when(regex = r"^a raw token request is posted with (.+)$")]
async fn post_raw(w: &mut FicWorld, case: String) -> StepResult {
    let mock = w.mock().await?;
    let ca = reqwest::Certificate::from_pem(mock.ca_cert_pem().as_bytes())
        .map_err(|e| failed("the mock's CA", e))?;
    let http = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .map_err(|e| failed("HTTP client", e))?;
    let reply = post_case(&Poster { mock, http }, &case).await?;
    w.last_raw = Some(reply);
    Ok(())
}

#[then(regex = r"^the mock refuses it with AADSTS(\d+) and status (\d+)$")]
async fn raw_refused(w: &mut FicWorld, code: u32, status: u16) -> StepResult {
    let r = w
        .last_raw
        .as_ref()
        .ok_or_else(|| StepError::Check("no raw request was posted".into()))?;
    let codes = &r.body["error_codes"];
    let description = r.body["error_description"].as_str().unwrap_or_default();
    check(
        r.status == status && codes.get(0).and_then(Value::as_u64) == Some(code.into()),
        || format!("the mock answered {} {}", r.status, r.body),
    )?;
    check(description.starts_with(&format!("AADSTS{code}: ")), || {
        format!("the description does not start with AADSTS{code}: {description:?}")
    })
}

#[then("the refusal body matches the snapshot")]
async fn raw_snapshot(w: &mut FicWorld) -> StepResult {
    let body = w
        .last_raw
        .as_ref()
        .ok_or_else(|| StepError::Check("no raw request was posted".into()))?
        .body
        .clone();
    let base = w.mock().await?.base_url();
    let value = snapshot::redact_error_body(&body, &base);
    snapshot::assert_json(w, "error_body", &value)
}
