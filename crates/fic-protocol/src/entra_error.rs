use serde::{Deserialize, Serialize};

/// Entra's JSON error body (SPEC §7). `error_codes` are integers because MSAL
/// Go decodes them as `[]int`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraErrorBody {
    pub error: String,
    pub error_description: String,
    pub error_codes: Vec<u32>,
    pub timestamp: String,
    pub trace_id: String,
    pub correlation_id: String,
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
