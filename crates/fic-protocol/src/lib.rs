//! The vocabulary shared by the mock identity provider, the reference client
//! and the conformance steps. Everything here is a fact of the wire protocol
//! (see `shared/SPEC.md` §1–§2), not of any one implementation.

pub mod assertion_type;
pub mod client_info;
pub mod entra_error;
pub mod grant_type;
pub mod thumbprint;
pub mod token_response;

pub use assertion_type::AssertionType;
pub use client_info::ClientInfo;
pub use entra_error::EntraErrorBody;
pub use grant_type::GrantType;
pub use token_response::TokenResponse;

/// Audience of every federation credential (T1, T2) in the agent protocol.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// Scope requested in Legs 1 and 2.
pub const TOKEN_EXCHANGE_SCOPE: &str = "api://AzureADTokenExchange/.default";
/// Scopes every user flow adds to the caller's scopes (SPEC §2).
pub const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];
