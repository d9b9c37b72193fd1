//! The catalogue of every AADSTS code the mock answers with: one entry per
//! refusal, with Entra's `error`, HTTP status and message, and where the code
//! is documented. Codes marked `MOCK_OWN` are not Entra's: no public source
//! gives a code for that refusal (docs/protocol.md §7), so the mock picks one in a range
//! Entra does not use and says so in the description.

use http::StatusCode;

use crate::refusal::Refusal;

/// Where Entra's codes are listed.
pub const ERROR_CODES_DOC: &str =
    "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes";
/// Where the workload identity federation codes (70021, 7002xx) are explained.
pub const WIF_DOC: &str = "https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation-considerations#errors";
/// Source of the mock's own codes.
pub const MOCK_OWN: &str = "fic-harness: no public Entra code known for this refusal";

/// Every refusal the mock can answer with. Each variant's catalogue
/// entry ([`Aadsts::spec`]) fixes the AADSTS code, the OAuth `error`, the
/// HTTP status and Entra's message, so a refusal is worded in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aadsts {
    /// AADSTS900144, `invalid_request`: The request body must contain the following parameter
    MissingParameter,
    /// AADSTS9002313, `invalid_request`: Invalid request. Request is malformed or invalid.
    MalformedRequest,
    /// AADSTS7000218, `invalid_client`: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.
    NoClientCredential,
    /// AADSTS7000215, `invalid_client`: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.
    InvalidSecret,
    /// AADSTS700016, `unauthorized_client`: Application was not found in the directory.
    AppNotFound,
    /// AADSTS50027, `invalid_request`: JWT token is invalid or malformed.
    MalformedAssertion,
    /// AADSTS700027, `invalid_client`: Client assertion failed signature validation.
    AssertionSignature,
    /// AADSTS700021, `invalid_client`: Client assertion application identifier doesn't match 'client_id' parameter.
    AssertionAppIdMismatch,
    /// AADSTS700023, `invalid_client`: Client assertion audience claim does not match Realm issuer.
    AssertionAudience,
    /// AADSTS700024, `invalid_client`: Client assertion is not within its valid time range.
    AssertionTimeRange,
    /// AADSTS70021, `invalid_client`: No matching federated identity record found for presented assertion.
    NoMatchingFederatedRecord,
    /// AADSTS700211, `invalid_client`: No matching federated identity record found for presented assertion issuer.
    FederatedIssuerMismatch,
    /// AADSTS700212, `invalid_client`: No matching federated identity record found for presented assertion audience.
    FederatedAudienceMismatch,
    /// AADSTS700213, `invalid_client`: No matching federated identity record found for presented assertion subject.
    FederatedSubjectMismatch,
    /// AADSTS700229, `invalid_client`: Only app-only tokens can be used as Federated Identity Credentials.
    UserTokenAsFederatedCredential,
    /// AADSTS70003, `unsupported_grant_type`: The app requested an unsupported grant type.
    UnsupportedGrant,
    /// AADSTS70000, `invalid_grant`: The provided grant is invalid or malformed.
    InvalidGrant,
    /// AADSTS50034, `invalid_grant`: The user account does not exist in the directory.
    UserNotFound,
    /// AADSTS1002012, `invalid_scope`: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).
    ScopeNotDefault,
    /// AADSTS70011, `invalid_scope`: The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.
    InvalidScope,
    /// AADSTS500011, `invalid_resource`: The resource principal was not found in the tenant.
    ResourceNotFound,
    /// AADSTS90002, `invalid_tenant`: Tenant not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.
    TenantNotFound,
    /// AADSTS50049, `invalid_instance`: Unknown or invalid instance.
    UnknownInstance,
    /// AADSTS700082, `invalid_grant`: The refresh token has expired due to inactivity.
    RefreshTokenExpired,
    /// AADSTS50013, `invalid_grant`: Assertion failed signature validation.
    UserAssertionSignature,
    /// AADSTS500133, `invalid_grant`: Assertion is not within its valid time range.
    UserAssertionTimeRange,
    // The mock's own (MOCK_OWN) from here on.
    /// AADSTS9990001, `invalid_request` (413): [fic-harness] The request body is larger than the token endpoint accepts.
    RequestTooLarge,
    /// AADSTS9990002, `invalid_request`: [fic-harness] A parameter appears more than once in the request.
    DuplicateParameter,
    /// AADSTS9990003, `invalid_request`: [fic-harness] The token endpoint only accepts application/x-www-form-urlencoded bodies.
    UnsupportedContentType,
    /// AADSTS9990004, `invalid_request`: [fic-harness] The client_assertion_type is not supported.
    UnsupportedAssertionType,
    /// AADSTS9990005, `invalid_client`: [fic-harness] The client assertion has no 'jti' claim.
    MissingJti,
    /// AADSTS9990006, `invalid_client`: [fic-harness] The client assertion's 'jti' was already used.
    ReplayedJti,
    /// AADSTS9990007, `invalid_client`: [fic-harness] The client assertion's lifetime is longer than the mock accepts.
    AssertionLifetimeTooLong,
    /// AADSTS9990008, `invalid_request`: [fic-harness] The fmi_path parameter is not valid.
    InvalidFmiPath,
    /// AADSTS9990009, `invalid_client`: [fic-harness] A jwt-pop client assertion requires a TLS client certificate (mTLS).
    JwtPopWithoutClientCertificate,
    /// AADSTS9990010, `invalid_request`: [fic-harness] token_type=mtls_pop requires a TLS client certificate (mTLS).
    MtlsPopWithoutClientCertificate,
    /// AADSTS9990011, `invalid_request`: [fic-harness] Exactly one of 'username' and 'user_id' must be sent.
    ConflictingUserIdentifiers,
    /// AADSTS9990012, `invalid_grant`: [fic-harness] The user_federated_identity_credential was not issued to this client.
    UserCredentialForAnotherClient,
    /// AADSTS9990013, `invalid_request`: [fic-harness] The client_id in the body differs from the one in the Authorization header.
    ConflictingClientIds,
    /// AADSTS9990014, `invalid_request` (404): [fic-harness] The mock serves no such endpoint.
    NotFound,
    /// AADSTS9990100, `temporarily_unavailable` (503): [fic-harness] Injected fault (the default answer of a fault rule).
    InjectedFault,
    /// AADSTS9990015, `invalid_request` (408): [fic-harness] The request body did not arrive in time.
    RequestTimeout,
    /// AADSTS9990016, `unauthorized_client`: [fic-harness] Only an agent identity authenticating with its federated credential (T1) may use the user_fic grant.
    UserFicNotAgent,
    /// AADSTS9990017, `unauthorized_client`: [fic-harness] Only an agent identity blueprint or an agent identity may request a token with an fmi_path.
    FmiPathNotAllowed,
}

