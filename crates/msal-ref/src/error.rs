//! Errors. Client-side refusals are their own variants so tests can tell
//! "refused before any request" from "the IdP said no".

use fic_protocol::EntraErrorBody;

/// A boxed error from caller-supplied code (the assertion callback).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A cache that could not be read or written as JSON.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The JSON is malformed or not in MSAL's shape.
    #[error("token cache JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Everything an acquisition can fail with. [`MsalError::is_client_side`]
/// tells a refusal that sent nothing from an answer of the identity
/// provider, and [`MsalError::aadsts`] gives the IdP's code.
#[derive(Debug, thiserror::Error)]
pub enum MsalError {
    // Refused before any request.
    /// The authority is not `https://host/<tenant>`.
    #[error("invalid authority `{authority}`: {reason}")]
    InvalidAuthority {
        /// The authority as given.
        authority: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The builder was given no credential.
    #[error("no client credential was configured")]
    MissingCredential,
    /// `fmi_path("")` or only whitespace.
    #[error("the fmi path is empty or blank")]
    BlankFmiPath,
    /// An extra body parameter named a standard field or `fmi_path`.
    #[error("`{0}` cannot be set as an extra body parameter")]
    ReservedParameter(String),
    /// No scope was given.
    #[error("no scopes were requested")]
    NoScopes,
    /// The assertion callback returned an empty assertion.
    #[error("the client assertion is empty")]
    EmptyAssertion,
    /// `user_fic` without a user credential (T2).
    #[error("the user federated identity credential is empty")]
    EmptyUserAssertion,
    /// `user_fic` with an empty UPN or object id.
    #[error("the user identifier (UPN or object id) is empty")]
    EmptyUserId,
    /// `mtls_pop()` with a callback that returned no certificate.
    #[error("mtls_pop needs a token-binding certificate from the assertion callback")]
    MtlsPopWithoutCertificate,
    /// A certificate or key PEM that cannot be used.
    #[error("invalid certificate or key: {0}")]
    InvalidCertificate(String),
    /// The assertion callback returned an error (kept as the source).
    #[error("the assertion callback failed: {0}")]
    AssertionCallback(#[source] BoxError),
    /// Signing the certificate assertion failed.
    #[error("signing the client assertion failed: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    /// The TLS setup (trusted CA, client certificate) failed.
    #[error("TLS configuration: {0}")]
    Tls(String),

    // Silent flows.
    /// `acquire_token_silent` found neither a live token nor a refresh token.
    #[error("no usable token or refresh token in the cache for this account")]
    NoTokenInCache,

    // The wire.
    /// The request could not be sent or its answer not read.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The identity provider refused, with Entra's error body.
    #[error("the identity provider refused ({status}): {} {}", body.error, body.error_description)]
    Service {
        /// The HTTP status.
        status: u16,
        /// Entra's JSON error body.
        body: Box<EntraErrorBody>,
    },
    /// An answer that is neither a token response nor Entra's error body.
    #[error("unexpected response ({status}): {detail}")]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// What was wrong, with the body.
        detail: String,
    },
    /// Asked for `mtls_pop` and got another token type.
    #[error("requested token type {requested} but the response says {received}")]
    TokenTypeMismatch {
        /// The token type asked for.
        requested: String,
        /// The token type returned.
        received: String,
    },
    /// The response's `client_info` is unreadable.
    #[error("client_info in the response: {0}")]
    ClientInfo(#[from] fic_protocol::client_info::ClientInfoError),
    /// The response's `id_token` is not a JWT with a JSON payload.
    #[error("id_token in the response is not a readable JWT")]
    InvalidIdToken,

    /// The token cache failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl MsalError {
    /// The AADSTS code of a service error.
    pub fn aadsts(&self) -> Option<u32> {
        match self {
            MsalError::Service { body, .. } => body.aadsts(),
            _ => None,
        }
    }

    /// True when the client refused before sending anything.
    pub fn is_client_side(&self) -> bool {
        !matches!(
            self,
            MsalError::Http(_)
                | MsalError::Service { .. }
                | MsalError::UnexpectedResponse { .. }
                | MsalError::TokenTypeMismatch { .. }
                | MsalError::ClientInfo(_)
                | MsalError::InvalidIdToken
        )
    }
}
