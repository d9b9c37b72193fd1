//! The token cache in MSAL's unified schema, serialized as MSAL Python
//! 1.39.0's `SerializableTokenCache` writes it (`json.dumps(self._cache,
//! indent=4)`, token_cache.py l.709): top-level sections `AccessToken`,
//! `Account`, `IdToken`, `RefreshToken`, `AppMetadata`, each a map from key
//! to entry. Field names, their order and the string-typed numbers
//! (`cached_at`, `expires_on`, ... "Schema defines it as a string",
//! token_cache.py l.461) follow Python's `__add` (l.421). App tokens carry
//! `"home_account_id": null`, as Python writes them, because Python's
//! lookup compares that field verbatim.
//!
//! Fields this crate does not model are kept (`extra`, unknown sections),
//! so a cache written by a port survives a round trip through this one.
//!
//! Reads go through [`TokenCache::find_access_token`] with an
//! [`AccessTokenQuery`]; writes of whole token responses go through
//! [`TokenCache::store_app_response`] and [`TokenCache::store_user_response`]
//! (in `cache/response.rs`), so which entries a response becomes is decided
//! in one place.

mod response;

pub use response::{StoredUserToken, TokenOrigin, UserResponseContext};

use std::collections::{BTreeMap, BTreeSet};

use fic_protocol::TokenType;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::cache_key::{
    AccessTokenKeyParts, CacheKey, KeyProfile, access_token_key, account_key, app_metadata_key,
    id_token_key, refresh_token_key,
};
use crate::error::CacheError;

/// A cached access token is treated as expired this many seconds before
/// `expires_on`: MSAL Python's 5-minute rule (application.py l.1764), which
/// the other ports share.
pub const EXPIRY_MARGIN_SECS: u64 = 300;

/// The section of access tokens (app and user).
pub const SECTION_ACCESS_TOKEN: &str = "AccessToken";
/// The section of accounts.
pub const SECTION_ACCOUNT: &str = "Account";
/// The section of id tokens.
pub const SECTION_ID_TOKEN: &str = "IdToken";
/// The section of refresh tokens.
pub const SECTION_REFRESH_TOKEN: &str = "RefreshToken";
/// The section of per-application metadata (family id).
pub const SECTION_APP_METADATA: &str = "AppMetadata";

/// Python's `authority_type` for Entra (AAD v2) accounts.
pub const AUTHORITY_TYPE_MSSTS: &str = "MSSTS";

/// Numbers the schema stores as strings; read back from either form because
/// other SDKs have written integers.
mod string_u64 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = u64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a string holding one")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
                u64::try_from(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
                Ok(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
                let v = v.trim();
                v.parse::<u64>()
                    .or_else(|_| v.parse::<f64>().map(|f| f as u64))
                    .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.serialize_str(&v.to_string()),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
            #[derive(Deserialize)]
            struct W(#[serde(with = "super")] u64);
            Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
        }
    }
}

/// An `AccessToken` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenEntry {
    /// Always `AccessToken`.
    pub credential_type: String,
    /// The token.
    pub secret: String,
    /// `None` for app tokens (serialized as `null`, as Python does).
    #[serde(default)]
    pub home_account_id: Option<String>,
    /// The authority's host.
    pub environment: String,
    /// The client that asked.
    pub client_id: String,
    /// Space-joined scopes; sorted under the atext profile (Python's
    /// schema), request order under msal-node's.
    #[serde(default)]
    pub target: String,
    /// The tenant.
    #[serde(default)]
    pub realm: String,
    /// `Bearer` or `mtls_pop`; missing reads as `Bearer`.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// Unix seconds when it was stored.
    #[serde(with = "string_u64")]
    pub cached_at: u64,
    /// Unix seconds when it expires.
    #[serde(with = "string_u64")]
    pub expires_on: u64,
    /// Unix seconds until which it may be used while the IdP is down.
    #[serde(with = "string_u64")]
    pub extended_expires_on: u64,
    /// x5t#S256 of the certificate an `mtls_pop` token is bound to. Python
    /// keeps SSH/PoP key ids under this name and matches it on lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The lowercased ext cache key hash (Python's field name; Java writes
    /// `ext_cache_key_hash`, .NET `ext`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_cache_key: Option<String>,
    /// Unix seconds after which a client should refresh proactively.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "string_u64::option"
    )]
    pub refresh_on: Option<u64>,
    /// Fields this crate does not model, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn bearer() -> String {
    TokenType::BEARER.to_owned()
}

