//! Which authority the clients under test are given, and what follows from
//! it: the snapshot folder, which scenarios run, which declarations apply.
//!
//! - `production` (the default): the public cloud's
//!   `https://login.microsoftonline.com/<tenant>`, reached through the mock's
//!   CONNECT proxy, with every port's production code path on (authority
//!   validation, instance discovery, alias handling). Snapshots in
//!   `snapshots/<port>/`.
//! - `localhost`: the mock's own `https://localhost:PORT/<tenant>`, no proxy,
//!   with instance discovery and authority validation switched off in every
//!   port (it is no Microsoft cloud). Snapshots in
//!   `snapshots/localhost/<port>/`. Scenarios about an authority with a port
//!   (tagged [`LOCALHOST_ONLY_TAG`]) run only here; scenarios about the
//!   public cloud's hosts (tagged [`PRODUCTION_ONLY_TAG`]) only in production.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use mock_entra::MockEntra;
use serde::{Deserialize, Serialize};

/// Scenarios tagged so need an authority with a port: they run only in
/// [`AuthorityMode::Localhost`].
pub const LOCALHOST_ONLY_TAG: &str = "@authority-with-port";

/// Scenarios tagged so are about the public cloud's hosts: they run only in
/// [`AuthorityMode::Production`].
pub const PRODUCTION_ONLY_TAG: &str = "@public-cloud";

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
/// Which authority the clients under test are given (`run --authority`).
pub enum AuthorityMode {
    #[default]
    /// `https://login.microsoftonline.com/<tenant>`, reached through the mock's
    /// forward proxy: the ports run with their production defaults.
    Production,
    /// The mock's own `https://localhost:PORT/<tenant>`.
    Localhost,
}

#[derive(Debug, thiserror::Error)]
#[error("--authority takes production or localhost, not {0:?}")]
/// An `--authority` value that is neither mode.
pub struct UnknownAuthorityMode(String);

impl FromStr for AuthorityMode {
    type Err = UnknownAuthorityMode;

    fn from_str(s: &str) -> Result<AuthorityMode, UnknownAuthorityMode> {
        match s {
            "production" => Ok(AuthorityMode::Production),
            "localhost" => Ok(AuthorityMode::Localhost),
            other => Err(UnknownAuthorityMode(other.to_owned())),
        }
    }
}

impl fmt::Display for AuthorityMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthorityMode::Production => "production",
            AuthorityMode::Localhost => "localhost",
        })
    }
}

/// What a client is configured with to reach one mock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The authority URL the client is configured with.
    pub authority: String,
    /// The forward proxy (`http://127.0.0.1:PORT`), in production mode.
    pub proxy: Option<String>,
}

impl Target {
    /// The token endpoint a client derives from the authority (what its
    /// assertion callback is told).
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth2/v2.0/token", self.authority.trim_end_matches('/'))
    }
}

impl AuthorityMode {
    /// What a client is configured with to reach `mock` in this mode.
    pub fn target(self, mock: &MockEntra) -> Target {
        match self {
            AuthorityMode::Production => Target {
                authority: mock.public_authority(),
                proxy: Some(mock.proxy_url().to_string()),
            },
            AuthorityMode::Localhost => Target {
                authority: mock.authority(),
                proxy: None,
            },
        }
    }

    /// Where `port`'s snapshots for this mode live.
    pub fn snapshot_dir(self, root: &Path, port: &str) -> PathBuf {
        match self {
            AuthorityMode::Production => root.join("snapshots").join(port),
            AuthorityMode::Localhost => root.join("snapshots/localhost").join(port),
        }
    }

    /// Whether a scenario with these tags (`@`-prefixed) runs in this mode.
    pub fn runs(self, tags: &[String]) -> bool {
        let other_mode_only = match self {
            AuthorityMode::Production => LOCALHOST_ONLY_TAG,
            AuthorityMode::Localhost => PRODUCTION_ONLY_TAG,
        };
        !tags.iter().any(|t| t == other_mode_only)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_by_name_and_say_what_they_take() {
        assert_eq!(
            "production".parse::<AuthorityMode>().unwrap(),
            AuthorityMode::Production
        );
        assert_eq!(
            "localhost".parse::<AuthorityMode>().unwrap(),
            AuthorityMode::Localhost
        );
        let err = "cloud".parse::<AuthorityMode>().unwrap_err().to_string();
        assert!(
            err.contains("production or localhost") && err.contains("cloud"),
            "{err}"
        );
        assert_eq!(AuthorityMode::default().to_string(), "production");
    }

    #[test]
    fn each_mode_has_its_own_snapshots_and_scenarios() {
        let root = Path::new("/repo");
        assert_eq!(
            AuthorityMode::Production.snapshot_dir(root, "go"),
            Path::new("/repo/snapshots/go")
        );
        assert_eq!(
            AuthorityMode::Localhost.snapshot_dir(root, "go"),
            Path::new("/repo/snapshots/localhost/go")
        );
        let with_port = vec!["@leg1".to_owned(), LOCALHOST_ONLY_TAG.to_owned()];
        assert!(!AuthorityMode::Production.runs(&with_port));
        assert!(AuthorityMode::Localhost.runs(&with_port));
        assert!(AuthorityMode::Production.runs(&["@leg1".to_owned()]));
        let public = vec![PRODUCTION_ONLY_TAG.to_owned()];
        assert!(AuthorityMode::Production.runs(&public));
        assert!(!AuthorityMode::Localhost.runs(&public));
    }

    #[test]
    fn the_token_endpoint_follows_the_authority() {
        let t = Target {
            authority: "https://login.microsoftonline.com/t".into(),
            proxy: None,
        };
        assert_eq!(
            t.token_endpoint(),
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        );
    }
}
