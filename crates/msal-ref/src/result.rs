//! What an acquisition returns, wherever the token came from.

use std::fmt;

use serde_json::Value;

use crate::cache::{AccessTokenEntry, Account};
use crate::cache_key::CacheKey;

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenSource {
    /// Served from the token cache; nothing was sent.
    Cache,
    /// Just issued by the identity provider (and now cached).
    IdentityProvider,
}

/// A token and what is known about it.
///
/// Every result describes a cached access token: a fresh one is returned
/// only after it was stored, so [`AuthResult::cache_key`] is always where
/// the next lookup will find it. `Debug` leaves the token out.
#[derive(Clone, PartialEq)]
pub struct AuthResult {
    /// The access token, as sent to a resource.
    pub access_token: String,
    /// `Bearer` or `mtls_pop`, as the identity provider returned it.
    pub token_type: String,
    /// Unix seconds.
    pub expires_on: u64,
    /// The scopes the cached entry holds.
    pub scopes: Vec<String>,
    /// Cache hit or fresh from the identity provider.
    pub source: TokenSource,
    /// Set for user tokens.
    pub account: Option<Account>,
    /// The id token's claims (read, not validated, as MSAL does), for user
    /// tokens that came with one.
    pub id_token_claims: Option<Value>,
    /// The full key the access token is stored under.
    pub cache_key: CacheKey,
}

impl AuthResult {
    /// The result for the access token `entry` stored under `key`: the one
    /// way every acquisition turns a cache entry into what it returns.
    pub fn from_entry(
        key: CacheKey,
        entry: &AccessTokenEntry,
        source: TokenSource,
        account: Option<Account>,
        id_token_claims: Option<Value>,
    ) -> AuthResult {
        AuthResult {
            access_token: entry.secret.clone(),
            token_type: entry.token_type.clone(),
            expires_on: entry.expires_on,
            scopes: entry.scopes(),
            source,
            account,
            id_token_claims,
            cache_key: key,
        }
    }
}

impl fmt::Debug for AuthResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthResult")
            .field("access_token", &format_args!("[redacted]"))
            .field("token_type", &self.token_type)
            .field("expires_on", &self.expires_on)
            .field("scopes", &self.scopes)
            .field("source", &self.source)
            .field("account", &self.account)
            .field("id_token_claims", &self.id_token_claims)
            .field("cache_key", &self.cache_key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_leaves_the_token_out() {
        let entry: AccessTokenEntry = serde_json::from_value(serde_json::json!({
            "credential_type": "AccessToken", "secret": "eyJ.secret.sig",
            "environment": "localhost", "client_id": "c", "target": "b a",
            "realm": "t", "cached_at": "1", "expires_on": "2", "extended_expires_on": "3"
        }))
        .unwrap();
        let r = AuthResult::from_entry(
            CacheKey::from_stored("k"),
            &entry,
            TokenSource::Cache,
            None,
            None,
        );
        assert_eq!(r.access_token, "eyJ.secret.sig");
        assert_eq!(r.scopes, ["b", "a"]);
        assert!(!format!("{r:?}").contains("secret"), "{r:?}");
    }
}