impl AccessTokenEntry {
    /// The scopes of `target`.
    pub fn scopes(&self) -> Vec<String> {
        self.target.split_whitespace().map(str::to_owned).collect()
    }

    /// The parts its key is made of, so writes go through the one key builder.
    pub fn key_parts(&self) -> AccessTokenKeyParts {
        AccessTokenKeyParts {
            home_account_id: self.home_account_id.clone().unwrap_or_default(),
            environment: self.environment.clone(),
            client_id: self.client_id.clone(),
            realm: self.realm.clone(),
            target: self.scopes(),
            token_type: self.token_type.clone(),
            ext_hash: self.ext_cache_key.clone().filter(|h| !h.is_empty()),
        }
    }
}

/// An `Account` entry; also what callers hand to `acquire_token_silent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// `uid.utid` from `client_info`: the user's object id and home tenant.
    pub home_account_id: String,
    /// The authority's host.
    pub environment: String,
    /// The tenant the account signed in to.
    #[serde(default)]
    pub realm: String,
    /// The id token's `oid` (else `sub`).
    #[serde(default)]
    pub local_account_id: String,
    /// The id token's `preferred_username` (else `upn`, else the UPN asked for).
    #[serde(default)]
    pub username: String,
    /// `MSSTS` for Entra accounts.
    #[serde(default)]
    pub authority_type: String,
    /// The grant that created the account, e.g. `user_fic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_source: Option<String>,
    /// Fields this crate does not model, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Account {
    /// The user's object id: the part of `home_account_id` before the dot.
    pub fn oid(&self) -> &str {
        self.home_account_id
            .split_once('.')
            .map_or(self.home_account_id.as_str(), |(oid, _)| oid)
    }

    /// The key it is stored under.
    pub fn key(&self) -> CacheKey {
        account_key(&self.home_account_id, &self.environment, &self.realm)
    }
}

/// An `IdToken` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenEntry {
    /// Always `IdToken`.
    pub credential_type: String,
    /// The id token (a JWT).
    pub secret: String,
    /// The account's `home_account_id`.
    pub home_account_id: String,
    /// The authority's host.
    pub environment: String,
    /// The tenant.
    #[serde(default)]
    pub realm: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Fields this crate does not model, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IdTokenEntry {
    /// The id token's claims, read without validation as MSAL does.
    pub fn claims(&self) -> Option<Value> {
        response::jwt_claims(&self.secret)
    }

    /// The key it is stored under.
    pub fn key(&self) -> CacheKey {
        id_token_key(
            &self.home_account_id,
            &self.environment,
            &self.client_id,
            &self.realm,
        )
    }
}

/// A `RefreshToken` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshTokenEntry {
    /// Always `RefreshToken`.
    pub credential_type: String,
    /// The refresh token.
    pub secret: String,
    /// The account's `home_account_id`.
    pub home_account_id: String,
    /// The authority's host.
    pub environment: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The scopes of the response it came with, space-joined.
    #[serde(default)]
    pub target: String,
    /// Unix seconds when it was stored.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "string_u64::option"
    )]
    pub last_modification_time: Option<u64>,
    /// The family of client ids that share it (FOCI); never set here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_id: Option<String>,
    /// Fields this crate does not model, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RefreshTokenEntry {
    /// The key it is stored under.
    pub fn key(&self) -> CacheKey {
        refresh_token_key(
            &self.home_account_id,
            &self.environment,
            &self.client_id,
            &self.target,
        )
    }
}

