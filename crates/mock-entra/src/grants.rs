//! The three grants, after client authentication: what each requires and
//! what it issues.

use serde_json::Value;

use fic_protocol::{FmiPath, OIDC_SCOPES, OIDC_SCOPES_SUPPORTED, TOKEN_EXCHANGE_AUDIENCE, form};

use crate::client_auth::federation::{self, may_use_fmi_path};
use crate::client_auth::{AuthenticatedClient, Credential, token_binding};
use crate::directory::{Resource, Tenant, User};
use crate::refusal::Refusal;
use crate::state::MockState;
use crate::token_issuer::{AppTokenRequest, UserTokenRequest, app_token, user_tokens};
use crate::token_request::TokenRequest;

/// What a grant works with: the authenticated client and the request.
pub struct GrantContext<'s, 'r> {
    /// The shared state (directory, keys, stores).
    pub state: &'s MockState,
    /// The tenant of the request's authority.
    pub tenant: &'s Tenant,
    /// The request.
    pub request: &'r TokenRequest,
    /// Who asked.
    pub client: AuthenticatedClient<'s>,
}

/// Entra reads a scope with no resource prefix as Microsoft Graph's.
const GRAPH: &str = "https://graph.microsoft.com";

/// A field that must be present and not blank.
fn required<'r>(value: Option<&'r str>, parameter: &'static str) -> Result<&'r str, Refusal> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or(Refusal::MissingParameter { parameter })
}

/// `client_credentials` (Legs 1 and 2): one `<resource>/.default` scope,
/// an optional `fmi_path` (checked by [`fic_protocol::FmiPath::parse`], and
/// only for blueprints and agents), an optional `token_type=mtls_pop`.
pub fn client_credentials(ctx: &GrantContext<'_, '_>) -> Result<Value, Refusal> {
    let scope = required(ctx.request.scope.as_deref(), form::SCOPE)?;
    // msal4j and MSAL Go add `openid profile offline_access` to every
    // request; Entra ignores OIDC scopes on client_credentials, and so do we.
    let scopes: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| !OIDC_SCOPES_SUPPORTED.contains(s))
        .collect();
    if scopes.is_empty() {
        return Err(Refusal::MissingParameter {
            parameter: form::SCOPE,
        });
    }
    if let Some(bad) = scopes.iter().find(|s| !s.ends_with("/.default")) {
        return Err(Refusal::ScopeNotDefault {
            scope: (*bad).to_owned(),
        });
    }
    let [only] = scopes.as_slice() else {
        return Err(Refusal::ScopeCount {
            count: scopes.len(),
        });
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
    let fmi_path = match &ctx.request.fmi_path {
        Some(p) => {
            FmiPath::parse(p).map_err(Refusal::InvalidFmiPath)?;
            if !may_use_fmi_path(&ctx.state.directory, ctx.client.app) {
                return Err(Refusal::FmiPathNotAllowed {
                    client_id: ctx.client.app.client_id.clone(),
                });
            }
            Some(p.as_str())
        }
        None => None,
    };
    let bound_to = token_binding::bound_to(
        ctx.request.token_type.as_deref(),
        ctx.request.tls_client_x5t(),
    )?;
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
            origin: ctx.request.origin,
        },
    ))
}

fn find_resource<'s>(state: &'s MockState, resource_id: &str) -> Result<&'s Resource, Refusal> {
    state
        .directory
        .resource(resource_id)
        .ok_or_else(|| Refusal::ResourceNotFound {
            resource: resource_id.to_owned(),
        })
}

/// The resource scopes and OIDC scopes of a user flow's `scope`.
struct UserScopes<'s> {
    resource: &'s Resource,
    scopes: Vec<String>,
    names: Vec<String>,
    oidc: Vec<String>,
}

