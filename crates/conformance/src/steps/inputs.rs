//! Inputs an application may get wrong or use rarely: blank, null and
//! non-string fmi paths, user_fic without a user, reserved scopes, and the
//! request options some ports offer (force refresh, claims). The `When`
//! steps hand the port exactly what the application would; the `Then`
//! steps read the client's answer and the mock's journal.

use cucumber::{then, when};
use serde_json::{Value, json};

use super::directory::{self, EXCHANGE_SCOPE, USER_SCOPE};
use super::snapshot;
use crate::driver_protocol::{AcquireByUserFic, AcquireForClient, Command, TokenReply};
use crate::world::{FicWorld, StepError, StepResult, check};

/// The scopes a user flow adds itself (docs/protocol.md §1, Leg 3).
const RESERVED_SCOPES: [&str; 3] = fic_protocol::OIDC_SCOPES;

/// A tenant the directory does not hold: a request sent there shows the
/// override in its path, and the mock refuses it (unknown tenant).
pub const OTHER_TENANT: &str = "20c419d4-4a50-45b2-aa4e-919fb84df24f";

/// The claims request of the claims rows: a conditional-access challenge.
pub const CLAIMS_REQUEST: &str = r#"{"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#;

#[when(regex = r"^(the blueprint) acquires an app token for (an empty|a null|a numeric) fmi path$")]
async fn acquire_odd_fmi_path(w: &mut FicWorld, app: String, which: String) -> StepResult {
    let (fmi_path, fmi_path_value) = match which.as_str() {
        "an empty" => (Some(String::new()), None),
        "a null" => (None, Some(Value::Null)),
        _ => (None, Some(json!(42))),
    };
    let command = Command::AcquireForClient(AcquireForClient {
        app: directory::app_name(&app)?.to_owned(),
        scopes: vec![EXCHANGE_SCOPE.to_owned()],
        fmi_path,
        mtls_pop: false,
        fmi_path_value,
    });
    w.acquire(command).await
}

#[when(regex = r"^(agent [AB]) acquires a user token with (T\d+) for no user$")]
async fn acquire_for_no_user(w: &mut FicWorld, app: String, token: String) -> StepResult {
    let command = Command::AcquireByUserFic(AcquireByUserFic {
        app: directory::app_name(&app)?.to_owned(),
        scopes: vec![USER_SCOPE.to_owned()],
        assertion: w.token(&token)?,
        username: None,
        user_id: None,
        force_refresh: false,
        claims: None,
        tenant: None,
    });
    w.acquire(command).await
}

#[when(
    regex = r#"^(agent [AB]) acquires a user token with (T\d+) for "([^"]*)" (passing the reserved scopes itself|with force refresh|with a claims request|with a tenant override)$"#
)]
async fn acquire_user_token_with(
    w: &mut FicWorld,
    app: String,
    token: String,
    upn: String,
    with: String,
) -> StepResult {
    let mut scopes = vec![USER_SCOPE.to_owned()];
    if with.starts_with("passing") {
        scopes.extend(RESERVED_SCOPES.iter().map(|s| (*s).to_owned()));
    }
    let command = Command::AcquireByUserFic(AcquireByUserFic {
        app: directory::app_name(&app)?.to_owned(),
        scopes,
        assertion: w.token(&token)?,
        username: Some(upn),
        user_id: None,
        force_refresh: with == "with force refresh",
        claims: (with == "with a claims request").then(|| CLAIMS_REQUEST.to_owned()),
        tenant: (with == "with a tenant override").then(|| OTHER_TENANT.to_owned()),
    });
    w.acquire(command).await
}

/// What the client answered to the last acquisition, as a snapshot taken
/// before any check: its error (kind and words), or where its token came
/// from. Rows whose ports disagree keep each port's answer on record.
#[then("the client's answer matches the snapshot")]
async fn answer_snapshot(w: &mut FicWorld) -> StepResult {
    let reply = w
        .last
        .clone()
        .ok_or_else(|| StepError::Check("nothing was acquired yet".into()))?;
    let base = w.mock().await?.base_url();
    let value = match (&reply.error, reply.ok) {
        (Some(e), false) => json!({
            "refused": {
                "kind": e.kind,
                "error": e.error,
                "error_codes": e.error_codes,
                "status": e.status,
                "message": snapshot::redact_description(&e.message),
            }
        }),
        _ => {
            let token = serde_json::from_value::<TokenReply>(Value::Object(reply.body.clone()))
                .map_err(|e| StepError::Check(format!("the reply carries no token ({e})")))?
                .token;
            json!({ "token": { "source": token.source, "token_type": token.token_type } })
        }
    };
    let value = snapshot::without_port(&value, &base);
    snapshot::assert_json(w, "answer", &value)
}

