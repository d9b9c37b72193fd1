//! `Then` steps about refusals: the client's own (before sending anything)
//! and the IdP's (Entra-shaped errors), and the snapshots of what the IdP
//! saw and answered.

use cucumber::then;
use serde_json::json;

use super::snapshot;
use crate::driver_protocol::{DriverError, ErrorKind};
use crate::world::{FicWorld, StepError, StepResult, check};

fn last_error(w: &FicWorld) -> Result<DriverError, StepError> {
    let reply = w
        .last
        .as_ref()
        .ok_or_else(|| StepError::Check("nothing was acquired yet".into()))?;
    match (&reply.error, reply.ok) {
        (Some(e), false) => Ok(e.clone()),
        _ => Err(StepError::Check(format!(
            "the client succeeded where a refusal was expected: {}",
            serde_json::Value::Object(reply.body.clone())
        ))),
    }
}

#[then("the client refused before sending anything")]
async fn client_refused(w: &mut FicWorld) -> StepResult {
    let e = last_error(w)?;
    check(e.kind == ErrorKind::Client, || {
        format!("expected a client-side refusal, got {e}")
    })?;
    let (before, now) = (w.journal_before_last, w.journal().len());
    check(before == now, || {
        format!(
            "the client refused but {} request(s) reached the IdP",
            now - before
        )
    })
}

/// The client reports the IdP's refusal, and the journal shows the IdP
/// really answered it (so a client cannot fake it).
#[then(regex = r"^the refusal is AADSTS(\d+) with status (\d+)$")]
async fn refusal(w: &mut FicWorld, code: u32, status: u16) -> StepResult {
    let e = last_error(w)?;
    check(e.kind == ErrorKind::Service, || {
        format!("expected the IdP's refusal, got {e}")
    })?;
    check(e.error_codes.contains(&code), || {
        format!(
            "the client reports AADSTS codes {:?}, expected {code}: {}",
            e.error_codes, e.message
        )
    })?;
    // Some ports (MSAL Python) do not expose the status; when reported it must match.
    check(e.status.is_none_or(|s| s == status), || {
        format!(
            "the client reports status {}, expected {status}",
            e.status
                .map_or_else(|| "(absent)".to_owned(), |s| s.to_string())
        )
    })?;
    let last = w.journal().pop();
    let outcome = last.as_ref().map(|e| (e.outcome.status, e.outcome.aadsts));
    check(outcome == Some((status, Some(code))), || match outcome {
        None => "the journal is empty".to_owned(),
        Some((status, code)) => format!(
            "the last journaled request ended with status {status}, {}",
            code.map_or_else(|| "no AADSTS code".to_owned(), |c| format!("AADSTS{c}"))
        ),
    })
}

/// The client's report of the refusal, as the port words it.
#[then("the client's refusal matches the snapshot")]
async fn refusal_snapshot(w: &mut FicWorld) -> StepResult {
    let e = last_error(w)?;
    let base = w.mock().await?.base_url();
    let value = json!({
        "kind": e.kind,
        "error": e.error,
        "error_codes": e.error_codes,
        "status": e.status,
        "message": snapshot::redact_description(&e.message),
    });
    let value = snapshot::without_port(&value, &base);
    snapshot::assert_json(w, "refusal", &value)
}

/// Every token request of the scenario as the IdP saw it.
#[then("the token request bodies match the snapshot")]
async fn bodies_snapshot(w: &mut FicWorld) -> StepResult {
    let base = w.mock().await?.base_url();
    let view: Vec<_> = w
        .journal()
        .iter()
        .map(|e| snapshot::request_view(e, &base))
        .collect();
    snapshot::assert_json(w, "requests", &json!(view))
}
