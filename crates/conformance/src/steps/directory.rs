//! The default directory (`fixtures/directory.toml`) under the names the
//! features use, so a feature says "agent A" instead of a GUID.

use crate::world::StepError;

/// The default tenant.
pub const TENANT: &str = "10c419d4-4a50-45b2-aa4e-919fb84df24f";
/// The blueprint app ("the blueprint").
pub const BLUEPRINT: &str = "3bf56293-fbb5-42bd-a407-248ba7431a8c";
/// Agent A, a child of the blueprint.
pub const AGENT_A: &str = "7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b";
/// Agent B, a child of the blueprint.
pub const AGENT_B: &str = "7a3b9c2d-2222-4e5f-8a9b-0c1d2e3f4a5b";
/// An ordinary app, neither blueprint nor agent ("the daemon").
pub const DAEMON: &str = "5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b";
/// The blueprint's client secret.
pub const BLUEPRINT_SECRET: &str = "blueprint-secret";
/// The daemon's client secret.
pub const DAEMON_SECRET: &str = "daemon-secret";
/// The scope of T1 and T2.
pub const EXCHANGE_SCOPE: &str = fic_protocol::TOKEN_EXCHANGE_SCOPE;
/// The resource scope user tokens are asked for.
pub const USER_SCOPE: &str = "api://contoso-api/read";

const APPS: [(&str, &str); 4] = [
    ("blueprint", BLUEPRINT),
    ("agent A", AGENT_A),
    ("agent B", AGENT_B),
    ("daemon", DAEMON),
];

const USERS: [(&str, &str); 3] = [
    ("alice@contoso.com", "11111111-aaaa-4bbb-8ccc-000000000001"),
    ("bob@contoso.com", "22222222-aaaa-4bbb-8ccc-000000000002"),
    ("carol@contoso.com", "33333333-aaaa-4bbb-8ccc-000000000003"),
];

/// `the blueprint` / `blueprint` / `agent A` → the app name used with the
/// client under test (also its name in snapshots).
pub fn app_name(text: &str) -> Result<&'static str, StepError> {
    let t = text
        .trim()
        .trim_start_matches("the ")
        .trim_end_matches("'s");
    APPS.iter()
        .find(|(n, _)| *n == t)
        .map(|(n, _)| *n)
        .ok_or_else(|| {
            StepError::Check(format!(
                "unknown app {text:?} (known: blueprint, agent A, agent B, daemon)"
            ))
        })
}

/// The client id of an app named as the features name it ("agent A").
pub fn client_id(app: &str) -> Result<&'static str, StepError> {
    let name = app_name(app)?;
    Ok(APPS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
        .expect("known app"))
}

/// A user's object id by UPN (case-insensitive).
pub fn user_oid(upn: &str) -> Result<&'static str, StepError> {
    USERS
        .iter()
        .find(|(u, _)| u.eq_ignore_ascii_case(upn))
        .map(|(_, oid)| *oid)
        .ok_or_else(|| StepError::Check(format!("unknown user {upn:?}")))
}

/// A quoted value from a feature: an app name becomes its client id, and
/// `{tenant}`, `{blueprint}`, `{agent A}`... are replaced inside it.
pub fn resolve(text: &str) -> String {
    if let Ok(id) = client_id(text) {
        return id.to_owned();
    }
    let mut out = text.replace("{tenant}", TENANT);
    for (name, id) in APPS {
        out = out.replace(&format!("{{{name}}}"), id);
    }
    out
}
