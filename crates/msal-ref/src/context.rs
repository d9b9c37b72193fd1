//! What every request of one client shares: its configuration, its
//! transport, its cache and the steps all acquisitions take (client
//! authentication, the POST, reading and writing the cache).
//!
//! [`ConfidentialClient`](crate::ConfidentialClient) owns one and the
//! request builders in `token_request.rs` borrow it; neither depends on the
//! other, so one acquisition reads top to bottom: the builder's checks, the
//! cache lookup here, the wire here, the cache write in `cache/response.rs`.

use std::sync::{Arc, Mutex, MutexGuard};

use fic_protocol::{ClientId, Scopes, TokenResponse, TokenType, form};

use crate::account_lookup::AccountLookupPolicy;
use crate::assertion::ClientAuth;
use crate::authority::Authority;
use crate::cache::{AccessTokenQuery, Account, TokenCache, TokenOrigin, UserResponseContext};
use crate::cache_key::HashAlgorithm;
use crate::clock::Clock;
use crate::credential::{AssertionRequestOptions, Credential};
use crate::error::MsalError;
use crate::http::Http;
use crate::result::{AuthResult, TokenSource};

/// One client's configuration and state, shared by its clones and by the
/// requests it builds.
pub(crate) struct RequestContext {
    pub(crate) client_id: ClientId,
    pub(crate) authority: Authority,
    pub(crate) credential: Credential,
    pub(crate) hash_algorithm: HashAlgorithm,
    pub(crate) account_lookup: AccountLookupPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) http: Http,
    pub(crate) cache: Mutex<TokenCache>,
}

impl RequestContext {
    pub(crate) fn cache(&self) -> MutexGuard<'_, TokenCache> {
        self.cache.lock().expect("token cache poisoned")
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The fields every entry this client writes shares.
    fn origin(&self) -> TokenOrigin<'_> {
        TokenOrigin {
            environment: &self.authority.environment,
            realm: self.authority.tenant.as_str(),
            client_id: self.client_id.as_str(),
        }
    }

    /// The client authentication for one request. The assertion callback
    /// runs here, once per request, and learns the request's fmi path.
    pub(crate) async fn client_auth(
        &self,
        fmi_path: Option<&str>,
    ) -> Result<ClientAuth, MsalError> {
        let options = AssertionRequestOptions {
            client_id: self.client_id.to_string(),
            token_endpoint: self.authority.token_endpoint.clone(),
            fmi_path: fmi_path.map(str::to_owned),
        };
        ClientAuth::resolve(&self.credential, options, self.now()).await
    }

    /// Sends `client_id` + `params` + client authentication, over a
    /// connection that presents the jwt-pop certificate when there is one.
    pub(crate) async fn send(
        &self,
        params: Vec<(String, String)>,
        auth: &ClientAuth,
        headers: &[(&str, String)],
    ) -> Result<TokenResponse, MsalError> {
        let mut body = vec![(form::CLIENT_ID.to_owned(), self.client_id.to_string())];
        body.extend(params);
        auth.append_to(&mut body);
        let http = self.http.client_for(auth.tls_certificate())?;
        self.http
            .post_token(&http, &self.authority.token_endpoint, headers, &body)
            .await
    }

    /// The query for this client's app tokens.
    pub(crate) fn app_query(
        &self,
        scopes: &Scopes,
        token_type: TokenType,
        key_id: Option<String>,
        ext_cache_key: Option<String>,
    ) -> AccessTokenQuery {
        AccessTokenQuery {
            home_account_id: None,
            environment: self.authority.environment.clone(),
            client_id: self.client_id.to_string(),
            realm: self.authority.tenant.to_string(),
            scopes: scopes.to_strings(),
            token_type: token_type.as_str().to_owned(),
            key_id,
            ext_cache_key,
        }
    }

    /// A cached app token for `query`.
    pub(crate) fn cached_app_token(&self, query: &AccessTokenQuery) -> Option<AuthResult> {
        let cache = self.cache();
        let (key, at) = cache.find_access_token(query, self.now())?;
        Some(AuthResult::from_entry(
            key,
            at,
            TokenSource::Cache,
            None,
            None,
        ))
    }

    /// The cached user token for `account`, with its id token claims.
    pub(crate) fn cached_user_token(
        &self,
        account: &Account,
        scopes: &Scopes,
    ) -> Option<AuthResult> {
        let query = AccessTokenQuery {
            home_account_id: Some(account.home_account_id.clone()),
            ..self.app_query(scopes, TokenType::Bearer, None, None)
        };
        let cache = self.cache();
        let (key, at) = cache.find_access_token(&query, self.now())?;
        let id_token_claims = cache
            .id_token(
                &account.home_account_id,
                &self.authority.environment,
                self.client_id.as_str(),
                self.authority.tenant.as_str(),
            )
            .and_then(|idt| idt.claims());
        Some(AuthResult::from_entry(
            key,
            at,
            TokenSource::Cache,
            Some(account.clone()),
            id_token_claims,
        ))
    }

    /// Stores an app token response; see [`TokenCache::store_app_response`].
    pub(crate) fn store_app_response(
        &self,
        response: &TokenResponse,
        requested: &Scopes,
        ext_cache_key: Option<String>,
        key_id: Option<String>,
    ) -> AuthResult {
        let now = self.now();
        let (key, entry) = self.cache().store_app_response(
            self.origin(),
            response,
            requested,
            ext_cache_key,
            key_id,
            now,
        );
        AuthResult::from_entry(key, &entry, TokenSource::IdentityProvider, None, None)
    }

    /// Stores a user token response; see [`TokenCache::store_user_response`].
    pub(crate) fn store_user_response(
        &self,
        response: &TokenResponse,
        requested: &Scopes,
        user: UserResponseContext<'_>,
    ) -> Result<AuthResult, MsalError> {
        let now = self.now();
        let stored =
            self.cache()
                .store_user_response(self.origin(), response, requested, user, now)?;
        Ok(AuthResult::from_entry(
            stored.key,
            &stored.access_token,
            TokenSource::IdentityProvider,
            Some(stored.account),
            stored.id_token_claims,
        ))
    }
}