/// One catalogue entry.
#[derive(Debug, Clone, Copy)]
pub struct CodeSpec {
    /// The AADSTS number (`AADSTS{code}` in the description).
    pub code: u32,
    /// The OAuth `error` field, e.g. `invalid_client`.
    pub error: &'static str,
    /// The HTTP status of the answer.
    pub status: StatusCode,
    /// Entra's message (the part after `AADSTSnnn: `), before any detail.
    pub message: &'static str,
    /// Where the code is documented ([`ERROR_CODES_DOC`], [`WIF_DOC`]) or
    /// [`MOCK_OWN`].
    pub source: &'static str,
}

const fn spec(
    code: u32,
    error: &'static str,
    status: StatusCode,
    message: &'static str,
    source: &'static str,
) -> CodeSpec {
    CodeSpec {
        code,
        error,
        status,
        message,
        source,
    }
}

const BAD: StatusCode = StatusCode::BAD_REQUEST;
const UNAUTH: StatusCode = StatusCode::UNAUTHORIZED;

impl Aadsts {
    /// Every variant, in catalogue order (the docs table and the tests
    /// walk it).
    pub const ALL: [Aadsts; 44] = [
        Aadsts::MissingParameter,
        Aadsts::MalformedRequest,
        Aadsts::NoClientCredential,
        Aadsts::InvalidSecret,
        Aadsts::AppNotFound,
        Aadsts::MalformedAssertion,
        Aadsts::AssertionSignature,
        Aadsts::AssertionAppIdMismatch,
        Aadsts::AssertionAudience,
        Aadsts::AssertionTimeRange,
        Aadsts::NoMatchingFederatedRecord,
        Aadsts::FederatedIssuerMismatch,
        Aadsts::FederatedAudienceMismatch,
        Aadsts::FederatedSubjectMismatch,
        Aadsts::UserTokenAsFederatedCredential,
        Aadsts::UnsupportedGrant,
        Aadsts::InvalidGrant,
        Aadsts::UserNotFound,
        Aadsts::ScopeNotDefault,
        Aadsts::InvalidScope,
        Aadsts::ResourceNotFound,
        Aadsts::TenantNotFound,
        Aadsts::UnknownInstance,
        Aadsts::RefreshTokenExpired,
        Aadsts::UserAssertionSignature,
        Aadsts::UserAssertionTimeRange,
        Aadsts::RequestTooLarge,
        Aadsts::DuplicateParameter,
        Aadsts::UnsupportedContentType,
        Aadsts::UnsupportedAssertionType,
        Aadsts::MissingJti,
        Aadsts::ReplayedJti,
        Aadsts::AssertionLifetimeTooLong,
        Aadsts::InvalidFmiPath,
        Aadsts::JwtPopWithoutClientCertificate,
        Aadsts::MtlsPopWithoutClientCertificate,
        Aadsts::ConflictingUserIdentifiers,
        Aadsts::UserCredentialForAnotherClient,
        Aadsts::ConflictingClientIds,
        Aadsts::NotFound,
        Aadsts::InjectedFault,
        Aadsts::RequestTimeout,
        Aadsts::UserFicNotAgent,
        Aadsts::FmiPathNotAllowed,
    ];

