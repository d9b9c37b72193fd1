//! The confidential client: configuration and the entry points of every
//! acquisition. The grant-specific request builders live in
//! `token_request.rs`; what requests share (authentication, the POST, the
//! cache) is the request context in `context.rs`.

use std::sync::{Arc, Mutex};

use fic_protocol::{ClientId, GrantType, RefreshToken, Scopes, UserFederatedCredential, form};

use crate::account_lookup::{AccountLookupPolicy, UserId};
use crate::authority::Authority;
use crate::cache::{Account, TokenCache, UserResponseContext};
use crate::cache_key::{HashAlgorithm, KeyProfile};
use crate::clock::{Clock, SystemClock};
use crate::context::RequestContext;
use crate::credential::Credential;
use crate::error::MsalError;
use crate::http::Http;
use crate::result::AuthResult;
use crate::token_request::{AcquireTokenByUserFic, AcquireTokenForClient};

/// A confidential client: one application registration (client id and
/// credential) at one authority, with its token cache. Cheap to clone;
/// clones share the cache, which is what lets an agent's assertion
/// callback use the blueprint's client without asking twice for T1.
#[derive(Clone)]
pub struct ConfidentialClient {
    pub(crate) context: Arc<RequestContext>,
}

impl std::fmt::Debug for ConfidentialClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfidentialClient")
            .field("client_id", &self.context.client_id.as_str())
            .field("authority", &self.context.authority.url)
            .field("credential", &self.context.credential)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ConfidentialClient`]: `ConfidentialClient::builder(client_id,
/// authority)`, then options, then [`build`](Self::build). Only the
/// credential is required; every other option has the default a real MSAL
/// client would use.
pub struct ConfidentialClientBuilder {
    client_id: String,
    authority: String,
    credential: Option<Credential>,
    ca_certificate_pem: Option<String>,
    hash_algorithm: HashAlgorithm,
    key_profile: KeyProfile,
    account_lookup: AccountLookupPolicy,
    clock: Arc<dyn Clock>,
    token_cache: Option<TokenCache>,
    allow_plain_http: bool,
    proxy: Option<url::Url>,
}

impl ConfidentialClientBuilder {
    /// How the client authenticates: a secret, a certificate or an
    /// assertion callback.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// Trust exactly this CA (PEM) instead of the platform's roots, e.g.
    /// the mock's `ca_cert_pem()`.
    pub fn ca_certificate_pem(mut self, pem: impl Into<String>) -> Self {
        self.ca_certificate_pem = Some(pem.into());
        self
    }

    /// How fmi paths and other extra body fields are hashed into the
    /// cache key; [`HashAlgorithm::LegacyConcat`] only to replay the
    /// collision of older ports.
    pub fn hash_algorithm(mut self, algorithm: HashAlgorithm) -> Self {
        self.hash_algorithm = algorithm;
        self
    }

    /// The layout of new access-token keys: [`KeyProfile::Atext`] as most
    /// ports, [`KeyProfile::MsalNode`] as msal-node.
    pub fn key_profile(mut self, profile: KeyProfile) -> Self {
        self.key_profile = profile;
        self
    }

    /// How the cache-first path of `user_fic` picks an account; see
    /// [`AccountLookupPolicy`].
    pub fn account_lookup(mut self, policy: AccountLookupPolicy) -> Self {
        self.account_lookup = policy;
        self
    }

    /// The clock for cache expiry and assertion lifetimes, e.g. a
    /// [`ManualClock`](crate::ManualClock) in tests.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Start from an existing cache (e.g. one deserialized from a port's JSON).
    pub fn token_cache(mut self, cache: TokenCache) -> Self {
        self.token_cache = Some(cache);
        self
    }

    /// Send every request through this forward proxy (`http://host:port`,
    /// `CONNECT` for https), e.g. the mock's `proxy_url()` with the public
    /// cloud's authority.
    pub fn proxy(mut self, proxy: url::Url) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Accept an `http://` authority. Only for the mock's plain-HTTP mode and
    /// in-process fakes: every real MSAL port refuses it (`docs/protocol.md` §7).
    pub fn allow_plain_http(mut self, yes: bool) -> Self {
        self.allow_plain_http = yes;
        self
    }

    /// Parses the authority, sets up TLS and the cache. Fails without a
    /// credential, on an invalid authority, or on an unreadable CA.
    pub fn build(self) -> Result<ConfidentialClient, MsalError> {
        let authority = Authority::parse(&self.authority, self.allow_plain_http)?;
        let credential = self.credential.ok_or(MsalError::MissingCredential)?;
        let http = Http::new(self.ca_certificate_pem.as_deref(), self.proxy)?;
        let mut cache = self.token_cache.unwrap_or_default();
        cache.set_key_profile(self.key_profile);
        Ok(ConfidentialClient {
            context: Arc::new(RequestContext {
                client_id: ClientId::new(self.client_id),
                authority,
                credential,
                hash_algorithm: self.hash_algorithm,
                account_lookup: self.account_lookup,
                clock: self.clock,
                http,
                cache: Mutex::new(cache),
            }),
        })
    }
}

impl ConfidentialClient {
    /// Starts configuring the client `client_id` at `authority`
    /// (`https://host/<tenant>`).
    pub fn builder(
        client_id: impl Into<String>,
        authority: impl Into<String>,
    ) -> ConfidentialClientBuilder {
        ConfidentialClientBuilder {
            client_id: client_id.into(),
            authority: authority.into(),
            credential: None,
            ca_certificate_pem: None,
            hash_algorithm: HashAlgorithm::default(),
            key_profile: KeyProfile::default(),
            account_lookup: AccountLookupPolicy::default(),
            clock: Arc::new(SystemClock),
            token_cache: None,
            allow_plain_http: false,
            proxy: None,
        }
    }

    /// The application (client) id.
    pub fn client_id(&self) -> &str {
        self.context.client_id.as_str()
    }

    /// The authority, parsed.
    pub fn authority(&self) -> &Authority {
        &self.context.authority
    }

    /// How extra body fields are hashed into cache keys.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.context.hash_algorithm
    }

    /// How `user_fic`'s cache-first path picks an account.
    pub fn account_lookup_policy(&self) -> AccountLookupPolicy {
        self.context.account_lookup
    }

    /// App token (client_credentials), optionally for an fmi path.
    pub fn acquire_token_for_client<I, S>(&self, scopes: I) -> AcquireTokenForClient
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AcquireTokenForClient::new(self.context.clone(), Scopes::new(scopes))
    }

    /// User token by the `user_fic` grant; `assertion` is the user's
    /// federated identity credential (T2 in the agent protocol).
    pub fn acquire_token_by_user_fic<I, S>(
        &self,
        scopes: I,
        assertion: impl Into<UserFederatedCredential>,
        user: UserId,
    ) -> AcquireTokenByUserFic
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AcquireTokenByUserFic::new(
            self.context.clone(),
            Scopes::new(scopes),
            assertion.into(),
            user,
        )
    }

    /// A cached user token for `account`; when its access token has expired
    /// and a refresh token is cached, redeems the refresh token.
    pub async fn acquire_token_silent<I, S>(
        &self,
        scopes: I,
        account: &Account,
    ) -> Result<AuthResult, MsalError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let context = &self.context;
        let scopes = Scopes::new(scopes);
        if scopes.is_empty() {
            return Err(MsalError::NoScopes);
        }
        if let Some(hit) = context.cached_user_token(account, &scopes) {
            return Ok(hit);
        }
        let refresh_token = context
            .cache()
            .refresh_token(
                &account.home_account_id,
                &context.authority.environment,
                context.client_id.as_str(),
            )
            .map(|rt| RefreshToken::new(rt.secret.clone()))
            .ok_or(MsalError::NoTokenInCache)?;
        let scope = scopes.with_oidc();
        let params = vec![
            (
                form::GRANT_TYPE.to_owned(),
                GrantType::RefreshToken.to_string(),
            ),
            (form::SCOPE.to_owned(), scope.to_wire()),
            (form::REFRESH_TOKEN.to_owned(), refresh_token.into_secret()),
            (
                form::CLIENT_INFO.to_owned(),
                form::CLIENT_INFO_REQUESTED.to_owned(),
            ),
        ];
        let auth = context.client_auth(None).await?;
        let response = context.send(params, &auth, &[]).await?;
        context.store_user_response(&response, &scope, UserResponseContext::default())
    }

    /// Accounts cached for this authority's environment.
    pub fn accounts(&self) -> Vec<Account> {
        self.context
            .cache()
            .accounts_in(&self.context.authority.environment)
    }

    /// A snapshot of the cache (serialize it, list its keys).
    pub fn cache(&self) -> TokenCache {
        self.context.cache().clone()
    }

    /// Replaces the cache, keeping this client's key profile for new writes.
    pub fn replace_cache(&self, mut cache: TokenCache) {
        let mut guard = self.context.cache();
        cache.set_key_profile(guard.key_profile());
        *guard = cache;
    }
}
