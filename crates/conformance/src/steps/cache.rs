//! `Then` steps about the client's own token cache, read through the
//! `cache` command: the keys exactly as the port stored them.

use cucumber::then;
use serde_json::{Value, json};

use super::{directory, snapshot};
use crate::driver_protocol::{AppRef, CacheReply, CallbackContextsReply, Command};
use crate::world::{FicWorld, StepError, StepResult, check};

/// The client's cache for `app`, as the port serialized it.
pub async fn cache(w: &mut FicWorld, app: &str) -> Result<CacheReply, StepError> {
    let app = directory::app_name(app)?.to_owned();
    let body = w.expect_ok(Command::Cache(AppRef { app })).await?;
    serde_json::from_value(Value::Object(body))
        .map_err(|e| StepError::Check(format!("cache reply: {e}")))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[then(regex = r"^(the blueprint|agent A|agent B|the daemon)'s cache holds (\d+) access tokens?$")]
async fn holds(w: &mut FicWorld, app: String, n: usize) -> StepResult {
    let keys = cache(w, &app).await?.access_token_keys;
    check(keys.len() == n, || {
        format!(
            "{app}'s cache holds {} access tokens: {keys:#?}",
            keys.len()
        )
    })
}

/// The full keys, byte for byte: "contains -atext-" let real bugs through.
#[then(regex = r"^(the blueprint|agent A|agent B|the daemon)'s cache keys match the snapshot$")]
async fn keys_snapshot(w: &mut FicWorld, app: String) -> StepResult {
    let c = cache(w, &app).await?;
    // A port that keeps the mock's random port in its environment
    // (msal-node: `localhost:35461`) would never match a snapshot; pin it
    // as `localhost:[port]` so the difference stays visible and stable.
    let with_port = format!("localhost:{}", w.mock().await?.port());
    let pin = |keys: Vec<String>| -> Vec<String> {
        sorted(
            keys.into_iter()
                .map(|k| k.replace(&with_port, "localhost:[port]"))
                .collect(),
        )
    };
    let value = json!({
        "access_token_keys": pin(c.access_token_keys),
        "account_keys": pin(c.account_keys),
        "id_token_keys": pin(c.id_token_keys),
        "refresh_token_keys": pin(c.refresh_token_keys),
    });
    let kind = format!("{}_cache_keys", snapshot::slug(directory::app_name(&app)?));
    snapshot::assert_json(w, &kind, &value)
}

/// Fields of a stored entry whose value changes per run: the tokens
/// themselves and the times. Every other field (`ext_cache_key`,
/// `home_account_id`, `target`, `realm`, `token_type`, …) is pinned.
const VOLATILE_ENTRY_FIELDS: [&str; 8] = [
    "secret",
    "cached_at",
    "expires_on",
    "extended_expires_on",
    "ext_expires_on",
    "refresh_on",
    "last_modification_time",
    "expiresOn",
];

fn redact_entries(value: &Value, with_port: &str) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let k = k.replace(with_port, "localhost:[port]");
                    let v = if VOLATILE_ENTRY_FIELDS.contains(&k.as_str()) && !v.is_null() {
                        json!("[redacted: differs per run]")
                    } else {
                        redact_entries(v, with_port)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| redact_entries(v, with_port)).collect()),
        Value::String(s) => Value::String(s.replace(with_port, "localhost:[port]")),
        v => v.clone(),
    }
}

