//! `/_harness/*`: what tests and other processes use to look inside the
//! mock and steer it (journal, faults, clock). Not part of Entra's surface.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::faults::FaultRule;
use crate::state::MockState;

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid_request", "error_description": message})),
    )
        .into_response()
}

pub async fn get_journal(State(state): State<Arc<MockState>>) -> Response {
    let mut response = Json(state.journal.entries()).into_response();
    // The body stays a plain array (what every driver reads); how many
    // entries a full journal dropped rides in a header.
    response.headers_mut().insert(
        "x-journal-dropped",
        http::HeaderValue::from(state.journal.dropped()),
    );
    response
}

pub async fn clear_journal(State(state): State<Arc<MockState>>) -> Response {
    state.journal.clear();
    StatusCode::NO_CONTENT.into_response()
}

pub async fn get_faults(State(state): State<Arc<MockState>>) -> Response {
    Json(state.faults.pending()).into_response()
}

/// Takes one rule or an array of rules.
pub async fn post_faults(State(state): State<Arc<MockState>>, body: Bytes) -> Response {
    let rules = match FaultRule::parse_all(&body) {
        Ok(rules) => rules,
        Err(e) => return bad_request(format!("not a valid fault rule: {e}")),
    };
    for rule in rules {
        if let Err(e) = state.faults.push(rule) {
            return bad_request(e.to_string());
        }
    }
    (StatusCode::CREATED, Json(state.faults.pending())).into_response()
}

pub async fn clear_faults(State(state): State<Arc<MockState>>) -> Response {
    state.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    seconds: u64,
}

pub async fn advance_clock(State(state): State<Arc<MockState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Advance>(&body) {
        Ok(a) => {
            state.clock.advance(Duration::from_secs(a.seconds));
            Json(json!({"now": state.clock.unix()})).into_response()
        }
        Err(e) => bad_request(format!("expected {{\"seconds\": N}}: {e}")),
    }
}
