//! Writing a token response into the cache: which entries one response
//! becomes, the way MSAL Python's `TokenCache.__add` (token_cache.py
//! l.421) writes them.
//!
//! - An app token (`client_credentials`) becomes one `AccessToken`, with
//!   `home_account_id: null`, the ext cache key hash when the request had
//!   components (an `fmi_path`), and `key_id` when it is bound to a
//!   certificate; plus `AppMetadata`.
//! - A user token (`user_fic`, refresh) becomes an ordinary `AccessToken`
//!   (never hashed: the user's identity is in its key already), the
//!   `Account` read from `client_info` and the id token, the `IdToken`, the
//!   `RefreshToken` and `AppMetadata` (`docs/protocol.md` §5).

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use fic_protocol::{ClientInfo, Scopes, TokenResponse};
use serde_json::{Map, Value};

use super::{
    AUTHORITY_TYPE_MSSTS, AccessTokenEntry, Account, AppMetadataEntry, IdTokenEntry,
    RefreshTokenEntry, TokenCache,
};
use crate::cache_key::CacheKey;
use crate::error::MsalError;

/// Who a response was issued to and by whom: the fields every entry
/// written for it shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenOrigin<'a> {
    /// The authority's host (the cache `environment`).
    pub environment: &'a str,
    /// The tenant (the cache `realm`).
    pub realm: &'a str,
    /// The client that asked.
    pub client_id: &'a str,
}

/// A user response as stored: the access token's key and entry, the
/// account it belongs to and the id token's claims.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUserToken {
    /// The key the access token was stored under.
    pub key: CacheKey,
    /// The stored access token.
    pub access_token: AccessTokenEntry,
    /// The stored account.
    pub account: Account,
    /// The id token's claims, when the response had an id token.
    pub id_token_claims: Option<Value>,
}

/// What a `user_fic` or refresh response is stored with besides the
/// response itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserResponseContext<'a> {
    /// The grant that first created the account (`account_source`); `None`
    /// keeps what the cached account already says (a refresh does not
    /// change how the account came to be).
    pub account_source: Option<&'a str>,
    /// The UPN the request named, used as the account's `username` when
    /// the id token carries none.
    pub username_hint: Option<&'a str>,
}

impl TokenCache {
    /// Stores an app token; `key_id` binds an `mtls_pop` token to its
    /// certificate, `ext_cache_key` keeps tokens for different fmi paths
    /// apart. Returns the entry and its key.
    pub fn store_app_response(
        &mut self,
        origin: TokenOrigin<'_>,
        response: &TokenResponse,
        requested: &Scopes,
        ext_cache_key: Option<String>,
        key_id: Option<String>,
        now: u64,
    ) -> (CacheKey, AccessTokenEntry) {
        let scopes = granted_scopes(response, requested);
        let entry = AccessTokenEntry {
            key_id,
            ext_cache_key,
            ..self.access_token_entry(origin, response, None, &scopes, now)
        };
        let key = self.insert_access_token(entry.clone());
        self.upsert_app_metadata(app_metadata(origin));
        (key, entry)
    }

