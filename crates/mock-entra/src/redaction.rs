//! What the journal never stores in the clear: credentials in form fields,
//! query parameters and headers. Names are compared case-insensitively
//! (HTTP header names are, and a client sending `Client_Secret` or putting
//! a secret in the query string must not leak it). Redacted values become
//! [`fingerprint`]s, so equal secrets stay comparable.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use fic_protocol::form;

/// Form fields and query parameters whose values are credentials.
pub const SECRET_PARAMETERS: [&str; 13] = [
    form::CLIENT_SECRET,
    form::CLIENT_ASSERTION,
    form::USER_FEDERATED_IDENTITY_CREDENTIAL,
    form::REFRESH_TOKEN,
    form::ASSERTION,
    form::PASSWORD,
    "access_token",
    "id_token",
    form::CODE,
    form::CODE_VERIFIER,
    form::DEVICE_CODE,
    "subject_token",
    "actor_token",
];

/// Header names that carry credentials, and fragments that mark a header
/// as one (`x-api-key`, `x-auth-token`, `x-client-secret`, ...).
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];
const SECRET_HEADER_FRAGMENTS: [&str; 9] = [
    "auth",
    "cookie",
    "key",
    "token",
    "secret",
    "passw",
    "session",
    "credential",
    "signature",
];

/// `redacted:<first 12 chars of base64url SHA-256>`: equal secrets stay
/// comparable, none can be read back.
pub fn fingerprint(secret: &str) -> String {
    let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()));
    format!("redacted:{}", &digest[..12])
}

/// Whether a form field or query parameter named `name` is a credential.
pub fn is_secret_parameter(name: &str) -> bool {
    SECRET_PARAMETERS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name.trim()))
}

/// Whether a header named `name` is a credential.
pub fn is_secret_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_HEADERS.contains(&lower.as_str())
        || SECRET_HEADER_FRAGMENTS.iter().any(|f| lower.contains(f))
}

/// Form fields or query parameters with every credential fingerprinted.
pub fn parameters(pairs: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| {
            let v = if is_secret_parameter(k) {
                fingerprint(v)
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

/// Headers as the journal keeps them: lower-case names, credentials
/// fingerprinted, other values as (lossy) text.
pub fn headers(headers: &http::HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if is_secret_header(name.as_str()) {
                fingerprint(&String::from_utf8_lossy(value.as_bytes()))
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_found_whatever_their_case() {
        for name in [
            "client_secret",
            "Client_Secret",
            "CLIENT_ASSERTION",
            "refresh_token",
            "Refresh_Token",
            "user_federated_identity_credential",
            "assertion",
            "Password",
        ] {
            assert!(is_secret_parameter(name), "{name}");
        }
        for name in [
            "client_id",
            "scope",
            "fmi_path",
            "x-client-SKU",
            "grant_type",
        ] {
            assert!(!is_secret_parameter(name), "{name}");
        }
        for name in [
            "authorization",
            "Authorization",
            "proxy-authorization",
            "cookie",
            "x-api-key",
            "X-Auth-Token",
            "x-client-secret",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in [
            "content-type",
            "client-request-id",
            "x-client-sku",
            "user-agent",
        ] {
            assert!(!is_secret_header(name), "{name}");
        }
    }

    #[test]
    fn redacted_maps_keep_names_and_fingerprint_values() {
        let form: BTreeMap<String, String> =
            [("Client_Secret", "s3cret"), ("scope", "api://x/.default")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        let out = parameters(&form);
        assert_eq!(out["Client_Secret"], fingerprint("s3cret"));
        assert_eq!(out["scope"], "api://x/.default");

        let mut h = http::HeaderMap::new();
        h.insert("cookie", "session=abc".parse().unwrap());
        h.insert("x-api-key", "k".parse().unwrap());
        h.insert("content-type", "text/plain".parse().unwrap());
        let out = headers(&h);
        assert_eq!(out["cookie"], fingerprint("session=abc"));
        assert_eq!(out["x-api-key"], fingerprint("k"));
        assert_eq!(out["content-type"], "text/plain");
        assert_eq!(
            fingerprint("blueprint-secret").len(),
            "redacted:".len() + 12
        );
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }
}
