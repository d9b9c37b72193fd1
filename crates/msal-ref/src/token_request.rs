//! The two grant-specific requests: `client_credentials` (optionally with
//! an fmi path and mTLS PoP) and `user_fic`. Each checks its inputs before
//! anything else, looks in the cache, and only then builds the wire request.
//! What they share (authentication, the POST, the cache) is the client's
//! request context.

use std::sync::Arc;

use fic_protocol::{FmiPath, GrantType, Scopes, TokenType, UserFederatedCredential, form};

use crate::account_lookup::UserId;
use crate::assertion::ClientAuth;
use crate::cache::UserResponseContext;
use crate::cache_key::{EXT_EXCLUDED_FIELDS, ext_components, stored_ext_cache_key};
use crate::context::RequestContext;
use crate::error::MsalError;
use crate::result::AuthResult;

/// `acquire_token_for_client(scopes)[.fmi_path(p)][.mtls_pop()].execute()`.
///
/// An app token: Leg 1 when the blueprint asks with an fmi path, Leg 2
/// when an agent asks with T1 as its assertion (`docs/protocol.md` §1).
#[must_use = "nothing is requested until execute() is awaited"]
pub struct AcquireTokenForClient {
    context: Arc<RequestContext>,
    scopes: Scopes,
    fmi_path: Option<String>,
    mtls_pop: bool,
    extra: Vec<(String, String)>,
}

impl AcquireTokenForClient {
    pub(crate) fn new(context: Arc<RequestContext>, scopes: Scopes) -> Self {
        AcquireTokenForClient {
            context,
            scopes,
            fmi_path: None,
            mtls_pop: false,
            extra: Vec::new(),
        }
    }

