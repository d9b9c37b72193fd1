//! Every reason the mock refuses a request, as one enum whose variants
//! carry what the answer names (the client id, the `jti`, the claim...).
//! Each variant's `Display` is the detail Entra's message is followed by;
//! which catalogue entry (AADSTS code, `error`, HTTP status, message) it
//! answers with is [`Refusal::aadsts`], in `aadsts.rs`, the one mapping.
//! Code that decides returns a `Refusal`; only the HTTP layer turns it
//! into an [`EntraError`](crate::EntraError).

use fic_protocol::{FmiPathError, TOKEN_EXCHANGE_AUDIENCE};

use crate::credential::Credential;
use crate::jwt::JwtError;

/// Why a request is refused. Tests match variants; the wire form (code,
/// status, wording) follows from [`Refusal::aadsts`] and `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    // Reading the request.
    /// The body is larger than the token endpoint reads.
    #[error("At most {limit} bytes.")]
    RequestTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body could not be read (cut off, badly framed).
    #[error("The request body could not be read: {reason}.")]
    UnreadableBody {
        /// The transport's reason.
        reason: String,
    },
    /// The body did not arrive in time.
    #[error("It must arrive within {seconds} s.")]
    BodyTimeout {
        /// The body timeout.
        seconds: u64,
    },
    /// The content type is not `application/x-www-form-urlencoded`.
    #[error("Got '{}'.", content_type.as_deref().unwrap_or("(none)"))]
    UnsupportedContentType {
        /// The `Content-Type` sent, if any.
        content_type: Option<String>,
    },
    /// The body is not UTF-8.
    #[error("The body is not UTF-8.")]
    BodyNotUtf8,
    /// A parameter percent-decodes to something that is not UTF-8.
    #[error("A parameter is not valid percent-encoded UTF-8.")]
    BadPercentEncoding,
    /// A parameter appears twice.
    #[error("Parameter: '{name}'.")]
    DuplicateParameter {
        /// The parameter's name.
        name: String,
    },
    /// The `Authorization` header is not Basic credentials.
    #[error("The Authorization header is not valid Basic credentials.")]
    InvalidBasicCredentials,
    /// A required parameter is absent (or blank).
    #[error("The request body must contain the following parameter: '{parameter}'.")]
    MissingParameter {
        /// The parameter's name.
        parameter: &'static str,
    },

    // Where the request goes.
    /// The path's tenant is not in the directory.
    #[error("Tenant '{segment}' not found.")]
    UnknownTenant {
        /// The tenant segment as sent.
        segment: String,
    },
    /// `common` and its kin name no tenant, and every app belongs to one.
    #[error(
        "'{segment}' names no tenant; app-only and agent grants need the tenant's own authority (its id or a verified domain)."
    )]
    NoTenantNamed {
        /// The multi-tenant segment as sent.
        segment: String,
    },
    /// Instance discovery was asked about an authority the mock does not serve.
    #[error("'{authority}' is not an authority this mock serves.")]
    UnknownInstance {
        /// The `authorization_endpoint` asked about.
        authority: String,
    },
    /// No such path.
    #[error("Path '{path}'.")]
    NoSuchPath {
        /// The path.
        path: String,
    },
    /// The token endpoint was called with another method than POST.
    #[error("{method} '{path}': the token endpoint only accepts POST.")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The path.
        path: String,
    },
    /// A `grant_type` the mock does not serve.
    #[error("The access grant '{grant_type}' is not supported.")]
    UnsupportedGrant {
        /// The grant type as sent.
        grant_type: String,
    },

    // Who the client is.
    /// The body's `client_id` and the Basic header's differ.
    #[error("Body: '{body}', header: '{header}'.")]
    ConflictingClientIds {
        /// The body's.
        body: String,
        /// The header's.
        header: String,
    },
    /// The client id names no app in the request's tenant.
    #[error(
        "Application with identifier '{client_id}' was not found in the directory '{tenant_segment}'."
    )]
    AppNotFound {
        /// The client id.
        client_id: String,
        /// The tenant segment as sent.
        tenant_segment: String,
    },
    /// A secret both in the Basic header and the body.
    #[error("Only one client credential may be sent: HTTP Basic or client_secret in the body.")]
    SecretTwice,
    /// A secret and a client assertion.
    #[error("Only one client credential may be sent: a secret or a client_assertion.")]
    SecretAndAssertion,
    /// No credential at all.
    #[error("")]
    NoClientCredential,
    /// The secret matches none of the app's.
    #[error("")]
    InvalidClientSecret {
        /// The app.
        client_id: String,
    },

    // Client assertions (certificate-signed or federated).
    /// A `client_assertion_type` other than jwt-bearer and jwt-pop.
    #[error("Got '{assertion_type}'.")]
    UnsupportedAssertionType {
        /// The type as sent.
        assertion_type: String,
    },
    /// A jwt-pop assertion over a connection without a client certificate.
    #[error("")]
    JwtPopWithoutClientCertificate,
    /// The assertion is not a readable JWT, or has a `crit` header the mock
    /// does not understand.
    #[error("The client assertion: {0}.")]
    MalformedAssertion(JwtError),
    /// A date claim is not a NumericDate.
    #[error("The '{claim}' claim is not a NumericDate.")]
    NotNumericDate {
        /// The claim.
        claim: &'static str,
    },
    /// The assertion has no `exp`.
    #[error("The assertion has no 'exp' claim.")]
    AssertionWithoutExp,
    /// The assertion expired (beyond the skew).
    #[error("Expired at {exp}; now is {now}.")]
    AssertionExpired {
        /// Its `exp`.
        exp: i64,
        /// The mock's clock.
        now: i64,
    },
    /// `nbf` or `iat` is in the future (beyond the skew).
    #[error("'{claim}' {value} is in the future; now is {now}.")]
    AssertionNotYetValid {
        /// `nbf` or `iat`.
        claim: &'static str,
        /// Its value.
        value: i64,
        /// The mock's clock.
        now: i64,
    },
    /// The assertion lives longer than the mock accepts.
    #[error("{seconds} s; at most {max} s.")]
    AssertionLifetimeTooLong {
        /// Its lifetime.
        seconds: i64,
        /// The longest accepted.
        max: i64,
    },
    /// The assertion has no (or an empty) `jti`.
    #[error("")]
    MissingJti,
    /// The `jti` was used before (see `client_auth::replay`).
    #[error("jti '{jti}'.")]
    JtiReplayed {
        /// The `jti`.
        jti: String,
    },
    /// A certificate assertion signed with an algorithm other than RS256/PS256.
    #[error(
        "Algorithm '{}' is not accepted for client assertions (RS256, PS256).",
        alg.as_deref().unwrap_or("(none)")
    )]
    AssertionAlgorithm {
        /// The header's `alg`.
        alg: Option<String>,
    },
    /// No registered certificate matches the header's thumbprints.
    #[error("Key was not found: no certificate registered on app '{client_id}' matches [{named}].")]
    CertificateNotFound {
        /// The app.
        client_id: String,
        /// The header's `x5t#S256`, `x5t` and `kid`, as `name=value` pairs.
        named: String,
    },
    /// The `x5c` leaf is not the registered certificate the thumbprint names.
    #[error("The x5c certificate is not the registered certificate the thumbprint names.")]
    X5cNotTheRegisteredCertificate,
    /// The `x5c` header is an empty array.
    #[error("The x5c header is empty.")]
    X5cEmpty,
    /// An `x5c` entry is not a string.
    #[error("An x5c entry is not a string.")]
    X5cEntryNotString,
    /// The `x5c` header is not base64 DER.
    #[error("The x5c header is not base64 DER.")]
    X5cNotBase64,
    /// The `x5c` chain does not lead to the mock's CA.
    #[error(
        "The x5c certificate is not registered on app '{client_id}' and its chain does not lead to a trusted authority: {reason}."
    )]
    X5cUntrusted {
        /// The app.
        client_id: String,
        /// The verifier's reason.
        reason: String,
    },
    /// The `x5c` leaf's subject is not one the app trusts.
    #[error(
        "The x5c certificate's subject '{subject}' is not a subject name app '{client_id}' trusts."
    )]
    UntrustedSubjectName {
        /// The leaf's subject CN.
        subject: String,
        /// The app.
        client_id: String,
    },
    /// A key could not be read from a certificate.
    #[error("{whose}: {reason}.")]
    UnusableKey {
        /// Whose key: `Registered certificate`, `The x5c certificate`,
        /// `Trusted issuer key`.
        whose: &'static str,
        /// Why.
        reason: String,
    },
    /// The CA's chain verifier could not be built.
    #[error("{reason}")]
    ChainVerifier {
        /// Why.
        reason: String,
    },
    /// The signature does not verify.
    #[error("Signature does not verify with the key of {key}.")]
    AssertionSignature {
        /// The key checked against.
        key: String,
    },
    /// `iss` or `sub` of a certificate assertion is not the client id.
    #[error("Claim '{claim}' must be the client_id '{client_id}'.")]
    AssertionNotFromClient {
        /// `iss` or `sub`.
        claim: &'static str,
        /// The client id.
        client_id: String,
    },
    /// No audience names this tenant's token endpoint or issuer.
    #[error("Got {audiences:?}; expected '{expected}' or the issuer.")]
    AssertionAudience {
        /// The assertion's audiences.
        audiences: Vec<String>,
        /// The token endpoint expected.
        expected: String,
    },

    // Federated credentials (T1 in Leg 2).
    /// A federated credential not signed RS256/PS256.
    #[error("The federated credential's algorithm is not RS256/PS256.")]
    FederatedAlgorithm,
    /// A federated credential whose signature does not verify.
    #[error("The federated credential's signature does not verify with its issuer's key.")]
    FederatedSignature,
    /// A user token presented as a federated credential.
    #[error("")]
    UserTokenAsFederatedCredential,
    /// A token in the mock's name whose `tid` is not its issuer's tenant.
    #[error("The federated credential's 'tid' '{tid}' is not the tenant of its issuer '{iss}'.")]
    FederatedTenantMismatch {
        /// Its `tid`.
        tid: String,
        /// Its `iss`.
        iss: String,
    },
    /// The app has no federated identity records.
    #[error("App '{client_id}' has no federated identity records.")]
    NoFederatedRecords {
        /// The app.
        client_id: String,
    },
    /// No record names the credential's issuer.
    #[error("Assertion issuer: '{iss}'.")]
    FederatedIssuerMismatch {
        /// Its `iss`.
        iss: String,
    },
    /// No record of that issuer names the credential's subject.
    #[error("Assertion subject: '{sub}'. App: '{client_id}'.")]
    FederatedSubjectMismatch {
        /// Its `sub`.
        sub: String,
        /// The app.
        client_id: String,
    },
    /// No record of that issuer and subject names an audience of the credential.
    #[error("Assertion audience: {audiences:?}.")]
    FederatedAudienceMismatch {
        /// Its audiences.
        audiences: Vec<String>,
    },

    // client_credentials.
    /// A scope without `/.default` (Entra words the whole message).
    #[error(
        "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
    )]
    ScopeNotDefault {
        /// The scope.
        scope: String,
    },
    /// More than one `/.default` scope.
    #[error("Client credential flows take one '<resource>/.default' scope; got {count}.")]
    ScopeCount {
        /// How many resource scopes.
        count: usize,
    },
    /// A resource the directory does not have.
    #[error("Resource '{resource}' is not registered in the directory.")]
    ResourceNotFound {
        /// The resource id as requested.
        resource: String,
    },
    /// An `fmi_path` that breaks the rules of [`fic_protocol::FmiPath`].
    #[error("{0}")]
    InvalidFmiPath(FmiPathError),
    /// An `fmi_path` from an app that is neither a blueprint nor an agent.
    #[error("App '{client_id}' is neither a blueprint nor an agent.")]
    FmiPathNotAllowed {
        /// The app.
        client_id: String,
    },
    /// `token_type=mtls_pop` over a connection without a client certificate.
    #[error("")]
    MtlsPopWithoutClientCertificate,
    /// A `token_type` other than bearer and mtls_pop.
    #[error("token_type '{token_type}' is not supported (bearer, mtls_pop).")]
    UnsupportedTokenType {
        /// The type as sent.
        token_type: String,
    },

    // User flows (user_fic, refresh_token).
    /// No `openid` in a user flow's scopes.
    #[error("A user flow must request 'openid'.")]
    OpenidMissing,
    /// Only OIDC scopes.
    #[error("No resource scope was requested.")]
    NoResourceScope,
    /// Scopes of more than one resource.
    #[error("The scopes name more than one resource.")]
    ScopesOfManyResources,
    /// A scope the resource does not define.
    #[error("Scope '{scope}' is not defined on resource '{resource}'.")]
    ScopeNotDefined {
        /// The scope as requested.
        scope: String,
        /// The resource's application id URI.
        resource: String,
    },
    /// `user_fic` from an app that is not an agent identity.
    #[error("App '{client_id}' is not an agent identity.")]
    UserFicNotAgent {
        /// The app.
        client_id: String,
    },
    /// `user_fic` from an agent that did not authenticate with its T1.
    #[error(
        "Agent '{client_id}' authenticated with a {}, not a federated credential.",
        if *credential == Credential::Secret { "secret" } else { "certificate" }
    )]
    UserFicWithoutFederatedCredential {
        /// The agent.
        client_id: String,
        /// What it authenticated with.
        credential: Credential,
    },
    /// Both `username` and `user_id`.
    #[error("Both were sent.")]
    ConflictingUserIdentifiers,
    /// No user with that UPN in the tenant.
    #[error("User account '{upn}' does not exist in tenant '{tenant_id}'.")]
    UserNotFound {
        /// The UPN.
        upn: String,
        /// The tenant.
        tenant_id: String,
    },
    /// No user with that object id in the tenant.
    #[error("User object '{oid}' does not exist in tenant '{tenant_id}'.")]
    UserObjectNotFound {
        /// The object id.
        oid: String,
        /// The tenant.
        tenant_id: String,
    },
    /// T2 is not a readable JWT.
    #[error("The user_federated_identity_credential: {0}.")]
    UserCredentialMalformed(JwtError),
    /// T2 has a `crit` header the mock does not understand.
    #[error("The user_federated_identity_credential: {0}.")]
    UserCredentialCritical(JwtError),
    /// T2 was not issued by this mock in this tenant.
    #[error("Issuer '{iss}' is not this tenant's.")]
    UserCredentialIssuer {
        /// Its `iss`.
        iss: String,
    },
    /// T2 is not signed RS256/PS256.
    #[error("Its algorithm is not RS256/PS256.")]
    UserCredentialAlgorithm,
    /// T2's signature does not verify.
    #[error("Its signature does not verify.")]
    UserCredentialSignature,
    /// T2 has no usable `exp`.
    #[error("It has no valid 'exp'.")]
    UserCredentialWithoutExp,
    /// T2 expired (beyond the skew).
    #[error("Expired at {exp}; now is {now}.")]
    UserCredentialExpired {
        /// Its `exp`.
        exp: i64,
        /// The mock's clock.
        now: i64,
    },
    /// T2 is not for the token exchange audience.
    #[error(
        "The user_federated_identity_credential's audience must be '{TOKEN_EXCHANGE_AUDIENCE}'."
    )]
    UserCredentialAudience,
    /// T2's `tid` is not the tenant its issuer names.
    #[error(
        "The user_federated_identity_credential's 'tid' '{tid}' is not the tenant '{tenant_id}' its issuer names."
    )]
    UserCredentialTenant {
        /// Its `tid`.
        tid: String,
        /// The tenant.
        tenant_id: String,
    },
    /// T2 was issued to another client (`azp`).
    #[error("It was issued to '{azp}'; the client is '{client_id}'.")]
    UserCredentialIssuedToAnother {
        /// Its `azp`.
        azp: String,
        /// The client.
        client_id: String,
    },
    /// T2 is about another agent (`sub`).
    #[error("Its subject is '{sub}', not the agent '{client_id}' itself.")]
    UserCredentialAboutAnother {
        /// Its `sub`.
        sub: String,
        /// The client.
        client_id: String,
    },
    /// A refresh token the mock never issued.
    #[error("The refresh token was not issued by this mock.")]
    UnknownRefreshToken,
    /// A refresh token of another client or tenant.
    #[error("The refresh token was issued to another client or tenant.")]
    RefreshTokenOfAnother,
    /// An expired refresh token.
    #[error("")]
    RefreshTokenExpired,
    /// A refresh token whose user is gone from the directory.
    #[error("The refresh token's user is gone.")]
    RefreshTokenUserGone,
}

