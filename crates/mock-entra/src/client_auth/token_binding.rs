//! Token binding to the TLS client certificate (docs/protocol.md §2): a
//! jwt-pop client assertion proves possession of the connection's client
//! certificate, and `token_type=mtls_pop` asks for an access token bound to
//! it (`cnf.x5t#S256`). Both need a TLS client certificate; without one
//! the request is refused rather than silently given a bearer token.

use fic_protocol::{AssertionType, TokenType};

use crate::refusal::Refusal;

/// A jwt-pop assertion needs the TLS client certificate it is bound to.
pub(crate) fn check_assertion_type(
    assertion_type: AssertionType,
    tls_client_x5t: Option<&str>,
) -> Result<(), Refusal> {
    if assertion_type == AssertionType::JwtPop && tls_client_x5t.is_none() {
        return Err(Refusal::JwtPopWithoutClientCertificate);
    }
    Ok(())
}

/// What an app token is bound to, from the request's `token_type`: nothing
/// for a bearer token, the TLS client certificate's x5t#S256 for
/// `mtls_pop`.
pub(crate) fn bound_to<'r>(
    token_type: Option<&str>,
    tls_client_x5t: Option<&'r str>,
) -> Result<Option<&'r str>, Refusal> {
    match token_type {
        // Entra takes Bearer in these two spellings only; any other case
        // is refused like an unknown type.
        None | Some("bearer") | Some(TokenType::BEARER) => Ok(None),
        Some(TokenType::MTLS_POP) => tls_client_x5t
            .map(Some)
            .ok_or(Refusal::MtlsPopWithoutClientCertificate),
        Some(other) => Err(Refusal::UnsupportedTokenType {
            token_type: other.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_pop_needs_a_client_certificate() {
        assert_eq!(
            check_assertion_type(AssertionType::JwtPop, None),
            Err(Refusal::JwtPopWithoutClientCertificate)
        );
        assert_eq!(
            check_assertion_type(AssertionType::JwtPop, Some("x5t")),
            Ok(())
        );
        assert_eq!(check_assertion_type(AssertionType::JwtBearer, None), Ok(()));
    }

    #[test]
    fn mtls_pop_binds_to_the_client_certificate_and_bearer_to_nothing() {
        assert_eq!(bound_to(None, Some("x5t")), Ok(None));
        assert_eq!(bound_to(Some("bearer"), Some("x5t")), Ok(None));
        assert_eq!(bound_to(Some(TokenType::BEARER), None), Ok(None));
        assert_eq!(
            bound_to(Some(TokenType::MTLS_POP), Some("x5t")),
            Ok(Some("x5t"))
        );
        assert_eq!(
            bound_to(Some(TokenType::MTLS_POP), None),
            Err(Refusal::MtlsPopWithoutClientCertificate)
        );
        assert_eq!(
            bound_to(Some("BEARER"), None),
            Err(Refusal::UnsupportedTokenType {
                token_type: "BEARER".into()
            })
        );
    }
}