fn user_scopes<'s>(state: &'s MockState, scope: &str) -> Result<UserScopes<'s>, Refusal> {
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
        return Err(Refusal::OpenidMissing);
    }
    let Some((_, first_resource, _)) = wanted.first() else {
        return Err(Refusal::NoResourceScope);
    };
    if wanted
        .iter()
        .any(|(_, r, _)| !r.eq_ignore_ascii_case(first_resource))
    {
        return Err(Refusal::ScopesOfManyResources);
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
            return Err(Refusal::ScopeNotDefined {
                scope: (*full).to_owned(),
                resource: resource.app_id_uri.clone(),
            });
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
pub fn user_fic(ctx: &GrantContext<'_, '_>) -> Result<Value, Refusal> {
    // Leg 3 is an agent's alone: an ordinary app, a blueprint, or an agent
    // proving itself some other way than with its T1 gets no user token.
    let client = &ctx.client;
    if client.app.blueprint.is_none() {
        return Err(Refusal::UserFicNotAgent {
            client_id: client.app.client_id.clone(),
        });
    }
    if client.credential != Credential::Federated {
        return Err(Refusal::UserFicWithoutFederatedCredential {
            client_id: client.app.client_id.clone(),
            credential: client.credential,
        });
    }
    let fields = &ctx.request.user;
    let t2 = required(
        fields.credential.as_ref().map(|c| c.secret()),
        form::USER_FEDERATED_IDENTITY_CREDENTIAL,
    )?;
    let tenant_id = &ctx.tenant.id;
    let directory = &ctx.state.directory;
    let user =
        match (
            fields.username.as_ref().filter(|v| !v.is_empty()),
            fields.user_id.as_ref().filter(|v| !v.is_empty()),
        ) {
            (Some(_), Some(_)) => return Err(Refusal::ConflictingUserIdentifiers),
            (None, None) => {
                return Err(Refusal::MissingParameter {
                    parameter: form::USERNAME,
                });
            }
            (Some(upn), None) => {
                directory
                    .user_by_upn(tenant_id, upn)
                    .ok_or_else(|| Refusal::UserNotFound {
                        upn: upn.clone(),
                        tenant_id: tenant_id.clone(),
                    })?
            }
            (None, Some(oid)) => directory.user_by_oid(tenant_id, oid).ok_or_else(|| {
                Refusal::UserObjectNotFound {
                    oid: oid.clone(),
                    tenant_id: tenant_id.clone(),
                }
            })?,
        };
    let scopes = user_scopes(
        ctx.state,
        required(ctx.request.scope.as_deref(), form::SCOPE)?,
    )?;
    federation::check_t2(ctx.state, ctx.tenant, client.app, t2)?;
    Ok(issue_user(ctx, user, &scopes))
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
                .request
                .client_info
                .as_deref()
                .is_some_and(|v| v == form::CLIENT_INFO_REQUESTED),
            azpacr: ctx.client.azpacr,
            origin: ctx.request.origin,
        },
    )
}

/// `refresh_token`: a refresh token this mock issued, to the same client
/// and tenant, before it expires.
pub fn refresh_token(ctx: &GrantContext<'_, '_>) -> Result<Value, Refusal> {
    let token = required(
        ctx.request.refresh_token.as_ref().map(|t| t.secret()),
        form::REFRESH_TOKEN,
    )?;
    let grant = ctx
        .state
        .refresh_tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(token)
        .cloned()
        .ok_or(Refusal::UnknownRefreshToken)?;
    if grant.client_id != ctx.client.app.client_id || grant.tenant_id != ctx.tenant.id {
        return Err(Refusal::RefreshTokenOfAnother);
    }
    if ctx.state.clock.unix() > grant.expires {
        return Err(Refusal::RefreshTokenExpired);
    }
    let user = ctx
        .state
        .directory
        .user_by_oid(&grant.tenant_id, &grant.user_oid)
        .ok_or(Refusal::RefreshTokenUserGone)?;
    let scope = match ctx.request.scope.as_ref().filter(|s| !s.trim().is_empty()) {
        Some(s) => s.clone(),
        None => format!("{} {}", grant.scopes.join(" "), OIDC_SCOPES.join(" ")),
    };
    let scopes = user_scopes(ctx.state, &scope)?;
    Ok(issue_user(ctx, user, &scopes))
}
