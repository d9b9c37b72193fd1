//! `Then` steps about the token the client returned.

use cucumber::then;
use serde_json::Value;

use super::{directory, jwt_claims, last_token};
use crate::driver_protocol::TokenSource;
use crate::world::{FicWorld, StepResult, check};

#[then(regex = r"^the token came from (the identity provider|the cache)$")]
async fn source(w: &mut FicWorld, from: String) -> StepResult {
    let token = last_token(w)?;
    let want = if from == "the cache" {
        TokenSource::Cache
    } else {
        TokenSource::IdentityProvider
    };
    check(token.source == want, || {
        format!("the client says the token came from {:?}", token.source)
    })
}

#[then(regex = r#"^the token's "([^"]+)" claim is "([^"]*)"$"#)]
async fn claim(w: &mut FicWorld, name: String, value: String) -> StepResult {
    let claims = jwt_claims(&last_token(w)?.access_token)?;
    let want = directory::resolve(&value);
    let got = claims.get(&name).cloned().unwrap_or(Value::Null);
    check(got.as_str() == Some(want.as_str()), || {
        format!("the token's {name:?} claim is {got}, expected {want:?}")
    })
}

#[then(regex = r#"^the token's type is "([^"]*)"$"#)]
async fn token_type(w: &mut FicWorld, want: String) -> StepResult {
    let token = last_token(w)?;
    check(
        token
            .token_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(&want)),
        || match &token.token_type {
            Some(t) => format!("the token's type is {t:?}"),
            None => "the client's result states no token type".to_owned(),
        },
    )
}

#[then(regex = r"^the token is (the one|not the one) remembered as ([A-Z][A-Z0-9]*)$")]
async fn same_as(w: &mut FicWorld, same: String, name: String) -> StepResult {
    let (token, remembered) = (last_token(w)?.access_token, w.token(&name)?);
    let want_same = same == "the one";
    check((token == remembered) == want_same, || {
        format!(
            "the token is {}the one remembered as {name}",
            if want_same { "not " } else { "" }
        )
    })
}

/// The user token is the user's: the account the client reports and the
/// access token's `oid` both name them.
#[then(regex = r#"^the token belongs to "([^"]+)"$"#)]
async fn belongs_to(w: &mut FicWorld, upn: String) -> StepResult {
    let token = last_token(w)?;
    let oid = directory::user_oid(&upn)?;
    let claims = jwt_claims(&token.access_token)?;
    check(claims["oid"].as_str() == Some(oid), || {
        format!(
            "the access token's oid is {}, {upn} is {oid}",
            claims["oid"]
        )
    })?;
    let account = token.account.as_ref();
    check(
        account.is_some_and(|a| {
            a.username.eq_ignore_ascii_case(&upn) && a.home_account_id.starts_with(oid)
        }),
        || format!("the client reports the account {account:?} for {upn}"),
    )
}
