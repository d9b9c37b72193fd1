//! Minting tokens: v2 access tokens (app and user), id tokens, refresh
//! tokens and `client_info`, all signed with the one RS256 key.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use fic_protocol::{ClientInfo, TOKEN_EXCHANGE_AUDIENCE, TokenType};

use crate::directory::{App, Tenant, User, fmi_subject};
use crate::impersonation::Origin;
use crate::state::{MockState, RefreshGrant};

/// Lifetime of every access token, as Entra's `expires_in` usually reads.
pub const ACCESS_TOKEN_SECONDS: i64 = 3599;
/// Refresh tokens live 90 days (Entra's inactivity window).
pub const REFRESH_TOKEN_SECONDS: i64 = 90 * 24 * 3600;

/// Signs `claims` as Entra does: RS256 with `kid` and `x5t` naming the JWKS key.
pub fn sign(state: &MockState, claims: &Value) -> String {
    state.pki.signing.sign_jwt(claims)
}

fn base_claims(
    state: &MockState,
    origin: Origin,
    tenant: &Tenant,
    aud: &str,
    now: i64,
) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("aud".into(), aud.into());
    c.insert("iss".into(), state.issuer_at(origin, &tenant.id).into());
    c.insert("iat".into(), now.into());
    c.insert("nbf".into(), now.into());
    c.insert("exp".into(), (now + ACCESS_TOKEN_SECONDS).into());
    c.insert("tid".into(), tenant.id.clone().into());
    c.insert(
        "uti".into(),
        uuid::Uuid::new_v4().simple().to_string().into(),
    );
    c.insert("ver".into(), "2.0".into());
    c
}

/// What an app token (`client_credentials`) is minted from.
pub struct AppTokenRequest<'a> {
    /// The tenant it is issued in.
    pub tenant: &'a Tenant,
    /// The app it is issued to.
    pub app: &'a App,
    /// The resource: `api://AzureADTokenExchange` or a directory resource's URI.
    pub resource: &'a str,
    /// The app roles assigned to the app on the resource.
    pub roles: &'a [String],
    /// The agent's `fmi_path`: T1 carries it in `sub` and `xms_fmi_path`.
    pub fmi_path: Option<&'a str>,
    /// `azpacr`: `1` for a secret, `2` for a certificate or federated credential.
    pub azpacr: &'static str,
    /// x5t#S256 of the certificate an `mtls_pop` token is bound to.
    pub bound_to: Option<&'a str>,
    /// Where the request arrived: decides the issuer.
    pub origin: Origin,
}

/// `client_credentials`: T1 (with `fmi_path`), T2, or an ordinary app token.
pub fn app_token(state: &MockState, req: &AppTokenRequest<'_>) -> Value {
    let now = state.clock.unix();
    let mut c = base_claims(state, req.origin, req.tenant, req.resource, now);
    c.insert("azp".into(), req.app.client_id.clone().into());
    c.insert("azpacr".into(), req.azpacr.into());
    c.insert("idtyp".into(), "app".into());
    // The app's service principal id stands in for its object id.
    c.insert("oid".into(), req.app.client_id.clone().into());
    let sub = match req.fmi_path {
        Some(path) => fmi_subject(&req.tenant.id, &req.app.client_id, path),
        None => req.app.client_id.clone(),
    };
    c.insert("sub".into(), sub.into());
    if let Some(path) = req.fmi_path {
        c.insert("xms_fmi_path".into(), path.into());
    }
    if let Some(blueprint) = &req.app.blueprint {
        c.insert("xms_par_app_azp".into(), blueprint.clone().into());
    }
    if !req.roles.is_empty() && req.resource != TOKEN_EXCHANGE_AUDIENCE {
        c.insert("roles".into(), req.roles.to_vec().into());
    }
    if let Some(x5t) = req.bound_to {
        c.insert("cnf".into(), json!({ "x5t#S256": x5t }));
    }
    let token_type = if req.bound_to.is_some() {
        TokenType::MtlsPop
    } else {
        TokenType::Bearer
    };
    json!({
        "token_type": token_type.as_str(),
        "expires_in": ACCESS_TOKEN_SECONDS,
        "ext_expires_in": ACCESS_TOKEN_SECONDS,
        "access_token": sign(state, &Value::Object(c)),
    })
}

