//! The two grant-specific requests: `client_credentials` (optionally with
//! an fmi path and mTLS PoP) and `user_fic`. Each checks its inputs before
//! anything else, looks in the cache, and only then builds the wire request.

use fic_protocol::GrantType;

use crate::account_lookup::UserId;
use crate::assertion::ClientAuth;
use crate::cache::AccessTokenQuery;
use crate::cache_key::{EXT_EXCLUDED_FIELDS, ext_components, stored_ext_cache_key};
use crate::client::{AuthResult, ConfidentialClient, TokenSource, with_oidc_scopes};
use crate::error::MsalError;

/// `token_type` value requesting an mTLS-bound token.
pub const MTLS_POP: &str = "mtls_pop";

/// `acquire_token_for_client(scopes)[.fmi_path(p)][.mtls_pop()].execute()`.
#[must_use = "nothing is requested until execute() is awaited"]
pub struct AcquireTokenForClient {
    client: ConfidentialClient,
    scopes: Vec<String>,
    fmi_path: Option<String>,
    mtls_pop: bool,
    extra: Vec<(String, String)>,
}

impl AcquireTokenForClient {
    pub(crate) fn new(client: ConfidentialClient, scopes: Vec<String>) -> Self {
        AcquireTokenForClient {
            client,
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
    /// other path (ext cache key).
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

    /// The body fields that describe the request (no client authentication):
    /// they decide the ext cache key, so lookup and storage agree.
    fn request_params(&self) -> Vec<(String, String)> {
        let mut params = vec![
            (
                "grant_type".to_owned(),
                GrantType::ClientCredentials.to_string(),
            ),
            ("scope".to_owned(), self.scopes.join(" ")),
        ];
        if let Some(p) = &self.fmi_path {
            params.push(("fmi_path".to_owned(), p.clone()));
        }
        if self.mtls_pop {
            params.push(("token_type".to_owned(), MTLS_POP.to_owned()));
        }
        params.extend(self.extra.iter().cloned());
        params
    }

    pub async fn execute(self) -> Result<AuthResult, MsalError> {
        if self.scopes.is_empty() {
            return Err(MsalError::NoScopes);
        }
        if self
            .fmi_path
            .as_deref()
            .is_some_and(|p| p.trim().is_empty())
        {
            return Err(MsalError::BlankFmiPath);
        }
        if let Some((name, _)) = self.extra.iter().find(|(k, _)| {
            k.is_empty() || k == "fmi_path" || EXT_EXCLUDED_FIELDS.contains(&k.as_str())
        }) {
            return Err(MsalError::ReservedParameter(name.clone()));
        }
        let client = &self.client;
        let params = self.request_params();
        let ext_cache_key = stored_ext_cache_key(
            &ext_components(params.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            client.inner.hash_algorithm,
        );

        // A PoP token is looked up by the thumbprint of the certificate it
        // would be bound to, so the callback runs before the cache lookup.
        let mut auth: Option<ClientAuth> = None;
        let key_id = if self.mtls_pop {
            let resolved = client.client_auth(self.fmi_path.as_deref()).await?;
            let thumbprint = resolved
                .tls_certificate()
                .ok_or(MsalError::MtlsPopWithoutCertificate)?
                .x5t_s256()?;
            auth = Some(resolved);
            Some(thumbprint)
        } else {
            None
        };

        let query = AccessTokenQuery {
            home_account_id: None,
            environment: client.inner.authority.environment.clone(),
            client_id: client.inner.client_id.clone(),
            realm: client.inner.authority.tenant.clone(),
            scopes: self.scopes.clone(),
            token_type: if self.mtls_pop { MTLS_POP } else { "Bearer" }.to_owned(),
            key_id: key_id.clone(),
            ext_cache_key: ext_cache_key.clone(),
        };
        if let Some(hit) = {
            let cache = client.cache_guard();
            cache
                .find_access_token(&query, client.now())
                .map(|(key, at)| AuthResult {
                    access_token: at.secret.clone(),
                    token_type: at.token_type.clone(),
                    expires_on: at.expires_on,
                    scopes: at.scopes(),
                    source: TokenSource::Cache,
                    account: None,
                    id_token_claims: None,
                    cache_key: key,
                })
        } {
            return Ok(hit);
        }

        let auth = match auth {
            Some(a) => a,
            None => client.client_auth(self.fmi_path.as_deref()).await?,
        };
        let response = client.send(params, &auth, &[]).await?;
        if self.mtls_pop && !response.token_type.eq_ignore_ascii_case(MTLS_POP) {
            return Err(MsalError::TokenTypeMismatch {
                requested: MTLS_POP.to_owned(),
                received: response.token_type,
            });
        }
        Ok(client.store_app_response(response, &self.scopes, ext_cache_key, key_id))
    }
}

/// `acquire_token_by_user_fic(scopes, assertion, user).execute()`.
#[must_use = "nothing is requested until execute() is awaited"]
pub struct AcquireTokenByUserFic {
    client: ConfidentialClient,
    scopes: Vec<String>,
    assertion: String,
    user: UserId,
}

impl AcquireTokenByUserFic {
    pub(crate) fn new(
        client: ConfidentialClient,
        scopes: Vec<String>,
        assertion: String,
        user: UserId,
    ) -> Self {
        AcquireTokenByUserFic {
            client,
            scopes,
            assertion,
            user,
        }
    }

    /// Exactly SPEC §2: scope augmented with `openid profile
    /// offline_access`, the credential, one user field, `client_info=1`.
    fn request_params(&self) -> (Vec<String>, Vec<(String, String)>) {
        let scope = with_oidc_scopes(&self.scopes);
        let (user_field, user_value) = self.user.form_field();
        let params = vec![
            ("grant_type".to_owned(), GrantType::UserFic.to_string()),
            ("scope".to_owned(), scope.join(" ")),
            (
                "user_federated_identity_credential".to_owned(),
                self.assertion.clone(),
            ),
            (user_field.to_owned(), user_value.to_owned()),
            ("client_info".to_owned(), "1".to_owned()),
        ];
        (scope, params)
    }

    pub async fn execute(self) -> Result<AuthResult, MsalError> {
        if self.scopes.is_empty() {
            return Err(MsalError::NoScopes);
        }
        if self.assertion.trim().is_empty() {
            return Err(MsalError::EmptyUserAssertion);
        }
        if self.user.value().trim().is_empty() {
            return Err(MsalError::EmptyUserId);
        }
        let client = &self.client;

        // Cache first (MSAL Java PR #1026); which account is "this user" is
        // the policy's decision, and under Strict only an exact match counts.
        let accounts = client.accounts();
        if let Some(account) = client.inner.account_lookup.select(&accounts, &self.user)
            && let Some(hit) = client.cached_user_token(account, &self.scopes)
        {
            return Ok(hit);
        }

        let (scope, params) = self.request_params();
        let auth = client.client_auth(None).await?;
        let anchor = self.user.anchor_mailbox(&client.inner.authority.tenant);
        let response = client
            .send(params, &auth, &[("x-anchormailbox", anchor)])
            .await?;
        client.store_user_response(
            response,
            &scope,
            Some(&GrantType::UserFic),
            Some(&self.user),
        )
    }
}