/// `{"AccessToken": {key: entry}}` → `{"AccessToken": [{"cache_key": key, …entry}]}`
/// sorted by key, so that ports line up entry by entry, field by field.
fn entries_by_section(raw: &Value) -> Value {
    let Some(sections) = raw.as_object() else {
        return raw.clone();
    };
    let mut out = serde_json::Map::new();
    let mut names: Vec<&String> = sections.keys().collect();
    names.sort();
    for name in names {
        let section = &sections[name.as_str()];
        let Some(entries) = section.as_object() else {
            out.insert(name.clone(), section.clone());
            continue;
        };
        let mut keys: Vec<&String> = entries.keys().collect();
        keys.sort();
        let list: Vec<Value> = keys
            .into_iter()
            .map(|k| {
                let mut entry = serde_json::Map::new();
                entry.insert("cache_key".into(), json!(k));
                if let Some(fields) = entries[k.as_str()].as_object() {
                    entry.extend(fields.clone());
                }
                Value::Object(entry)
            })
            .collect();
        out.insert(name.clone(), Value::Array(list));
    }
    Value::Object(out)
}

/// Every stored entry with its fields, as the port serialized its cache:
/// where a key only shows the layout, the entry shows what the port
/// recorded (the ext cache key, the account, the target).
#[then(regex = r"^(the blueprint|agent A|agent B)'s stored cache entries match the snapshot$")]
async fn entries_snapshot(w: &mut FicWorld, app: String) -> StepResult {
    let raw = cache(w, &app).await?.raw;
    let with_port = format!("localhost:{}", w.mock().await?.port());
    let value = entries_by_section(&redact_entries(&raw, &with_port));
    let kind = format!(
        "{}_stored_entries",
        snapshot::slug(directory::app_name(&app)?)
    );
    snapshot::assert_json(w, &kind, &value)
}

#[then(
    regex = r#"^(every|no) access-token key of (the blueprint|agent A|agent B) contains "([^"]*)"$"#
)]
async fn keys_contain(
    w: &mut FicWorld,
    quantifier: String,
    app: String,
    text: String,
) -> StepResult {
    let keys = cache(w, &app).await?.access_token_keys;
    let text = directory::resolve(&text).to_lowercase();
    let matching = keys.iter().filter(|k| k.contains(&text)).count();
    let ok = match quantifier.as_str() {
        "every" => !keys.is_empty() && matching == keys.len(),
        _ => matching == 0,
    };
    check(ok, || {
        format!("{quantifier} key should contain {text:?}: {keys:#?}")
    })
}

/// The legacy concat hash collides; netstring does not (docs/protocol.md §4). The
/// hash of the colliding components is computed with the spec's function
/// and compared with the key the client stored.
#[then(
    regex = r#"^the key of (the blueprint)'s only access token (ends|does not end) with the (netstring|concat) hash of ([a-z_]+)="([^"]*)"$"#
)]
async fn key_hash(
    w: &mut FicWorld,
    app: String,
    ends: String,
    algorithm: String,
    field: String,
    value: String,
) -> StepResult {
    let keys = cache(w, &app).await?.access_token_keys;
    let [key] = keys.as_slice() else {
        return Err(StepError::Check(format!(
            "expected one access token: {keys:#?}"
        )));
    };
    let algorithm: msal_ref::HashAlgorithm = algorithm.parse().map_err(StepError::Check)?;
    let components = msal_ref::ext_components([(field.as_str(), value.as_str())]);
    let hash = msal_ref::cache_key::stored_ext_cache_key(&components, algorithm)
        .ok_or_else(|| StepError::Check(format!("{field} is not a cache key component")))?;
    let want_end = ends == "ends";
    check(key.ends_with(&format!("-{hash}")) == want_end, || {
        format!(
            "the key {key:?} {} with {hash:?}",
            if want_end { "does not end" } else { "ends" }
        )
    })
}

#[then(regex = r#"^(agent A|agent B) lists the account "([^"]+)"$"#)]
async fn lists_account(w: &mut FicWorld, app: String, upn: String) -> StepResult {
    let app = directory::app_name(&app)?;
    let accounts = super::acquire::accounts(w, app).await?;
    let oid = directory::user_oid(&upn)?;
    check(
        accounts
            .iter()
            .any(|a| a.username.eq_ignore_ascii_case(&upn) && a.home_account_id.starts_with(oid)),
        || format!("{app} lists {}", super::json_text(&accounts)),
    )
}