impl Refusal {
    /// Whether the detail is the whole message, replacing the catalogue's
    /// (Entra words these two itself).
    pub fn replaces_message(&self) -> bool {
        matches!(
            self,
            Refusal::MissingParameter { .. } | Refusal::ScopeNotDefault { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntraError;

    #[test]
    fn a_refusal_is_worded_as_its_catalogue_entry_then_its_detail() {
        let replayed = EntraError::from(Refusal::JtiReplayed { jti: "j-1".into() });
        assert_eq!((replayed.status.as_u16(), replayed.code), (401, 9990006));
        assert_eq!(replayed.error, "invalid_client");
        assert_eq!(
            replayed.message,
            "[fic-harness] The client assertion's 'jti' was already used. jti 'j-1'."
        );
        let secret = EntraError::from(Refusal::InvalidClientSecret {
            client_id: "c".into(),
        });
        assert_eq!(secret.message, crate::Aadsts::InvalidSecret.spec().message);
        let audience = EntraError::from(Refusal::FederatedAudienceMismatch {
            audiences: vec!["api://x".into()],
        });
        assert!(
            audience
                .message
                .ends_with(r#"Assertion audience: ["api://x"]."#)
        );
    }

    #[test]
    fn entra_words_two_refusals_whole() {
        let missing = EntraError::from(Refusal::MissingParameter { parameter: "scope" });
        assert_eq!(
            (missing.code, missing.message.as_str()),
            (
                900144,
                "The request body must contain the following parameter: 'scope'."
            )
        );
        let scope = EntraError::from(Refusal::ScopeNotDefault {
            scope: "api://x/read".into(),
        });
        assert_eq!(scope.code, 1002012);
        assert!(
            scope
                .message
                .starts_with("The provided value for scope api://x/read is not valid.")
        );
    }
}
