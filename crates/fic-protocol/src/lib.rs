//! The vocabulary of the agent identity protocol, shared by the mock
//! identity provider (`mock-entra`), the reference client (`msal-ref`) and
//! the conformance steps.
//!
//! Everything here is a fact of the wire protocol described in
//! `docs/protocol.md` (§1 the three legs, §2 the wire), not of any one
//! implementation: the names of the form fields ([`form`]), the grants
//! ([`GrantType`]), the assertion types ([`AssertionType`]), token types
//! ([`TokenType`]), scopes ([`Scopes`], [`OIDC_SCOPES`]), the rules for an
//! [`FmiPath`], and the shapes of the responses ([`TokenResponse`],
//! [`EntraErrorBody`], [`ClientInfo`]). Both sides spell the protocol from
//! here, so the client that writes a field and the IdP that reads it
//! cannot drift apart.
//!
//! Protocol values are types rather than strings, in the manner of the
//! `oauth2` crate: a [`ClientId`] is not a [`TenantId`], and secrets
//! ([`ClientSecret`], [`ClientAssertion`], [`UserFederatedCredential`],
//! [`RefreshToken`]) print as `[redacted]` under `Debug`.
//!
//! ```
//! use fic_protocol::{form, AssertionType, ClientAssertion, FmiPath, GrantType, Scopes};
//!
//! // Leg 1 as a client writes it: an app token for one agent.
//! let assertion = ClientAssertion::new("eyJhbGciOi...");
//! let body = vec![
//!     (form::GRANT_TYPE, GrantType::ClientCredentials.to_string()),
//!     (form::SCOPE, Scopes::new([fic_protocol::TOKEN_EXCHANGE_SCOPE]).to_wire()),
//!     (form::FMI_PATH, FmiPath::parse("agent-1")?.to_string()),
//!     (form::CLIENT_ASSERTION_TYPE, AssertionType::JwtBearer.urn().to_owned()),
//!     (form::CLIENT_ASSERTION, assertion.secret().to_owned()),
//! ];
//! assert_eq!(body[2], ("fmi_path", "agent-1".to_owned()));
//! # Ok::<(), fic_protocol::FmiPathError>(())
//! ```

#![warn(missing_docs)]

#[macro_use]
mod newtype;

pub mod assertion_type;
pub mod client_info;
pub mod entra_error;
pub mod fmi_path;
pub mod form;
pub mod grant_type;
pub mod ids;
pub mod scope;
pub mod secret;
pub mod thumbprint;
pub mod token_response;
pub mod token_type;

pub use assertion_type::AssertionType;
pub use client_info::ClientInfo;
pub use entra_error::EntraErrorBody;
pub use fmi_path::{FmiPath, FmiPathError};
pub use grant_type::GrantType;
pub use ids::{ClientId, TenantId};
pub use scope::{OIDC_SCOPES, OIDC_SCOPES_SUPPORTED, Scope, Scopes};
pub use secret::{ClientAssertion, ClientSecret, RefreshToken, UserFederatedCredential};
pub use token_response::TokenResponse;
pub use token_type::TokenType;

/// Audience of every federation credential (T1, T2) in the agent protocol:
/// the `aud` a token must carry to be accepted as a client assertion or a
/// user federated credential.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// Scope requested in Legs 1 and 2: a token for [`TOKEN_EXCHANGE_AUDIENCE`].
pub const TOKEN_EXCHANGE_SCOPE: &str = "api://AzureADTokenExchange/.default";