/// Every context the app's assertion callback was called with, oldest
/// first, as the driver recorded them.
pub(super) async fn callback_contexts(
    w: &mut FicWorld,
    app: &str,
) -> Result<Vec<Value>, StepError> {
    let body = w
        .expect_ok(Command::CallbackContexts(AppRef {
            app: app.to_owned(),
        }))
        .await?;
    let reply: CallbackContextsReply = serde_json::from_value(Value::Object(body))
        .map_err(|e| StepError::Check(format!("callback_contexts reply: {e}")))?;
    Ok(reply.contexts)
}

/// docs/protocol.md §3: the callback learns who it signs for.
#[then(
    regex = r#"^(agent A|agent B)'s assertion callback was last called with its client id, the token endpoint and (no fmi path|fmi path "[^"]*")$"#
)]
async fn callback_context(w: &mut FicWorld, app: String, fmi: String) -> StepResult {
    let name = directory::app_name(&app)?.to_owned();
    let last = callback_contexts(w, &name)
        .await?
        .last()
        .ok_or_else(|| StepError::Check(format!("{name}'s callback was never called")))?
        .clone();
    let endpoint = w.target().await?.token_endpoint();
    check(
        last["client_id"] == json!(directory::client_id(&name)?),
        || format!("the callback got client_id {}", last["client_id"]),
    )?;
    check(last["token_endpoint"] == json!(endpoint), || {
        format!(
            "the callback got token_endpoint {}, the mock's is {endpoint}",
            last["token_endpoint"]
        )
    })?;
    let want = fmi
        .strip_prefix("fmi path \"")
        .map(|p| json!(directory::resolve(p.trim_end_matches('"'))));
    check(last.get("fmi_path") == want.as_ref(), || {
        format!(
            "the callback got fmi_path {}, expected {}",
            last.get("fmi_path")
                .map_or_else(|| "(absent)".to_owned(), Value::to_string),
            want.as_ref()
                .map_or_else(|| "(absent)".to_owned(), Value::to_string)
        )
    })
}

/// An mtls_pop token is stored with the x5t#S256 of the certificate it is
/// bound to (`key_id`, MSAL Python's field), read from the serialized cache.
#[then(
    regex = r"^(agent A|agent B)'s cached mtls_pop token is bound to the token-binding certificate$"
)]
async fn bound_to_certificate(w: &mut FicWorld, app: String) -> StepResult {
    let raw = cache(w, &app).await?.raw;
    let x5t = w.binding_x5t()?;
    let bound: Vec<&Value> = raw["AccessToken"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter(|e| {
            e["token_type"]
                .as_str()
                .is_some_and(|t| fic_protocol::TokenType::MtlsPop.matches(t))
        })
        .collect();
    check(bound.len() == 1 && bound[0]["key_id"] == json!(x5t), || {
        format!("expected one mtls_pop entry with key_id {x5t:?}: {bound:#?}")
    })
}

/// The `environment` the client wrote into every entry of its serialized
/// cache (access tokens, accounts, id tokens, refresh tokens): with the
/// public cloud's authority, the host it chose to cache under.
#[then(
    regex = r#"^every cache entry of (the blueprint|agent A|agent B) has the environment "([^"]+)"$"#
)]
async fn entries_environment(w: &mut FicWorld, app: String, environment: String) -> StepResult {
    let raw = cache(w, &app).await?.raw;
    let mut seen = Vec::new();
    for section in ["AccessToken", "Account", "IdToken", "RefreshToken"] {
        for (key, entry) in raw[section].as_object().into_iter().flatten() {
            seen.push((key.clone(), entry["environment"].clone()));
        }
    }
    check(
        !seen.is_empty() && seen.iter().all(|(_, env)| env == &json!(environment)),
        || format!("{app}'s cache entries and their environment: {seen:#?}"),
    )
}
