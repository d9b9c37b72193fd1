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
    pub seen_jti: Mutex<HashMap<String, SeenJti>>,
    pub refresh_tokens: Mutex<HashMap<String, RefreshGrant>>,
}

impl MockState {
    pub fn issuer(&self, tenant_id: &str) -> String {
        format!("{}/{tenant_id}/v2.0", self.base_url)
    }

    /// The tenant whose issuer `iss` is, when this mock issued it.
    pub fn tenant_of_issuer(&self, iss: &str) -> Option<&Tenant> {
        let rest = iss.strip_prefix(&self.base_url)?.strip_prefix('/')?;
        let tenant_id = rest.strip_suffix("/v2.0")?;
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
