//! `jti` replay: a certificate assertion's `jti` is remembered until the
//! assertion expires. The same client re-sending the identical assertion
//! is accepted under [`JtiPolicy::AllowIdenticalResend`] (MSAL caches its
//! signed assertion); any other reuse is a replay.

use sha2::{Digest, Sha256};

use crate::directory::App;
use crate::jwt::Jwt;
use crate::refusal::Refusal;
use crate::state::{JtiPolicy, MockState, SeenJti};

use super::SKEW_SECONDS;

/// Requires a `jti` and records it, refusing a replay; `exp` is the
/// assertion's (already checked), until which the `jti` is remembered.
pub(crate) fn remember(
    state: &MockState,
    app: &App,
    jwt: &Jwt,
    raw: &str,
    exp: i64,
    now: i64,
) -> Result<(), Refusal> {
    let jti = jwt
        .claim_str("jti")
        .filter(|j| !j.is_empty())
        .ok_or(Refusal::MissingJti)?;
    let digest: [u8; 32] = Sha256::digest(raw.as_bytes()).into();
    let mut seen = state.seen_jti.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(previous) = seen.get(jti) {
        let identical_resend =
            previous.client_id == app.client_id && previous.assertion_sha256 == digest;
        if state.jti_policy == JtiPolicy::RejectAnyReuse || !identical_resend {
            return Err(Refusal::JtiReplayed {
                jti: jti.to_owned(),
            });
        }
        return Ok(());
    }
    seen.insert(
        jti.to_owned(),
        SeenJti {
            client_id: app.client_id.clone(),
            assertion_sha256: digest,
            expires: exp,
        },
        now.saturating_sub(SKEW_SECONDS),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::client_auth::tests::{state, unsigned};

    #[test]
    fn an_identical_resend_passes_and_any_other_reuse_is_a_replay() {
        let (state, _dir) = state();
        let apps: Vec<&App> = state.directory.apps.values().take(2).collect();
        let now = 1_800_000_000;
        let with = |jti: &str, nonce: u32| unsigned(json!({}), json!({"jti": jti, "nonce": nonce}));
        let once = with("j1", 1);
        let remember =
            |app: &App, jwt: &Jwt, raw: &str| remember(&state, app, jwt, raw, now + 600, now);
        assert_eq!(remember(apps[0], &once, "raw-1"), Ok(()));
        assert_eq!(remember(apps[0], &once, "raw-1"), Ok(()));
        let replayed = Err(Refusal::JtiReplayed { jti: "j1".into() });
        assert_eq!(remember(apps[0], &with("j1", 2), "raw-2"), replayed);
        assert_eq!(remember(apps[1], &once, "raw-1"), replayed);
        assert_eq!(
            remember(apps[0], &unsigned(json!({}), json!({"jti": ""})), "raw-3"),
            Err(Refusal::MissingJti)
        );
    }

    #[test]
    fn reject_any_reuse_refuses_even_an_identical_resend() {
        let dir = tempfile::tempdir().unwrap();
        let state = MockState::offline(dir.path(), JtiPolicy::RejectAnyReuse);
        let app = state.directory.apps.values().next().unwrap();
        let jwt = unsigned(json!({}), json!({"jti": "j"}));
        assert_eq!(remember(&state, app, &jwt, "raw", 10, 0), Ok(()));
        assert_eq!(
            remember(&state, app, &jwt, "raw", 10, 0),
            Err(Refusal::JtiReplayed { jti: "j".into() })
        );
    }
}
