//! Names of the token request's form fields (and its one header), so that
//! the client that writes them and the IdP that reads them spell them
//! from the same place.
//!
//! Which fields each grant sends is `docs/protocol.md` §2:
//!
//! ```
//! use fic_protocol::{form, GrantType};
//! let body = [
//!     (form::GRANT_TYPE, GrantType::ClientCredentials.as_str()),
//!     (form::SCOPE, fic_protocol::TOKEN_EXCHANGE_SCOPE),
//!     (form::FMI_PATH, "agent-1"),
//! ];
//! assert_eq!(body[2].0, "fmi_path");
//! ```

/// The application asking: `client_id`.
pub const CLIENT_ID: &str = "client_id";
/// `grant_type`: see [`GrantType`](crate::GrantType).
pub const GRANT_TYPE: &str = "grant_type";
/// `scope`: space-separated; see [`Scopes`](crate::Scopes).
pub const SCOPE: &str = "scope";
/// `client_secret`: see [`ClientSecret`](crate::ClientSecret).
pub const CLIENT_SECRET: &str = "client_secret";
/// `client_assertion_type`: the URN of an [`AssertionType`](crate::AssertionType).
pub const CLIENT_ASSERTION_TYPE: &str = "client_assertion_type";
/// `client_assertion`: see [`ClientAssertion`](crate::ClientAssertion).
pub const CLIENT_ASSERTION: &str = "client_assertion";
/// `fmi_path`: which agent an app token is for; see [`FmiPath`](crate::FmiPath).
pub const FMI_PATH: &str = "fmi_path";
/// `token_type`: see [`TokenType`](crate::TokenType).
pub const TOKEN_TYPE: &str = "token_type";
/// `user_federated_identity_credential`: T2 in the `user_fic` grant.
pub const USER_FEDERATED_IDENTITY_CREDENTIAL: &str = "user_federated_identity_credential";
/// `username`: the user's UPN in the `user_fic` grant.
pub const USERNAME: &str = "username";
/// `user_id`: the user's object id in the `user_fic` grant.
pub const USER_ID: &str = "user_id";
/// `client_info`: asks for the `client_info` response field when set to
/// [`CLIENT_INFO_REQUESTED`].
pub const CLIENT_INFO: &str = "client_info";
/// The `client_info` value that asks for it.
pub const CLIENT_INFO_REQUESTED: &str = "1";
/// `refresh_token`: the refresh token grant's credential.
pub const REFRESH_TOKEN: &str = "refresh_token";

// Standard OAuth fields the agent protocol does not send; named because
// MSAL's cache rules exclude them from the extended cache key.

/// `claims`: a claims challenge answer.
pub const CLAIMS: &str = "claims";
/// `password`: the resource-owner password grant.
pub const PASSWORD: &str = "password";
/// `code`: the authorization-code grant.
pub const CODE: &str = "code";
/// `redirect_uri`: the authorization-code grant.
pub const REDIRECT_URI: &str = "redirect_uri";
/// `code_verifier`: PKCE.
pub const CODE_VERIFIER: &str = "code_verifier";
/// `device_code`: the device-code grant.
pub const DEVICE_CODE: &str = "device_code";
/// `assertion`: the on-behalf-of and JWT-bearer grants.
pub const ASSERTION: &str = "assertion";
/// `requested_token_use`: on-behalf-of.
pub const REQUESTED_TOKEN_USE: &str = "requested_token_use";
/// `req_cnf`: proof-of-possession key confirmation.
pub const REQ_CNF: &str = "req_cnf";
/// `key_id`: SSH certificate and PoP key id.
pub const KEY_ID: &str = "key_id";

/// The `x-anchormailbox` header a `user_fic` request carries: `upn:{upn}`
/// or `oid:{oid}@{tenant}`, which routes the request to the user's home.
pub const ANCHOR_MAILBOX_HEADER: &str = "x-anchormailbox";
