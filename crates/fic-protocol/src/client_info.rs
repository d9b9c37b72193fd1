//! `client_info`: who the user of a token response is, in MSAL's terms.

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

/// The `client_info` of a user token response: base64url of
/// `{"uid": oid, "utid": tid}`. MSAL builds `home_account_id` = `uid.utid` from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// The user's object id.
    pub uid: String,
    /// The user's home tenant id.
    pub utid: String,
}

/// Why a `client_info` value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ClientInfoError {
    /// Not base64url (padded or not).
    #[error("client_info is not base64url: {0}")]
    Base64(#[from] base64::DecodeError),
    /// Base64url, but not `{"uid": .., "utid": ..}`.
    #[error("client_info is not the expected JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl ClientInfo {
    /// The wire form: base64url without padding of the JSON object.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("two strings always serialize"))
    }

    /// Accepts padded and unpadded base64url, as MSAL ports do.
    pub fn decode(s: &str) -> Result<ClientInfo, ClientInfoError> {
        let bytes = match URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')) {
            Ok(b) => b,
            Err(_) => URL_SAFE.decode(s)?,
        };
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// `uid.utid`, MSAL's home account id.
    pub fn home_account_id(&self) -> String {
        format!("{}.{}", self.uid, self.utid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_builds_home_account_id() {
        let ci = ClientInfo {
            uid: "oid".into(),
            utid: "tid".into(),
        };
        let decoded = ClientInfo::decode(&ci.encode()).unwrap();
        assert_eq!(decoded, ci);
        assert_eq!(decoded.home_account_id(), "oid.tid");
    }

    #[test]
    fn refuses_garbage() {
        assert!(ClientInfo::decode("!!!").is_err());
        assert!(ClientInfo::decode(&URL_SAFE_NO_PAD.encode(b"[]")).is_err());
    }
}
