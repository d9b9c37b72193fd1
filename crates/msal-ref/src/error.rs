//! Errors. Client-side refusals are their own variants so tests can tell
//! "refused before any request" from "the IdP said no".

use fic_protocol::EntraErrorBody;

/// A boxed error from caller-supplied code (the assertion callback).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("token cache JSON: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum MsalError {
    // Refused before any request.
    #[error("invalid authority `{authority}`: {reason}")]
    InvalidAuthority { authority: String, reason: String },
    #[error("no client credential was configured")]
    MissingCredential,
    #[error("the fmi path is empty or blank")]
    BlankFmiPath,
    #[error("`{0}` cannot be set as an extra body parameter")]
    ReservedParameter(String),
    #[error("no scopes were requested")]
    NoScopes,
    #[error("the client assertion is empty")]
    EmptyAssertion,
    #[error("the user federated identity credential is empty")]
    EmptyUserAssertion,
    #[error("the user identifier (UPN or object id) is empty")]
    EmptyUserId,
    #[error("mtls_pop needs a token-binding certificate from the assertion callback")]
    MtlsPopWithoutCertificate,
    #[error("invalid certificate or key: {0}")]
    InvalidCertificate(String),
    #[error("the assertion callback failed: {0}")]
    AssertionCallback(#[source] BoxError),
    #[error("signing the client assertion failed: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    #[error("TLS configuration: {0}")]
    Tls(String),

    // Silent flows.
    #[error("no usable token or refresh token in the cache for this account")]
    NoTokenInCache,

    // The wire.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the identity provider refused ({status}): {} {}", body.error, body.error_description)]
    Service {
        status: u16,
        body: Box<EntraErrorBody>,
    },
    #[error("unexpected response ({status}): {detail}")]
    UnexpectedResponse { status: u16, detail: String },
    #[error("requested token type {requested} but the response says {received}")]
    TokenTypeMismatch { requested: String, received: String },
    #[error("client_info in the response: {0}")]
    ClientInfo(#[from] fic_protocol::client_info::ClientInfoError),
    #[error("id_token in the response is not a readable JWT")]
    InvalidIdToken,

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
