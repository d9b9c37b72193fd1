//! `/_harness/*`: what tests and other processes use to look inside the
//! mock and steer it (journal, faults, clock). Not part of Entra's surface.
//!
//! Whoever reaches it can read the journal, wipe it, queue refusals and
//! move the clock, so [`guard`] keeps it for the harness: a browser page on
//! another origin is refused (a foreign `Origin` or `Sec-Fetch-Site`, and
//! POST bodies must be `application/json`, which a page cannot send
//! cross-site without a CORS preflight the mock never grants), and with an
//! admin token every request must carry it as a bearer token.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::faults::FaultRule;
use crate::journal::{Journal, JournalQuery};
use crate::state::MockState;

/// The most admin request body read (fault rules are small).
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Journal entries serialised per chunk of a streamed `GET /_harness/journal`.
const CHUNK_ENTRIES: usize = 256;

fn refusal(status: StatusCode, error: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": message.into()})),
    )
        .into_response()
}

fn bad_request(message: String) -> Response {
    refusal(StatusCode::BAD_REQUEST, "invalid_request", message)
}

/// Refuses cross-site use and, with an admin token, requests without it.
pub async fn guard(State(state): State<Arc<MockState>>, request: Request, next: Next) -> Response {
    if let Some(why) = cross_site(&state, request.headers()) {
        return refusal(StatusCode::FORBIDDEN, "forbidden", why);
    }
    if let Some(expected) = &state.admin_token {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let ok = presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(expected.as_bytes())));
        if !ok {
            let mut r = refusal(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "The harness API needs 'Authorization: Bearer <admin token>' (the token given with --admin-token or FIC_ADMIN_TOKEN).",
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer realm=\"fic-harness\""),
            );
            return r;
        }
    }
    if request.method() == Method::POST && !is_json(request.headers()) {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "POST bodies to the harness API must be 'content-type: application/json'.",
        );
    }
    next.run(request).await
}

/// Why the request comes from a page on another origin, if it does.
fn cross_site(state: &MockState, headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let text = origin.to_str().unwrap_or_default();
        let own = url::Url::parse(text).is_ok_and(|u| state.is_own_origin(&u));
        if !own {
            return Some(format!(
                "The harness API refuses requests from another origin ('{text}')."
            ));
        }
    }
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    if !matches!(site, "same-origin" | "none") {
        return Some(format!(
            "The harness API refuses requests a browser marks '{site}'."
        ));
    }
    None
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

async fn read_json_body(state: &MockState, body: Body) -> Result<Bytes, Response> {
    crate::form::read_body(body, MAX_BODY_BYTES, state.timeouts.body)
        .await
        .map_err(|e| {
            let e = crate::EntraError::from(e);
            refusal(e.status, "invalid_request", e.message)
        })
}

/// `GET /_harness/journal[?after=SEQ][&limit=N][&client_id=…][&grant_type=…]`:
/// a JSON array of the selected entries, oldest first. It is streamed a
/// chunk at a time, so a full journal is never serialised in one piece.
/// `x-journal-last-seq` is the newest `seq` when the request arrived (page
/// on with `after`), `x-journal-dropped` how many a full journal dropped.
pub async fn get_journal(State(state): State<Arc<MockState>>, uri: http::Uri) -> Response {
    let query = match serde_urlencoded::from_str::<JournalQuery>(uri.query().unwrap_or_default()) {
        Ok(q) => q,
        Err(e) => {
            return bad_request(format!(
                "expected ?after=SEQ&limit=N&client_id=ID&grant_type=GRANT: {e}"
            ));
        }
    };
    let journal = state.journal.clone();
    let last_seq = journal.last_seq();
    let dropped = journal.dropped();
    let stream = futures::stream::unfold(Page::First(query, last_seq), move |page| {
        next_chunk(journal.clone(), page)
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert("x-journal-dropped", http::HeaderValue::from(dropped));
    headers.insert("x-journal-last-seq", http::HeaderValue::from(last_seq));
    response
}

/// Where a streamed journal response stands.
enum Page {
    First(JournalQuery, u64),
    Next(JournalQuery, u64),
    Done,
}

async fn next_chunk(journal: Journal, page: Page) -> Option<(Result<Bytes, std::io::Error>, Page)> {
    let (mut query, upto, first) = match page {
        Page::First(q, upto) => (q, upto, true),
        Page::Next(q, upto) => (q, upto, false),
        Page::Done => return None,
    };
    let mut chunk = Vec::with_capacity(64 * 1024);
    if first {
        chunk.push(b'[');
    }
    // Entries recorded after the request arrived belong to the next page.
    let entries: Vec<_> = journal
        .select(&query, CHUNK_ENTRIES)
        .into_iter()
        .filter(|e| e.seq <= upto)
        .collect();
    for (i, entry) in entries.iter().enumerate() {
        if !(first && i == 0) {
            chunk.push(b',');
        }
        if let Err(e) = serde_json::to_writer(&mut chunk, entry) {
            return Some((Err(std::io::Error::other(e)), Page::Done));
        }
    }
    let Some(last) = entries.last() else {
        chunk.push(b']');
        return Some((Ok(Bytes::from(chunk)), Page::Done));
    };
    query.after = last.seq;
    if let Some(limit) = query.limit.as_mut() {
        *limit -= entries.len();
        if *limit == 0 {
            chunk.push(b']');
            return Some((Ok(Bytes::from(chunk)), Page::Done));
        }
    }
    Some((Ok(Bytes::from(chunk)), Page::Next(query, upto)))
}

/// Drops every entry; `seq` keeps counting, so a wipe shows as a gap.
pub async fn clear_journal(State(state): State<Arc<MockState>>) -> Response {
    state.journal.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /_harness/faults`: the queued fault rules.
pub async fn get_faults(State(state): State<Arc<MockState>>) -> Response {
    Json(state.faults.pending()).into_response()
}

/// Takes one rule or an array of rules.
pub async fn post_faults(State(state): State<Arc<MockState>>, body: Body) -> Response {
    let body = match read_json_body(&state, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
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

/// `DELETE /_harness/faults`: drops every queued rule.
pub async fn clear_faults(State(state): State<Arc<MockState>>) -> Response {
    state.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
/// The body of `POST /_harness/clock/advance`.
pub struct Advance {
    seconds: u64,
}

/// `POST /_harness/clock/advance`: moves the mock's clock forward.
pub async fn advance_clock(State(state): State<Arc<MockState>>, body: Body) -> Response {
    let body = match read_json_body(&state, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    match serde_json::from_slice::<Advance>(&body) {
        Ok(a) => {
            state.clock.advance(Duration::from_secs(a.seconds));
            Json(json!({"now": state.clock.unix()})).into_response()
        }
        Err(e) => bad_request(format!("expected {{\"seconds\": N}}: {e}")),
    }
}

/// `POST /_harness/clock/reset`: the mock's clock back to the real time.
pub async fn reset_clock(State(state): State<Arc<MockState>>) -> Response {
    state.clock.reset();
    Json(json!({"now": state.clock.unix()})).into_response()
}
