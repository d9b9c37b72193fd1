//! Queued misbehaviour: the next N token requests that match a grant and/or
//! client get a chosen status and AADSTS error, after an optional delay,
//! with an optional `Retry-After`, so retry and error paths can be tested.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::aadsts::Aadsts;
use crate::entra_error::EntraError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// One fault rule, as posted to `/_harness/faults`: which requests it
/// matches, how many, and how they are answered.
pub struct FaultRule {
    /// Only requests with this `grant_type` (any when absent).
    #[serde(default)]
    pub grant_type: Option<String>,
    /// Only requests from this client (any when absent).
    #[serde(default)]
    pub client_id: Option<String>,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// The status to answer with; absent = only delay, then serve normally.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    /// The OAuth `error` to answer with (default `temporarily_unavailable`).
    pub error: Option<String>,
    #[serde(default)]
    /// The AADSTS code to answer with (default the injected-fault code).
    pub aadsts: Option<u32>,
    #[serde(default)]
    /// The description's text.
    pub message: Option<String>,
    #[serde(default)]
    /// A delay before answering, in milliseconds.
    pub delay_ms: u64,
    #[serde(default)]
    /// A `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
}

fn one() -> u32 {
    1
}

/// Why a fault rule was refused; each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("not JSON: {0}")]
    /// The body is not JSON.
    NotJson(String),
    #[error("expected a fault rule (a JSON object) or an array of them, got {0}")]
    /// The JSON is not an object or an array of them.
    NotARule(&'static str),
    /// A field serde refused: unknown, or of the wrong type.
    #[error("{0}")]
    Field(String),
    #[error("`status` must be an HTTP error status (400-599), not {0}")]
    /// `status` is not an error status.
    Status(u16),
    #[error("`count` must be at least 1")]
    /// `count` is zero.
    Count,
    #[error(
        "the rule does nothing: give `status` (the error to answer with) and/or `delay_ms` (a delay before answering)"
    )]
    /// Neither `status` nor `delay_ms`: the rule would change nothing.
    DoesNothing,
    #[error("`{0}` only applies together with `status`")]
    /// A field that only means something with `status`.
    NeedsStatus(&'static str),
    /// A problem with one rule of an array (0-based).
    #[error("rule {index}: {error}")]
    InRule {
        /// The rule's position.
        index: usize,
        /// What is wrong with it.
        error: Box<FaultError>,
    },
}

impl FaultRule {
    /// The rules a `POST /_harness/faults` body holds: one rule object or
    /// an array of them, each checked; nothing is queued unless all are good.
    pub fn parse_all(body: &[u8]) -> Result<Vec<FaultRule>, FaultError> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| FaultError::NotJson(e.to_string()))?;
        match value {
            serde_json::Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    FaultRule::from_json(item).map_err(|error| FaultError::InRule {
                        index,
                        error: Box::new(error),
                    })
                })
                .collect(),
            other => Ok(vec![FaultRule::from_json(other)?]),
        }
    }

    fn from_json(value: serde_json::Value) -> Result<FaultRule, FaultError> {
        let kind = match &value {
            serde_json::Value::Object(_) => None,
            serde_json::Value::Null => Some("null"),
            serde_json::Value::Bool(_) => Some("a boolean"),
            serde_json::Value::Number(_) => Some("a number"),
            serde_json::Value::String(_) => Some("a string"),
            serde_json::Value::Array(_) => Some("an array inside the array"),
        };
        if let Some(kind) = kind {
            return Err(FaultError::NotARule(kind));
        }
        let rule: FaultRule = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            // serde's unknown-field message already names the field.
            if path == "." || e.inner().to_string().starts_with("unknown field") {
                FaultError::Field(e.inner().to_string())
            } else {
                FaultError::Field(format!("`{path}`: {}", e.inner()))
            }
        })?;
        rule.validate()?;
        Ok(rule)
    }

    /// The rules every queued rule obeys.
    pub fn validate(&self) -> Result<(), FaultError> {
        if let Some(s) = self.status
            && !(400..=599).contains(&s)
        {
            return Err(FaultError::Status(s));
        }
        if self.count == 0 {
            return Err(FaultError::Count);
        }
        if self.status.is_none() {
            if self.delay_ms == 0 {
                return Err(FaultError::DoesNothing);
            }
            let answer_fields = [
                ("error", self.error.is_some()),
                ("aadsts", self.aadsts.is_some()),
                ("message", self.message.is_some()),
                ("retry_after", self.retry_after.is_some()),
            ];
            if let Some((field, _)) = answer_fields.iter().find(|(_, set)| *set) {
                return Err(FaultError::NeedsStatus(field));
            }
        }
        Ok(())
    }
}

/// What to do with one request.
#[derive(Debug, Clone)]
pub struct Fault {
    /// How long to wait before answering.
    pub delay: Duration,
    /// The refusal to answer with; `None`: serve the request normally.
    pub response: Option<EntraError>,
}

