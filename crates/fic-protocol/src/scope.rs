//! Scopes: what a token is for, and the OpenID Connect scopes that ride
//! along with every user flow.

string_newtype! {
    /// One scope, e.g. `api://AzureADTokenExchange/.default` or
    /// `api://resource/Read`. App tokens take exactly one
    /// `<resource>/.default` scope; user tokens may take several.
    Scope
}

/// The three scopes every MSAL user flow adds to the caller's scopes
/// (`docs/protocol.md` §2): `openid` for an id token, `profile` for the
/// user's name in it, `offline_access` for a refresh token.
pub const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

/// The OpenID Connect scopes an identity provider knows, in the order
/// Entra's discovery document lists them (`scopes_supported`): the three
/// of [`OIDC_SCOPES`] and `email`. None of them names a resource, so an
/// IdP leaves them out when it decides which resource a token is for.
pub const OIDC_SCOPES_SUPPORTED: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The `scope` form field: scopes in the order they were given, sent
/// space-separated.
///
/// ```
/// use fic_protocol::Scopes;
/// let asked = Scopes::new(["api://resource/Read", "openid"]);
/// assert_eq!(
///     asked.with_oidc().to_wire(),
///     "api://resource/Read openid profile offline_access"
/// );
/// assert_eq!(Scopes::from_wire(" a  b "), Scopes::new(["a", "b"]));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// The scopes as given, in order.
    pub fn new<I, S>(scopes: I) -> Scopes
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Scopes(scopes.into_iter().map(Scope::new).collect())
    }

    /// Reads a space-separated `scope` value; runs of whitespace separate
    /// like one space, as in every MSAL port.
    pub fn from_wire(scope: &str) -> Scopes {
        Scopes::new(scope.split_whitespace())
    }

    /// The `scope` form value: the scopes joined by single spaces.
    pub fn to_wire(&self) -> String {
        self.to_strings().join(" ")
    }

    /// No scope at all (which every client refuses to send).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many scopes there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// True when `scope` is among them, spelled exactly.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// These scopes followed by those of [`OIDC_SCOPES`] not already
    /// present: what a user flow sends.
    pub fn with_oidc(&self) -> Scopes {
        let mut out = self.clone();
        for s in OIDC_SCOPES {
            if !out.contains(s) {
                out.0.push(Scope::new(s));
            }
        }
        out
    }

    /// The scopes as plain strings, in order.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(|s| s.as_str().to_owned()).collect()
    }
}

impl<S: Into<String>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Scopes::new(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oidc_scopes_are_added_once_after_the_callers() {
        assert_eq!(
            Scopes::new(["api://r/Read", "openid"])
                .with_oidc()
                .to_strings(),
            ["api://r/Read", "openid", "profile", "offline_access"]
        );
        assert!(
            OIDC_SCOPES
                .iter()
                .all(|s| OIDC_SCOPES_SUPPORTED.contains(s))
        );
    }
}
