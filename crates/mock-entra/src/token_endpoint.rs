//! `POST /{tenant}/oauth2/v2.0/token`: read the request strictly, apply any
//! queued fault, authenticate the client, run the grant, journal it all.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, Method, Uri};
use serde_json::Value;

use fic_protocol::{GrantType, form};

use crate::aadsts::Aadsts;
use crate::client_auth::{self, AuthInput};
use crate::directory::Tenant;
use crate::entra_error::EntraError;
use crate::form::{MAX_BODY_BYTES, is_form_content_type, parse_form, parse_query, read_body};
use crate::grants::{self, GrantContext};
use crate::impersonation::Origin;
use crate::journal::{DecodedJwt, JournalEntry, Outcome};
use crate::redaction;
use crate::server::ConnInfo;
use crate::state::MockState;

// An axum handler takes one argument per extractor.
#[allow(clippy::too_many_arguments)]
/// `POST /{tenant}/oauth2/v2.0/token`: reads the request strictly,
/// journals it, applies any fault, authenticates the client and runs the
/// grant; every refusal is Entra-shaped.
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
    let mut entry = JournalEntry {
        seq: 0,
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: redaction::parameters(&parse_query(uri.query())),
        headers: redaction::headers(&headers),
        form: BTreeMap::new(),
        grant_type: None,
        client_id: None,
        client_auth: None,
        assertion: None,
        tls_client_cert_x5t_s256: conn.client_cert_x5t_s256.clone(),
        outcome: Outcome {
            status: 200,
            error: None,
            aadsts: None,
            injected: false,
        },
    };
    let correlation = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| entry.query.get("client-request-id").cloned());

    let result = async {
        let bytes = read_body(body, MAX_BODY_BYTES, state.timeouts.body).await?;
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !is_form_content_type(content_type) {
            return Err(EntraError::new(
                Aadsts::UnsupportedContentType,
                format!("Got '{}'.", content_type.unwrap_or("(none)")),
            ));
        }
        let form = parse_form(&bytes)?;
        entry.form = redaction::parameters(&form);
        entry.grant_type = form.get(form::GRANT_TYPE).cloned();
        let request = Request {
            tenant_segment: &tenant_segment,
            conn: &conn,
            origin,
            headers: &headers,
        };
        process(&state, &request, &form, &mut entry).await
    }
    .await;

    match result {
        Ok(body) => {
            // Per token at debug: a CI run issues thousands, and the journal
            // already holds each one; refusals stay at info.
            tracing::debug!(seq = state.journal.len() + 1, grant = %or_dash(&entry.grant_type), client = %or_dash(&entry.client_id), "token issued");
            state.journal.record(entry);
            let mut response = Json(body).into_response();
            response.headers_mut().insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store, no-cache"),
            );
            response
        }
        Err(error) => {
            entry.outcome.status = error.status.as_u16();
            entry.outcome.error = Some(error.error.clone());
            entry.outcome.aadsts = Some(error.code);
            let (grant, client) = (or_dash(&entry.grant_type), or_dash(&entry.client_id));
            let status = error.status.as_u16();
            if entry.outcome.injected {
                tracing::info!(%grant, %client, status, code = error.code, "injected fault answered");
            } else {
                tracing::info!(%grant, %client, status, code = error.code, "token refused");
            }
            state.journal.record(entry);
            error.into_response_with(
                &state.base_url_at(origin),
                correlation.as_deref(),
                state.clock.now(),
            )
        }
    }
}

/// A log field's value: the text, or `-` when the request did not say.
fn or_dash(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("-")
}

async fn process(
    state: &MockState,
    request: &Request<'_>,
    form: &BTreeMap<String, String>,
    entry: &mut JournalEntry,
) -> Result<Value, EntraError> {
    let Request {
        tenant_segment,
        conn,
        origin,
        headers,
    } = *request;
    let basic = basic_credentials(headers)?;
    let tenant: Option<&Tenant> = state.directory.tenant(tenant_segment);
    // The journal learns who claims to be asking even when the tenant is wrong.
    let claimed = tenant.map(|t| AuthInput {
        tenant: t,
        tenant_segment,
        form,
        basic: basic.clone(),
        tls_client_x5t: conn.client_cert_x5t_s256.as_deref(),
        origin,
    });
    entry.client_id = form
        .get(form::CLIENT_ID)
        .cloned()
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()));
    if let Some(input) = &claimed {
        let presented = client_auth::presented(input);
        entry.client_auth = Some(presented.method.map_or("none", |m| m.as_str()).to_owned());
        entry.assertion = presented.assertion.map(|jwt| DecodedJwt {
            header: Value::Object(jwt.header),
            claims: Value::Object(jwt.claims),
        });
    }

    if let Some(fault) = state
        .faults
        .take(entry.grant_type.as_deref(), entry.client_id.as_deref())
    {
        if !fault.delay.is_zero() {
            tracing::info!(delay_ms = fault.delay.as_millis() as u64, "injected delay");
            tokio::time::sleep(fault.delay).await;
        }
        if let Some(response) = fault.response {
            entry.outcome.injected = true;
            return Err(response);
        }
    }

    let Some(input) = claimed else {
        // `common` and its kin have a discovery document (clients read it)
        // but name no tenant, and every app here belongs to one.
        let multi_tenant = crate::discovery::MULTI_TENANT
            .iter()
            .any(|m| m.eq_ignore_ascii_case(tenant_segment));
        let detail = if multi_tenant {
            format!(
                "'{tenant_segment}' names no tenant; app-only and agent grants need the tenant's own authority (its id or a verified domain)."
            )
        } else {
            format!("Tenant '{tenant_segment}' not found.")
        };
        return Err(EntraError::new(Aadsts::TenantNotFound, detail));
    };
    let grant = GrantType::parse(
        &form
            .get(form::GRANT_TYPE)
            .cloned()
            .ok_or_else(|| EntraError::missing(form::GRANT_TYPE))?,
    );
    type Grant = fn(&GrantContext<'_, '_>) -> Result<Value, EntraError>;
    let run: Grant = match &grant {
        GrantType::ClientCredentials => grants::client_credentials,
        GrantType::UserFic => grants::user_fic,
        GrantType::RefreshToken => grants::refresh_token,
        GrantType::Other(other) => {
            return Err(EntraError::new(
                Aadsts::UnsupportedGrant,
                format!("The access grant '{other}' is not supported."),
            ));
        }
    };
    let client = client_auth::authenticate(state, &input)?;
    run(&GrantContext {
        state,
        tenant: input.tenant,
        form,
        client,
        tls_client_x5t: input.tls_client_x5t,
        origin,
    })
}

/// What the request itself says, besides its form.
struct Request<'r> {
    tenant_segment: &'r str,
    conn: &'r ConnInfo,
    origin: Origin,
    headers: &'r HeaderMap,
}

/// `Authorization: Basic base64(client_id:secret)`, both parts
/// percent-decoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, EntraError> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        EntraError::new(
            Aadsts::MalformedRequest,
            "The Authorization header is not valid Basic credentials.",
        )
    };
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Err(bad());
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}