/// What a user's tokens (`user_fic`, `refresh_token`) are minted from.
pub struct UserTokenRequest<'a> {
    /// The tenant they are issued in.
    pub tenant: &'a Tenant,
    /// The agent they are issued to.
    pub app: &'a App,
    /// The user they are for.
    pub user: &'a User,
    /// The resource's app id (the access token's `aud`).
    pub resource_app_id: &'a str,
    /// Resource scopes as requested (full URIs) and their short names.
    pub scopes: &'a [String],
    /// The short scope names (`scp`).
    pub scope_names: &'a [String],
    /// The OIDC scopes requested (`openid`, `profile`, `offline_access`, ...).
    pub oidc_scopes: &'a [String],
    /// Whether to answer `client_info` (the request sent `client_info=1`).
    pub client_info: bool,
    /// `azpacr`: how the client authenticated.
    pub azpacr: &'static str,
    /// Where the request arrived: decides the issuer.
    pub origin: Origin,
}

/// `user_fic` and `refresh_token`: access, id and refresh token for a user.
pub fn user_tokens(state: &MockState, req: &UserTokenRequest<'_>) -> Value {
    let now = state.clock.unix();
    // A pairwise subject per (user, app), as Entra's `sub` is.
    let sub = {
        let digest = Sha256::digest(format!("{}|{}", req.user.oid, req.app.client_id));
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &digest[..24],
        )
    };
    let mut at = base_claims(state, req.origin, req.tenant, req.resource_app_id, now);
    at.insert("azp".into(), req.app.client_id.clone().into());
    at.insert("azpacr".into(), req.azpacr.into());
    at.insert("idtyp".into(), "user".into());
    at.insert("name".into(), req.user.display_name.clone().into());
    at.insert("oid".into(), req.user.oid.clone().into());
    at.insert(
        "preferred_username".into(),
        req.user.preferred_username.clone().into(),
    );
    at.insert("scp".into(), req.scope_names.join(" ").into());
    at.insert("sub".into(), sub.clone().into());
    at.insert("upn".into(), req.user.upn.clone().into());

    let mut id = base_claims(state, req.origin, req.tenant, &req.app.client_id, now);
    id.remove("uti");
    id.insert("name".into(), req.user.display_name.clone().into());
    id.insert("oid".into(), req.user.oid.clone().into());
    id.insert(
        "preferred_username".into(),
        req.user.preferred_username.clone().into(),
    );
    id.insert("sub".into(), sub.into());

    let refresh_token = format!(
        "1.mock.{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    state
        .refresh_tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(
            refresh_token.clone(),
            RefreshGrant {
                client_id: req.app.client_id.clone(),
                tenant_id: req.tenant.id.clone(),
                user_oid: req.user.oid.clone(),
                scopes: req.scopes.to_vec(),
                expires: now + REFRESH_TOKEN_SECONDS,
            },
            now,
        );
    let scope: Vec<&str> = req
        .scopes
        .iter()
        .chain(req.oidc_scopes.iter())
        .map(String::as_str)
        .collect();
    let mut body = json!({
        "token_type": TokenType::BEARER,
        "scope": scope.join(" "),
        "expires_in": ACCESS_TOKEN_SECONDS,
        "ext_expires_in": ACCESS_TOKEN_SECONDS,
        "access_token": sign(state, &Value::Object(at)),
        "refresh_token": refresh_token,
        "id_token": sign(state, &Value::Object(id)),
    });
    if req.client_info {
        body["client_info"] = ClientInfo {
            uid: req.user.oid.clone(),
            utid: req.tenant.id.clone(),
        }
        .encode()
        .into();
    }
    body
}