/// An `AppMetadata` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMetadataEntry {
    /// The client.
    pub client_id: String,
    /// The authority's host.
    pub environment: String,
    /// The client's token family (FOCI); never set here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_id: Option<String>,
    /// Fields this crate does not model, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AppMetadataEntry {
    /// The key it is stored under.
    pub fn key(&self) -> CacheKey {
        app_metadata_key(&self.environment, &self.client_id)
    }
}

/// What a caller wants from the access-token section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenQuery {
    /// `None` (or empty) for app tokens.
    pub home_account_id: Option<String>,
    /// The authority's host.
    pub environment: String,
    /// The client asking.
    pub client_id: String,
    /// The tenant.
    pub realm: String,
    /// The scopes wanted; an entry holding all of them (and maybe more) matches.
    pub scopes: Vec<String>,
    /// `Bearer` or `mtls_pop`; a token of another type never matches.
    pub token_type: String,
    /// Certificate thumbprint for `mtls_pop`; `None` only matches unbound tokens.
    pub key_id: Option<String>,
    /// Lowercased hash; `None` only matches entries without one, and the reverse.
    pub ext_cache_key: Option<String>,
}

impl AccessTokenQuery {
    fn key_parts(&self) -> AccessTokenKeyParts {
        AccessTokenKeyParts {
            home_account_id: self.home_account_id.clone().unwrap_or_default(),
            environment: self.environment.clone(),
            client_id: self.client_id.clone(),
            realm: self.realm.clone(),
            target: self.scopes.clone(),
            token_type: self.token_type.clone(),
            ext_hash: self.ext_cache_key.clone(),
        }
    }

    /// Every rule except expiry.
    fn matches(&self, e: &AccessTokenEntry) -> bool {
        let opt_eq = |a: Option<&str>, b: Option<&str>| match (
            a.filter(|s| !s.is_empty()),
            b.filter(|s| !s.is_empty()),
        ) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        let wanted: BTreeSet<String> = self.scopes.iter().map(|s| s.to_lowercase()).collect();
        let held: BTreeSet<String> = e.scopes().iter().map(|s| s.to_lowercase()).collect();
        e.client_id == self.client_id
            && e.environment.eq_ignore_ascii_case(&self.environment)
            && e.realm.eq_ignore_ascii_case(&self.realm)
            && opt_eq(
                e.home_account_id.as_deref(),
                self.home_account_id.as_deref(),
            )
            && opt_eq(e.ext_cache_key.as_deref(), self.ext_cache_key.as_deref())
            && opt_eq(e.key_id.as_deref(), self.key_id.as_deref())
            && (TokenType::is_bearer(&e.token_type) && TokenType::is_bearer(&self.token_type)
                || e.token_type.eq_ignore_ascii_case(&self.token_type))
            && !wanted.is_empty()
            && wanted.is_subset(&held)
    }
}

/// The fields an access token must share with a query to match it, folded
/// the way [`AccessTokenQuery::matches`] compares them. The scan that
/// follows a missed exact-key lookup only visits the query's partition, so
/// a miss costs the same with 1k or 100k cached agents.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Partition {
    client_id: String,
    environment: String,
    realm: String,
    home_account_id: String,
    ext_cache_key: String,
}

impl Partition {
    fn new(
        client_id: &str,
        environment: &str,
        realm: &str,
        home_account_id: Option<&str>,
        ext_cache_key: Option<&str>,
    ) -> Partition {
        // `None` and "" match each other in `matches`, so both fold to "".
        let fold = |s: Option<&str>| s.unwrap_or_default().to_ascii_lowercase();
        Partition {
            client_id: client_id.to_owned(),
            environment: environment.to_ascii_lowercase(),
            realm: realm.to_ascii_lowercase(),
            home_account_id: fold(home_account_id),
            ext_cache_key: fold(ext_cache_key),
        }
    }

