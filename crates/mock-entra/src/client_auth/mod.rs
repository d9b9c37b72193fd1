//! Client authentication, checked on every grant: exactly one credential,
//! checked against the app's directory entry.
//!
//! - [`secret`]: a client secret (body or HTTP Basic);
//! - [`certificate`]: a client assertion signed with a registered
//!   certificate's key, or one whose `x5c` chain the app trusts by subject
//!   name; its `jti` goes through [`replay`];
//! - [`federation`]: a token from this mock or a trusted issuer presented
//!   as a federated credential (T1), matched against the app's federated
//!   identity records (the implicit blueprint record included), and T2 in
//!   the `user_fic` grant;
//! - [`token_binding`]: what jwt-pop and `mtls_pop` require of the TLS
//!   connection.

pub(crate) mod certificate;
pub(crate) mod federation;
pub(crate) mod replay;
pub(crate) mod secret;
pub(crate) mod token_binding;

use fic_protocol::AssertionType;

pub use crate::credential::Credential;
use crate::directory::{App, Tenant};
use crate::jwt::Jwt;
use crate::refusal::Refusal;
use crate::state::MockState;
use crate::token_request::{ClientAuthFields, TokenRequest};

/// Clock skew tolerated on assertion times, as Entra does (5 minutes).
pub const SKEW_SECONDS: i64 = 300;
/// Longest client-assertion lifetime accepted. Entra sets no documented
/// limit; MSAL ports use 10 minutes, so a day is generous and still refuses
/// "never expires" assertions.
pub const MAX_ASSERTION_LIFETIME_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// How the client authenticated, as the journal records it (`client_auth`).
pub enum ClientAuthMethod {
    /// `client_secret` in the form body.
    SecretPost,
    /// The secret in an HTTP Basic `Authorization` header.
    SecretBasic,
    /// A signed JWT client assertion (`jwt-bearer`).
    JwtBearer,
    /// A client assertion sent with `jwt-pop`: the token-binding certificate must
    /// be the TLS client certificate.
    JwtPop,
}

impl ClientAuthMethod {
    /// The journal's spelling: `secret_post`, `secret_basic`, `jwt_bearer`, `jwt_pop`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::SecretPost => "secret_post",
            ClientAuthMethod::SecretBasic => "secret_basic",
            ClientAuthMethod::JwtBearer => "jwt_bearer",
            ClientAuthMethod::JwtPop => "jwt_pop",
        }
    }

    fn of_assertion(assertion_type: AssertionType) -> ClientAuthMethod {
        match assertion_type {
            AssertionType::JwtBearer => ClientAuthMethod::JwtBearer,
            AssertionType::JwtPop => ClientAuthMethod::JwtPop,
        }
    }
}

/// What the request presented, known before it is checked (for the journal).
#[derive(Debug, Default, Clone)]
pub struct PresentedCredential {
    /// The method the request's fields name, if any does.
    pub method: Option<ClientAuthMethod>,
    /// The client assertion, decoded but not yet checked.
    pub assertion: Option<Jwt>,
}

#[derive(Debug, Clone)]
/// A client that proved who it is: what the grants decide on.
pub struct AuthenticatedClient<'a> {
    /// Its directory entry.
    pub app: &'a App,
    /// What it proved itself with (the `user_fic` grant needs [`Credential::Federated`]).
    pub credential: Credential,
    /// `azpacr`: "1" for a secret, "2" for a certificate or federated credential.
    pub azpacr: &'static str,
}

/// The client_id the request names (body, else Basic), before any checking.
pub fn claimed_client_id(fields: &ClientAuthFields) -> Result<Option<String>, Refusal> {
    let body = fields.client_id.as_ref().filter(|c| !c.is_empty());
    let basic = fields.basic.as_ref().map(|b| &b.client_id);
    match (body, basic) {
        (Some(b), Some(h)) if !b.eq_ignore_ascii_case(h) => Err(Refusal::ConflictingClientIds {
            body: b.clone(),
            header: h.clone(),
        }),
        (Some(b), _) => Ok(Some(b.clone())),
        (None, Some(h)) => Ok(Some(h.clone())),
        (None, None) => Ok(None),
    }
}