    /// This refusal's catalogue entry.
    pub fn spec(self) -> CodeSpec {
        use Aadsts::*;
        match self {
            MissingParameter => spec(
                900144,
                "invalid_request",
                BAD,
                "The request body must contain the following parameter",
                ERROR_CODES_DOC,
            ),
            MalformedRequest => spec(
                9002313,
                "invalid_request",
                BAD,
                "Invalid request. Request is malformed or invalid.",
                ERROR_CODES_DOC,
            ),
            NoClientCredential => spec(
                7000218,
                "invalid_client",
                BAD,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                ERROR_CODES_DOC,
            ),
            InvalidSecret => spec(
                7000215,
                "invalid_client",
                UNAUTH,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
                ERROR_CODES_DOC,
            ),
            AppNotFound => spec(
                700016,
                "unauthorized_client",
                BAD,
                "Application was not found in the directory.",
                ERROR_CODES_DOC,
            ),
            MalformedAssertion => spec(
                50027,
                "invalid_request",
                BAD,
                "JWT token is invalid or malformed.",
                ERROR_CODES_DOC,
            ),
            AssertionSignature => spec(
                700027,
                "invalid_client",
                UNAUTH,
                "Client assertion failed signature validation.",
                ERROR_CODES_DOC,
            ),
            AssertionAppIdMismatch => spec(
                700021,
                "invalid_client",
                UNAUTH,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
                ERROR_CODES_DOC,
            ),
            AssertionAudience => spec(
                700023,
                "invalid_client",
                UNAUTH,
                "Client assertion audience claim does not match Realm issuer.",
                ERROR_CODES_DOC,
            ),
            AssertionTimeRange => spec(
                700024,
                "invalid_client",
                UNAUTH,
                "Client assertion is not within its valid time range.",
                ERROR_CODES_DOC,
            ),
            NoMatchingFederatedRecord => spec(
                70021,
                "invalid_client",
                UNAUTH,
                "No matching federated identity record found for presented assertion.",
                WIF_DOC,
            ),
            FederatedIssuerMismatch => spec(
                700211,
                "invalid_client",
                UNAUTH,
                "No matching federated identity record found for presented assertion issuer.",
                WIF_DOC,
            ),
            FederatedAudienceMismatch => spec(
                700212,
                "invalid_client",
                UNAUTH,
                "No matching federated identity record found for presented assertion audience.",
                WIF_DOC,
            ),
            FederatedSubjectMismatch => spec(
                700213,
                "invalid_client",
                UNAUTH,
                "No matching federated identity record found for presented assertion subject.",
                WIF_DOC,
            ),
            UserTokenAsFederatedCredential => spec(
                700229,
                "invalid_client",
                UNAUTH,
                "Only app-only tokens can be used as Federated Identity Credentials.",
                "docs/protocol.md §7 (observed in Entra responses)",
            ),
            UnsupportedGrant => spec(
                70003,
                "unsupported_grant_type",
                BAD,
                "The app requested an unsupported grant type.",
                ERROR_CODES_DOC,
            ),
            InvalidGrant => spec(
                70000,
                "invalid_grant",
                BAD,
                "The provided grant is invalid or malformed.",
                ERROR_CODES_DOC,
            ),
            UserNotFound => spec(
                50034,
                "invalid_grant",
                BAD,
                "The user account does not exist in the directory.",
                ERROR_CODES_DOC,
            ),
            ScopeNotDefault => spec(
                1002012,
                "invalid_scope",
                BAD,
                "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
                "https://github.com/MicrosoftDocs/azure-docs/issues/99862 (Entra response quoted)",
            ),
            InvalidScope => spec(
                70011,
                "invalid_scope",
                BAD,
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.",
                ERROR_CODES_DOC,
            ),
            ResourceNotFound => spec(
                500011,
                "invalid_resource",
                BAD,
                "The resource principal was not found in the tenant.",
                ERROR_CODES_DOC,
            ),
            TenantNotFound => spec(
                90002,
                "invalid_tenant",
                BAD,
                "Tenant not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
                ERROR_CODES_DOC,
            ),
            UnknownInstance => spec(
                50049,
                "invalid_instance",
                BAD,
                "Unknown or invalid instance.",
                ERROR_CODES_DOC,
            ),
            RefreshTokenExpired => spec(
                700082,
                "invalid_grant",
                BAD,
                "The refresh token has expired due to inactivity.",
                ERROR_CODES_DOC,
            ),
            UserAssertionSignature => spec(
                50013,
                "invalid_grant",
                BAD,
                "Assertion failed signature validation.",
                ERROR_CODES_DOC,
            ),
            UserAssertionTimeRange => spec(
                500133,
                "invalid_grant",
                BAD,
                "Assertion is not within its valid time range.",
                ERROR_CODES_DOC,
            ),
            RequestTooLarge => spec(
                9990001,
                "invalid_request",
                StatusCode::PAYLOAD_TOO_LARGE,
                "[fic-harness] The request body is larger than the token endpoint accepts.",
                MOCK_OWN,
            ),
            DuplicateParameter => spec(
                9990002,
                "invalid_request",
                BAD,
                "[fic-harness] A parameter appears more than once in the request.",
                MOCK_OWN,
            ),
            UnsupportedContentType => spec(
                9990003,
                "invalid_request",
                BAD,
                "[fic-harness] The token endpoint only accepts application/x-www-form-urlencoded bodies.",
                MOCK_OWN,
            ),
            UnsupportedAssertionType => spec(
                9990004,
                "invalid_request",
                BAD,
                "[fic-harness] The client_assertion_type is not supported.",
                MOCK_OWN,
            ),
            MissingJti => spec(
                9990005,
                "invalid_client",
                UNAUTH,
                "[fic-harness] The client assertion has no 'jti' claim.",
                MOCK_OWN,
            ),
            ReplayedJti => spec(
                9990006,
                "invalid_client",
                UNAUTH,
                "[fic-harness] The client assertion's 'jti' was already used.",
                MOCK_OWN,
            ),
            AssertionLifetimeTooLong => spec(
                9990007,
                "invalid_client",
                UNAUTH,
                "[fic-harness] The client assertion's lifetime is longer than the mock accepts.",
                MOCK_OWN,
            ),
            InvalidFmiPath => spec(
                9990008,
                "invalid_request",
                BAD,
                "[fic-harness] The fmi_path parameter is not valid.",
                MOCK_OWN,
            ),
            JwtPopWithoutClientCertificate => spec(
                9990009,
                "invalid_client",
                UNAUTH,
                "[fic-harness] A jwt-pop client assertion requires a TLS client certificate (mTLS).",
                MOCK_OWN,
            ),
            MtlsPopWithoutClientCertificate => spec(
                9990010,
                "invalid_request",
                BAD,
                "[fic-harness] token_type=mtls_pop requires a TLS client certificate (mTLS).",
                MOCK_OWN,
            ),
            ConflictingUserIdentifiers => spec(
                9990011,
                "invalid_request",
                BAD,
                "[fic-harness] Exactly one of 'username' and 'user_id' must be sent.",
                MOCK_OWN,
            ),
            UserCredentialForAnotherClient => spec(
                9990012,
                "invalid_grant",
                BAD,
                "[fic-harness] The user_federated_identity_credential was not issued to this client.",
                MOCK_OWN,
            ),
            ConflictingClientIds => spec(
                9990013,
                "invalid_request",
                BAD,
                "[fic-harness] The client_id in the body differs from the one in the Authorization header.",
                MOCK_OWN,
            ),
            NotFound => spec(
                9990014,
                "invalid_request",
                StatusCode::NOT_FOUND,
                "[fic-harness] The mock serves no such endpoint.",
                MOCK_OWN,
            ),
            RequestTimeout => spec(
                9990015,
                "invalid_request",
                StatusCode::REQUEST_TIMEOUT,
                "[fic-harness] The request body did not arrive in time.",
                MOCK_OWN,
            ),
            UserFicNotAgent => spec(
                9990016,
                "unauthorized_client",
                BAD,
                "[fic-harness] Only an agent identity authenticating with its federated credential (T1) may use the user_fic grant.",
                MOCK_OWN,
            ),
            FmiPathNotAllowed => spec(
                9990017,
                "unauthorized_client",
                BAD,
                "[fic-harness] Only an agent identity blueprint or an agent identity may request a token with an fmi_path.",
                MOCK_OWN,
            ),
            // Apart from the numbered refusals above: an error a test asked
            // for through the fault API, never a judgement on the request.
            InjectedFault => spec(
                9990100,
                "temporarily_unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
                "[fic-harness] Injected fault.",
                MOCK_OWN,
            ),
        }
    }
}