    /// Stores a user token response: the account comes from `client_info`
    /// (the id token's `sub` only when there is none, as Python's
    /// `__parse_account`), its `local_account_id` and `username` from the
    /// id token's claims.
    pub fn store_user_response(
        &mut self,
        origin: TokenOrigin<'_>,
        response: &TokenResponse,
        requested: &Scopes,
        user: UserResponseContext<'_>,
        now: u64,
    ) -> Result<StoredUserToken, MsalError> {
        let claims = match &response.id_token {
            Some(idt) => Some(jwt_claims(idt).ok_or(MsalError::InvalidIdToken)?),
            None => None,
        };
        let claim = |name: &str| {
            claims
                .as_ref()
                .and_then(|c| c.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
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
        let scopes = granted_scopes(response, requested);
        let previous_source = self
            .accounts()
            .into_iter()
            .find(|a| a.home_account_id == home_account_id && a.environment == origin.environment)
            .and_then(|a| a.account_source);
        let account = Account {
            home_account_id: home_account_id.clone(),
            environment: origin.environment.to_owned(),
            realm: origin.realm.to_owned(),
            local_account_id: claim("oid").or_else(|| claim("sub")).unwrap_or(uid),
            username: claim("preferred_username")
                .or_else(|| claim("upn"))
                .or_else(|| user.username_hint.map(str::to_owned))
                .unwrap_or_default(),
            authority_type: AUTHORITY_TYPE_MSSTS.into(),
            account_source: user.account_source.map(str::to_owned).or(previous_source),
            extra: Map::new(),
        };
        let entry = self.access_token_entry(origin, response, Some(&home_account_id), &scopes, now);
        let key = self.insert_access_token(entry.clone());
        self.upsert_account(account.clone());
        if let Some(idt) = &response.id_token {
            self.upsert_id_token(IdTokenEntry {
                credential_type: "IdToken".into(),
                secret: idt.clone(),
                home_account_id: home_account_id.clone(),
                environment: origin.environment.to_owned(),
                realm: origin.realm.to_owned(),
                client_id: origin.client_id.to_owned(),
                extra: Map::new(),
            });
        }
        if let Some(rt) = &response.refresh_token {
            let target = self.target_for(&scopes);
            self.upsert_refresh_token(RefreshTokenEntry {
                credential_type: "RefreshToken".into(),
                secret: rt.clone(),
                home_account_id: home_account_id.clone(),
                environment: origin.environment.to_owned(),
                client_id: origin.client_id.to_owned(),
                target,
                last_modification_time: Some(now),
                family_id: None,
                extra: Map::new(),
            });
        }
        self.upsert_app_metadata(app_metadata(origin));
        Ok(StoredUserToken {
            key,
            access_token: entry,
            account,
            id_token_claims: claims,
        })
    }

    fn access_token_entry(
        &self,
        origin: TokenOrigin<'_>,
        response: &TokenResponse,
        home_account_id: Option<&str>,
        scopes: &[String],
        now: u64,
    ) -> AccessTokenEntry {
        AccessTokenEntry {
            credential_type: "AccessToken".into(),
            secret: response.access_token.clone(),
            home_account_id: home_account_id.map(str::to_owned),
            environment: origin.environment.to_owned(),
            client_id: origin.client_id.to_owned(),
            target: self.target_for(scopes),
            realm: origin.realm.to_owned(),
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
}

fn app_metadata(origin: TokenOrigin<'_>) -> AppMetadataEntry {
    AppMetadataEntry {
        client_id: origin.client_id.to_owned(),
        environment: origin.environment.to_owned(),
        family_id: None,
        extra: Map::new(),
    }
}

/// What the cache records as the token's target: the response's `scope`
/// when present, else what was requested (MSAL Python `_obtain_token`).
fn granted_scopes(response: &TokenResponse, requested: &Scopes) -> Vec<String> {
    match &response.scope {
        Some(s) if !s.trim().is_empty() => Scopes::from_wire(s).to_strings(),
        _ => requested.to_strings(),
    }
}

/// The payload of a JWT, unverified: MSAL reads id token claims without
/// validating them (Python application.py, `_decode_id_token_claims`).
pub(crate) fn jwt_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(payload))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    use super::*;
    use crate::cache_key::KeyProfile;

    const NOW: u64 = 1_700_000_000;
    const ORIGIN: TokenOrigin<'static> = TokenOrigin {
        environment: "localhost",
        realm: "tenant",
        client_id: "agent",
    };

    fn response(id_token_claims: Option<Value>, client_info: Option<&str>) -> TokenResponse {
        TokenResponse {
            token_type: "Bearer".into(),
            expires_in: 3600,
            ext_expires_in: 7200,
            access_token: "at".into(),
            refresh_in: None,
            scope: Some("api://r/b api://r/a".into()),
            refresh_token: Some("rt".into()),
            id_token: id_token_claims
                .map(|c| format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(c.to_string()))),
            client_info: client_info.map(str::to_owned),
        }
    }

