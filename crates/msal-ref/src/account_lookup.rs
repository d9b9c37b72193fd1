//! Which cached account a `user_fic` request is for (`docs/protocol.md` §5).

use fic_protocol::form;

use crate::cache::Account;

/// The user a `user_fic` request names. One of the two, by construction:
/// "both or neither" cannot be expressed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserId {
    /// Sent as `username`; anchor mailbox `upn:{upn}`.
    Upn(String),
    /// Sent as `user_id`; anchor mailbox `oid:{oid}@{tenant}`.
    Oid(String),
}

impl UserId {
    /// The UPN or object id, as given.
    pub fn value(&self) -> &str {
        match self {
            UserId::Upn(v) | UserId::Oid(v) => v,
        }
    }

    /// The body field that carries it.
    pub fn form_field(&self) -> (&'static str, &str) {
        match self {
            UserId::Upn(upn) => (form::USERNAME, upn),
            UserId::Oid(oid) => (form::USER_ID, oid),
        }
    }

    /// The UPN, when the user is named by one.
    pub fn upn(&self) -> Option<&str> {
        match self {
            UserId::Upn(upn) => Some(upn),
            UserId::Oid(_) => None,
        }
    }

    /// The `x-anchormailbox` header value. Lowercase `oid:` as .NET/Java
    /// send it; Python writes `Oid:` and the header is case-insensitive.
    pub fn anchor_mailbox(&self, tenant: &str) -> String {
        match self {
            UserId::Upn(upn) => format!("upn:{upn}"),
            UserId::Oid(oid) => format!("oid:{oid}@{tenant}"),
        }
    }

    /// Exact match: OID against the part of `home_account_id` before the
    /// dot, UPN against `username`, both case-insensitive.
    pub fn matches(&self, account: &Account) -> bool {
        match self {
            UserId::Oid(oid) => account.oid().eq_ignore_ascii_case(oid),
            UserId::Upn(upn) => account.username.to_lowercase() == upn.to_lowercase(),
        }
    }
}

/// How the cache-first path of `user_fic` picks an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccountLookupPolicy {
    /// Exact match by OID or UPN; no match means go to the identity provider.
    #[default]
    Strict,
    /// Exists only to reproduce a review finding, never to be used: the
    /// first version of MSAL Java PR #1026 returned the only cached account
    /// when nothing matched, so Bob's first request silently got Alice's
    /// cached token. The fix removed this fallback (`docs/protocol.md` §5).
    SingleAccountFallback,
}

impl AccountLookupPolicy {
    /// The account among `accounts` that the policy takes to be `user`.
    pub fn select<'a>(self, accounts: &'a [Account], user: &UserId) -> Option<&'a Account> {
        let exact = accounts.iter().find(|a| user.matches(a));
        match self {
            AccountLookupPolicy::Strict => exact,
            AccountLookupPolicy::SingleAccountFallback => exact.or(match accounts {
                [only] => Some(only),
                _ => None,
            }),
        }
    }
}

impl std::str::FromStr for AccountLookupPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" | "Strict" => Ok(AccountLookupPolicy::Strict),
            "single-account-fallback" | "SingleAccountFallback" => {
                Ok(AccountLookupPolicy::SingleAccountFallback)
            }
            other => Err(format!("unknown account lookup policy `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(home: &str, username: &str) -> Account {
        Account {
            home_account_id: home.into(),
            environment: "localhost".into(),
            realm: "t".into(),
            local_account_id: home.split('.').next().unwrap().into(),
            username: username.into(),
            authority_type: "MSSTS".into(),
            account_source: Some("user_fic".into()),
            extra: Default::default(),
        }
    }

    #[test]
    fn strict_matches_oid_or_upn_only() {
        let alice = account("aaaa.t", "alice@contoso.com");
        let carol = account("cccc.t", "Carol@Contoso.com");
        let accounts = vec![alice.clone(), carol.clone()];
        let s = AccountLookupPolicy::Strict;
        assert_eq!(
            s.select(&accounts, &UserId::Oid("AAAA".into())),
            Some(&alice)
        );
        assert_eq!(
            s.select(&accounts, &UserId::Upn("carol@contoso.com".into())),
            Some(&carol)
        );
        assert_eq!(
            s.select(&accounts, &UserId::Upn("bob@contoso.com".into())),
            None
        );
        // An OID never matches the tenant half of home_account_id.
        assert_eq!(s.select(&accounts, &UserId::Oid("t".into())), None);
    }

    #[test]
    fn fallback_returns_the_only_account_for_anyone() {
        let alice = account("aaaa.t", "alice@contoso.com");
        let bob = UserId::Upn("bob@contoso.com".into());
        let one = vec![alice.clone()];
        assert_eq!(AccountLookupPolicy::Strict.select(&one, &bob), None);
        assert_eq!(
            AccountLookupPolicy::SingleAccountFallback.select(&one, &bob),
            Some(&alice)
        );
        let two = vec![alice, account("cccc.t", "carol@contoso.com")];
        assert_eq!(
            AccountLookupPolicy::SingleAccountFallback.select(&two, &bob),
            None
        );
    }

    #[test]
    fn wire_forms() {
        assert_eq!(UserId::Upn("a@b".into()).anchor_mailbox("t"), "upn:a@b");
        assert_eq!(UserId::Oid("o".into()).anchor_mailbox("t"), "oid:o@t");
        assert_eq!(UserId::Oid("o".into()).form_field(), ("user_id", "o"));
        assert_eq!(UserId::Upn("u".into()).form_field(), ("username", "u"));
    }
}
