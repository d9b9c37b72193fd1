//! Steps about what the client stored, read from the cache document the
//! port itself serialized (docs/protocol.md §4, §5): the stored entries'
//! fields, not only their keys.

use cucumber::then;
use serde_json::{Map, Value, json};

use super::cache::cache;
use super::{directory, snapshot};
use crate::world::{FicWorld, StepError, StepResult, check};

/// The fields the ports store an access token's extended cache key in
/// (docs/protocol.md §4, "Name of the stored field").
const EXT_FIELDS: [&str; 3] = [
    "ext_cache_key",
    "ext_cache_key_hash",
    "additionalCacheKeyComponents",
];

/// The field holding the token itself: it changes on every run (times are
/// recognised by their value, see `is_time`).
const VOLATILE: [&str; 1] = ["secret"];

/// A stored entry as the snapshot shows it: tokens and times redacted, the
/// mock's port replaced, every other field kept as the port wrote it.
fn stable(value: &Value, with_port: &str) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if VOLATILE.contains(&k.as_str()) {
                        json!("[token]")
                    } else if is_time(v) {
                        json!("[time]")
                    } else {
                        stable(v, with_port)
                    };
                    (k.replace(with_port, "localhost:[port]"), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| stable(v, with_port)).collect()),
        Value::String(s) => Value::String(s.replace(with_port, "localhost:[port]")),
        v => v.clone(),
    }
}

/// Unix seconds (or milliseconds), as a number or a string of digits.
fn is_time(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_u64().is_some_and(|n| n >= 1_000_000_000),
        Value::String(s) => s.len() >= 10 && s.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

async fn stored_access_tokens(
    w: &mut FicWorld,
    app: &str,
) -> Result<Map<String, Value>, StepError> {
    let raw = cache(w, app).await?.raw;
    Ok(raw
        .get("AccessToken")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default())
}

#[then(regex = r"^(the blueprint|agent A|agent B)'s stored access tokens match the snapshot$")]
async fn stored_snapshot(w: &mut FicWorld, app: String) -> StepResult {
    let entries = stored_access_tokens(w, &app).await?;
    let with_port = format!("localhost:{}", w.mock().await?.port());
    let value = stable(&Value::Object(entries), &with_port);
    let kind = format!(
        "{}_stored_access_tokens",
        snapshot::slug(directory::app_name(&app)?)
    );
    snapshot::assert_json(w, &kind, &value)
}

/// The entry stored for an fmi path names its hash in `ext_cache_key`
/// (MSAL Python and Go's field), and that hash is the one ending its key.
#[then(
    regex = r#"^(the blueprint)'s stored access token records the hash ending its key in "ext_cache_key"$"#
)]
async fn ext_field(w: &mut FicWorld, app: String) -> StepResult {
    let entries = stored_access_tokens(w, &app).await?;
    check(entries.len() == 1, || {
        format!("expected one stored access token: {entries:#?}")
    })?;
    for (key, entry) in &entries {
        let field = entry.get("ext_cache_key").and_then(Value::as_str);
        let others: Vec<&str> = EXT_FIELDS
            .into_iter()
            .filter(|f| entry.get(*f).is_some())
            .collect();
        let hash = field.ok_or_else(|| {
            StepError::Check(format!(
                "the entry {key:?} has no ext_cache_key field (it has {others:?})"
            ))
        })?;
        check(
            !hash.is_empty()
                && key
                    .to_lowercase()
                    .ends_with(&format!("-{}", hash.to_lowercase())),
            || format!("the entry's ext_cache_key {hash:?} does not end its key {key:?}"),
        )?;
    }
    Ok(())
}

/// A user token is an ordinary access token (docs/protocol.md §5): neither
/// its key nor its entry carries an extended cache key, whichever
/// identifier (UPN or object id) the request named.
#[then(regex = r"^(agent A|agent B)'s stored user token carries no extended cache key$")]
async fn user_token_plain(w: &mut FicWorld, app: String) -> StepResult {
    let entries = stored_access_tokens(w, &app).await?;
    let users: Vec<(&String, &Value)> = entries
        .iter()
        .filter(|(_, e)| {
            e.get("home_account_id")
                .or_else(|| e.get("homeAccountId"))
                .and_then(Value::as_str)
                .is_some_and(|h| !h.is_empty())
        })
        .collect();
    check(!users.is_empty(), || {
        format!("{app} stored no user token: {entries:#?}")
    })?;
    for (key, entry) in users {
        let fields: Vec<&str> = EXT_FIELDS
            .into_iter()
            .filter(|f| {
                entry
                    .get(*f)
                    .is_some_and(|v| !(v.is_null() || v == "" || v == &json!({})))
            })
            .collect();
        check(fields.is_empty() && !key.contains("-atext-"), || {
            format!("the user token {key:?} carries an extended cache key: {fields:?}")
        })?;
    }
    Ok(())
}

#[then(regex = r"^(agent A|agent B) lists exactly (\d+) accounts?$")]
async fn account_count(w: &mut FicWorld, app: String, n: usize) -> StepResult {
    let app = directory::app_name(&app)?;
    let accounts = super::acquire::accounts(w, app).await?;
    check(accounts.len() == n, || {
        format!("{app} lists {} accounts: {accounts:?}", accounts.len())
    })
}
