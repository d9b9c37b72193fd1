//! Queued misbehaviour: the next N token requests that match a grant and/or
//! client get a chosen status and AADSTS error, after an optional delay,
//! with an optional `Retry-After`, so retry and error paths can be tested.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::entra_error::EntraError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    pub error: Option<String>,
    #[serde(default)]
    pub aadsts: Option<u32>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub retry_after: Option<u64>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    #[error("status {0} is not an HTTP error status (400-599)")]
    Status(u16),
    #[error("count must be at least 1")]
    Count,
}

/// What to do with one request.
#[derive(Debug, Clone)]
pub struct Fault {
    pub delay: Duration,
    pub response: Option<EntraError>,
}

/// Cheap to clone; all clones share the queue.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    pub fn push(&self, rule: FaultRule) -> Result<(), FaultError> {
        if let Some(s) = rule.status
            && !(400..=599).contains(&s)
        {
            return Err(FaultError::Status(s));
        }
        if rule.count == 0 {
            return Err(FaultError::Count);
        }
        self.lock().push(rule);
        Ok(())
    }

    pub fn pending(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

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
        let response = rule.status.map(|status| EntraError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            error: rule
                .error
                .clone()
                .unwrap_or_else(|| "temporarily_unavailable".into()),
            code: rule.aadsts.unwrap_or(50196),
            message: rule
                .message
                .clone()
                .unwrap_or_else(|| "[fic-harness] Injected fault.".into()),
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
}
