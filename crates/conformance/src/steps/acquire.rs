//! `When` steps: the client under test acquires tokens.

use std::time::Duration;

use cucumber::{then, when};

use super::directory::{self, EXCHANGE_SCOPE, USER_SCOPE};
use super::{apps, last_token};
use crate::driver_protocol::{
    AccountsReply, AcquireByUserFic, AcquireForClient, AcquireSilent, AppRef, Command,
};
use crate::world::{FicWorld, StepError, StepResult};

/// client_credentials for `api://AzureADTokenExchange/.default` (Leg 1 with
/// an fmi path, Leg 2 without), cache first.
#[when(
    regex = r#"^(the blueprint|agent A|agent B|the daemon) acquires an( mtls_pop)? app token(?: for fmi path "([^"]*)")?$"#
)]
async fn acquire_app_token(
    w: &mut FicWorld,
    app: String,
    mtls_pop: String,
    fmi_path: String,
) -> StepResult {
    // An empty capture means "no fmi path"; `for fmi path ""` cannot be told
    // apart by the regex, so the blank-path scenario uses its own step.
    let fmi_path = (!fmi_path.is_empty()).then(|| directory::resolve(&fmi_path));
    acquire_for_client(w, &app, fmi_path, !mtls_pop.is_empty()).await
}

#[when(regex = r"^(the blueprint|agent A|agent B) acquires an app token for a blank fmi path$")]
async fn acquire_blank_fmi_path(w: &mut FicWorld, app: String) -> StepResult {
    acquire_for_client(w, &app, Some("   ".into()), false).await
}

async fn acquire_for_client(
    w: &mut FicWorld,
    app: &str,
    fmi_path: Option<String>,
    mtls_pop: bool,
) -> StepResult {
    let command = Command::AcquireForClient(AcquireForClient {
        app: directory::app_name(app)?.to_owned(),
        scopes: vec![EXCHANGE_SCOPE.to_owned()],
        fmi_path,
        mtls_pop,
        fmi_path_value: None,
    });
    w.acquire(command).await
}

/// Leg 3: user_fic with a remembered T2, for a user by UPN, by object id,
/// by both (a client-side error), or with an empty assertion.
#[when(
    regex = r#"^(agent [AB]) acquires a user token with (T\d+|an empty assertion) for (?:(the object id of|both the username and the object id of) )?"([^"]*)"$"#
)]
async fn acquire_user_token(
    w: &mut FicWorld,
    app: String,
    assertion: String,
    by: String,
    upn: String,
) -> StepResult {
    let assertion = if assertion == "an empty assertion" {
        String::new()
    } else {
        w.token(&assertion)?
    };
    let (username, user_id) = match by.as_str() {
        "" => (Some(upn), None),
        "the object id of" => (None, Some(directory::user_oid(&upn)?.to_owned())),
        _ => (
            Some(upn.clone()),
            Some(directory::user_oid(&upn)?.to_owned()),
        ),
    };
    let command = Command::AcquireByUserFic(AcquireByUserFic {
        app: directory::app_name(&app)?.to_owned(),
        scopes: vec![USER_SCOPE.to_owned()],
        assertion,
        username,
        user_id,
        force_refresh: false,
        claims: None,
        tenant: None,
    });
    w.acquire(command).await
}

/// acquire_token_silent for the cached account whose username is `upn`
/// (case-insensitive), as the port lists its accounts.
#[when(regex = r#"^(agent [AB]) acquires a user token silently for "([^"]*)"$"#)]
async fn acquire_silent(w: &mut FicWorld, app: String, upn: String) -> StepResult {
    let app = directory::app_name(&app)?.to_owned();
    let accounts = accounts(w, &app).await?;
    let account = accounts
        .iter()
        .find(|a| a.username.eq_ignore_ascii_case(&upn))
        .ok_or_else(|| {
            StepError::Check(format!(
                "{app} lists no account {upn:?}: {}",
                super::json_text(&accounts)
            ))
        })?;
    let command = Command::AcquireSilent(AcquireSilent {
        app,
        scopes: vec![USER_SCOPE.to_owned()],
        home_account_id: account.home_account_id.clone(),
    });
    w.acquire(command).await
}

/// The accounts the client holds for `app`.
pub async fn accounts(
    w: &mut FicWorld,
    app: &str,
) -> Result<Vec<crate::driver_protocol::AccountInfo>, StepError> {
    let body = w
        .expect_ok(Command::Accounts(AppRef {
            app: app.to_owned(),
        }))
        .await?;
    serde_json::from_value::<AccountsReply>(serde_json::Value::Object(body))
        .map(|r| r.accounts)
        .map_err(|e| StepError::Check(format!("accounts reply: {e}")))
}

#[when(regex = r"^the token is remembered as ([A-Z][A-Z0-9]*)$")]
#[then(regex = r"^the token is remembered as ([A-Z][A-Z0-9]*)$")]
async fn remember(w: &mut FicWorld, name: String) -> StepResult {
    let token = last_token(w)?;
    w.tokens.insert(name, token.access_token);
    Ok(())
}

/// Moves the mock's clock, so tokens it issued expire without sleeping.
#[when(regex = r"^the mock's clock moves (\d+) hours? on$")]
async fn clock_moves(w: &mut FicWorld, hours: u64) -> StepResult {
    w.mock()
        .await?
        .clock()
        .advance(Duration::from_secs(hours * 3600));
    Ok(())
}

/// Replaces the token-binding certificate on disk with a new one from the
/// mock's CA (a certificate renewal); the callback reads it on every call.
#[when("the token-binding certificate is replaced by a new one")]
async fn rotate_binding(w: &mut FicWorld) -> StepResult {
    apps::new_binding_certificate(w).await.map(|_| ())
}
