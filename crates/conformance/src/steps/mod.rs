//! Step definitions, in the vocabulary of the protocol (apps, legs, fmi
//! paths, assertion types, accounts), never of HTTP: they speak only
//! driver-protocol commands to the client under test, so the same feature
//! drives the reference client and every port.
//!
//! Names used in features: apps `the blueprint`, `agent A`, `agent B`,
//! `the daemon`; users by UPN. Quoted values may name an app or user
//! (`"agent A"` is agent A's client id) and may embed `{tenant}`,
//! `{blueprint}`, `{agent A}`, `{agent B}`, `{daemon}`.

pub mod acquire;
pub mod apps;
pub mod cache;
pub mod callbacks;
pub mod directory;
pub mod inputs;
pub mod raw;
pub mod refusals;
pub mod requests;
pub mod snapshot;
pub mod stored;
pub mod tokens;

use serde_json::Value;

use crate::driver_protocol::{TokenReply, TokenResult};
use crate::world::{FicWorld, StepError};

/// An optional value in a failure message: quoted, or "(absent)".
pub(crate) fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "(absent)".to_owned(), |v| format!("\"{v}\""))
}

/// A value in a failure message, as JSON (never Rust's debug notation).
pub(crate) fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("(unprintable: {e})"))
}

/// The claims of a JWT, unverified (the mock signed it; the steps only read it).
pub fn jwt_claims(jwt: &str) -> Result<Value, StepError> {
    use base64::Engine;
    let part = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| StepError::Check(format!("not a JWT: {jwt:.40}")))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| StepError::Check(format!("JWT payload is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| StepError::Check(format!("JWT payload is not JSON: {e}")))
}

/// The token of the last acquire reply, which must have succeeded.
pub fn last_token(w: &FicWorld) -> Result<TokenResult, StepError> {
    let reply = w
        .last
        .as_ref()
        .ok_or_else(|| StepError::Check("no token was acquired yet".into()))?;
    if let (false, Some(e)) = (reply.ok, &reply.error) {
        return Err(w.refused("the last acquisition", e));
    }
    serde_json::from_value::<TokenReply>(Value::Object(reply.body.clone()))
        .map(|t| t.token)
        .map_err(|e| {
            StepError::Check(format!(
                "the reply carries no token ({e}): {}",
                json_text(reply)
            ))
        })
}
