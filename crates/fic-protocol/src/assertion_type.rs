use std::fmt;

/// The `client_assertion_type` form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssertionType {
    /// The ordinary signed-JWT client assertion (RFC 7523).
    JwtBearer,
    /// Sent when the assertion comes with a token-binding certificate that is
    /// presented as the TLS client certificate (SPEC §2).
    JwtPop,
}

impl AssertionType {
    pub const JWT_BEARER_URN: &'static str =
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    pub const JWT_POP_URN: &'static str = "urn:ietf:params:oauth:client-assertion-type:jwt-pop";

    pub fn urn(self) -> &'static str {
        match self {
            AssertionType::JwtBearer => Self::JWT_BEARER_URN,
            AssertionType::JwtPop => Self::JWT_POP_URN,
        }
    }

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
