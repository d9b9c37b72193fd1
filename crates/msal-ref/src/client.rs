//! The confidential client: configuration, the shared request/response
//! plumbing, and `acquire_token_silent`. The two grant-specific request
//! builders live in `token_request.rs`.

use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use fic_protocol::{ClientInfo, GrantType, OIDC_SCOPES, TokenResponse};
use serde_json::{Map, Value};

use crate::account_lookup::{AccountLookupPolicy, UserId};
use crate::assertion::ClientAuth;
use crate::cache::{
    AUTHORITY_TYPE_MSSTS, AccessTokenEntry, AccessTokenQuery, Account, AppMetadataEntry,
    IdTokenEntry, RefreshTokenEntry, TokenCache,
};
use crate::cache_key::{CacheKey, HashAlgorithm, KeyProfile};
use crate::clock::{Clock, SystemClock};
use crate::credential::{AssertionRequestOptions, Credential};
use crate::error::MsalError;
use crate::http::Http;
use crate::token_request::{AcquireTokenByUserFic, AcquireTokenForClient};

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenSource {
    Cache,
    IdentityProvider,
}

/// A token and what is known about it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthResult {
    pub access_token: String,
    pub token_type: String,
    /// Unix seconds.
    pub expires_on: u64,
    /// The scopes the cached entry holds.
    pub scopes: Vec<String>,
    pub source: TokenSource,
    /// Set for user tokens.
    pub account: Option<Account>,
    pub id_token_claims: Option<Value>,
    /// The full key the access token is stored under.
    pub cache_key: CacheKey,
}

/// `https://host[:port]/<tenant>`, split into what the protocol needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Normalized, without trailing slash.
    pub url: String,
    /// Host without port, lowercased: the cache `environment`, so keys do
    /// not change with the mock's random port.
    pub environment: String,
    pub tenant: String,
    /// `{authority}/oauth2/v2.0/token`, built without discovery as .NET and
    /// Java do.
    pub token_endpoint: String,
}

impl Authority {
    pub fn parse(authority: &str, allow_plain_http: bool) -> Result<Authority, MsalError> {
        let invalid = |reason: &str| MsalError::InvalidAuthority {
            authority: authority.to_owned(),
            reason: reason.to_owned(),
        };
        let url = url::Url::parse(authority).map_err(|e| invalid(&e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_plain_http => {}
            _ => return Err(invalid("the scheme must be https")),
        }
        let host = url.host_str().ok_or_else(|| invalid("no host"))?;
        let tenant = url
            .path_segments()
            .and_then(|mut s| s.next())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| invalid("no tenant path segment"))?
            .to_owned();
        let origin = url.origin().ascii_serialization();
        let base = format!("{origin}/{tenant}");
        Ok(Authority {
            token_endpoint: format!("{base}/oauth2/v2.0/token"),
            url: base,
            environment: host.to_lowercase(),
            tenant,
        })
    }
}

pub(crate) struct Inner {
    pub(crate) client_id: String,
    pub(crate) authority: Authority,
    pub(crate) credential: Credential,
    pub(crate) hash_algorithm: HashAlgorithm,
    pub(crate) account_lookup: AccountLookupPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    http: Http,
    cache: Mutex<TokenCache>,
}

