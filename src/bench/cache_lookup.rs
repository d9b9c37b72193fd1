//! The reference client's token cache lookup (msal-ref's `TokenCache`) at
//! 1k, 10k and 100k cached app tokens, one per fmi path (an agent
//! platform's cache): a hit for a cached agent's token, and a miss for an
//! agent not yet cached (what every first request for an agent does).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use mock_entra::fixtures::{BLUEPRINT, TENANT};
use msal_ref::TokenCache;
use msal_ref::cache::{AccessTokenEntry, AccessTokenQuery};
use msal_ref::cache_key::{HashAlgorithm, KeyProfile, stored_ext_cache_key};

const SCOPE: &str = fic_protocol::TOKEN_EXCHANGE_SCOPE;
const NOW: u64 = 1_800_000_000;

/// Nanoseconds per lookup at one cache size.
#[derive(Debug, Clone, Copy)]
pub struct Lookup {
    pub tokens: usize,
    pub hit_ns: f64,
    pub miss_ns: f64,
}

fn ext_key(agent: usize) -> Option<String> {
    let components = BTreeMap::from([(
        fic_protocol::form::FMI_PATH.to_owned(),
        format!("agent-{agent}"),
    )]);
    stored_ext_cache_key(&components, HashAlgorithm::Netstring)
}

fn entry(agent: usize) -> AccessTokenEntry {
    AccessTokenEntry {
        credential_type: "AccessToken".into(),
        secret: format!("token-{agent}"),
        home_account_id: None,
        environment: "localhost".into(),
        client_id: BLUEPRINT.to_string(),
        target: SCOPE.into(),
        realm: TENANT.to_string(),
        token_type: fic_protocol::TokenType::BEARER.into(),
        cached_at: NOW,
        expires_on: NOW + 3600,
        extended_expires_on: NOW + 3600,
        key_id: None,
        ext_cache_key: ext_key(agent),
        refresh_on: None,
        extra: Default::default(),
    }
}

fn query(agent: usize) -> AccessTokenQuery {
    AccessTokenQuery {
        home_account_id: None,
        environment: "localhost".into(),
        client_id: BLUEPRINT.to_string(),
        realm: TENANT.to_string(),
        scopes: vec![SCOPE.into()],
        token_type: fic_protocol::TokenType::BEARER.into(),
        key_id: None,
        ext_cache_key: ext_key(agent),
    }
}

/// Mean time of `find_access_token` over the queries, repeated until
/// `at_least` has passed (so fast and slow lookups are both measured long
/// enough). Queries are built beforehand: only the lookup is timed.
fn time_lookups(cache: &TokenCache, queries: &[AccessTokenQuery], at_least: Duration) -> f64 {
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < at_least {
        for q in queries {
            black_box(cache.find_access_token(black_box(q), NOW));
            n += 1;
        }
    }
    started.elapsed().as_nanos() as f64 / n as f64
}

pub fn measure(tokens: usize, at_least: Duration) -> Lookup {
    let mut cache = TokenCache::new(KeyProfile::Atext);
    for agent in 0..tokens {
        cache.insert_access_token(entry(agent));
    }
    // Spread over the whole cache; a fixed stride keeps runs comparable.
    let hits: Vec<_> = (0..1000).map(|i| query((i * 7919) % tokens)).collect();
    let misses: Vec<_> = (0..10).map(|i| query(tokens + i)).collect();
    assert!(cache.find_access_token(&hits[0], NOW).is_some());
    assert!(cache.find_access_token(&misses[0], NOW).is_none());
    Lookup {
        tokens,
        hit_ns: time_lookups(&cache, &hits, at_least),
        miss_ns: time_lookups(&cache, &misses, at_least),
    }
}
