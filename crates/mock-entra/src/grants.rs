//! The three grants, after client authentication: what each requires and
//! what it issues.

use std::collections::BTreeMap;

use serde_json::Value;

use fic_protocol::{
    FmiPath, OIDC_SCOPES, OIDC_SCOPES_SUPPORTED, TOKEN_EXCHANGE_AUDIENCE, TokenType, form,
};

use crate::aadsts::Aadsts;
use crate::client_auth::{AuthenticatedClient, Credential, SKEW_SECONDS};
use crate::directory::{App, Resource, Tenant, User};
use crate::entra_error::EntraError;
use crate::jwt::Jwt;
use crate::state::MockState;
use crate::token_issuer::{AppTokenRequest, UserTokenRequest, app_token, user_tokens};

/// What a grant works with: the authenticated client and the request.
pub struct GrantContext<'s, 'r> {
    /// The shared state (directory, keys, stores).
    pub state: &'s MockState,
    /// The tenant of the request's authority.
    pub tenant: &'s Tenant,
    /// The form fields.
    pub form: &'r BTreeMap<String, String>,
    /// Who asked.
    pub client: AuthenticatedClient<'s>,
    /// `x5t#S256` of the TLS client certificate, when one was presented: what
    /// an `mtls_pop` token is bound to.
    pub tls_client_x5t: Option<&'r str>,
    /// Where the request arrived; decides the issuer of what is minted.
    pub origin: crate::impersonation::Origin,
}

/// Entra reads a scope with no resource prefix as Microsoft Graph's.
const GRAPH: &str = "https://graph.microsoft.com";

fn required<'r>(form: &'r BTreeMap<String, String>, name: &str) -> Result<&'r str, EntraError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| EntraError::missing(name))
}

/// Federated managed identity paths name agents under a blueprint: only a
/// blueprint (an app some agent names as its blueprint) and an agent may
/// ask for one.
fn may_use_fmi_path(state: &MockState, app: &App) -> bool {
    app.blueprint.is_some()
        || state
            .directory
            .apps
            .values()
            .any(|a| a.blueprint.as_deref() == Some(app.client_id.as_str()))
}