#[then(regex = r#"^the client's refusal says "([^"]+)"$"#)]
async fn refusal_says(w: &mut FicWorld, text: String) -> StepResult {
    let reply = w
        .last
        .as_ref()
        .ok_or_else(|| StepError::Check("nothing was acquired yet".into()))?;
    let message = reply.error.as_ref().map(|e| e.message.clone());
    check(
        message.as_deref().is_some_and(|m| m.contains(&text)),
        || format!("the client's refusal does not say {text:?}: {message:?}"),
    )
}

#[then(regex = r"^no request reached the IdP with an fmi_path$")]
async fn no_fmi_path_sent(w: &mut FicWorld) -> StepResult {
    let sent: Vec<_> = w
        .journal()
        .into_iter()
        .filter_map(|e| e.form.get(fic_protocol::form::FMI_PATH).cloned())
        .collect();
    check(sent.is_empty(), || {
        format!("requests carried fmi_path values {sent:?}")
    })
}

#[then(regex = r"^the last request went to the overriding tenant's token endpoint$")]
async fn tenant_path(w: &mut FicWorld) -> StepResult {
    let last = w
        .journal()
        .pop()
        .ok_or_else(|| StepError::Check("no request reached the IdP".into()))?;
    let want = format!("/{OTHER_TENANT}/oauth2/v2.0/token");
    check(last.path == want, || {
        format!(
            "the last request went to {:?}, expected {want:?}",
            last.path
        )
    })
}

/// A set comparison would hide a scope sent twice.
#[then(regex = r#"^the last request's scope named each of "([^"]*)" exactly once$"#)]
async fn scope_once(w: &mut FicWorld, scopes: String) -> StepResult {
    let last = w
        .journal()
        .pop()
        .ok_or_else(|| StepError::Check("no request reached the IdP".into()))?;
    let sent = last
        .form
        .get(fic_protocol::form::SCOPE)
        .cloned()
        .unwrap_or_default();
    let mut got: Vec<&str> = sent.split(' ').collect();
    let mut want: Vec<&str> = scopes.split(' ').collect();
    got.sort_unstable();
    want.sort_unstable();
    check(got == want, || {
        format!("the last request's scope was {sent:?}, expected each of {want:?} once")
    })
}

/// Ports re-serialize the claims request and may merge claims of their own
/// into it (msal-node adds `id_token` members), so it is compared as JSON:
/// every member the application asked for must be there, unchanged.
#[then(regex = r#"^the last request's "claims" included the claims request$"#)]
async fn claims_sent(w: &mut FicWorld) -> StepResult {
    let last = w
        .journal()
        .pop()
        .ok_or_else(|| StepError::Check("no request reached the IdP".into()))?;
    let sent = last.form.get("claims").cloned();
    let parsed: Option<Value> = sent.as_deref().and_then(|s| serde_json::from_str(s).ok());
    let want: Value = serde_json::from_str(CLAIMS_REQUEST).expect("the claims request is JSON");
    check(parsed.as_ref().is_some_and(|p| includes(p, &want)), || {
        format!("the last request's claims was {sent:?}, expected it to include {CLAIMS_REQUEST}")
    })
}

/// `outer` holds every member of `inner`, recursively.
fn includes(outer: &Value, inner: &Value) -> bool {
    match (outer, inner) {
        (Value::Object(o), Value::Object(i)) => i
            .iter()
            .all(|(k, v)| o.get(k).is_some_and(|ov| includes(ov, v))),
        _ => outer == inner,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claims_request_with_extra_members_still_includes_the_asked_ones() {
        let asked: Value = serde_json::from_str(CLAIMS_REQUEST).unwrap();
        let merged = json!({"access_token": {"acrs": {"essential": true, "value": "c1"}}, "id_token": {"x": 1}});
        assert!(includes(&merged, &asked));
        let changed = json!({"access_token": {"acrs": {"essential": false, "value": "c1"}}});
        assert!(!includes(&changed, &asked));
    }
}