/// What credential the request presents, without checking it: the journal
/// records it even when authentication then fails.
pub fn presented(fields: &ClientAuthFields) -> PresentedCredential {
    if fields.basic.is_some() {
        return PresentedCredential {
            method: Some(ClientAuthMethod::SecretBasic),
            assertion: None,
        };
    }
    if fields.client_secret.is_some() {
        return PresentedCredential {
            method: Some(ClientAuthMethod::SecretPost),
            assertion: None,
        };
    }
    let Some(assertion) = &fields.client_assertion else {
        return PresentedCredential::default();
    };
    PresentedCredential {
        method: fields
            .client_assertion_type
            .as_deref()
            .and_then(AssertionType::from_urn)
            .map(ClientAuthMethod::of_assertion),
        assertion: Jwt::parse(assertion.secret()).ok(),
    }
}

/// Authenticates the client of `request`, addressed to `tenant`: exactly
/// one credential (secret, certificate assertion or federated credential),
/// checked against the app's directory entry.
pub fn authenticate<'s>(
    state: &'s MockState,
    tenant: &Tenant,
    request: &TokenRequest,
) -> Result<AuthenticatedClient<'s>, Refusal> {
    let fields = &request.client;
    let client_id = claimed_client_id(fields)?.ok_or(Refusal::MissingParameter {
        parameter: fic_protocol::form::CLIENT_ID,
    })?;
    let app = state
        .directory
        .app(&client_id)
        .filter(|a| a.tenant_id == tenant.id)
        .ok_or_else(|| Refusal::AppNotFound {
            client_id: client_id.clone(),
            tenant_segment: request.tenant_segment.clone(),
        })?;

    if fields.basic.is_some() && fields.client_secret.is_some() {
        return Err(Refusal::SecretTwice);
    }
    let secret = fields
        .basic
        .as_ref()
        .map(|b| &b.secret)
        .or(fields.client_secret.as_ref());
    match (secret, &fields.client_assertion) {
        (Some(_), Some(_)) => Err(Refusal::SecretAndAssertion),
        (None, None) => Err(Refusal::NoClientCredential),
        (Some(secret), None) => {
            secret::check(app, secret)?;
            Ok(AuthenticatedClient {
                app,
                credential: Credential::Secret,
                azpacr: "1",
            })
        }
        (None, Some(assertion)) => {
            authenticate_assertion(state, tenant, request, app, assertion.secret())
        }
    }
}

fn authenticate_assertion<'s>(
    state: &'s MockState,
    tenant: &Tenant,
    request: &TokenRequest,
    app: &'s App,
    raw: &str,
) -> Result<AuthenticatedClient<'s>, Refusal> {
    let assertion_type =
        request
            .client
            .client_assertion_type
            .as_deref()
            .ok_or(Refusal::MissingParameter {
                parameter: fic_protocol::form::CLIENT_ASSERTION_TYPE,
            })?;
    let assertion_type = AssertionType::from_urn(assertion_type).ok_or_else(|| {
        Refusal::UnsupportedAssertionType {
            assertion_type: assertion_type.to_owned(),
        }
    })?;
    token_binding::check_assertion_type(assertion_type, request.tls_client_x5t())?;
    let jwt = Jwt::parse(raw).map_err(Refusal::MalformedAssertion)?;
    jwt.check_critical().map_err(Refusal::MalformedAssertion)?;
    let now = state.clock.unix();
    // A token this mock (or a trusted issuer) issued is a federated
    // credential; anything else must be the app's own signed assertion.
    let credential = match federation::issuer_key(state, tenant, &jwt)? {
        Some(key) => {
            federation::check_t1(state, app, &jwt, &key, now)?;
            Credential::Federated
        }
        None => {
            let exp = certificate::check_assertion(state, tenant, request, app, &jwt, now)?;
            replay::remember(state, app, &jwt, raw, exp, now)?;
            Credential::Certificate
        }
    };
    Ok(AuthenticatedClient {
        app,
        credential,
        azpacr: "2",
    })
}