/// `client_credentials` (Legs 1 and 2): one `<resource>/.default` scope,
/// an optional `fmi_path` (checked by [`fic_protocol::FmiPath::parse`], and
/// only for blueprints and agents), an optional `token_type=mtls_pop`.
pub fn client_credentials(ctx: &GrantContext<'_, '_>) -> Result<Value, EntraError> {
    let scope = required(ctx.form, form::SCOPE)?;
    // msal4j and MSAL Go add `openid profile offline_access` to every
    // request; Entra ignores OIDC scopes on client_credentials, and so do we.
    let scopes: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| !OIDC_SCOPES_SUPPORTED.contains(s))
        .collect();
    if scopes.is_empty() {
        return Err(EntraError::missing(form::SCOPE));
    }
    if let Some(bad) = scopes.iter().find(|s| !s.ends_with("/.default")) {
        // Entra's exact wording, as seen in its responses.
        return Err(EntraError::worded(
            Aadsts::ScopeNotDefault,
            format!(
                "The provided value for scope {bad} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    }
    let [only] = scopes.as_slice() else {
        return Err(EntraError::new(
            Aadsts::InvalidScope,
            format!(
                "Client credential flows take one '<resource>/.default' scope; got {}.",
                scopes.len()
            ),
        ));
    };
    let resource_id = only.trim_end_matches("/.default");
    let (resource, roles): (&str, Vec<String>) =
        if resource_id.eq_ignore_ascii_case(TOKEN_EXCHANGE_AUDIENCE) {
            (TOKEN_EXCHANGE_AUDIENCE, Vec::new())
        } else {
            let r = find_resource(ctx.state, resource_id)?;
            let roles = ctx.state.directory.assigned_roles(ctx.client.app, r);
            (r.app_id_uri.as_str(), roles)
        };
    let fmi_path = match ctx.form.get(form::FMI_PATH) {
        Some(p) => {
            FmiPath::parse(p)
                .map_err(|why| EntraError::new(Aadsts::InvalidFmiPath, why.to_string()))?;
            if !may_use_fmi_path(ctx.state, ctx.client.app) {
                return Err(EntraError::new(
                    Aadsts::FmiPathNotAllowed,
                    format!(
                        "App '{}' is neither a blueprint nor an agent.",
                        ctx.client.app.client_id
                    ),
                ));
            }
            Some(p.as_str())
        }
        None => None,
    };
    let bound_to = match ctx.form.get(form::TOKEN_TYPE).map(String::as_str) {
        // Entra takes Bearer in these two spellings only; any other case
        // is refused like an unknown type.
        None | Some("bearer") | Some(TokenType::BEARER) => None,
        Some(TokenType::MTLS_POP) => Some(
            ctx.tls_client_x5t
                .ok_or_else(|| EntraError::new(Aadsts::MtlsPopWithoutClientCertificate, ""))?,
        ),
        Some(other) => {
            return Err(EntraError::new(
                Aadsts::MalformedRequest,
                format!("token_type '{other}' is not supported (bearer, mtls_pop)."),
            ));
        }
    };
    Ok(app_token(
        ctx.state,
        &AppTokenRequest {
            tenant: ctx.tenant,
            app: ctx.client.app,
            resource,
            roles: &roles,
            fmi_path,
            azpacr: ctx.client.azpacr,
            bound_to,
            origin: ctx.origin,
        },
    ))
}

fn find_resource<'s>(state: &'s MockState, resource_id: &str) -> Result<&'s Resource, EntraError> {
    state.directory.resource(resource_id).ok_or_else(|| {
        EntraError::new(
            Aadsts::ResourceNotFound,
            format!("Resource '{resource_id}' is not registered in the directory."),
        )
    })
}

/// The resource scopes and OIDC scopes of a user flow's `scope`.
struct UserScopes<'s> {
    resource: &'s Resource,
    scopes: Vec<String>,
    names: Vec<String>,
    oidc: Vec<String>,
}

fn user_scopes<'s>(state: &'s MockState, scope: &str) -> Result<UserScopes<'s>, EntraError> {
    let mut oidc = Vec::new();
    let mut wanted: Vec<(&str, &str, &str)> = Vec::new();
    for s in scope.split_whitespace() {
        if OIDC_SCOPES_SUPPORTED.contains(&s) {
            if !oidc.iter().any(|o| o == s) {
                oidc.push(s.to_owned());
            }
            continue;
        }
        let (resource, name) = s.rsplit_once('/').unwrap_or((GRAPH, s));
        wanted.push((s, resource, name));
    }
    if !oidc.iter().any(|o| o == "openid") {
        return Err(EntraError::new(
            Aadsts::InvalidScope,
            "A user flow must request 'openid'.",
        ));
    }
    let Some((_, first_resource, _)) = wanted.first() else {
        return Err(EntraError::new(
            Aadsts::InvalidScope,
            "No resource scope was requested.",
        ));
    };
    if wanted
        .iter()
        .any(|(_, r, _)| !r.eq_ignore_ascii_case(first_resource))
    {
        return Err(EntraError::new(
            Aadsts::InvalidScope,
            "The scopes name more than one resource.",
        ));
    }
    let resource = find_resource(state, first_resource)?;
    let mut names = Vec::new();
    for (full, _, name) in &wanted {
        if *name == ".default" {
            names.extend(resource.scopes.iter().cloned());
        } else if let Some(known) = resource
            .scopes
            .iter()
            .find(|s| s.eq_ignore_ascii_case(name))
        {
            names.push(known.clone());
        } else {
            return Err(EntraError::new(
                Aadsts::InvalidScope,
                format!(
                    "Scope '{full}' is not defined on resource '{}'.",
                    resource.app_id_uri
                ),
            ));
        }
    }
    names.dedup();
    Ok(UserScopes {
        resource,
        scopes: wanted.iter().map(|(f, _, _)| (*f).to_owned()).collect(),
        names,
        oidc,
    })
}

