//! `POST /{tenant}/oauth2/v2.0/token`: read the request once
//! ([`Received`]), answer it (a queued fault, else tenant, grant, client
//! authentication and the grant itself), then journal the request with its
//! outcome.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, Uri};
use serde_json::Value;

use fic_protocol::{GrantType, form};

use crate::client_auth;
use crate::connection::ConnInfo;
use crate::directory::Tenant;
use crate::entra_error::EntraError;
use crate::grants::{self, GrantContext};
use crate::impersonation::Origin;
use crate::journal::{DecodedJwt, JournalEntry, Outcome};
use crate::redaction;
use crate::refusal::Refusal;
use crate::state::MockState;
use crate::token_request::{Received, RequestHead, TokenRequest};

// An axum handler takes one argument per extractor.
#[allow(clippy::too_many_arguments)]
/// `POST /{tenant}/oauth2/v2.0/token`: reads the request strictly,
/// applies any fault, authenticates the client and runs the grant, and
/// journals the request with its outcome; every refusal is Entra-shaped.
pub async fn token(
    State(state): State<Arc<MockState>>,
    Path(tenant_segment): Path<String>,
    axum::Extension(conn): axum::Extension<ConnInfo>,
    origin: Origin,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let head = RequestHead::new(method, &uri, headers, tenant_segment, origin, conn);
    let received = Received::read(head, body, state.timeouts.body).await;
    let tenant = state.directory.tenant(&received.head.tenant_segment);
    let answer = match &received.request {
        Ok(request) => answer(&state, tenant, request).await,
        Err(refusal) => Answer::refused(refusal.clone()),
    };
    let entry = journal_entry(&received, tenant, &answer);
    log(&state, &entry);
    state.journal.record(entry);
    match answer.result {
        Ok(body) => {
            let mut response = Json(body).into_response();
            response.headers_mut().insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store, no-cache"),
            );
            response
        }
        Err(error) => error.into_response_with(
            &state.base_url_at(origin),
            received.head.correlation_id(),
            state.clock.now(),
        ),
    }
}

/// How a request was answered: the token response or the refusal, and
/// whether a queued fault answered it.
struct Answer {
    result: Result<Value, EntraError>,
    injected: bool,
}

impl Answer {
    fn refused(refusal: Refusal) -> Answer {
        Answer {
            result: Err(refusal.into()),
            injected: false,
        }
    }
}

/// A queued fault first (it may delay, then refuse or let the request
/// through), then the request itself.
async fn answer(state: &MockState, tenant: Option<&Tenant>, request: &TokenRequest) -> Answer {
    let grant_type = request.grant_type.as_ref().map(GrantType::as_str);
    let client_id = request.client.named_client_id();
    if let Some(fault) = state.faults.take(grant_type, client_id.as_deref()) {
        if !fault.delay.is_zero() {
            tracing::info!(delay_ms = fault.delay.as_millis() as u64, "injected delay");
            tokio::time::sleep(fault.delay).await;
        }
        if let Some(response) = fault.response {
            return Answer {
                result: Err(response),
                injected: true,
            };
        }
    }
    Answer {
        result: serve(state, tenant, request).map_err(EntraError::from),
        injected: false,
    }
}

/// The tenant, the grant, the client, then the grant's own rules.
fn serve(
    state: &MockState,
    tenant: Option<&Tenant>,
    request: &TokenRequest,
) -> Result<Value, Refusal> {
    let Some(tenant) = tenant else {
        let segment = request.tenant_segment.clone();
        // `common` and its kin have a discovery document (clients read it)
        // but name no tenant, and every app here belongs to one.
        let multi_tenant = crate::discovery::MULTI_TENANT
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&segment));
        return Err(if multi_tenant {
            Refusal::NoTenantNamed { segment }
        } else {
            Refusal::UnknownTenant { segment }
        });
    };
    let grant = request
        .grant_type
        .as_ref()
        .ok_or(Refusal::MissingParameter {
            parameter: form::GRANT_TYPE,
        })?;
    type Grant = fn(&GrantContext<'_, '_>) -> Result<Value, Refusal>;
    let run: Grant = match grant {
        GrantType::ClientCredentials => grants::client_credentials,
        GrantType::UserFic => grants::user_fic,
        GrantType::RefreshToken => grants::refresh_token,
        GrantType::Other(other) => {
            return Err(Refusal::UnsupportedGrant {
                grant_type: other.clone(),
            });
        }
    };
    let client = client_auth::authenticate(state, tenant, request)?;
    run(&GrantContext {
        state,
        tenant,
        request,
        client,
    })
}

/// The journal's record of a request: what was read of it (secrets
/// fingerprinted) and how it was answered. Who the request claims to be
/// from is known once its headers were read; the credential it presents is
/// decoded when its tenant is known.
fn journal_entry(received: &Received, tenant: Option<&Tenant>, answer: &Answer) -> JournalEntry {
    let head = &received.head;
    let request = received.request.as_ref().ok();
    let presented = request
        .filter(|_| tenant.is_some())
        .map(|r| client_auth::presented(&r.client));
    let outcome = match &answer.result {
        Ok(_) => Outcome {
            status: 200,
            error: None,
            aadsts: None,
            injected: answer.injected,
        },
        Err(error) => Outcome {
            status: error.status.as_u16(),
            error: Some(error.error.clone()),
            aadsts: Some(error.code),
            injected: answer.injected,
        },
    };
    JournalEntry {
        seq: 0,
        method: head.method.to_string(),
        path: head.path.clone(),
        query: redaction::parameters(&head.query),
        headers: redaction::headers(&head.headers),
        form: received
            .form
            .as_ref()
            .map(redaction::parameters)
            .unwrap_or_default(),
        grant_type: received.grant_type().map(str::to_owned),
        client_id: request.and_then(|r| r.client.named_client_id()),
        client_auth: presented
            .as_ref()
            .map(|p| p.method.map_or("none", |m| m.as_str()).to_owned()),
        assertion: presented.and_then(|p| p.assertion).map(|jwt| DecodedJwt {
            header: Value::Object(jwt.header),
            claims: Value::Object(jwt.claims),
        }),
        tls_client_cert_x5t_s256: head.tls.client_cert_x5t_s256.clone(),
        outcome,
    }
}

/// One log line per request: issued tokens at debug (a CI run issues
/// thousands, and the journal already holds each one), refusals at info.
fn log(state: &MockState, entry: &JournalEntry) {
    let or_dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".into());
    let (grant, client) = (or_dash(&entry.grant_type), or_dash(&entry.client_id));
    let status = entry.outcome.status;
    match entry.outcome.aadsts {
        None => {
            tracing::debug!(seq = state.journal.len() + 1, %grant, %client, "token issued")
        }
        Some(code) if entry.outcome.injected => {
            tracing::info!(%grant, %client, status, code, "injected fault answered")
        }
        Some(code) => tracing::info!(%grant, %client, status, code, "token refused"),
    }
}
