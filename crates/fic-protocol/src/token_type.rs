//! The `token_type` of a request and of the token it returns.

use std::fmt;

/// What kind of access token is asked for or was issued.
///
/// A client sends `token_type=mtls_pop` to ask for a token bound to the
/// certificate it presents on the TLS connection; without the field the
/// token is a plain bearer token (`docs/protocol.md` §2). Caches compare
/// token types without regard to case, and read a missing type as Bearer.
///
/// ```
/// use fic_protocol::TokenType;
/// assert!(TokenType::is_bearer(""));
/// assert!(TokenType::is_bearer("bearer"));
/// assert!(TokenType::MtlsPop.matches("MTLS_POP"));
/// assert_eq!(TokenType::MtlsPop.as_str(), "mtls_pop");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// `Bearer`: whoever holds the token may use it.
    Bearer,
    /// `mtls_pop`: the token names the thumbprint of a certificate
    /// (`cnf.x5t#S256`) and is only good on a connection presenting it.
    MtlsPop,
}

impl TokenType {
    /// The spelling Entra returns for bearer tokens.
    pub const BEARER: &'static str = "Bearer";
    /// The spelling of an mTLS-bound token, in requests and responses.
    pub const MTLS_POP: &'static str = "mtls_pop";

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Bearer => Self::BEARER,
            TokenType::MtlsPop => Self::MTLS_POP,
        }
    }

    /// True when `token_type` names this type, in any case.
    pub fn matches(self, token_type: &str) -> bool {
        token_type.eq_ignore_ascii_case(self.as_str())
    }

    /// How caches read a stored or returned type: empty counts as Bearer,
    /// because entries written without the field are bearer tokens.
    pub fn is_bearer(token_type: &str) -> bool {
        token_type.is_empty() || TokenType::Bearer.matches(token_type)
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
