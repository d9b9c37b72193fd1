//! What clients read before asking for tokens: the OpenID configuration,
//! instance discovery and the JWKS (docs/protocol.md §7), on the own listener and on
//! every impersonated public-cloud host (docs/protocol.md §8).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::entra_error::EntraError;
use crate::impersonation::{self, Origin, PublicHost};
use crate::refusal::Refusal;
use crate::state::MockState;

/// Tenant-independent authorities, served with Entra's `{tenantid}` issuer
/// template.
pub(crate) const MULTI_TENANT: [&str; 3] = ["common", "organizations", "consumers"];

fn error(state: &MockState, origin: Origin, refusal: Refusal) -> Response {
    EntraError::from(refusal).into_response_with(
        &state.base_url_at(origin),
        None,
        state.clock.now(),
    )
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`: the endpoints
/// and issuer for the host the request arrived at.
pub async fn openid_configuration(
    State(state): State<Arc<MockState>>,
    origin: Origin,
    Path(segment): Path<String>,
) -> Response {
    let base_url = state.base_url_at(origin);
    let (issuer, path_tenant) = if MULTI_TENANT
        .iter()
        .any(|m| m.eq_ignore_ascii_case(&segment))
    {
        (
            state.issuer_at(origin, "{tenantid}"),
            segment.to_ascii_lowercase(),
        )
    } else if let Some(tenant) = state.directory.tenant(&segment) {
        (state.issuer_at(origin, &tenant.id), tenant.id.clone())
    } else {
        return error(&state, origin, Refusal::UnknownTenant { segment });
    };
    let base = format!("{base_url}/{path_tenant}");
    let mut document = json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic", "tls_client_auth"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": fic_protocol::OIDC_SCOPES_SUPPORTED,
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base_url}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "preferred_username", "tid", "ver"],
        "tenant_region_scope": "WW",
        "cloud_instance_name": state.host,
        "cloud_graph_host_name": state.host,
        "msgraph_host": state.host,
        "rbac_url": base_url,
    });
    if let Origin::Public(_) = origin {
        // The public cloud's own values, as Entra's document carries them.
        document["userinfo_endpoint"] = "https://graph.microsoft.com/oidc/userinfo".into();
        document["kerberos_endpoint"] = format!("{base}/kerberos").into();
        document["cloud_instance_name"] = "microsoftonline.com".into();
        document["cloud_graph_host_name"] = "graph.windows.net".into();
        document["msgraph_host"] = "graph.microsoft.com".into();
        document["rbac_url"] = "https://pas.windows.net".into();
    }
    Json(document).into_response()
}

/// `GET /common/discovery/instance`: the instance metadata MSAL asks for
/// before trusting an authority.
pub async fn instance_discovery(
    State(state): State<Arc<MockState>>,
    origin: Origin,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(endpoint) = query.get("authorization_endpoint") else {
        return error(
            &state,
            origin,
            Refusal::MissingParameter {
                parameter: "authorization_endpoint",
            },
        );
    };
    let own = url::Url::parse(endpoint)
        .ok()
        .filter(|u| state.names_this_mock(origin, u));
    let Some(url) = own else {
        return error(
            &state,
            origin,
            Refusal::UnknownInstance {
                authority: endpoint.to_owned(),
            },
        );
    };
    let tenant = url
        .path_segments()
        .and_then(|mut s| s.next())
        .filter(|s| !s.is_empty())
        .unwrap_or("common");
    if let Origin::Public(_) = origin {
        // Entra answers for the whole public cloud, whichever alias the
        // authorization endpoint names; tenant discovery stays on that alias.
        let alias = url
            .host_str()
            .and_then(PublicHost::parse)
            .map_or(impersonation::PREFERRED_NETWORK, PublicHost::as_str);
        return Json(json!({
            "tenant_discovery_endpoint": format!("https://{alias}/{tenant}/v2.0/.well-known/openid-configuration"),
            "api-version": "1.1",
            "metadata": [{
                "preferred_network": impersonation::PREFERRED_NETWORK,
                "preferred_cache": impersonation::PREFERRED_CACHE,
                "aliases": impersonation::PUBLIC_CLOUD_HOSTS,
            }],
        }))
        .into_response();
    }
    let host_port = format!("{}:{}", state.host, state.port);
    Json(json!({
        "tenant_discovery_endpoint": format!("{}/{tenant}/v2.0/.well-known/openid-configuration", state.base_url),
        "api-version": "1.1",
        "metadata": [{
            "preferred_network": host_port,
            "preferred_cache": host_port,
            "aliases": [host_port],
        }],
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys`: the signing key's JWKS.
pub async fn jwks(
    State(state): State<Arc<MockState>>,
    origin: Origin,
    Path(segment): Path<String>,
) -> Response {
    let known = MULTI_TENANT
        .iter()
        .any(|m| m.eq_ignore_ascii_case(&segment))
        || state.directory.tenant(&segment).is_some();
    if !known {
        return error(&state, origin, Refusal::UnknownTenant { segment });
    }
    let key = &state.pki.signing;
    Json(json!({
        "keys": [{
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": key.kid,
            "x5t": key.kid,
            "n": key.n,
            "e": key.e,
            "x5c": [STANDARD.encode(&key.cert_der)],
        }]
    }))
    .into_response()
}