    fn of_entry(e: &AccessTokenEntry) -> Partition {
        Partition::new(
            &e.client_id,
            &e.environment,
            &e.realm,
            e.home_account_id.as_deref(),
            e.ext_cache_key.as_deref(),
        )
    }

    fn of_query(q: &AccessTokenQuery) -> Partition {
        Partition::new(
            &q.client_id,
            &q.environment,
            &q.realm,
            q.home_account_id.as_deref(),
            q.ext_cache_key.as_deref(),
        )
    }
}

/// MSAL's unified token cache.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenCache {
    key_profile: KeyProfile,
    access_tokens: BTreeMap<String, AccessTokenEntry>,
    /// Stored access-token keys by partition; derived from `access_tokens`
    /// and kept in step by the only two writers (insert and deserialize).
    access_token_index: BTreeMap<Partition, BTreeSet<String>>,
    accounts: BTreeMap<String, Account>,
    id_tokens: BTreeMap<String, IdTokenEntry>,
    refresh_tokens: BTreeMap<String, RefreshTokenEntry>,
    app_metadata: BTreeMap<String, AppMetadataEntry>,
    /// Sections this crate does not know, kept for round trips.
    other_sections: Map<String, Value>,
}

impl TokenCache {
    /// An empty cache whose new writes use `key_profile`.
    pub fn new(key_profile: KeyProfile) -> TokenCache {
        TokenCache {
            key_profile,
            ..TokenCache::default()
        }
    }

    /// The layout new access-token keys are written in.
    pub fn key_profile(&self) -> KeyProfile {
        self.key_profile
    }

    /// New writes use this layout; keys already present are left as they
    /// were written, and lookups still find them (they fall back to a scan).
    pub fn set_key_profile(&mut self, profile: KeyProfile) {
        self.key_profile = profile;
    }

    /// The target string an access token of these scopes is stored with.
    pub fn target_for(&self, scopes: &[String]) -> String {
        let mut scopes = scopes.to_vec();
        if self.key_profile == KeyProfile::Atext {
            scopes.sort();
        }
        scopes.join(" ")
    }

    /// Stores (or replaces) an access token under its full key.
    pub fn insert_access_token(&mut self, entry: AccessTokenEntry) -> CacheKey {
        let key = access_token_key(&entry.key_parts(), self.key_profile);
        self.index_access_token(key.as_str(), &entry);
        if let Some(old) = self.access_tokens.insert(key.as_str().to_owned(), entry) {
            self.unindex_access_token(key.as_str(), &old);
        }
        key
    }

    fn index_access_token(&mut self, key: &str, entry: &AccessTokenEntry) {
        self.access_token_index
            .entry(Partition::of_entry(entry))
            .or_default()
            .insert(key.to_owned());
    }

    /// Drops `key` from `old`'s partition unless `old` was replaced by an
    /// entry of the same partition (which `index_access_token` just added).
    fn unindex_access_token(&mut self, key: &str, old: &AccessTokenEntry) {
        let partition = Partition::of_entry(old);
        let replaced_in_place = self
            .access_tokens
            .get(key)
            .is_some_and(|new| Partition::of_entry(new) == partition);
        if replaced_in_place {
            return;
        }
        if let Some(keys) = self.access_token_index.get_mut(&partition) {
            keys.remove(key);
            if keys.is_empty() {
                self.access_token_index.remove(&partition);
            }
        }
    }

