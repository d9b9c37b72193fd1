//! insta snapshots under `snapshots/<port>/`, named after the feature and
//! the scenario so a reviewer finds them (`<feature>__<scenario>__<kind>`).
//! Volatile values (signed assertions, trace ids, timestamps, the mock's
//! random port) are redacted before snapshotting, so what remains is the
//! spec: stable from run to run, and any change is a real change.
//!
//! A missing snapshot fails the step (the runner defaults `INSTA_UPDATE` to
//! `no`); create or update them with `INSTA_UPDATE=new` (`.snap.new` files)
//! and review every one with `cargo insta review`.

use fic_protocol::form;
use serde_json::{Map, Value, json};

use crate::scenario::Artifact;
use crate::world::{FicWorld, StepError, StepResult};

/// `Agent identity: Legs 1→2→3` → `agent_identity_legs_1_2_3`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// Asserts `value` against `snapshots/<port>/<feature>__<scenario>__<kind>.snap`;
/// a second snapshot of the same kind in a scenario gets `_2`, and so on.
pub fn assert_json(w: &mut FicWorld, kind: &str, value: &Value) -> StepResult {
    let dir = w.suite()?.snapshot_dir.clone();
    let unchecked = w.suite()?.snapshots_unchecked;
    let n = w.snapshot_counts.entry(kind.to_owned()).or_insert(0);
    *n += 1;
    let suffix = if *n == 1 {
        String::new()
    } else {
        format!("_{n}")
    };
    let name = format!(
        "{}__{}__{kind}{suffix}",
        slug(&w.feature),
        slug(&w.scenario)
    );
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| StepError::Check(format!("snapshot value: {e}")))?;
    // Observed first: the reports compare it across ports even when the
    // snapshot below does not match.
    w.artifacts.push(Artifact {
        name: name.clone(),
        kind: format!("{kind}{suffix}"),
        value: value.clone(),
    });
    if unchecked {
        return Ok(());
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(format!("{} / {}", w.feature, w.scenario));
    // insta panics on a mismatch or a missing snapshot; cucumber turns the
    // panic into this step's failure, with insta's diff in the output.
    settings.bind(|| insta::assert_snapshot!(name, text));
    Ok(())
}

/// Replaces the mock's `https://localhost:PORT` in every string.
pub fn without_port(value: &Value, base_url: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace(base_url, "https://localhost:[port]")),
        Value::Array(a) => Value::Array(a.iter().map(|v| without_port(v, base_url)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), without_port(v, base_url)))
                .collect(),
        ),
        v => v.clone(),
    }
}

/// Entra's description ends in `Trace ID: …\r\nCorrelation ID: …\r\nTimestamp: …`,
/// and ports repeat those values in their own words (msal-node: `Error(s):
/// 700213 - Timestamp: … - Description: … - Correlation ID: …`): keep the
/// words, redact the values wherever they appear. Details the mock adds
/// that change per run are redacted too: unix times ("Expired at
/// 1795424603; now is …") and the random `jti` of a replayed assertion.
pub fn redact_description(text: &str) -> String {
    let mut text = redact_after(text, "Trace ID: ", is_id_char);
    text = redact_after(&text, "Correlation ID: ", is_id_char);
    // Ports that quote Entra's raw JSON body in their message (MSAL Go)
    // carry the same values again as JSON fields.
    for field in [
        "\"trace_id\":\"",
        "\"correlation_id\":\"",
        "\"timestamp\":\"",
    ] {
        text = redact_after(&text, field, |c| c != '"');
    }
    let text = redact_timestamps(&text);
    redact_jti(&redact_unix_times(&text))
}

