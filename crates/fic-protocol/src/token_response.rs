//! The body of a successful token response.

use serde::{Deserialize, Serialize};

/// A successful token endpoint response (`docs/protocol.md` §7). Lifetimes are integers
/// on the wire; MSAL ports break on strings or floats here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// `Bearer` or `mtls_pop`; see [`TokenType`](crate::TokenType).
    pub token_type: String,
    /// Seconds the access token is valid for.
    pub expires_in: u64,
    /// Seconds the token stays usable while the IdP is unavailable.
    pub ext_expires_in: u64,
    /// The token itself.
    pub access_token: String,
    /// Seconds after which a client should refresh proactively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_in: Option<u64>,
    /// The scopes granted, space-separated, when the IdP says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// User flows with `offline_access`: the refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// User flows with `openid`: the id token (a JWT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// User flows with `client_info=1`: see [`ClientInfo`](crate::ClientInfo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<String>,
}
