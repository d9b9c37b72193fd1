//! The ids of the default directory (`fixtures/directory.toml`) under the
//! names tests, benchmarks, the fuzz target and the conformance steps use.
//!
//! The file is the one source of these GUIDs: each [`FixtureId`] names what
//! to look up (an app by its display name, a user by UPN, the tenant) and
//! reads the id from the embedded directory on first use.
//!
//! ```
//! use mock_entra::fixtures::{AGENT_A, BLUEPRINT, TENANT};
//!
//! let subject = format!("/eid1/c/pub/t/{TENANT}/a/{BLUEPRINT}/{AGENT_A}");
//! assert_eq!(mock_entra::fixtures::app_id("Contoso agent blueprint"), Some(&*BLUEPRINT));
//! # let _ = subject;
//! ```

use std::fmt;
use std::ops::Deref;
use std::sync::{LazyLock, OnceLock};

use crate::directory::Directory;

static DEFAULT: LazyLock<Directory> = LazyLock::new(Directory::default_directory);

/// The default directory, parsed once.
pub fn directory() -> &'static Directory {
    &DEFAULT
}

/// The client id of the default directory's app with this display name.
pub fn app_id(display_name: &str) -> Option<&'static str> {
    directory()
        .apps
        .values()
        .find(|app| app.display_name.as_deref() == Some(display_name))
        .map(|app| app.client_id.as_str())
}

/// The object id of the default directory's user with this UPN
/// (case-insensitive, as the mock looks users up).
pub fn user_oid(upn: &str) -> Option<&'static str> {
    let tenant = directory().default_tenant();
    directory()
        .user_by_upn(&tenant.id, upn)
        .map(|user| user.oid.as_str())
}

/// The default tenant.
pub static TENANT: FixtureId = FixtureId::new(Lookup::Tenant);
/// The agent blueprint: Leg 1 authenticates as it.
pub static BLUEPRINT: FixtureId = FixtureId::app("Contoso agent blueprint");
/// Agent A, a child of the blueprint.
pub static AGENT_A: FixtureId = FixtureId::app("Agent A");
/// Agent B, a child of the blueprint.
pub static AGENT_B: FixtureId = FixtureId::app("Agent B");
/// An ordinary confidential client, neither blueprint nor agent.
pub static DAEMON: FixtureId = FixtureId::app("Contoso daemon");
/// The client that trusts a certificate subject name instead of a key.
pub static SNI_SERVICE: FixtureId = FixtureId::app("Contoso SNI service");
/// Alice's object id.
pub static ALICE: FixtureId = FixtureId::user("alice@contoso.com");
/// Bob's object id.
pub static BOB: FixtureId = FixtureId::user("bob@contoso.com");
/// Carol's object id.
pub static CAROL: FixtureId = FixtureId::user("carol@contoso.com");

#[derive(Debug)]
enum Lookup {
    Tenant,
    App(&'static str),
    User(&'static str),
}

/// An id of the default directory, looked up by name on first use; it
/// dereferences to the id (`&str`) and prints as it.
///
/// A name the directory does not hold is a broken fixture, so the first use
/// panics naming it.
pub struct FixtureId {
    lookup: Lookup,
    id: OnceLock<&'static str>,
}

impl FixtureId {
    const fn new(lookup: Lookup) -> FixtureId {
        FixtureId {
            lookup,
            id: OnceLock::new(),
        }
    }

    /// The client id of the app with this display name.
    pub const fn app(display_name: &'static str) -> FixtureId {
        FixtureId::new(Lookup::App(display_name))
    }

    /// The object id of the user with this UPN.
    pub const fn user(upn: &'static str) -> FixtureId {
        FixtureId::new(Lookup::User(upn))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        self.id.get_or_init(|| match self.lookup {
            Lookup::Tenant => directory().default_tenant().id.as_str(),
            Lookup::App(name) => app_id(name)
                .unwrap_or_else(|| panic!("fixtures/directory.toml has no app named {name:?}")),
            Lookup::User(upn) => user_oid(upn)
                .unwrap_or_else(|| panic!("fixtures/directory.toml has no user {upn:?}")),
        })
    }
}

impl Deref for FixtureId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for FixtureId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for FixtureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for FixtureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl serde::Serialize for FixtureId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for FixtureId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for FixtureId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for FixtureId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<FixtureId> for &str {
    fn eq(&self, other: &FixtureId) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<FixtureId> for String {
    fn eq(&self, other: &FixtureId) -> bool {
        self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = include_str!("../../../fixtures/directory.toml");

    /// The value of `key = "..."` in the table of the file's text that holds `marker`.
    fn field_near(marker: &str, key: &str) -> String {
        let at = FILE.find(marker).expect("marker in directory.toml");
        let table_start = FILE[..at].rfind("[[").expect("a table before the marker");
        let line = FILE[table_start..]
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .expect("key in the table");
        line.split('"').nth(1).expect("a quoted value").to_owned()
    }

    #[test]
    fn each_named_id_is_the_one_in_directory_toml() {
        let named: [(&FixtureId, &str, &str); 8] = [
            (
                &BLUEPRINT,
                "display_name = \"Contoso agent blueprint\"",
                "client_id",
            ),
            (&AGENT_A, "display_name = \"Agent A\"", "client_id"),
            (&AGENT_B, "display_name = \"Agent B\"", "client_id"),
            (&DAEMON, "display_name = \"Contoso daemon\"", "client_id"),
            (
                &SNI_SERVICE,
                "display_name = \"Contoso SNI service\"",
                "client_id",
            ),
            (&ALICE, "upn = \"alice@contoso.com\"", "oid"),
            (&BOB, "upn = \"bob@contoso.com\"", "oid"),
            (&CAROL, "upn = \"Carol@Contoso.com\"", "oid"),
        ];
        for (id, marker, key) in named {
            assert_eq!(id.as_str(), field_near(marker, key), "{marker}");
        }
        assert_eq!(
            TENANT.as_str(),
            field_near("domains = [\"contoso.com\"]", "id")
        );
    }

    #[test]
    fn agents_name_the_blueprint() {
        for agent in [&AGENT_A, &AGENT_B] {
            let app = directory().app(agent).expect("agent in the directory");
            assert_eq!(app.blueprint.as_deref(), Some(&*BLUEPRINT));
        }
    }

    #[test]
    fn lookups_by_name() {
        assert_eq!(app_id("Contoso daemon"), Some(&*DAEMON));
        assert_eq!(app_id("contoso daemon"), None);
        assert_eq!(user_oid("CAROL@contoso.com"), Some(&*CAROL));
        assert_eq!(user_oid("mallory@contoso.com"), None);
    }

    #[test]
    #[should_panic(expected = "has no app named \"Nobody\"")]
    fn an_unknown_name_is_a_broken_fixture() {
        let _ = FixtureId::app("Nobody").as_str();
    }

    #[test]
    fn prints_and_serializes_as_the_id() {
        assert_eq!(format!("{DAEMON}"), *DAEMON);
        assert_eq!(format!("{DAEMON:?}"), format!("{:?}", &*DAEMON));
        assert_eq!(serde_json::json!({ "a": DAEMON })["a"], *DAEMON);
    }
}