/// `Timestamp: 2026-11-23 08:12:00Z` → `Timestamp: [redacted]` (Entra's
/// fixed format, so the text after it is left alone).
fn redact_timestamps(text: &str) -> String {
    const MARK: &str = "Timestamp: ";
    const SHAPE: &str = "dddd-dd-dd dd:dd:ddZ";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        let start = at + MARK.len();
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let fits = tail.len() >= SHAPE.len()
            && tail
                .chars()
                .zip(SHAPE.chars())
                .all(|(c, s)| if s == 'd' { c.is_ascii_digit() } else { c == s });
        if fits {
            out.push_str("[redacted]");
            rest = &tail[SHAPE.len()..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_hexdigit() || c == '-'
}

/// Replaces the run of `value` characters after each `marker` (trailing
/// spaces excluded, so ` - ` separators survive) with `[redacted]`.
fn redact_after(text: &str, marker: &str, value: impl Fn(char) -> bool) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let start = at + marker.len();
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let len = tail.find(|c: char| !value(c)).unwrap_or(tail.len());
        let len = tail[..len].trim_end().len();
        out.push_str(if len > 0 { "[redacted]" } else { "" });
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// Runs of exactly 10 digits (unix seconds from 2001 to 2286) → `[unix time]`.
fn redact_unix_times(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() == 10 {
            out.push_str("[unix time]");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// `jti '78039df2-…'` → `jti '[redacted]'`.
fn redact_jti(text: &str) -> String {
    const MARK: &str = "jti '";
    match text.find(MARK) {
        Some(start) => {
            let value_start = start + MARK.len();
            match text[value_start..].find('\'') {
                Some(len) => format!(
                    "{}[redacted]{}",
                    &text[..value_start],
                    &text[value_start + len..]
                ),
                None => text.to_owned(),
            }
        }
        None => text.to_owned(),
    }
}

/// An Entra error body as the mock sent it, volatile fields redacted.
pub fn redact_error_body(body: &Value, base_url: &str) -> Value {
    let mut body = without_port(body, base_url);
    if let Some(m) = body.as_object_mut() {
        for field in ["timestamp", "trace_id", "correlation_id"] {
            if m.contains_key(field) {
                m.insert(field.into(), json!("[redacted]"));
            }
        }
        if let Some(Value::String(d)) = m.get("error_description") {
            let d = redact_description(d);
            m.insert("error_description".into(), Value::String(d));
        }
    }
    body
}

/// Form fields whose value changes per run: the redacted fingerprints of
/// signed assertions (fresh `jti`/`exp`) and tokens, and the random
/// `client-request-id` msal-node also puts in the body. The secret's
/// fingerprint is stable and kept, which also shows the secret itself never
/// reached the journal.
const VOLATILE_FIELDS: [&str; 5] = [
    form::CLIENT_ASSERTION,
    form::USER_FEDERATED_IDENTITY_CREDENTIAL,
    form::REFRESH_TOKEN,
    form::ASSERTION,
    "client-request-id",
];

/// Form fields that name the machine the port runs on (msal-node puts its
/// telemetry in the body): the snapshot must hold on any CI runner.
const PLATFORM_FIELDS: [&str; 2] = ["x-client-OS", "x-client-CPU"];

/// One journal entry as the snapshot shows it: what the IdP saw.
pub fn request_view(e: &mock_entra::JournalEntry, base_url: &str) -> Value {
    let form: Map<String, Value> = e
        .form
        .iter()
        .map(|(k, v)| {
            let v = if VOLATILE_FIELDS.contains(&k.as_str()) {
                "[redacted: differs per run]".to_owned()
            } else if PLATFORM_FIELDS.contains(&k.as_str()) {
                "[redacted: differs per platform]".to_owned()
            } else {
                v.clone()
            };
            (k.clone(), Value::String(v))
        })
        .collect();
    let query: Map<String, Value> = e
        .query
        .keys()
        .map(|k| (k.clone(), json!("[redacted]")))
        .collect();
    let mut view = json!({
        "path": e.path,
        "grant_type": e.grant_type,
        "client_id": e.client_id,
        "client_auth": e.client_auth,
        "form": form,
        "outcome": { "status": e.outcome.status, "error": e.outcome.error, "aadsts": e.outcome.aadsts },
    });
    if !query.is_empty() {
        view["query"] = Value::Object(query);
    }
    if let Some(anchor) = e.headers.get(form::ANCHOR_MAILBOX_HEADER) {
        view[form::ANCHOR_MAILBOX_HEADER] = json!(anchor);
    }
    if e.tls_client_cert_x5t_s256.is_some() {
        view["tls_client_certificate"] = json!("presented");
    }
    if let Some(a) = &e.assertion {
        // Which header fields and claims the assertion carried, not their
        // (time- and run-dependent) values.
        let names = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
        view["assertion"] = json!({
            "alg": a.header.get("alg"),
            "header_fields": names(&a.header),
            "claims": names(&a.claims),
        });
    }
    without_port(&view, base_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_details_are_redacted_and_ids_kept() {
        let d = "AADSTS700024: Expired at 1795424603; now is 1795428204. App '7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b'.\r\nTrace ID: abc\r\nTimestamp: 2026-11-23 08:00:00Z";
        assert_eq!(
            redact_description(d),
            "AADSTS700024: Expired at [unix time]; now is [unix time]. App '7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b'.\r\nTrace ID: [redacted]\r\nTimestamp: [redacted]"
        );
        assert_eq!(
            redact_description("AADSTS9990006: used. jti 'a-b-c'."),
            "AADSTS9990006: used. jti '[redacted]'."
        );
        let node = "invalid_client: Error(s): 700213 - Timestamp: 2026-11-23 08:12:00Z - Description: AADSTS700213: x.\r\nTrace ID: 3b480fbc-dcc2-40b0-aa77-c5103759ef78\r\nCorrelation ID: c8d9dcff-d4e2-47af-8fe7-590d8f8f9aaa\r\nTimestamp: 2026-11-23 08:12:00Z - Correlation ID: c8d9dcff-d4e2-47af-8fe7-590d8f8f9aaa - Trace ID: 3b480fbc-dcc2-40b0-aa77-c5103759ef78";
        assert_eq!(
            redact_description(node),
            "invalid_client: Error(s): 700213 - Timestamp: [redacted] - Description: AADSTS700213: x.\r\nTrace ID: [redacted]\r\nCorrelation ID: [redacted]\r\nTimestamp: [redacted] - Correlation ID: [redacted] - Trace ID: [redacted]"
        );
        // MSAL Go quotes the raw body: the ids and the timestamp appear again
        // as JSON fields, and the escaped \r\n ends the ids in the description.
        let go = r#"http call(https://localhost/t/oauth2/v2.0/token)(POST) error: reply status code was 401:
{"error":"invalid_client","error_description":"AADSTS700213: x.\r\nTrace ID: 3b480fbc-dcc2\r\nTimestamp: 2026-11-23 08:12:00Z","error_codes":[700213],"timestamp":"2026-11-23 08:12:00Z","trace_id":"3b480fbc-dcc2","correlation_id":"c8d9dcff-d4e2"}"#;
        assert_eq!(
            redact_description(go),
            r#"http call(https://localhost/t/oauth2/v2.0/token)(POST) error: reply status code was 401:
{"error":"invalid_client","error_description":"AADSTS700213: x.\r\nTrace ID: [redacted]\r\nTimestamp: [redacted]","error_codes":[700213],"timestamp":"[redacted]","trace_id":"[redacted]","correlation_id":"[redacted]"}"#
        );
        assert_eq!(
            slug("Agent identity, Legs 1 -> 2 -> 3"),
            "agent_identity_legs_1_2_3"
        );
    }
}