/// A confidential client. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct ConfidentialClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for ConfidentialClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfidentialClient")
            .field("client_id", &self.inner.client_id)
            .field("authority", &self.inner.authority.url)
            .field("credential", &self.inner.credential)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ConfidentialClient`].
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

    pub fn hash_algorithm(mut self, algorithm: HashAlgorithm) -> Self {
        self.hash_algorithm = algorithm;
        self
    }

    pub fn key_profile(mut self, profile: KeyProfile) -> Self {
        self.key_profile = profile;
        self
    }

    pub fn account_lookup(mut self, policy: AccountLookupPolicy) -> Self {
        self.account_lookup = policy;
        self
    }

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
    /// in-process fakes: every real MSAL port refuses it (SPEC §7).
    pub fn allow_plain_http(mut self, yes: bool) -> Self {
        self.allow_plain_http = yes;
        self
    }

    pub fn build(self) -> Result<ConfidentialClient, MsalError> {
        let authority = Authority::parse(&self.authority, self.allow_plain_http)?;
        let credential = self.credential.ok_or(MsalError::MissingCredential)?;
        let http = Http::new(self.ca_certificate_pem.as_deref(), self.proxy)?;
        let mut cache = self.token_cache.unwrap_or_default();
        cache.set_key_profile(self.key_profile);
        Ok(ConfidentialClient {
            inner: Arc::new(Inner {
                client_id: self.client_id,
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

    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    pub fn authority(&self) -> &Authority {
        &self.inner.authority
    }

    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.inner.hash_algorithm
    }

    pub fn account_lookup_policy(&self) -> AccountLookupPolicy {
        self.inner.account_lookup
    }

    /// App token (client_credentials), optionally for an fmi path.
    pub fn acquire_token_for_client<I, S>(&self, scopes: I) -> AcquireTokenForClient
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AcquireTokenForClient::new(self.clone(), scopes.into_iter().map(Into::into).collect())
    }

    /// User token by the `user_fic` grant; `assertion` is the user's
    /// federated identity credential (T2 in the agent protocol).
    pub fn acquire_token_by_user_fic<I, S>(
        &self,
        scopes: I,
        assertion: impl Into<String>,
        user: UserId,
    ) -> AcquireTokenByUserFic
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AcquireTokenByUserFic::new(
            self.clone(),
            scopes.into_iter().map(Into::into).collect(),
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
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if scopes.is_empty() {
            return Err(MsalError::NoScopes);
        }
        if let Some(hit) = self.cached_user_token(account, &scopes) {
            return Ok(hit);
        }
        let refresh_token = self
            .cache_guard()
            .refresh_token(
                &account.home_account_id,
                &self.inner.authority.environment,
                &self.inner.client_id,
            )
            .map(|rt| rt.secret.clone())
            .ok_or(MsalError::NoTokenInCache)?;
        let scope = with_oidc_scopes(&scopes);
        let params = vec![
            ("grant_type".to_owned(), GrantType::RefreshToken.to_string()),
            ("scope".to_owned(), scope.join(" ")),
            ("refresh_token".to_owned(), refresh_token),
            ("client_info".to_owned(), "1".to_owned()),
        ];
        let auth = self.client_auth(None).await?;
        let response = self.send(params, &auth, &[]).await?;
        self.store_user_response(response, &scope, None, None)
    }

    /// Accounts cached for this authority's environment.
    pub fn accounts(&self) -> Vec<Account> {
        self.cache_guard()
            .accounts_in(&self.inner.authority.environment)
    }

    /// A snapshot of the cache (serialize it, list its keys).
    pub fn cache(&self) -> TokenCache {
        self.cache_guard().clone()
    }

    /// Replaces the cache, keeping this client's key profile for new writes.
    pub fn replace_cache(&self, mut cache: TokenCache) {
        let mut guard = self.cache_guard();
        cache.set_key_profile(guard.key_profile());
        *guard = cache;
    }

    pub(crate) fn cache_guard(&self) -> MutexGuard<'_, TokenCache> {
        self.inner.cache.lock().expect("token cache poisoned")
    }

    pub(crate) fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    pub(crate) async fn client_auth(
        &self,
        fmi_path: Option<&str>,
    ) -> Result<ClientAuth, MsalError> {
        let options = AssertionRequestOptions {
            client_id: self.inner.client_id.clone(),
            token_endpoint: self.inner.authority.token_endpoint.clone(),
            fmi_path: fmi_path.map(str::to_owned),
        };
        ClientAuth::resolve(&self.inner.credential, options, self.now()).await
    }

    /// Sends `client_id` + `params` + client authentication, over a
    /// connection that presents the jwt-pop certificate when there is one.
    pub(crate) async fn send(
        &self,
        params: Vec<(String, String)>,
        auth: &ClientAuth,
        headers: &[(&str, String)],
    ) -> Result<TokenResponse, MsalError> {
        let mut form = vec![("client_id".to_owned(), self.inner.client_id.clone())];
        form.extend(params);
        auth.append_to(&mut form);
        let http = self.inner.http.client_for(auth.tls_certificate())?;
        self.inner
            .http
            .post_token(&http, &self.inner.authority.token_endpoint, headers, &form)
            .await
    }

    pub(crate) fn user_query(&self, home_account_id: &str, scopes: &[String]) -> AccessTokenQuery {
        AccessTokenQuery {
            home_account_id: Some(home_account_id.to_owned()),
            environment: self.inner.authority.environment.clone(),
            client_id: self.inner.client_id.clone(),
            realm: self.inner.authority.tenant.clone(),
            scopes: scopes.to_vec(),
            token_type: "Bearer".into(),
            key_id: None,
            ext_cache_key: None,
        }
    }

    /// The cached user token for `account`, with its id token claims.
    pub(crate) fn cached_user_token(
        &self,
        account: &Account,
        scopes: &[String],
    ) -> Option<AuthResult> {
        let cache = self.cache_guard();
        let (key, at) = cache.find_access_token(
            &self.user_query(&account.home_account_id, scopes),
            self.now(),
        )?;
        let id_token_claims = cache
            .id_token(
                &account.home_account_id,
                &self.inner.authority.environment,
                &self.inner.client_id,
                &self.inner.authority.tenant,
            )
            .and_then(|idt| decode_jwt_claims(&idt.secret));
        Some(AuthResult {
            access_token: at.secret.clone(),
            token_type: at.token_type.clone(),
            expires_on: at.expires_on,
            scopes: at.scopes(),
            source: TokenSource::Cache,
            account: Some(account.clone()),
            id_token_claims,
            cache_key: key,
        })
    }

    /// Stores an app token; `key_id` binds an `mtls_pop` token to its certificate.
    pub(crate) fn store_app_response(
        &self,
        response: TokenResponse,
        requested_scopes: &[String],
        ext_cache_key: Option<String>,
        key_id: Option<String>,
    ) -> AuthResult {
        let now = self.now();
        let scopes = granted_scopes(&response, requested_scopes);
        let mut cache = self.cache_guard();
        let entry = self.access_token_entry(&cache, &response, None, &scopes, now);
        let entry = AccessTokenEntry {
            key_id,
            ext_cache_key,
            ..entry
        };
        let result_base = (
            entry.secret.clone(),
            entry.token_type.clone(),
            entry.expires_on,
        );
        let key = cache.insert_access_token(entry);
        cache.upsert_app_metadata(self.app_metadata());
        AuthResult {
            access_token: result_base.0,
            token_type: result_base.1,
            expires_on: result_base.2,
            scopes,
            source: TokenSource::IdentityProvider,
            account: None,
            id_token_claims: None,
            cache_key: key,
        }
    }

    /// Stores a user token response the way MSAL Python's `__add` does: an
    /// ordinary AccessToken (never hashed), the Account from client_info and
    /// the id token, the IdToken, the RefreshToken and AppMetadata.
    pub(crate) fn store_user_response(
        &self,
        response: TokenResponse,
        requested_scopes: &[String],
        grant: Option<&GrantType>,
        user: Option<&UserId>,
    ) -> Result<AuthResult, MsalError> {
        let now = self.now();
        let env = self.inner.authority.environment.clone();
        let realm = self.inner.authority.tenant.clone();
        let claims = match &response.id_token {
            Some(idt) => Some(decode_jwt_claims(idt).ok_or(MsalError::InvalidIdToken)?),
            None => None,
        };
        let claim = |name: &str| {
            claims
                .as_ref()
                .and_then(|c| c.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        // Python's __parse_account: client_info first, the id token's sub
        // only when there is no client_info.
        let (home_account_id, uid) = match &response.client_info {
            Some(ci) => {
                let ci = ClientInfo::decode(ci)?;
                (ci.home_account_id(), ci.uid)
            }
            None => match claim("sub") {
                Some(sub) => (sub.clone(), sub),
                None => {
                    return Err(MsalError::UnexpectedResponse {
                        status: 200,
                        detail: "a user token response without client_info or id_token".into(),
                    });
                }
            },
        };
        let scopes = granted_scopes(&response, requested_scopes);
        let mut cache = self.cache_guard();
        let previous_source = cache
            .accounts()
            .into_iter()
            .find(|a| a.home_account_id == home_account_id && a.environment == env)
            .and_then(|a| a.account_source);
        let account = Account {
            home_account_id: home_account_id.clone(),
            environment: env.clone(),
            realm: realm.clone(),
            local_account_id: claim("oid").or_else(|| claim("sub")).unwrap_or(uid),
            username: claim("preferred_username")
                .or_else(|| claim("upn"))
                .or_else(|| match user {
                    Some(UserId::Upn(upn)) => Some(upn.clone()),
                    _ => None,
                })
                .unwrap_or_default(),
            authority_type: AUTHORITY_TYPE_MSSTS.into(),
            account_source: grant.map(|g| g.to_string()).or(previous_source),
            extra: Map::new(),
        };
        let entry =
            self.access_token_entry(&cache, &response, Some(&home_account_id), &scopes, now);
        let (secret, token_type, expires_on) = (
            entry.secret.clone(),
            entry.token_type.clone(),
            entry.expires_on,
        );
        let key = cache.insert_access_token(entry);
        cache.upsert_account(account.clone());
        if let Some(idt) = &response.id_token {
            cache.upsert_id_token(IdTokenEntry {
                credential_type: "IdToken".into(),
                secret: idt.clone(),
                home_account_id: home_account_id.clone(),
                environment: env.clone(),
                realm: realm.clone(),
                client_id: self.inner.client_id.clone(),
                extra: Map::new(),
            });
        }
        if let Some(rt) = &response.refresh_token {
            let target = cache.target_for(&scopes);
            cache.upsert_refresh_token(RefreshTokenEntry {
                credential_type: "RefreshToken".into(),
                secret: rt.clone(),
                home_account_id: home_account_id.clone(),
                environment: env.clone(),
                client_id: self.inner.client_id.clone(),
                target,
                last_modification_time: Some(now),
                family_id: None,
                extra: Map::new(),
            });
        }
        cache.upsert_app_metadata(self.app_metadata());
        Ok(AuthResult {
            access_token: secret,
            token_type,
            expires_on,
            scopes,
            source: TokenSource::IdentityProvider,
            account: Some(account),
            id_token_claims: claims,
            cache_key: key,
        })
    }

    fn access_token_entry(
        &self,
        cache: &TokenCache,
        response: &TokenResponse,
        home_account_id: Option<&str>,
        scopes: &[String],
        now: u64,
    ) -> AccessTokenEntry {
        AccessTokenEntry {
            credential_type: "AccessToken".into(),
            secret: response.access_token.clone(),
            home_account_id: home_account_id.map(str::to_owned),
            environment: self.inner.authority.environment.clone(),
            client_id: self.inner.client_id.clone(),
            target: cache.target_for(scopes),
            realm: self.inner.authority.tenant.clone(),
            token_type: response.token_type.clone(),
            cached_at: now,
            expires_on: now + response.expires_in,
            extended_expires_on: now + response.ext_expires_in,
            key_id: None,
            ext_cache_key: None,
            refresh_on: response.refresh_in.map(|r| now + r),
            extra: Map::new(),
        }
    }

    fn app_metadata(&self) -> AppMetadataEntry {
        AppMetadataEntry {
            client_id: self.inner.client_id.clone(),
            environment: self.inner.authority.environment.clone(),
            family_id: None,
            extra: Map::new(),
        }
    }
}

/// What the cache records as the token's target: the response's `scope`
/// when present, else what was requested (MSAL Python `_obtain_token`).
fn granted_scopes(response: &TokenResponse, requested: &[String]) -> Vec<String> {
    match &response.scope {
        Some(s) if !s.trim().is_empty() => s.split_whitespace().map(str::to_owned).collect(),
        _ => requested.to_vec(),
    }
}

/// The caller's scopes followed by `openid profile offline_access` (those
/// not already present), as every user flow sends them.
pub(crate) fn with_oidc_scopes(scopes: &[String]) -> Vec<String> {
    let mut out = scopes.to_vec();
    for s in OIDC_SCOPES {
        if !out.iter().any(|x| x == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// The payload of a JWT, unverified: MSAL reads id token claims without
/// validating them (Python application.py, `_decode_id_token_claims`).
pub(crate) fn decode_jwt_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(payload))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_environment_has_no_port() {
        let a = Authority::parse("https://LocalHost:8443/tenant-id/", false).unwrap();
        assert_eq!(a.environment, "localhost");
        assert_eq!(a.tenant, "tenant-id");
        assert_eq!(a.url, "https://localhost:8443/tenant-id");
        assert_eq!(
            a.token_endpoint,
            "https://localhost:8443/tenant-id/oauth2/v2.0/token"
        );
    }

    #[test]
    fn authority_must_be_https_with_a_tenant() {
        assert!(Authority::parse("http://localhost/t", false).is_err());
        assert!(Authority::parse("http://localhost/t", true).is_ok());
        assert!(Authority::parse("https://localhost/", false).is_err());
        assert!(Authority::parse("not a url", false).is_err());
    }

    #[test]
    fn oidc_scopes_are_added_once() {
        assert_eq!(
            with_oidc_scopes(&["api://r/Read".into(), "openid".into()]),
            vec!["api://r/Read", "openid", "profile", "offline_access"]
        );
    }
}