/// Cheap to clone; all clones share the queue.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    /// Queues a rule after checking it.
    pub fn push(&self, rule: FaultRule) -> Result<(), FaultError> {
        rule.validate()?;
        self.lock().push(rule);
        Ok(())
    }

    /// The rules still queued, in order.
    pub fn pending(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// Drops every queued rule.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Consumes one use of the first rule matching this request.
    pub fn take(&self, grant_type: Option<&str>, client_id: Option<&str>) -> Option<Fault> {
        let mut rules = self.lock();
        let matches = |want: &Option<String>, got: Option<&str>| {
            want.as_deref()
                .is_none_or(|w| got.is_some_and(|g| g.eq_ignore_ascii_case(w)))
        };
        let index = rules
            .iter()
            .position(|r| matches(&r.grant_type, grant_type) && matches(&r.client_id, client_id))?;
        let rule = rules[index].clone();
        if rule.count <= 1 {
            rules.remove(index);
        } else {
            rules[index].count -= 1;
        }
        // Unless the rule names Entra's code to imitate, the answer carries
        // the mock's own injected-fault code, which means nothing else.
        let injected = EntraError::new(Aadsts::InjectedFault, "");
        let response = rule.status.map(|status| EntraError {
            status: StatusCode::from_u16(status).unwrap_or(injected.status),
            error: rule.error.clone().unwrap_or(injected.error.clone()),
            code: rule.aadsts.unwrap_or(injected.code),
            message: rule.message.clone().unwrap_or(injected.message.clone()),
            retry_after: rule.retry_after,
        });
        Some(Fault {
            delay: Duration::from_millis(rule.delay_ms),
            response,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_by_grant_and_client_and_run_out() {
        let f = Faults::default();
        f.push(
            serde_json::from_str(
                r#"{"grant_type":"user_fic","count":2,"status":503,"retry_after":7}"#,
            )
            .unwrap(),
        )
        .unwrap();
        assert!(f.take(Some("client_credentials"), Some("a")).is_none());
        let hit = f
            .take(Some("user_fic"), Some("a"))
            .unwrap()
            .response
            .unwrap();
        assert_eq!((hit.status.as_u16(), hit.retry_after), (503, Some(7)));
        assert!(f.take(Some("user_fic"), None).is_some());
        assert!(f.take(Some("user_fic"), None).is_none());
        assert!(
            f.push(serde_json::from_str(r#"{"status":200}"#).unwrap())
                .is_err()
        );
    }

    fn refusal(body: &str) -> String {
        FaultRule::parse_all(body.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_bad_rule_is_refused_naming_the_field() {
        let typo = refusal(r#"{"stauts":503}"#);
        assert!(
            typo.starts_with("unknown field `stauts`, expected one of"),
            "{typo}"
        );
        assert_eq!(
            refusal(r#"{"status":"503"}"#),
            "`status`: invalid type: string \"503\", expected u16"
        );
        assert_eq!(
            refusal(r#"[{"status":503},{"status":200}]"#),
            "rule 1: `status` must be an HTTP error status (400-599), not 200"
        );
        assert_eq!(
            refusal(r#"{"grant_type":"user_fic"}"#),
            FaultError::DoesNothing.to_string()
        );
        assert_eq!(
            refusal(r#"{"delay_ms":100,"retry_after":5}"#),
            "`retry_after` only applies together with `status`"
        );
        assert_eq!(
            refusal(r#"{"status":503,"count":0}"#),
            "`count` must be at least 1"
        );
        assert!(refusal("503").starts_with("expected a fault rule (a JSON object)"));
        assert!(refusal("{").starts_with("not JSON: "));
        let two = FaultRule::parse_all(br#"[{"status":503},{"delay_ms":10}]"#).unwrap();
        assert_eq!((two.len(), two[1].count), (2, 1));
    }

    #[test]
    fn an_injected_error_carries_the_mocks_own_code_unless_told_otherwise() {
        let f = Faults::default();
        f.push(
            FaultRule::parse_all(br#"{"status":503}"#)
                .unwrap()
                .remove(0),
        )
        .unwrap();
        let e = f.take(None, None).unwrap().response.unwrap();
        assert_eq!(
            (e.status.as_u16(), e.error.as_str(), e.code),
            (503, "temporarily_unavailable", 9990100)
        );
        assert!(e.message.starts_with("[fic-harness] Injected fault."));
        f.push(
            FaultRule::parse_all(br#"{"status":429,"aadsts":50196,"error":"x"}"#)
                .unwrap()
                .remove(0),
        )
        .unwrap();
        let e = f.take(None, None).unwrap().response.unwrap();
        assert_eq!(
            (e.status.as_u16(), e.code, e.error.as_str()),
            (429, 50196, "x")
        );
    }
}
