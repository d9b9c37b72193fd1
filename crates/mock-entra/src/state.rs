//! What every handler shares: the directory, keys, journal, faults, clock,
//! and the little memory the protocol needs (seen `jti`s, refresh tokens).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Clock;
use crate::directory::{Directory, Tenant};
use crate::faults::Faults;
use crate::impersonation::Origin;
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
/// A client assertion's `jti` the mock has seen.
pub struct SeenJti {
    /// The client that sent it.
    pub client_id: String,
    /// SHA-256 of the whole assertion: an identical re-send matches it.
    pub assertion_sha256: [u8; 32],
    /// The assertion's `exp`: the entry is pruned after it.
    pub expires: i64,
}

/// Something remembered until a moment (Unix seconds), then forgotten.
pub trait Expires {
    /// Unix seconds after which the entry can be forgotten.
    fn expires(&self) -> i64;
}

impl Expires for SeenJti {
    fn expires(&self) -> i64 {
        self.expires
    }
}

impl Expires for RefreshGrant {
    fn expires(&self) -> i64 {
        self.expires
    }
}

/// A map whose expired entries are pruned as it grows, so a long-running
/// mock's memory follows what is still live, not everything ever issued.
#[derive(Debug)]
pub struct Expiring<V> {
    entries: HashMap<String, V>,
    /// The size at which expired entries are next pruned.
    prune_at: usize,
}

/// The `jti`s of accepted client assertions, each remembered until its
/// assertion has expired (a replay after that is refused for its `exp`).
pub type SeenJtis = Expiring<SeenJti>;

/// The refresh tokens issued, until each expires.
pub type RefreshTokens = Expiring<RefreshGrant>;

const MIN_PRUNE_AT: usize = 50_000;

impl<V> Default for Expiring<V> {
    fn default() -> Expiring<V> {
        Expiring {
            entries: HashMap::new(),
            prune_at: MIN_PRUNE_AT,
        }
    }
}

impl<V: Expires> Expiring<V> {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries.get(key)
    }

    /// Records `key`; entries that expired before `horizon` are pruned
    /// first when the map has grown enough.
    pub fn insert(&mut self, key: String, value: V, horizon: i64) {
        if self.entries.len() >= self.prune_at {
            self.entries.retain(|_, v| v.expires() >= horizon);
            // Pruning again only once the live set has doubled keeps the
            // cost per insert constant even when most entries are live.
            self.prune_at = (self.entries.len() * 2).max(MIN_PRUNE_AT);
        }
        self.entries.insert(key, value);
    }

    /// How many entries are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// What a refresh token stands for.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The tenant it was issued in.
    pub tenant_id: String,
    /// The user's object id.
    pub user_oid: String,
    /// The resource scopes as requested (full URIs).
    pub scopes: Vec<String>,
    /// Unix seconds it expires at.
    pub expires: i64,
}

/// How long a connection may take before it is dropped: to send its
/// request headers, its request body, and between two bytes in either
/// direction. A client that trickles bytes or never finishes must not hold
/// a connection (and its memory) forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the connection's start (or the previous response) to the end of
    /// the request headers; also bounds the TLS handshake.
    pub header: Duration,
    /// To read a whole request body once the headers are in.
    pub body: Duration,
    /// With no byte read or written, the connection is closed (after the
    /// request in progress, if any, is answered).
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            idle: Duration::from_secs(60),
        }
    }
}

/// What every handler shares.
pub struct MockState {
    /// The directory served.
    pub directory: Directory,
    /// Keys and certificates.
    pub pki: Pki,
    /// `https://localhost:PORT` (or `http://` with plain HTTP).
    pub base_url: String,
    /// The host name in URLs.
    pub host: String,
    /// The listening port.
    pub port: u16,
    /// Every token request.
    pub journal: Journal,
    /// Queued fault rules.
    pub faults: Faults,
    /// The mock's clock.
    pub clock: Clock,
    /// How a reused `jti` is treated.
    pub jti_policy: JtiPolicy,
    /// Client-assertion `jti`s seen, until they expire (replay check).
    pub seen_jti: Mutex<SeenJtis>,
    /// Refresh tokens issued, until they expire.
    pub refresh_tokens: Mutex<RefreshTokens>,
    /// Connection timeouts.
    pub timeouts: Timeouts,
    /// When set, every `/_harness/*` request must carry
    /// `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
}

impl MockState {
    /// A state serving the default directory as `https://localhost:443`,
    /// its keys generated in (or loaded from) `dir`, with no listener: for
    /// driving the router in-process (unit tests, the fuzz target).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn offline(
        dir: &std::path::Path,
        jti_policy: JtiPolicy,
    ) -> std::sync::Arc<MockState> {
        const PORT: u16 = 443;
        let pki = Pki::load_or_generate(dir, "localhost").expect("keys for an offline mock");
        std::sync::Arc::new(MockState {
            directory: Directory::default_directory(),
            pki,
            base_url: format!("https://localhost:{PORT}"),
            host: "localhost".into(),
            port: PORT,
            journal: Journal::default(),
            faults: Faults::default(),
            clock: Clock::default(),
            jti_policy,
            seen_jti: Mutex::default(),
            refresh_tokens: Mutex::default(),
            timeouts: Timeouts::default(),
            admin_token: None,
        })
    }

    /// The issuer of a tenant's tokens on the mock's own host.
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

/// Where a request arrived decides the URLs and issuer it is answered
/// with (the own listener or an impersonated public-cloud host).
impl MockState {
    /// `https://localhost:PORT` on the own listener, `https://{host}` on an
    /// impersonated one.
    pub fn base_url_at(&self, origin: Origin) -> String {
        match origin {
            Origin::Local => self.base_url.clone(),
            Origin::Public(host) => host.base_url(),
        }
    }

    /// The issuer of tokens minted for a request that arrived at `origin`.
    pub fn issuer_at(&self, origin: Origin, tenant_id: &str) -> String {
        match origin {
            Origin::Local => self.issuer(tenant_id),
            Origin::Public(_) => crate::impersonation::public_issuer(tenant_id),
        }
    }

    /// Whether `url` names this mock where a request at `origin` may expect
    /// it: on the own listener its scheme, host and port; as the public
    /// cloud any of the aliases over https with no port other than 443
    /// (Entra treats the aliases as one cloud).
    pub fn names_this_mock(&self, origin: Origin, url: &url::Url) -> bool {
        match origin {
            Origin::Local => self.is_own_origin(url),
            Origin::Public(_) => crate::impersonation::is_public_url(url),
        }
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
    fn expired_refresh_tokens_are_pruned() {
        let grant = |expires| RefreshGrant {
            client_id: "c".into(),
            tenant_id: "t".into(),
            user_oid: "u".into(),
            scopes: Vec::new(),
            expires,
        };
        let mut tokens = RefreshTokens::default();
        for i in 0..MIN_PRUNE_AT {
            tokens.insert(format!("{i}"), grant(10), 0);
        }
        assert_eq!(tokens.len(), MIN_PRUNE_AT);
        // Now (the horizon) is past every one of them.
        tokens.insert("live".into(), grant(5000), 1000);
        assert_eq!(tokens.len(), 1);
        assert!(tokens.get("live").is_some());
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
