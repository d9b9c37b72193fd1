//! How a client authenticates with an assertion: `client_assertion_type`.

use std::fmt;

/// The `client_assertion_type` form field: what kind of assertion
/// `client_assertion` holds, as a URN.
///
/// ```
/// use fic_protocol::AssertionType;
/// let t = AssertionType::from_urn("urn:ietf:params:oauth:client-assertion-type:jwt-pop");
/// assert_eq!(t, Some(AssertionType::JwtPop));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssertionType {
    /// The ordinary signed-JWT client assertion (RFC 7523).
    JwtBearer,
    /// Sent when the assertion comes with a token-binding certificate that is
    /// presented as the TLS client certificate (`docs/protocol.md` §2).
    JwtPop,
}

impl AssertionType {
    /// The URN of [`AssertionType::JwtBearer`].
    pub const JWT_BEARER_URN: &'static str =
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /// The URN of [`AssertionType::JwtPop`].
    pub const JWT_POP_URN: &'static str = "urn:ietf:params:oauth:client-assertion-type:jwt-pop";

    /// The URN sent as `client_assertion_type`.
    pub fn urn(self) -> &'static str {
        match self {
            AssertionType::JwtBearer => Self::JWT_BEARER_URN,
            AssertionType::JwtPop => Self::JWT_POP_URN,
        }
    }

    /// The assertion type a URN names; `None` for any other string
    /// (compared exactly, as Entra does).
    pub fn from_urn(urn: &str) -> Option<AssertionType> {
        match urn {
            Self::JWT_BEARER_URN => Some(AssertionType::JwtBearer),
            Self::JWT_POP_URN => Some(AssertionType::JwtPop),
            _ => None,
        }
    }
}

impl fmt::Display for AssertionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.urn())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_round_trip() {
        for t in [AssertionType::JwtBearer, AssertionType::JwtPop] {
            assert_eq!(AssertionType::from_urn(t.urn()), Some(t));
        }
        assert_eq!(AssertionType::from_urn("jwt-bearer"), None);
    }
}