    /// A live access token for the query. The exact key is tried first,
    /// built by the same function that wrote it; a scan follows because a
    /// query for a subset of the granted scopes (user tokens) or a cache
    /// written under another layout has a different key.
    pub fn find_access_token(
        &self,
        query: &AccessTokenQuery,
        now: u64,
    ) -> Option<(CacheKey, &AccessTokenEntry)> {
        let live = |e: &AccessTokenEntry| e.expires_on > now.saturating_add(EXPIRY_MARGIN_SECS);
        let key = access_token_key(&query.key_parts(), self.key_profile);
        if let Some(e) = self.access_tokens.get(key.as_str())
            && query.matches(e)
            && live(e)
        {
            return Some((key, e));
        }
        let candidates = self.access_token_index.get(&Partition::of_query(query))?;
        candidates
            .iter()
            .filter_map(|k| Some((k, self.access_tokens.get(k)?)))
            .find(|(_, e)| query.matches(e) && live(e))
            .map(|(k, e)| (CacheKey::from_stored(k), e))
    }

    /// Stores (or replaces) an account under its key.
    pub fn upsert_account(&mut self, account: Account) -> CacheKey {
        let key = account.key();
        self.accounts.insert(key.as_str().to_owned(), account);
        key
    }

    /// Stores (or replaces) an id token under its key.
    pub fn upsert_id_token(&mut self, entry: IdTokenEntry) -> CacheKey {
        let key = entry.key();
        self.id_tokens.insert(key.as_str().to_owned(), entry);
        key
    }

    /// Stores (or replaces) a refresh token under its key.
    pub fn upsert_refresh_token(&mut self, entry: RefreshTokenEntry) -> CacheKey {
        let key = entry.key();
        self.refresh_tokens.insert(key.as_str().to_owned(), entry);
        key
    }

    /// Stores (or replaces) an app metadata entry under its key.
    pub fn upsert_app_metadata(&mut self, entry: AppMetadataEntry) -> CacheKey {
        let key = entry.key();
        self.app_metadata.insert(key.as_str().to_owned(), entry);
        key
    }

    /// Accounts in `environment`, deduplicated by home account id as
    /// Python's `get_accounts` does.
    pub fn accounts_in(&self, environment: &str) -> Vec<Account> {
        let mut seen = BTreeSet::new();
        self.accounts
            .values()
            .filter(|a| a.environment.eq_ignore_ascii_case(environment))
            .filter(|a| seen.insert(a.home_account_id.to_lowercase()))
            .cloned()
            .collect()
    }

    /// Every cached account, in key order.
    pub fn accounts(&self) -> Vec<Account> {
        self.accounts.values().cloned().collect()
    }

    /// The id token of an account for a client in a tenant.
    pub fn id_token(
        &self,
        home_account_id: &str,
        environment: &str,
        client_id: &str,
        realm: &str,
    ) -> Option<&IdTokenEntry> {
        self.id_tokens
            .get(id_token_key(home_account_id, environment, client_id, realm).as_str())
    }

    /// The account's refresh token for this client (keys include the
    /// target, so this is a scan).
    pub fn refresh_token(
        &self,
        home_account_id: &str,
        environment: &str,
        client_id: &str,
    ) -> Option<&RefreshTokenEntry> {
        self.refresh_tokens.values().find(|rt| {
            rt.home_account_id.eq_ignore_ascii_case(home_account_id)
                && rt.environment.eq_ignore_ascii_case(environment)
                && rt.client_id == client_id
        })
    }

    /// Every access token with its key, in key order.
    pub fn access_tokens(&self) -> impl Iterator<Item = (CacheKey, &AccessTokenEntry)> {
        self.access_tokens
            .iter()
            .map(|(k, e)| (CacheKey::from_stored(k), e))
    }

    /// The keys of every access token, as stored.
    pub fn access_token_keys(&self) -> Vec<CacheKey> {
        self.access_tokens
            .keys()
            .map(|k| CacheKey::from_stored(k))
            .collect()
    }

    /// Every refresh token.
    pub fn refresh_tokens(&self) -> impl Iterator<Item = &RefreshTokenEntry> {
        self.refresh_tokens.values()
    }

    /// Every id token.
    pub fn id_tokens(&self) -> impl Iterator<Item = &IdTokenEntry> {
        self.id_tokens.values()
    }

