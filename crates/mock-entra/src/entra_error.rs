//! A refusal as Entra words it: the catalogue entry, the detail of this
//! case, and the body/status it becomes on the wire.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use time::OffsetDateTime;
use time::macros::format_description;

use fic_protocol::EntraErrorBody;

use crate::aadsts::Aadsts;
use crate::refusal::Refusal;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("AADSTS{code}: {message}")]
/// A refusal as Entra sends it: status, `error`, and an `AADSTS{code}: ...`
/// description, built from the [`Aadsts`] catalogue.
pub struct EntraError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The OAuth `error` (`invalid_request`, `invalid_client`, ...).
    pub error: String,
    /// The AADSTS number.
    pub code: u32,
    /// The description's text after `AADSTS{code}: `.
    pub message: String,
    /// Seconds for a `Retry-After` header (fault injection only).
    pub retry_after: Option<u64>,
}

impl From<Refusal> for EntraError {
    /// The refusal's catalogue entry ([`Refusal::aadsts`]) followed by its
    /// detail, or, for the refusals Entra words whole, the detail alone.
    fn from(refusal: Refusal) -> EntraError {
        let mut error = EntraError::new(refusal.aadsts(), &refusal);
        if refusal.replaces_message() {
            error.message = refusal.to_string();
        }
        error
    }
}

impl EntraError {
    /// The catalogue entry's message followed by what was wrong this time.
    pub fn new(code: Aadsts, detail: impl std::fmt::Display) -> EntraError {
        let spec = code.spec();
        let detail = detail.to_string();
        let message = if detail.is_empty() {
            spec.message.to_owned()
        } else {
            format!("{} {detail}", spec.message)
        };
        EntraError {
            status: spec.status,
            error: spec.error.to_owned(),
            code: spec.code,
            message,
            retry_after: None,
        }
    }

    /// The JSON error body Entra answers with (`error`, `error_description`,
    /// `error_codes`, `timestamp`, `trace_id`, `correlation_id`).
    pub fn body(
        &self,
        base_url: &str,
        correlation_id: Option<&str>,
        now: OffsetDateTime,
    ) -> EntraErrorBody {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let correlation_id = correlation_id
            .and_then(|c| uuid::Uuid::parse_str(c).ok())
            .unwrap_or_else(uuid::Uuid::new_v4)
            .to_string();
        let timestamp = now
            .format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default();
        EntraErrorBody {
            error: self.error.clone(),
            error_description: format!(
                "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
                self.code, self.message
            ),
            error_codes: vec![self.code],
            timestamp,
            trace_id,
            correlation_id,
            error_uri: Some(format!("{base_url}/error?code={}", self.code)),
            claims: None,
        }
    }

    /// The HTTP response: status, JSON body and Entra's headers.
    pub fn into_response_with(
        self,
        base_url: &str,
        correlation_id: Option<&str>,
        now: OffsetDateTime,
    ) -> Response {
        let body = self.body(base_url, correlation_id, now);
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, no-cache"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_entras_shape() {
        let e = EntraError::new(Aadsts::InvalidSecret, "");
        let body = e.body(
            "https://localhost:1",
            Some("5e3a5b0c-1111-4222-8333-944445555666"),
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        );
        assert_eq!(body.error, "invalid_client");
        assert_eq!(body.error_codes, [7000215]);
        assert_eq!(body.correlation_id, "5e3a5b0c-1111-4222-8333-944445555666");
        assert_eq!(body.timestamp, "2027-01-15 08:00:00Z");
        assert!(
            body.error_description
                .starts_with("AADSTS7000215: Invalid client secret")
        );
        assert!(body.error_description.contains("\r\nTrace ID: "));
        assert_eq!(
            body.error_uri.as_deref(),
            Some("https://localhost:1/error?code=7000215")
        );
        assert_eq!(
            EntraError::from(Refusal::MissingParameter {
                parameter: "grant_type"
            })
            .status,
            StatusCode::BAD_REQUEST
        );
    }
}
