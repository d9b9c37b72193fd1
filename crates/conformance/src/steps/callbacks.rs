//! Steps about the assertion callback's API surface: the zero-argument form
//! written before callbacks had a context, and a callback that fails
//! (docs/protocol.md §3).

use super::apps::configure;
use super::directory;
use crate::driver_protocol::{ClientOptions, Credential};
use crate::world::{FicWorld, StepResult, check};
use cucumber::{given, then};

#[given(regex = r"^(agent [AB]) whose legacy zero-argument assertion callback returns (T\d+)$")]
async fn legacy_callback(w: &mut FicWorld, app: String, token: String) -> StepResult {
    let assertion = w.token(&token)?;
    let credential = Credential::LegacyCallback { assertion };
    configure(w, &app, credential, ClientOptions::default()).await
}

#[given(regex = r#"^(agent [AB]) whose assertion callback fails with "([^"]+)"$"#)]
async fn failing_callback(w: &mut FicWorld, app: String, message: String) -> StepResult {
    let credential = Credential::FailingCallback { message };
    configure(w, &app, credential, ClientOptions::default()).await
}

/// A legacy callback gets nothing, so each call is recorded as an empty
/// context: the count shows the port did call it.
#[then(regex = r"^(agent [AB])'s assertion callback was called (\d+) times? without a context$")]
async fn called_without_context(w: &mut FicWorld, app: String, times: usize) -> StepResult {
    let name = directory::app_name(&app)?.to_owned();
    let calls = super::cache::callback_contexts(w, &name).await?;
    check(calls.len() == times, || {
        format!(
            "{name}'s callback was called {} times: {calls:?}",
            calls.len()
        )
    })?;
    check(
        calls
            .iter()
            .all(|c| c.as_object().is_some_and(|m| m.is_empty())),
        || format!("{name}'s legacy callback was given a context: {calls:?}"),
    )
}
