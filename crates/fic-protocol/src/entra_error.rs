//! The body of a refusal from the token endpoint.

use serde::{Deserialize, Serialize};

/// Entra's JSON error body (`docs/protocol.md` §7). `error_codes` are integers because MSAL
/// Go decodes them as `[]int`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraErrorBody {
    /// The OAuth error code, e.g. `invalid_client`.
    pub error: String,
    /// The human-readable reason, starting `AADSTSnnnnn:`.
    pub error_description: String,
    /// The AADSTS numbers; the first is the one that matters.
    pub error_codes: Vec<u32>,
    /// When the IdP refused, as it formats the time.
    pub timestamp: String,
    /// The IdP's id for this request.
    pub trace_id: String,
    /// The correlation id: the client's `client-request-id` when it sent one.
    pub correlation_id: String,
    /// A link to the error's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// Present on AADSTS50076-style claims challenges; kept for completeness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
}

impl EntraErrorBody {
    /// The first AADSTS code, which is what callers match on.
    pub fn aadsts(&self) -> Option<u32> {
        self.error_codes.first().copied()
    }
}
