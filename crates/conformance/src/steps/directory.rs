//! The default directory (`fixtures/directory.toml`) under the names the
//! features use, so a feature says "agent A" instead of a GUID.

use mock_entra::fixtures::{self, FixtureId};

use crate::world::StepError;

pub use mock_entra::fixtures::{AGENT_A, AGENT_B, BLUEPRINT, DAEMON, TENANT};

/// The blueprint's client secret.
pub const BLUEPRINT_SECRET: &str = "blueprint-secret";
/// The daemon's client secret.
pub const DAEMON_SECRET: &str = "daemon-secret";
/// The scope of T1 and T2.
pub const EXCHANGE_SCOPE: &str = fic_protocol::TOKEN_EXCHANGE_SCOPE;
/// The resource scope user tokens are asked for.
pub const USER_SCOPE: &str = "api://contoso-api/read";

static APPS: [(&str, &FixtureId); 4] = [
    ("blueprint", &BLUEPRINT),
    ("agent A", &AGENT_A),
    ("agent B", &AGENT_B),
    ("daemon", &DAEMON),
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
        .map(|(_, id)| id.as_str())
        .expect("known app"))
}

/// A user's object id by UPN (case-insensitive).
pub fn user_oid(upn: &str) -> Result<&'static str, StepError> {
    fixtures::user_oid(upn).ok_or_else(|| StepError::Check(format!("unknown user {upn:?}")))
}

/// A quoted value from a feature: an app name becomes its client id, and
/// `{tenant}`, `{blueprint}`, `{agent A}`... are replaced inside it.
pub fn resolve(text: &str) -> String {
    if let Ok(id) = client_id(text) {
        return id.to_owned();
    }
    let mut out = text.replace("{tenant}", &TENANT);
    for (name, id) in &APPS {
        out = out.replace(&format!("{{{name}}}"), id);
    }
    out
}