/// Times shared by both kinds of assertion: `exp` required, `nbf`/`iat` not
/// in the future, all within the skew. Returns when the assertion started
/// to be valid and its `exp`.
pub(crate) fn check_times(jwt: &Jwt, now: i64) -> Result<(i64, i64), Refusal> {
    let date = |claim: &'static str| {
        jwt.numeric_date(claim)
            .map_err(|_| Refusal::NotNumericDate { claim })
    };
    let exp = date("exp")?.ok_or(Refusal::AssertionWithoutExp)?;
    let nbf = date("nbf")?;
    let iat = date("iat")?;
    if now > exp.saturating_add(SKEW_SECONDS) {
        return Err(Refusal::AssertionExpired { exp, now });
    }
    for (claim, value) in [("nbf", nbf), ("iat", iat)] {
        if let Some(value) = value
            && value > now.saturating_add(SKEW_SECONDS)
        {
            return Err(Refusal::AssertionNotYetValid { claim, value, now });
        }
    }
    let start = nbf.or(iat).unwrap_or(now).min(now);
    Ok((start, exp))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Value, json};

    use super::*;
    use crate::token_request::BasicCredentials;

    /// An unsigned JWT with these header and claims (enough for the checks
    /// that run before the signature).
    pub(crate) fn unsigned(header: Value, claims: Value) -> Jwt {
        Jwt::parse(&unsigned_raw(header, claims)).unwrap()
    }

    /// The compact form of [`unsigned`]'s JWT.
    pub(crate) fn unsigned_raw(header: Value, claims: Value) -> String {
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", part(&header), part(&claims))
    }

    /// A state over the default directory, its PKI in a temporary directory.
    pub(crate) fn state() -> (Arc<MockState>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let state = MockState::offline(dir.path(), crate::state::JtiPolicy::default());
        (state, dir)
    }

    #[test]
    fn times_within_the_skew_pass_and_beyond_it_are_refused() {
        let now = 1_800_000_000;
        let at = |claims: Value| check_times(&unsigned(json!({}), claims), now);
        assert_eq!(
            at(json!({"exp": now + 60, "nbf": now - 10})),
            Ok((now - 10, now + 60))
        );
        assert_eq!(
            at(json!({"exp": now - SKEW_SECONDS + 1})).unwrap().1,
            now - 299
        );
        assert_eq!(at(json!({})), Err(Refusal::AssertionWithoutExp));
        assert_eq!(
            at(json!({"exp": now - SKEW_SECONDS - 1})),
            Err(Refusal::AssertionExpired {
                exp: now - SKEW_SECONDS - 1,
                now
            })
        );
        assert_eq!(
            at(json!({"exp": now + 600, "iat": now + SKEW_SECONDS + 1})),
            Err(Refusal::AssertionNotYetValid {
                claim: "iat",
                value: now + SKEW_SECONDS + 1,
                now
            })
        );
        assert_eq!(
            at(json!({"exp": "soon"})),
            Err(Refusal::NotNumericDate { claim: "exp" })
        );
        // i64 limits saturate instead of overflowing.
        assert!(at(json!({"exp": i64::MAX})).is_ok());
    }

    #[test]
    fn the_claimed_client_id_is_the_body_s_else_basic_s_and_they_must_agree() {
        let basic = |id: &str| {
            Some(BasicCredentials {
                client_id: id.into(),
                secret: "s".into(),
            })
        };
        let fields = |body: Option<&str>, header: Option<&str>| ClientAuthFields {
            client_id: body.map(str::to_owned),
            basic: header.and_then(basic),
            ..ClientAuthFields::default()
        };
        assert_eq!(
            claimed_client_id(&fields(Some("a"), None)),
            Ok(Some("a".into()))
        );
        assert_eq!(
            claimed_client_id(&fields(Some(""), Some("b"))),
            Ok(Some("b".into()))
        );
        assert_eq!(
            claimed_client_id(&fields(Some("A"), Some("a"))),
            Ok(Some("A".into()))
        );
        assert_eq!(
            claimed_client_id(&fields(Some("a"), Some("b"))),
            Err(Refusal::ConflictingClientIds {
                body: "a".into(),
                header: "b".into()
            })
        );
        assert_eq!(claimed_client_id(&fields(None, None)), Ok(None));
    }

    #[test]
    fn the_presented_method_is_known_before_checking() {
        let secret_post = ClientAuthFields {
            client_secret: Some("s".into()),
            ..ClientAuthFields::default()
        };
        assert_eq!(
            presented(&secret_post).method,
            Some(ClientAuthMethod::SecretPost)
        );
        let pop = ClientAuthFields {
            client_assertion: Some("not a jwt".into()),
            client_assertion_type: Some(AssertionType::JwtPop.urn().into()),
            ..ClientAuthFields::default()
        };
        let seen = presented(&pop);
        assert_eq!(seen.method, Some(ClientAuthMethod::JwtPop));
        assert!(seen.assertion.is_none());
        assert!(presented(&ClientAuthFields::default()).method.is_none());
    }
}
