//! What every handler shares: the directory, keys, journal, faults, clock,
//! and the little memory the protocol needs (seen `jti`s, refresh tokens).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::Clock;
use crate::directory::{Directory, Tenant};
use crate::faults::Faults;
use crate::journal::Journal;
use crate::pki::Pki;

/// How a reused client-assertion `jti` is treated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JtiPolicy {
    /// The same client re-sending the *identical* assertion is accepted:
    /// MSAL Python (`AutoRefresher`) and msal-node (`ClientAssertion.getJwt`)
    /// cache their signed assertion for its lifetime, so Entra must and does
    /// accept that. A different assertion carrying a used `jti`, or another
    /// client using it, is a replay and refused.
    #[default]
    AllowIdenticalResend,
    /// Any second use of a `jti` is refused.
    RejectAnyReuse,
}

#[derive(Debug, Clone)]
pub struct SeenJti {
    pub client_id: String,
    pub assertion_sha256: [u8; 32],
    pub expires: i64,
}

/// The `jti`s of accepted client assertions, each remembered until its
/// assertion has expired (a replay after that is refused for its `exp`).
#[derive(Debug)]
pub struct SeenJtis {
    entries: HashMap<String, SeenJti>,
    /// The size at which expired entries are next pruned.
    prune_at: usize,
}

const MIN_PRUNE_AT: usize = 50_000;

impl Default for SeenJtis {
    fn default() -> SeenJtis {
        SeenJtis {
            entries: HashMap::new(),
            prune_at: MIN_PRUNE_AT,
        }
    }
}

impl SeenJtis {
    pub fn get(&self, jti: &str) -> Option<&SeenJti> {
        self.entries.get(jti)
    }

    /// Records `jti`; entries whose assertion expired before `horizon` are
    /// pruned first when the set has grown enough.
    pub fn insert(&mut self, jti: String, seen: SeenJti, horizon: i64) {
        if self.entries.len() >= self.prune_at {
            self.entries.retain(|_, s| s.expires >= horizon);
            // Pruning again only once the live set has doubled keeps the
            // cost per insert constant even when most entries are live.
            self.prune_at = (self.entries.len() * 2).max(MIN_PRUNE_AT);
        }
        self.entries.insert(jti, seen);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What a refresh token stands for.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub client_id: String,
    pub tenant_id: String,
    pub user_oid: String,
    /// The resource scopes as requested (full URIs).
    pub scopes: Vec<String>,
    pub expires: i64,
}

pub struct MockState {
    pub directory: Directory,
    pub pki: Pki,
    /// `https://localhost:PORT` (or `http://` with plain HTTP).
    pub base_url: String,
    pub host: String,
    pub port: u16,
    pub journal: Journal,
    pub faults: Faults,
    pub clock: Clock,
    pub jti_policy: JtiPolicy,
    pub seen_jti: Mutex<SeenJtis>,
    pub refresh_tokens: Mutex<HashMap<String, RefreshGrant>>,
}

impl MockState {
    pub fn issuer(&self, tenant_id: &str) -> String {
        format!("{}/{tenant_id}/v2.0", self.base_url)
    }

    /// The tenant whose issuer `iss` is, when this mock issued it (on its
    /// own listener or as the public cloud).
    pub fn tenant_of_issuer(&self, iss: &str) -> Option<&Tenant> {
        let own = || {
            iss.strip_prefix(&self.base_url)?
                .strip_prefix('/')?
                .strip_suffix("/v2.0")
        };
        let tenant_id = own().or_else(|| crate::impersonation::tenant_id_of_public_issuer(iss))?;
        self.directory
            .tenants
            .iter()
            .find(|t| t.id.eq_ignore_ascii_case(tenant_id))
    }

    /// Whether `url`'s scheme, host and port are this mock's. Clients may
    /// reach it as `localhost`, `127.0.0.1` or the configured host.
    pub fn is_own_origin(&self, url: &url::Url) -> bool {
        let scheme_ok = self.base_url.starts_with(&format!("{}:", url.scheme()));
        let host_ok = url.host_str().is_some_and(|h| {
            h.eq_ignore_ascii_case(&self.host) || h == "localhost" || h == "127.0.0.1"
        });
        scheme_ok && host_ok && url.port_or_known_default() == Some(self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(expires: i64) -> SeenJti {
        SeenJti {
            client_id: "c".into(),
            assertion_sha256: [0; 32],
            expires,
        }
    }

    #[test]
    fn expired_jtis_are_pruned_and_live_ones_kept() {
        let mut jtis = SeenJtis::default();
        for i in 0..MIN_PRUNE_AT {
            // Half expired before the horizon (1000), half live.
            jtis.insert(
                format!("{i}"),
                seen(if i % 2 == 0 { 10 } else { 5000 }),
                1000,
            );
        }
        assert_eq!(jtis.len(), MIN_PRUNE_AT);
        jtis.insert("new".into(), seen(5000), 1000);
        assert_eq!(jtis.len(), MIN_PRUNE_AT / 2 + 1);
        assert!(jtis.get("1").is_some() && jtis.get("0").is_none());
        assert!(jtis.get("new").is_some());
    }
}
