//! Which grant a token request uses: `grant_type`.

use std::fmt;

/// The `grant_type` form field of a token request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GrantType {
    /// An app token, Legs 1 and 2 (`docs/protocol.md` §1).
    ClientCredentials,
    /// A user token for an agent, Leg 3: `user_fic`.
    UserFic,
    /// Redeeming a refresh token for a new user token.
    RefreshToken,
    /// Anything else; kept verbatim so the IdP can name it in AADSTS70003.
    Other(String),
}

impl GrantType {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::UserFic => "user_fic",
            GrantType::RefreshToken => "refresh_token",
            GrantType::Other(s) => s,
        }
    }

    /// Reads a `grant_type` value; unknown grants are kept as
    /// [`GrantType::Other`], never refused here.
    pub fn parse(s: &str) -> GrantType {
        match s {
            "client_credentials" => GrantType::ClientCredentials,
            "user_fic" => GrantType::UserFic,
            "refresh_token" => GrantType::RefreshToken,
            other => GrantType::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_and_unknown_grants() {
        for s in [
            "client_credentials",
            "user_fic",
            "refresh_token",
            "password",
        ] {
            assert_eq!(GrantType::parse(s).as_str(), s);
        }
        assert_eq!(
            GrantType::parse("password"),
            GrantType::Other("password".into())
        );
    }
}