    /// Every app metadata entry.
    pub fn app_metadata(&self) -> impl Iterator<Item = &AppMetadataEntry> {
        self.app_metadata.values()
    }

    /// True when no section holds an entry (unknown sections aside).
    pub fn is_empty(&self) -> bool {
        self.access_tokens.is_empty()
            && self.accounts.is_empty()
            && self.id_tokens.is_empty()
            && self.refresh_tokens.is_empty()
            && self.app_metadata.is_empty()
    }

    /// The JSON MSAL Python's `SerializableTokenCache.serialize()` writes:
    /// 4-space indent, sections in the order Python first creates them,
    /// empty sections left out.
    pub fn serialize_json(&self) -> Result<String, CacheError> {
        let mut root = Map::new();
        fn section<T: Serialize>(
            root: &mut Map<String, Value>,
            name: &str,
            entries: &BTreeMap<String, T>,
        ) -> Result<(), CacheError> {
            if !entries.is_empty() {
                root.insert(name.to_owned(), serde_json::to_value(entries)?);
            }
            Ok(())
        }
        section(&mut root, SECTION_ACCESS_TOKEN, &self.access_tokens)?;
        section(&mut root, SECTION_ACCOUNT, &self.accounts)?;
        section(&mut root, SECTION_ID_TOKEN, &self.id_tokens)?;
        section(&mut root, SECTION_REFRESH_TOKEN, &self.refresh_tokens)?;
        section(&mut root, SECTION_APP_METADATA, &self.app_metadata)?;
        for (k, v) in &self.other_sections {
            root.insert(k.clone(), v.clone());
        }
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        Value::Object(root).serialize(&mut ser)?;
        Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
    }