/// `user_fic` (Leg 3): an agent authenticated with its T1 presents T2 and
/// names one user (`username` or `user_id`); answers access, id and
/// refresh token.
pub fn user_fic(ctx: &GrantContext<'_, '_>) -> Result<Value, EntraError> {
    // Leg 3 is an agent's alone: an ordinary app, a blueprint, or an agent
    // proving itself some other way than with its T1 gets no user token.
    let client = &ctx.client;
    if client.app.blueprint.is_none() {
        return Err(EntraError::new(
            Aadsts::UserFicNotAgent,
            format!("App '{}' is not an agent identity.", client.app.client_id),
        ));
    }
    if client.credential != Credential::Federated {
        return Err(EntraError::new(
            Aadsts::UserFicNotAgent,
            format!(
                "Agent '{}' authenticated with a {}, not a federated credential.",
                client.app.client_id,
                match client.credential {
                    Credential::Secret => "secret",
                    _ => "certificate",
                }
            ),
        ));
    }
    let t2 = required(ctx.form, form::USER_FEDERATED_IDENTITY_CREDENTIAL)?;
    let user = match (
        ctx.form.get(form::USERNAME).filter(|v| !v.is_empty()),
        ctx.form.get(form::USER_ID).filter(|v| !v.is_empty()),
    ) {
        (Some(_), Some(_)) => {
            return Err(EntraError::new(
                Aadsts::ConflictingUserIdentifiers,
                "Both were sent.",
            ));
        }
        (None, None) => return Err(EntraError::missing(form::USERNAME)),
        (Some(upn), None) => ctx
            .state
            .directory
            .user_by_upn(&ctx.tenant.id, upn)
            .ok_or_else(|| {
                EntraError::new(
                    Aadsts::UserNotFound,
                    format!(
                        "User account '{upn}' does not exist in tenant '{}'.",
                        ctx.tenant.id
                    ),
                )
            })?,
        (None, Some(oid)) => ctx
            .state
            .directory
            .user_by_oid(&ctx.tenant.id, oid)
            .ok_or_else(|| {
                EntraError::new(
                    Aadsts::UserNotFound,
                    format!(
                        "User object '{oid}' does not exist in tenant '{}'.",
                        ctx.tenant.id
                    ),
                )
            })?,
    };
    let scopes = user_scopes(ctx.state, required(ctx.form, form::SCOPE)?)?;
    check_user_credential(ctx, t2)?;
    Ok(issue_user(ctx, user, &scopes))
}