impl Refusal {
    /// The catalogue entry this refusal answers with: the one place a
    /// refusal meets its AADSTS code, `error`, HTTP status and message.
    pub fn aadsts(&self) -> Aadsts {
        use Refusal as R;
        match self {
            R::MissingParameter { .. } => Aadsts::MissingParameter,
            R::UnreadableBody { .. }
            | R::BodyNotUtf8
            | R::BadPercentEncoding
            | R::InvalidBasicCredentials
            | R::SecretTwice
            | R::SecretAndAssertion
            | R::UnsupportedTokenType { .. } => Aadsts::MalformedRequest,
            R::NoClientCredential => Aadsts::NoClientCredential,
            R::InvalidClientSecret { .. } => Aadsts::InvalidSecret,
            R::AppNotFound { .. } => Aadsts::AppNotFound,
            R::MalformedAssertion(_)
            | R::NotNumericDate { .. }
            | R::X5cEmpty
            | R::X5cEntryNotString
            | R::X5cNotBase64
            | R::FederatedTenantMismatch { .. } => Aadsts::MalformedAssertion,
            R::AssertionAlgorithm { .. }
            | R::CertificateNotFound { .. }
            | R::X5cNotTheRegisteredCertificate
            | R::X5cUntrusted { .. }
            | R::UntrustedSubjectName { .. }
            | R::UnusableKey { .. }
            | R::ChainVerifier { .. }
            | R::AssertionSignature { .. }
            | R::FederatedAlgorithm
            | R::FederatedSignature => Aadsts::AssertionSignature,
            R::AssertionNotFromClient { .. } => Aadsts::AssertionAppIdMismatch,
            R::AssertionAudience { .. } => Aadsts::AssertionAudience,
            R::AssertionWithoutExp
            | R::AssertionExpired { .. }
            | R::AssertionNotYetValid { .. } => Aadsts::AssertionTimeRange,
            R::NoFederatedRecords { .. } => Aadsts::NoMatchingFederatedRecord,
            R::FederatedIssuerMismatch { .. } => Aadsts::FederatedIssuerMismatch,
            R::FederatedAudienceMismatch { .. } => Aadsts::FederatedAudienceMismatch,
            R::FederatedSubjectMismatch { .. } => Aadsts::FederatedSubjectMismatch,
            R::UserTokenAsFederatedCredential => Aadsts::UserTokenAsFederatedCredential,
            R::UnsupportedGrant { .. } => Aadsts::UnsupportedGrant,
            R::UserCredentialCritical(_)
            | R::UserCredentialAudience
            | R::UserCredentialTenant { .. }
            | R::UnknownRefreshToken
            | R::RefreshTokenOfAnother => Aadsts::InvalidGrant,
            R::UserNotFound { .. } | R::UserObjectNotFound { .. } | R::RefreshTokenUserGone => {
                Aadsts::UserNotFound
            }
            R::ScopeNotDefault { .. } => Aadsts::ScopeNotDefault,
            R::ScopeCount { .. }
            | R::OpenidMissing
            | R::NoResourceScope
            | R::ScopesOfManyResources
            | R::ScopeNotDefined { .. } => Aadsts::InvalidScope,
            R::ResourceNotFound { .. } => Aadsts::ResourceNotFound,
            R::UnknownTenant { .. } | R::NoTenantNamed { .. } => Aadsts::TenantNotFound,
            R::UnknownInstance { .. } => Aadsts::UnknownInstance,
            R::RefreshTokenExpired => Aadsts::RefreshTokenExpired,
            R::UserCredentialMalformed(_)
            | R::UserCredentialIssuer { .. }
            | R::UserCredentialAlgorithm
            | R::UserCredentialSignature
            | R::UserCredentialWithoutExp => Aadsts::UserAssertionSignature,
            R::UserCredentialExpired { .. } => Aadsts::UserAssertionTimeRange,
            R::RequestTooLarge { .. } => Aadsts::RequestTooLarge,
            R::DuplicateParameter { .. } => Aadsts::DuplicateParameter,
            R::UnsupportedContentType { .. } => Aadsts::UnsupportedContentType,
            R::UnsupportedAssertionType { .. } => Aadsts::UnsupportedAssertionType,
            R::MissingJti => Aadsts::MissingJti,
            R::JtiReplayed { .. } => Aadsts::ReplayedJti,
            R::AssertionLifetimeTooLong { .. } => Aadsts::AssertionLifetimeTooLong,
            R::InvalidFmiPath(_) => Aadsts::InvalidFmiPath,
            R::JwtPopWithoutClientCertificate => Aadsts::JwtPopWithoutClientCertificate,
            R::MtlsPopWithoutClientCertificate => Aadsts::MtlsPopWithoutClientCertificate,
            R::ConflictingUserIdentifiers => Aadsts::ConflictingUserIdentifiers,
            R::UserCredentialIssuedToAnother { .. } | R::UserCredentialAboutAnother { .. } => {
                Aadsts::UserCredentialForAnotherClient
            }
            R::ConflictingClientIds { .. } => Aadsts::ConflictingClientIds,
            R::NoSuchPath { .. } | R::MethodNotAllowed { .. } => Aadsts::NotFound,
            R::BodyTimeout { .. } => Aadsts::RequestTimeout,
            R::UserFicNotAgent { .. } | R::UserFicWithoutFederatedCredential { .. } => {
                Aadsts::UserFicNotAgent
            }
            R::FmiPathNotAllowed { .. } => Aadsts::FmiPathNotAllowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_the_mocks_own_are_marked() {
        let mut seen = HashSet::new();
        for a in Aadsts::ALL {
            let s = a.spec();
            assert!(seen.insert(s.code), "{a:?} reuses {}", s.code);
            let own = s.source == MOCK_OWN;
            assert_eq!(own, s.message.starts_with("[fic-harness]"), "{a:?}");
            assert_eq!(own, (9990000..9999999).contains(&s.code), "{a:?}");
        }
    }

    #[test]
    fn the_docs_list_every_code() {
        let docs = include_str!("../../../docs/mock-entra.md");
        for a in Aadsts::ALL {
            let code = a.spec().code;
            assert!(
                docs.contains(&format!("| AADSTS{code} |")),
                "docs/mock-entra.md lacks AADSTS{code} ({a:?})"
            );
        }
    }
}