    #[test]
    fn a_user_response_becomes_five_entries_keyed_by_client_info() {
        let mut cache = TokenCache::new(KeyProfile::Atext);
        let ci = ClientInfo {
            uid: "oid".into(),
            utid: "tid".into(),
        }
        .encode();
        let stored = cache
            .store_user_response(
                ORIGIN,
                &response(Some(json!({"oid": "oid", "sub": "s"})), Some(&ci)),
                &Scopes::new(["api://r/a"]),
                UserResponseContext {
                    account_source: Some("user_fic"),
                    username_hint: Some("alice@contoso.com"),
                },
                NOW,
            )
            .unwrap();
        assert_eq!(stored.account.home_account_id, "oid.tid");
        // No username claim: the UPN the request named.
        assert_eq!(stored.account.username, "alice@contoso.com");
        // The granted scopes, sorted under atext; never hashed.
        assert_eq!(stored.access_token.target, "api://r/a api://r/b");
        assert_eq!(stored.access_token.ext_cache_key, None);
        assert_eq!(stored.id_token_claims.unwrap()["sub"], "s");
        assert_eq!(cache.accounts().len(), 1);
        assert_eq!(cache.id_tokens().count(), 1);
        assert_eq!(cache.refresh_tokens().next().unwrap().secret, "rt");
        assert_eq!(cache.app_metadata().count(), 1);

        // A refresh names no grant: the account keeps its source.
        let again = cache
            .store_user_response(
                ORIGIN,
                &response(None, Some(&ci)),
                &Scopes::new(["api://r/a"]),
                UserResponseContext::default(),
                NOW,
            )
            .unwrap();
        assert_eq!(again.account.account_source.as_deref(), Some("user_fic"));
    }

    #[test]
    fn without_client_info_the_id_token_sub_names_the_account() {
        let mut cache = TokenCache::new(KeyProfile::Atext);
        let stored = cache
            .store_user_response(
                ORIGIN,
                &response(Some(json!({"sub": "s"})), None),
                &Scopes::new(["api://r/a"]),
                UserResponseContext::default(),
                NOW,
            )
            .unwrap();
        assert_eq!(stored.account.home_account_id, "s");
        let neither = cache.store_user_response(
            ORIGIN,
            &response(None, None),
            &Scopes::new(["api://r/a"]),
            UserResponseContext::default(),
            NOW,
        );
        assert!(matches!(
            neither,
            Err(MsalError::UnexpectedResponse { status: 200, .. })
        ));
        let mut unreadable = response(None, None);
        unreadable.id_token = Some("not a jwt".into());
        assert!(matches!(
            cache.store_user_response(
                ORIGIN,
                &unreadable,
                &Scopes::new(["x"]),
                UserResponseContext::default(),
                NOW
            ),
            Err(MsalError::InvalidIdToken)
        ));
    }

    #[test]
    fn an_app_response_keeps_its_hash_and_binding() {
        let mut cache = TokenCache::new(KeyProfile::Atext);
        let mut r = response(None, None);
        r.scope = None;
        let (key, entry) = cache.store_app_response(
            ORIGIN,
            &r,
            &Scopes::new(["api://AzureADTokenExchange/.default"]),
            Some("hash".into()),
            Some("thumb".into()),
            NOW,
        );
        assert_eq!(entry.home_account_id, None);
        assert_eq!(entry.target, "api://AzureADTokenExchange/.default");
        assert_eq!(
            (entry.ext_cache_key.as_deref(), entry.key_id.as_deref()),
            (Some("hash"), Some("thumb"))
        );
        assert_eq!(entry.expires_on, NOW + 3600);
        assert_eq!(cache.access_token_keys(), vec![key]);
        assert_eq!(
            cache.refresh_tokens().count(),
            0,
            "app responses keep no RT"
        );
        assert_eq!(cache.app_metadata().count(), 1);
    }
}