/// T2: issued by this mock in this tenant (`iss` and `tid` agreeing),
/// signed, current, app-only, for the token exchange audience, and the
/// presenting agent's own (issued to it, about it).
fn check_user_credential(ctx: &GrantContext<'_, '_>, raw: &str) -> Result<(), EntraError> {
    let bad = |detail: String| EntraError::new(Aadsts::UserAssertionSignature, detail);
    let jwt = Jwt::parse(raw)
        .map_err(|e| bad(format!("The user_federated_identity_credential: {e}.")))?;
    if let Err(e) = jwt.check_critical() {
        return Err(EntraError::new(
            Aadsts::InvalidGrant,
            format!("The user_federated_identity_credential: {e}."),
        ));
    }
    let iss = jwt.claim_str("iss").unwrap_or_default();
    if ctx
        .state
        .tenant_of_issuer(iss)
        .is_none_or(|t| t.id != ctx.tenant.id)
    {
        return Err(bad(format!("Issuer '{iss}' is not this tenant's.")));
    }
    let algorithm = jwt
        .rsa_algorithm()
        .ok_or_else(|| bad("Its algorithm is not RS256/PS256.".into()))?;
    if !jwt.verify(&ctx.state.pki.signing.decoding, algorithm) {
        return Err(bad("Its signature does not verify.".into()));
    }
    let now = ctx.state.clock.unix();
    let exp = jwt
        .numeric_date("exp")
        .ok()
        .flatten()
        .ok_or_else(|| bad("It has no valid 'exp'.".into()))?;
    if now > exp.saturating_add(SKEW_SECONDS) {
        return Err(EntraError::new(
            Aadsts::UserAssertionTimeRange,
            format!("Expired at {exp}; now is {now}."),
        ));
    }
    if jwt.is_user_token() {
        return Err(EntraError::new(Aadsts::UserTokenAsFederatedCredential, ""));
    }
    if !jwt.audiences().contains(&TOKEN_EXCHANGE_AUDIENCE) {
        return Err(EntraError::new(
            Aadsts::InvalidGrant,
            format!(
                "The user_federated_identity_credential's audience must be '{TOKEN_EXCHANGE_AUDIENCE}'."
            ),
        ));
    }
    let tid = jwt.claim_str("tid").unwrap_or_default();
    if !tid.eq_ignore_ascii_case(&ctx.tenant.id) {
        return Err(EntraError::new(
            Aadsts::InvalidGrant,
            format!(
                "The user_federated_identity_credential's 'tid' '{tid}' is not the tenant '{}' its issuer names.",
                ctx.tenant.id
            ),
        ));
    }
    let client_id = &ctx.client.app.client_id;
    let azp = jwt.claim_str("azp").unwrap_or_default();
    if !azp.eq_ignore_ascii_case(client_id) {
        return Err(EntraError::new(
            Aadsts::UserCredentialForAnotherClient,
            format!("It was issued to '{azp}'; the client is '{client_id}'."),
        ));
    }
    let sub = jwt.claim_str("sub").unwrap_or_default();
    if !sub.eq_ignore_ascii_case(client_id) {
        return Err(EntraError::new(
            Aadsts::UserCredentialForAnotherClient,
            format!("Its subject is '{sub}', not the agent '{client_id}' itself."),
        ));
    }
    Ok(())
}

fn issue_user(ctx: &GrantContext<'_, '_>, user: &User, scopes: &UserScopes<'_>) -> Value {
    user_tokens(
        ctx.state,
        &UserTokenRequest {
            tenant: ctx.tenant,
            app: ctx.client.app,
            user,
            resource_app_id: &scopes.resource.app_id,
            scopes: &scopes.scopes,
            scope_names: &scopes.names,
            oidc_scopes: &scopes.oidc,
            client_info: ctx
                .form
                .get(form::CLIENT_INFO)
                .is_some_and(|v| v == form::CLIENT_INFO_REQUESTED),
            azpacr: ctx.client.azpacr,
            origin: ctx.origin,
        },
    )
}

/// `refresh_token`: a refresh token this mock issued, to the same client
/// and tenant, before it expires.
pub fn refresh_token(ctx: &GrantContext<'_, '_>) -> Result<Value, EntraError> {
    let token = required(ctx.form, form::REFRESH_TOKEN)?;
    let grant = ctx
        .state
        .refresh_tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(token)
        .cloned()
        .ok_or_else(|| {
            EntraError::new(
                Aadsts::InvalidGrant,
                "The refresh token was not issued by this mock.",
            )
        })?;
    if grant.client_id != ctx.client.app.client_id || grant.tenant_id != ctx.tenant.id {
        return Err(EntraError::new(
            Aadsts::InvalidGrant,
            "The refresh token was issued to another client or tenant.",
        ));
    }
    if ctx.state.clock.unix() > grant.expires {
        return Err(EntraError::new(Aadsts::RefreshTokenExpired, ""));
    }
    let user = ctx
        .state
        .directory
        .user_by_oid(&grant.tenant_id, &grant.user_oid)
        .ok_or_else(|| {
            EntraError::new(Aadsts::UserNotFound, "The refresh token's user is gone.")
        })?;
    let scope = match ctx.form.get(form::SCOPE).filter(|s| !s.trim().is_empty()) {
        Some(s) => s.clone(),
        None => format!("{} {}", grant.scopes.join(" "), OIDC_SCOPES.join(" ")),
    };
    let scopes = user_scopes(ctx.state, &scope)?;
    Ok(issue_user(ctx, user, &scopes))
}