    /// Any other body parameter. It counts as a cache key component, as in
    /// MSAL Python, which is what lets a test put `{fmi_pat: hvalue}` next
    /// to `{fmi_path: value}` and watch the legacy concat hash collide.
    /// Standard OAuth fields and `fmi_path` are refused
    /// ([`MsalError::ReservedParameter`]); use the dedicated methods.
    pub fn extra_body_parameter(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// Sends `fmi_path` in the body and caches the token apart from every
    /// other path (ext cache key). Only a blank path is refused here
    /// ([`FmiPath::is_blank`]); the identity provider judges the rest, as
    /// it does for every MSAL port.
    pub fn fmi_path(mut self, path: impl Into<String>) -> Self {
        self.fmi_path = Some(path.into());
        self
    }

    /// Requests `token_type=mtls_pop`: the token is bound to the
    /// token-binding certificate the assertion callback returns.
    pub fn mtls_pop(mut self) -> Self {
        self.mtls_pop = true;
        self
    }

    fn token_type(&self) -> TokenType {
        if self.mtls_pop {
            TokenType::MtlsPop
        } else {
            TokenType::Bearer
        }
    }

    /// The body fields that describe the request (no client authentication):
    /// they decide the ext cache key, so lookup and storage agree.
    fn request_params(&self) -> Vec<(String, String)> {
        let mut params = vec![
            (
                form::GRANT_TYPE.to_owned(),
                GrantType::ClientCredentials.to_string(),
            ),
            (form::SCOPE.to_owned(), self.scopes.to_wire()),
        ];
        if let Some(p) = &self.fmi_path {
            params.push((form::FMI_PATH.to_owned(), p.clone()));
        }
        if self.mtls_pop {
            params.push((form::TOKEN_TYPE.to_owned(), TokenType::MTLS_POP.to_owned()));
        }
        params.extend(self.extra.iter().cloned());
        params
    }

    /// Checks the inputs, answers from the cache when it can, else asks the
    /// identity provider and caches the answer.
    pub async fn execute(self) -> Result<AuthResult, MsalError> {
        if self.scopes.is_empty() {
            return Err(MsalError::NoScopes);
        }
        if self.fmi_path.as_deref().is_some_and(FmiPath::is_blank) {
            return Err(MsalError::BlankFmiPath);
        }
        if let Some((name, _)) = self.extra.iter().find(|(k, _)| {
            k.is_empty() || k == form::FMI_PATH || EXT_EXCLUDED_FIELDS.contains(&k.as_str())
        }) {
            return Err(MsalError::ReservedParameter(name.clone()));
        }
        let context = &self.context;
        let params = self.request_params();
        let ext_cache_key = stored_ext_cache_key(
            &ext_components(params.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            context.hash_algorithm,
        );

        // A PoP token is looked up by the thumbprint of the certificate it
        // would be bound to, so the callback runs before the cache lookup.
        let mut auth: Option<ClientAuth> = None;
        let key_id = if self.mtls_pop {
            let resolved = context.client_auth(self.fmi_path.as_deref()).await?;
            let thumbprint = resolved
                .tls_certificate()
                .ok_or(MsalError::MtlsPopWithoutCertificate)?
                .x5t_s256()?;
            auth = Some(resolved);
            Some(thumbprint)
        } else {
            None
        };

        let query = context.app_query(
            &self.scopes,
            self.token_type(),
            key_id.clone(),
            ext_cache_key.clone(),
        );
        if let Some(hit) = context.cached_app_token(&query) {
            return Ok(hit);
        }

        let auth = match auth {
            Some(a) => a,
            None => context.client_auth(self.fmi_path.as_deref()).await?,
        };
        let response = context.send(params, &auth, &[]).await?;
        if self.mtls_pop && !TokenType::MtlsPop.matches(&response.token_type) {
            return Err(MsalError::TokenTypeMismatch {
                requested: TokenType::MTLS_POP.to_owned(),
                received: response.token_type,
            });
        }
        Ok(context.store_app_response(&response, &self.scopes, ext_cache_key, key_id))
    }
}

/// `acquire_token_by_user_fic(scopes, assertion, user).execute()`.
///
/// A user token for an agent, Leg 3: the agent presents T2 as the user's
/// federated credential and names the user by UPN or object id
/// (`docs/protocol.md` §1–§2, §5).
#[must_use = "nothing is requested until execute() is awaited"]
pub struct AcquireTokenByUserFic {
    context: Arc<RequestContext>,
    scopes: Scopes,
    assertion: UserFederatedCredential,
    user: UserId,
}

impl AcquireTokenByUserFic {
    pub(crate) fn new(
        context: Arc<RequestContext>,
        scopes: Scopes,
        assertion: UserFederatedCredential,
        user: UserId,
    ) -> Self {
        AcquireTokenByUserFic {
            context,
            scopes,
            assertion,
            user,
        }
    }

    /// Exactly `docs/protocol.md` §2: scope augmented with `openid profile
    /// offline_access`, the credential, one user field, `client_info=1`.
    fn request_params(&self) -> (Scopes, Vec<(String, String)>) {
        let scope = self.scopes.with_oidc();
        let (user_field, user_value) = self.user.form_field();
        let params = vec![
            (form::GRANT_TYPE.to_owned(), GrantType::UserFic.to_string()),
            (form::SCOPE.to_owned(), scope.to_wire()),
            (
                form::USER_FEDERATED_IDENTITY_CREDENTIAL.to_owned(),
                self.assertion.secret().to_owned(),
            ),
            (user_field.to_owned(), user_value.to_owned()),
            (
                form::CLIENT_INFO.to_owned(),
                form::CLIENT_INFO_REQUESTED.to_owned(),
            ),
        ];
        (scope, params)
    }

    /// Checks the inputs, answers from the cache when the account lookup
    /// policy finds this user's account, else asks the identity provider
    /// and caches the answer.
    pub async fn execute(self) -> Result<AuthResult, MsalError> {
        if self.scopes.is_empty() {
            return Err(MsalError::NoScopes);
        }
        if self.assertion.secret().trim().is_empty() {
            return Err(MsalError::EmptyUserAssertion);
        }
        if self.user.value().trim().is_empty() {
            return Err(MsalError::EmptyUserId);
        }
        let context = &self.context;

        // Cache first (MSAL Java PR #1026); which account is "this user" is
        // the policy's decision, and under Strict only an exact match counts.
        let accounts = context.cache().accounts_in(&context.authority.environment);
        if let Some(account) = context.account_lookup.select(&accounts, &self.user)
            && let Some(hit) = context.cached_user_token(account, &self.scopes)
        {
            return Ok(hit);
        }

        let (scope, params) = self.request_params();
        let auth = context.client_auth(None).await?;
        let anchor = self.user.anchor_mailbox(&context.authority.tenant);
        let response = context
            .send(params, &auth, &[(form::ANCHOR_MAILBOX_HEADER, anchor)])
            .await?;
        let grant = GrantType::UserFic.to_string();
        context.store_user_response(
            &response,
            &scope,
            UserResponseContext {
                account_source: Some(&grant),
                username_hint: self.user.upn(),
            },
        )
    }
}