    /// Reads what MSAL Python (or this crate) serialized. Keys are kept as
    /// written; an empty string is an empty cache, as in Python.
    pub fn deserialize_json(json: &str) -> Result<TokenCache, CacheError> {
        let mut cache = TokenCache::default();
        if json.trim().is_empty() {
            return Ok(cache);
        }
        let root: Map<String, Value> = serde_json::from_str(json)?;
        for (name, value) in root {
            match name.as_str() {
                SECTION_ACCESS_TOKEN => cache.access_tokens = serde_json::from_value(value)?,
                SECTION_ACCOUNT => cache.accounts = serde_json::from_value(value)?,
                SECTION_ID_TOKEN => cache.id_tokens = serde_json::from_value(value)?,
                SECTION_REFRESH_TOKEN => cache.refresh_tokens = serde_json::from_value(value)?,
                SECTION_APP_METADATA => cache.app_metadata = serde_json::from_value(value)?,
                _ => {
                    cache.other_sections.insert(name, value);
                }
            }
        }
        for (key, entry) in &cache.access_tokens {
            cache
                .access_token_index
                .entry(Partition::of_entry(entry))
                .or_default()
                .insert(key.clone());
        }
        Ok(cache)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache_key::{HashAlgorithm, ext_components, stored_ext_cache_key};
    use fic_protocol::form;

    const NOW: u64 = 1_700_000_000;

    fn app_token(secret: &str, fmi_path: Option<&str>) -> AccessTokenEntry {
        let components = ext_components(fmi_path.map(|p| (form::FMI_PATH, p)));
        AccessTokenEntry {
            credential_type: "AccessToken".into(),
            secret: secret.into(),
            home_account_id: None,
            environment: "localhost".into(),
            client_id: "blueprint".into(),
            target: "api://AzureADTokenExchange/.default".into(),
            realm: "tenant".into(),
            token_type: "Bearer".into(),
            cached_at: NOW,
            expires_on: NOW + 3600,
            extended_expires_on: NOW + 7200,
            key_id: None,
            ext_cache_key: stored_ext_cache_key(&components, HashAlgorithm::Netstring),
            refresh_on: None,
            extra: Map::new(),
        }
    }

    fn app_query(fmi_path: Option<&str>) -> AccessTokenQuery {
        let components = ext_components(fmi_path.map(|p| (form::FMI_PATH, p)));
        AccessTokenQuery {
            home_account_id: None,
            environment: "LOCALHOST".into(),
            client_id: "blueprint".into(),
            realm: "tenant".into(),
            scopes: vec!["api://AzureADTokenExchange/.default".into()],
            token_type: "Bearer".into(),
            key_id: None,
            ext_cache_key: stored_ext_cache_key(&components, HashAlgorithm::Netstring),
        }
    }

    #[test]
    fn hashed_and_plain_entries_never_match_each_other() {
        let mut cache = TokenCache::new(KeyProfile::Atext);
        cache.insert_access_token(app_token("with-a", Some("agent-a")));
        assert!(cache.find_access_token(&app_query(None), NOW).is_none());
        cache.insert_access_token(app_token("plain", None));
        cache.insert_access_token(app_token("with-b", Some("agent-b")));
        let secret = |q| {
            cache
                .find_access_token(&q, NOW)
                .map(|(_, e)| e.secret.clone())
        };
        assert_eq!(secret(app_query(None)).as_deref(), Some("plain"));
        assert_eq!(
            secret(app_query(Some("agent-a"))).as_deref(),
            Some("with-a")
        );
        assert_eq!(
            secret(app_query(Some("agent-b"))).as_deref(),
            Some("with-b")
        );
        assert_eq!(secret(app_query(Some("agent-c"))), None);
        assert_eq!(cache.access_token_keys().len(), 3);
    }

    #[test]
    fn expired_tokens_are_not_returned() {
        let mut cache = TokenCache::new(KeyProfile::Atext);
        cache.insert_access_token(app_token("t", None));
        assert!(cache.find_access_token(&app_query(None), NOW).is_some());
        assert!(
            cache
                .find_access_token(&app_query(None), NOW + 3600 - EXPIRY_MARGIN_SECS)
                .is_none()
        );
        assert!(
            cache
                .find_access_token(&app_query(None), NOW + 4000)
                .is_none()
        );
    }

    #[test]
    fn pop_tokens_are_bound_to_their_certificate() {
        let mut cache = TokenCache::new(KeyProfile::Atext);
        let mut pop = app_token("pop", None);
        pop.token_type = "mtls_pop".into();
        pop.key_id = Some("thumb-a".into());
        cache.insert_access_token(pop);
        let mut q = app_query(None);
        assert!(cache.find_access_token(&q, NOW).is_none(), "bearer query");
        q.token_type = "mtls_pop".into();
        q.key_id = Some("thumb-b".into());
        assert!(
            cache.find_access_token(&q, NOW).is_none(),
            "other certificate"
        );
        q.key_id = Some("thumb-a".into());
        assert_eq!(cache.find_access_token(&q, NOW).unwrap().1.secret, "pop");
    }

    #[test]
    fn the_scan_index_survives_round_trips_case_and_replacement() {
        let mut cache = TokenCache::new(KeyProfile::Atext);
        for agent in 0..50 {
            cache.insert_access_token(app_token(
                &format!("a{agent}"),
                Some(&format!("agent-{agent}")),
            ));
        }
        let mut t = app_token("user", None);
        t.home_account_id = Some("oid.tid".into());
        t.target = "api://res/Read openid profile".into();
        cache.insert_access_token(t.clone());
        let mut q = app_query(None);
        q.home_account_id = Some("OID.tid".into());
        q.environment = q.environment.to_uppercase();
        q.scopes = vec!["api://res/read".into()];
        // Found by the scan (a subset of the scopes), case-insensitively,
        // before and after a JSON round trip.
        assert_eq!(cache.find_access_token(&q, NOW).unwrap().1.secret, "user");
        let reread = TokenCache::deserialize_json(&cache.serialize_json().unwrap()).unwrap();
        assert_eq!(reread.find_access_token(&q, NOW).unwrap().1.secret, "user");
        // Replacing the entry under its key keeps exactly one index entry.
        t.secret = "user-2".into();
        cache.insert_access_token(t);
        assert_eq!(cache.find_access_token(&q, NOW).unwrap().1.secret, "user-2");
        let indexed: usize = cache.access_token_index.values().map(BTreeSet::len).sum();
        assert_eq!(indexed, cache.access_tokens.len());
    }

    #[test]
    fn subset_of_scopes_finds_a_user_token() {
        let mut cache = TokenCache::new(KeyProfile::Atext);
        let mut t = app_token("user", None);
        t.home_account_id = Some("oid.tid".into());
        t.target = "api://res/Read openid profile".into();
        cache.insert_access_token(t);
        let mut q = app_query(None);
        q.home_account_id = Some("oid.tid".into());
        q.scopes = vec!["api://res/read".into()];
        assert_eq!(cache.find_access_token(&q, NOW).unwrap().1.secret, "user");
        q.home_account_id = Some("other.tid".into());
        assert!(cache.find_access_token(&q, NOW).is_none());
        q.home_account_id = None;
        assert!(cache.find_access_token(&q, NOW).is_none());
    }

    #[test]
    fn serializes_like_msal_python() {
        let mut cache = TokenCache::new(KeyProfile::Atext);
        cache.insert_access_token(app_token("s", Some("agent-a")));
        cache.upsert_app_metadata(AppMetadataEntry {
            client_id: "blueprint".into(),
            environment: "localhost".into(),
            family_id: None,
            extra: Map::new(),
        });
        let json = cache.serialize_json().unwrap();
        let hash = stored_ext_cache_key(
            &ext_components([(form::FMI_PATH, "agent-a")]),
            HashAlgorithm::Netstring,
        )
        .unwrap();
        let expected = format!(
            r#"{{
    "AccessToken": {{
        "-localhost-atext-blueprint-tenant-api://azureadtokenexchange/.default-{hash}": {{
            "credential_type": "AccessToken",
            "secret": "s",
            "home_account_id": null,
            "environment": "localhost",
            "client_id": "blueprint",
            "target": "api://AzureADTokenExchange/.default",
            "realm": "tenant",
            "token_type": "Bearer",
            "cached_at": "{NOW}",
            "expires_on": "{}",
            "extended_expires_on": "{}",
            "ext_cache_key": "{hash}"
        }}
    }},
    "AppMetadata": {{
        "appmetadata-localhost-blueprint": {{
            "client_id": "blueprint",
            "environment": "localhost"
        }}
    }}
}}"#,
            NOW + 3600,
            NOW + 7200
        );
        assert_eq!(json, expected);
        let back = TokenCache::deserialize_json(&json).unwrap();
        assert_eq!(back.serialize_json().unwrap(), json);
    }

    #[test]
    fn reads_foreign_shapes_and_keeps_unknown_fields() {
        let json = r#"{
            "AccessToken": {"k": {"credential_type": "AccessToken", "secret": "s",
                "environment": "localhost", "client_id": "c", "target": "a",
                "realm": "t", "cached_at": 1, "expires_on": "2.0",
                "extended_expires_on": "3", "custom": {"x": 1}}},
            "Future": {"x": 1}
        }"#;
        let cache = TokenCache::deserialize_json(json).unwrap();
        let (key, at) = cache.access_tokens().next().unwrap();
        assert_eq!(key.as_str(), "k");
        assert_eq!((at.cached_at, at.expires_on), (1, 2));
        assert_eq!(at.token_type, "Bearer");
        assert_eq!(at.extra["custom"]["x"], 1);
        let again = cache.serialize_json().unwrap();
        assert!(again.contains("\"custom\""));
        assert!(again.contains("\"Future\""));
        assert!(TokenCache::deserialize_json("").unwrap().is_empty());
        assert!(TokenCache::deserialize_json("[]").is_err());
    }
}
