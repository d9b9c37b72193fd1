//! The token endpoint in-process, for the fuzz target (`fuzz/`): the
//! mock's own router over a state with no listener, so each input is one
//! `oneshot` call, no socket. Only with the `fuzzing` feature.

use std::path::Path;
use std::sync::Arc;

use crate::connection::ConnInfo;
use crate::state::{JtiPolicy, MockState};

/// An offline mock: the default directory served as
/// `https://localhost:443`, its keys generated in `dir`.
pub struct Offline {
    state: Arc<MockState>,
}

impl Offline {
    /// Generates (or loads) the keys in `dir`; panics if it cannot.
    pub fn new(dir: &Path) -> Offline {
        Offline {
            state: MockState::offline(dir, JtiPolicy::AllowIdenticalResend),
        }
    }

    /// The mock's router, as its listener serves it, for a connection
    /// without a TLS client certificate.
    pub fn router(&self) -> axum::Router {
        crate::server::router(self.state.clone()).layer(axum::Extension(ConnInfo::default()))
    }

    /// The directory served.
    pub fn directory(&self) -> &crate::Directory {
        &self.state.directory
    }

    /// The journal of requests served.
    pub fn journal(&self) -> &crate::Journal {
        &self.state.journal
    }

    /// The mock's clock, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.state.clock.unix()
    }

    /// The issuer of `tenant_id`'s tokens.
    pub fn issuer(&self, tenant_id: &str) -> String {
        self.state.issuer(tenant_id)
    }

    /// Signs `claims` with the mock's token key, as it signs what it issues.
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        crate::token_issuer::sign(&self.state, claims)
    }
}
