//! Reading compact JWTs the way the mock needs: header and claims first
//! (to decide which key to check against), then the signature, with numeric
//! dates accepted in every shape real MSAL ports send (docs/protocol.md §7: .NET sends
//! strings, Python floats).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a string is not a readable JWT.
pub enum JwtError {
    #[error("the token does not have three dot-separated parts")]
    /// Not three dot-separated parts.
    Shape,
    #[error("the token's {0} is not base64url")]
    /// A part is not base64url.
    Base64(&'static str),
    #[error("the token's {0} is not a JSON object")]
    /// A part is not a JSON object.
    Json(&'static str),
    #[error("its header marks {0} as critical, which the mock does not understand")]
    /// A `crit` header names an extension the mock does not understand.
    UnknownCritical(String),
    #[error("its 'crit' header is not a non-empty array of extension names")]
    /// `crit` is not a non-empty array of strings.
    BadCritical,
}

#[derive(Debug, Clone)]
/// A compact JWT, decoded; its signature is checked only on request.
pub struct Jwt {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    signing_input_len: usize,
    raw: String,
}

/// Why a date claim could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadNumericDate;

impl Jwt {
    /// Decodes header and claims; checks nothing else.
    pub fn parse(token: &str) -> Result<Jwt, JwtError> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(_s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Shape);
        };
        let object = |part: &str, name: &'static str| -> Result<Map<String, Value>, JwtError> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part.trim_end_matches('='))
                .map_err(|_| JwtError::Base64(name))?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(JwtError::Json(name)),
            }
        };
        Ok(Jwt {
            header: object(h, "header")?,
            claims: object(c, "claims")?,
            signing_input_len: h.len() + 1 + c.len(),
            raw: token.to_owned(),
        })
    }

    /// RFC 7515 §4.1.11: a recipient must reject a JWS whose `crit` header
    /// lists an extension it does not understand, and `crit` itself must be
    /// a non-empty array of names. The mock understands no extension, so
    /// any `crit` is refused.
    pub fn check_critical(&self) -> Result<(), JwtError> {
        match self.header.get("crit") {
            None => Ok(()),
            Some(Value::Array(names))
                if !names.is_empty() && names.iter().all(Value::is_string) =>
            {
                let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
                Err(JwtError::UnknownCritical(format!("{names:?}")))
            }
            Some(_) => Err(JwtError::BadCritical),
        }
    }

    /// A header field that is a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A claim that is a string.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A NumericDate claim as whole seconds: an integer, a float (Python) or
    /// a string of digits (.NET). `Ok(None)` when absent.
    pub fn numeric_date(&self, name: &str) -> Result<Option<i64>, BadNumericDate> {
        match self.claims.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.is_finite() && f.abs() < 1e15)
                        .map(|f| f as i64)
                })
                .map(Some)
                .ok_or(BadNumericDate),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| BadNumericDate),
            Some(_) => Err(BadNumericDate),
        }
    }

    /// `aud` as a list, whether sent as a string or an array.
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether this is a user's token (`idtyp: user`, or delegated `scp`):
    /// never acceptable where an app's federated credential (T1 or T2) is
    /// expected (AADSTS700229).
    pub fn is_user_token(&self) -> bool {
        self.claim_str("idtyp") == Some("user") || self.claims.contains_key("scp")
    }

    /// The signature algorithm, when it is one the mock accepts for
    /// assertions (RS256, PS256). `alg: none`, HMAC and anything else are
    /// refused before any key is touched.
    pub fn rsa_algorithm(&self) -> Option<Algorithm> {
        match self.header_str("alg")? {
            "RS256" => Some(Algorithm::RS256),
            "PS256" => Some(Algorithm::PS256),
            _ => None,
        }
    }

    /// True when the signature verifies with `key` under `algorithm`.
    pub fn verify(&self, key: &DecodingKey, algorithm: Algorithm) -> bool {
        let (input, signature) = self.raw.split_at(self.signing_input_len);
        let signature = signature.trim_start_matches('.');
        if signature.is_empty() {
            return false;
        }
        jsonwebtoken::crypto::verify(signature, input.as_bytes(), key, algorithm).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: &str, claims: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn numeric_dates_in_every_port_shape() {
        let t = Jwt::parse(&jwt(
            r#"{"alg":"PS256"}"#,
            r#"{"a":1700000000,"b":1700000000.75,"c":"1700000000","d":"soon","e":[1]}"#,
        ))
        .unwrap();
        assert_eq!(t.numeric_date("a"), Ok(Some(1_700_000_000)));
        assert_eq!(t.numeric_date("b"), Ok(Some(1_700_000_000)));
        assert_eq!(t.numeric_date("c"), Ok(Some(1_700_000_000)));
        assert_eq!(t.numeric_date("d"), Err(BadNumericDate));
        assert_eq!(t.numeric_date("e"), Err(BadNumericDate));
        assert_eq!(t.numeric_date("zz"), Ok(None));
        assert_eq!(t.rsa_algorithm(), Some(Algorithm::PS256));
    }

    #[test]
    fn malformed_tokens_are_named() {
        assert_eq!(Jwt::parse("a.b").unwrap_err(), JwtError::Shape);
        assert_eq!(Jwt::parse("a.b.c.d").unwrap_err(), JwtError::Shape);
        assert_eq!(
            Jwt::parse("!!.e30.x").unwrap_err(),
            JwtError::Base64("header")
        );
        assert_eq!(
            Jwt::parse("e30.WzFd.x").unwrap_err(),
            JwtError::Json("claims")
        );
        let none = Jwt::parse(&jwt(r#"{"alg":"none"}"#, "{}")).unwrap();
        assert_eq!(none.rsa_algorithm(), None);
    }

    #[test]
    fn any_critical_header_is_refused() {
        let with = |header: &str| Jwt::parse(&jwt(header, "{}")).unwrap().check_critical();
        assert_eq!(with(r#"{"alg":"RS256"}"#), Ok(()));
        assert_eq!(
            with(r#"{"alg":"RS256","crit":["exp"],"exp":1}"#),
            Err(JwtError::UnknownCritical(r#"["exp"]"#.into()))
        );
        assert_eq!(
            with(r#"{"alg":"RS256","crit":[]}"#),
            Err(JwtError::BadCritical)
        );
        assert_eq!(
            with(r#"{"alg":"RS256","crit":"b64"}"#),
            Err(JwtError::BadCritical)
        );
    }
}
