//! Reading a token request body strictly: form-encoded UTF-8, every
//! parameter at most once.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::refusal::Refusal;

/// Token request bodies larger than this get a 413; real ones are a few KB
/// even with two chained assertions.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Reads a whole request body, at most `limit` bytes, within `timeout`.
/// A body that is too large, cut off or badly framed (a bad chunk size,
/// `Content-Length` with a non-chunked `Transfer-Encoding`) or too slow is
/// refused, each for its own reason.
pub async fn read_body(
    body: axum::body::Body,
    limit: usize,
    timeout: Duration,
) -> Result<bytes::Bytes, Refusal> {
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await;
    match read {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if is_length_limit(&e) => Err(Refusal::RequestTooLarge { limit }),
        Ok(Err(e)) => Err(Refusal::UnreadableBody {
            reason: e.to_string(),
        }),
        Err(_) => Err(Refusal::BodyTimeout {
            seconds: timeout.as_secs(),
        }),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// True for `application/x-www-form-urlencoded` (parameters such as
/// `charset=utf-8` allowed): the only body the token endpoint reads.
pub fn is_form_content_type(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        v.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    })
}

/// Parses `a=1&b=2`; refuses invalid UTF-8 (raw or percent-encoded) and
/// repeated names.
pub fn parse_form(body: &[u8]) -> Result<BTreeMap<String, String>, Refusal> {
    if std::str::from_utf8(body).is_err() {
        return Err(Refusal::BodyNotUtf8);
    }
    let mut out = BTreeMap::new();
    for (name, value) in form_urlencoded_pairs(body) {
        if name.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
            return Err(Refusal::BadPercentEncoding);
        }
        if name.is_empty() {
            continue;
        }
        if out.contains_key(&name) {
            return Err(Refusal::DuplicateParameter { name });
        }
        out.insert(name, value);
    }
    Ok(out)
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    // serde_urlencoded decodes lossily (U+FFFD for bad UTF-8), which the
    // caller turns into a refusal.
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

/// The query string as a map (first value wins); the journal keeps it.
pub fn parse_query(query: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or_default())
        .unwrap_or_default()
    {
        out.entry(k).or_insert(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_forms() {
        let f =
            parse_form(b"grant_type=client_credentials&scope=api%3A%2F%2Fx%2F.default").unwrap();
        assert_eq!(f["scope"], "api://x/.default");
        assert_eq!(
            parse_form(b"a=1&a=2"),
            Err(Refusal::DuplicateParameter { name: "a".into() })
        );
        assert_eq!(parse_form(b"a=%FF"), Err(Refusal::BadPercentEncoding));
        assert_eq!(parse_form(&[b'a', b'=', 0xC3]), Err(Refusal::BodyNotUtf8));
        assert!(is_form_content_type(Some(
            "application/x-www-form-urlencoded; charset=utf-8"
        )));
        assert!(!is_form_content_type(Some("application/json")));
        assert!(!is_form_content_type(None));
    }
}
