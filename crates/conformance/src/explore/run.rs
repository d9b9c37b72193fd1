//! Runs one session on one client, against a mock of its own, and records
//! what each step did: the replies, what reached the IdP (the mock's
//! journal, whatever the client says) and the client's caches. Nothing
//! here judges; `compare` does, afterwards.

use std::collections::BTreeMap;
use std::time::Duration;

use mock_entra::{Directory, MockEntra};
use serde_json::Value;

use super::model::{App, Session, Step, User, UserRef};
use crate::authority::AuthorityMode;
use crate::client_under_test::{ClientFactory, ClientUnderTest, DriverFailure};
use crate::driver_protocol::{
    AccountsReply, AcquireByUserFic, AcquireForClient, AcquireSilent, AppRef, CacheReply, Command,
    Configure, Credential, ErrorKind, FmiPathFrom, Reply, TokenReply, TokenSource,
};
use crate::steps::directory::{
    BLUEPRINT_SECRET, DAEMON_SECRET, EXCHANGE_SCOPE, TENANT, USER_SCOPE,
};

/// Why a session could not be run to the end: the harness or the driver
/// failed, not the client's protocol behaviour.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("cannot start the mock IdP: {0}")]
    /// The mock did not start.
    Mock(#[from] mock_entra::MockError),
    #[error(transparent)]
    /// The driver broke.
    Driver(#[from] DriverFailure),
    #[error("the {port} client refused `{command}`: {message}")]
    /// A command every client must accept (configure, cache, accounts) failed.
    Refused {
        /// The port.
        port: String,
        /// The command.
        command: &'static str,
        /// The client's error.
        message: String,
    },
}

/// What one acquisition ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A token, from where the client says.
    Token {
        /// The cache or the IdP.
        source: TokenSource,
        /// Whose token it is.
        claims: TokenClaims,
    },
    /// The client refused before sending anything.
    ClientRefusal,
    /// The IdP refused.
    IdpRefusal {
        /// The first AADSTS code the client reports.
        code: Option<u32>,
        /// The HTTP status the mock answered (its journal).
        status: Option<u16>,
    },
    /// The driver or client failed otherwise (its message).
    OtherError(String),
    /// The client has no such feature.
    Unsupported,
    /// A silent acquisition found no account for the user.
    NoAccount {
        /// How many accounts the app listed.
        listed: usize,
    },
}

/// The claims that say whose token it is (the rest vary per issue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// `azp`: the client it was issued to.
    pub azp: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `oid`: the user, for user tokens.
    pub oid: Option<String>,
    /// `xms_fmi_path`: the fmi path it was minted for.
    pub fmi_path: Option<String>,
}

/// One acquisition: its outcome and the IdP's journal around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acquisition {
    /// What the client answered.
    pub outcome: Outcome,
    /// Token requests in the journal before the command.
    pub requests_before: usize,
    /// And after it.
    pub requests_after: usize,
}

/// What kinds of access tokens an app's cache holds, from the keys as the
/// port spelled them: the layout differs per port (docs/protocol.md §4), so
/// the keys are reduced to whose token each is (a user's, or the app's)
/// and whether it carries an extended key (an fmi path's hash).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheSummary {
    /// Access tokens per kind of entry.
    pub access_tokens: BTreeMap<EntryKind, usize>,
}

impl CacheSummary {
    /// How many access tokens in all.
    pub fn total(&self) -> usize {
        self.access_tokens.values().sum()
    }
}

/// Whose token a cache entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// An app token without extended key.
    App,
    /// An app token with an extended key (an fmi path).
    AppWithExtendedKey,
    /// A user's token.
    User(User),
}

impl CacheSummary {
    /// Reads the access-token keys as the port stored them.
    pub fn from_keys(keys: &[String]) -> CacheSummary {
        let mut access_tokens = BTreeMap::new();
        for key in keys {
            *access_tokens.entry(entry_kind(key)).or_insert(0) += 1;
        }
        CacheSummary { access_tokens }
    }
}

const USERS: [User; 3] = [User::Alice, User::Bob, User::Carol];

/// A user token's key starts with the home account id (`{oid}.{tid}`); an
/// app token's key has an extended part when something follows the target
/// (`…/.default-<hash>`, msal-node `…/.default--<hash>`): scopes end in a
/// path segment with no dash, hashes are appended with one (msal-node ends
/// every key with the token scheme, empty for Bearer: `…/.default-`).
pub(crate) fn entry_kind(key: &str) -> EntryKind {
    let key = key.to_ascii_lowercase();
    if let Some(user) = USERS.into_iter().find(|u| key.starts_with(u.oid())) {
        return EntryKind::User(user);
    }
    let after_realm = key
        .split_once(&format!("-{TENANT}-"))
        .map_or(key.as_str(), |(_, rest)| rest);
    let last_segment = &after_realm[after_realm.rfind('/').map_or(0, |i| i + 1)..];
    if last_segment.trim_end_matches('-').contains('-') {
        EntryKind::AppWithExtendedKey
    } else {
        EntryKind::App
    }
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// The acquisitions, in order (user_fic: Leg 2 for T2, then user_fic).
    pub acquisitions: Vec<Acquisition>,
    /// Every configured app's cache after the step (none after a clock move).
    pub caches: BTreeMap<App, CacheSummary>,
}

/// Runs `session` on a fresh client from `factory`, against a fresh mock
/// in production mode; one observation per step.
pub async fn run_session(
    factory: &ClientFactory,
    session: &Session,
) -> Result<Vec<Observation>, SessionError> {
    let mock = MockEntra::start(Directory::default_directory()).await?;
    let mut client = factory().await?;
    let mut run = SessionRun {
        mock: &mock,
        client: client.as_mut(),
    };
    let apps = session.apps();
    for app in &apps {
        run.configure(*app).await?;
    }
    let mut observations = Vec::with_capacity(session.steps.len());
    for step in &session.steps {
        let mut observation = Observation::default();
        match step {
            Step::ClockMoves { hours } => {
                mock.clock().advance(Duration::from_secs(hours * 3600));
            }
            _ => {
                run.step(step, &mut observation.acquisitions).await?;
                for app in &apps {
                    observation.caches.insert(*app, run.cache(*app).await?);
                }
            }
        }
        observations.push(observation);
    }
    // Best effort: a driver that does not exit is killed when dropped.
    let _ = client.send(Command::Shutdown).await;
    Ok(observations)
}

struct SessionRun<'a> {
    mock: &'a MockEntra,
    client: &'a mut dyn ClientUnderTest,
}

impl SessionRun<'_> {
    fn refused(&self, command: &'static str, reply: &Reply) -> SessionError {
        SessionError::Refused {
            port: self.client.port().to_owned(),
            command,
            message: reply
                .error
                .as_ref()
                .map_or_else(|| "no reason given".to_owned(), ToString::to_string),
        }
    }

    async fn must(&mut self, name: &'static str, command: Command) -> Result<Value, SessionError> {
        let reply = self.client.send(command).await?;
        if !reply.ok {
            return Err(self.refused(name, &reply));
        }
        Ok(Value::Object(reply.body))
    }

    async fn configure(&mut self, app: App) -> Result<(), SessionError> {
        let target = AuthorityMode::Production.target(self.mock);
        let credential = match app {
            App::Blueprint => Credential::Secret {
                secret: BLUEPRINT_SECRET.into(),
            },
            App::Daemon => Credential::Secret {
                secret: DAEMON_SECRET.into(),
            },
            App::AgentA | App::AgentB => Credential::FmiCallback {
                via_app: App::Blueprint.name().into(),
                fmi_path_from: FmiPathFrom::ClientId,
            },
        };
        let command = Command::Configure(Configure {
            app: app.name().into(),
            client_id: app.client_id().into(),
            authority: target.authority,
            proxy: target.proxy,
            ca_cert: self.mock.ca_cert_path().display().to_string(),
            credential,
            options: Default::default(),
        });
        self.must("configure", command).await.map(|_| ())
    }

    async fn cache(&mut self, app: App) -> Result<CacheSummary, SessionError> {
        let body = self
            .must(
                "cache",
                Command::Cache(AppRef {
                    app: app.name().into(),
                }),
            )
            .await?;
        let reply: CacheReply =
            serde_json::from_value(body).map_err(|e| SessionError::Refused {
                port: self.client.port().to_owned(),
                command: "cache",
                message: format!("the reply is not a cache: {e}"),
            })?;
        Ok(CacheSummary::from_keys(&reply.access_token_keys))
    }

    async fn acquire(&mut self, command: Command) -> Result<(Acquisition, Reply), SessionError> {
        let journal = self.mock.journal();
        let requests_before = journal.len();
        let reply = self.client.send(command).await?;
        let requests_after = journal.len();
        let outcome = outcome(&reply, journal.entries().last().map(|e| e.outcome.status));
        Ok((
            Acquisition {
                outcome,
                requests_before,
                requests_after,
            },
            reply,
        ))
    }

    async fn step(&mut self, step: &Step, out: &mut Vec<Acquisition>) -> Result<(), SessionError> {
        match *step {
            Step::AppToken { app, fmi_path } => {
                let fmi_path = fmi_path.map(|a| a.app().client_id().to_owned());
                out.push(self.app_token(app, fmi_path).await?.0);
            }
            Step::Leg2 { agent } => out.push(self.app_token(agent.app(), None).await?.0),
            Step::UserFic { agent, user, by } => {
                let (t2, reply) = self.app_token(agent.app(), None).await?;
                let assertion = match &t2.outcome {
                    Outcome::Token { .. } => token_of(&reply).map(|t| t.token.access_token),
                    _ => None,
                };
                out.push(t2);
                let Some(assertion) = assertion else {
                    return Ok(());
                };
                let (username, user_id) = match by {
                    UserRef::Upn => (Some(user.upn().to_owned()), None),
                    UserRef::ObjectId => (None, Some(user.oid().to_owned())),
                };
                let command = Command::AcquireByUserFic(AcquireByUserFic {
                    app: agent.app().name().into(),
                    scopes: vec![USER_SCOPE.into()],
                    assertion,
                    username,
                    user_id,
                    force_refresh: false,
                    claims: None,
                    tenant: None,
                });
                out.push(self.acquire(command).await?.0);
            }
            Step::Silent { agent, user } => {
                let app = agent.app().name().to_owned();
                let body = self
                    .must("accounts", Command::Accounts(AppRef { app: app.clone() }))
                    .await?;
                let accounts = serde_json::from_value::<AccountsReply>(body)
                    .map(|r| r.accounts)
                    .unwrap_or_default();
                let Some(account) = accounts
                    .iter()
                    .find(|a| a.username.eq_ignore_ascii_case(user.upn()))
                else {
                    let n = self.mock.journal().len();
                    out.push(Acquisition {
                        outcome: Outcome::NoAccount {
                            listed: accounts.len(),
                        },
                        requests_before: n,
                        requests_after: n,
                    });
                    return Ok(());
                };
                let command = Command::AcquireSilent(AcquireSilent {
                    app,
                    scopes: vec![USER_SCOPE.into()],
                    home_account_id: account.home_account_id.clone(),
                });
                out.push(self.acquire(command).await?.0);
            }
            Step::ClockMoves { .. } => {}
        }
        Ok(())
    }

    async fn app_token(
        &mut self,
        app: App,
        fmi_path: Option<String>,
    ) -> Result<(Acquisition, Reply), SessionError> {
        self.acquire(Command::AcquireForClient(AcquireForClient {
            app: app.name().into(),
            scopes: vec![EXCHANGE_SCOPE.into()],
            fmi_path,
            mtls_pop: false,
            fmi_path_value: None,
        }))
        .await
    }
}

fn token_of(reply: &Reply) -> Option<TokenReply> {
    serde_json::from_value(Value::Object(reply.body.clone())).ok()
}

fn outcome(reply: &Reply, last_status: Option<u16>) -> Outcome {
    if let (false, Some(e)) = (reply.ok, &reply.error) {
        return match e.kind {
            ErrorKind::Client => Outcome::ClientRefusal,
            ErrorKind::Service => Outcome::IdpRefusal {
                code: e.error_codes.first().copied(),
                status: e.status.or(last_status),
            },
            ErrorKind::Unsupported => Outcome::Unsupported,
            ErrorKind::Driver => Outcome::OtherError(e.message.clone()),
        };
    }
    match token_of(reply) {
        Some(t) => {
            let claims = crate::steps::jwt_claims(&t.token.access_token).unwrap_or(Value::Null);
            let claim = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
            Outcome::Token {
                source: t.token.source,
                claims: TokenClaims {
                    azp: claim("azp"),
                    sub: claim("sub"),
                    oid: claim("oid"),
                    fmi_path: claim("xms_fmi_path"),
                },
            }
        }
        None => Outcome::OtherError(format!(
            "the reply carries no token: {}",
            Value::Object(reply.body.clone())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_every_layout_are_read_as_whose_token_they_are() {
        let keys = [
            // reference, MSAL Python, MSAL Go
            "-login.microsoftonline.com-atext-3bf56293-fbb5-42bd-a407-248ba7431a8c-10c419d4-4a50-45b2-aa4e-919fb84df24f-api://azureadtokenexchange/.default-huqp8-92d21j94o6t1d4b3a5qspmukrlmodvos_ivz8",
            "-login.microsoftonline.com-accesstoken-3bf56293-fbb5-42bd-a407-248ba7431a8c-10c419d4-4a50-45b2-aa4e-919fb84df24f-api://azureadtokenexchange/.default",
            // msal-node
            "-login.windows.net-accesstoken-7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b-10c419d4-4a50-45b2-aa4e-919fb84df24f-api://azureadtokenexchange/.default-",
            "-login.windows.net-accesstoken-3bf56293-fbb5-42bd-a407-248ba7431a8c-10c419d4-4a50-45b2-aa4e-919fb84df24f-api://azureadtokenexchange/.default--rd10mk52zqacgdvj7h96knpgcugiehppvdcuzcslpaw",
            // msal4j
            "-login.windows.net-atext-3bf56293-fbb5-42bd-a407-248ba7431a8c-10c419d4-4a50-45b2-aa4e-919fb84df24f-api://azureadtokenexchange/.default openid profile offline_access-huqp8-92d21j94o6t1d4b3a5qspmukrlmodvos_ivz8",
            "-login.windows.net-accesstoken-3bf56293-fbb5-42bd-a407-248ba7431a8c-10c419d4-4a50-45b2-aa4e-919fb84df24f-api://azureadtokenexchange/.default openid profile offline_access",
            "11111111-aaaa-4bbb-8ccc-000000000001.10c419d4-4a50-45b2-aa4e-919fb84df24f-login.microsoftonline.com-accesstoken-7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b-10c419d4-4a50-45b2-aa4e-919fb84df24f-api://contoso-api/read",
        ];
        let kinds: Vec<EntryKind> = keys.iter().map(|k| entry_kind(k)).collect();
        assert_eq!(
            kinds,
            [
                EntryKind::AppWithExtendedKey,
                EntryKind::App,
                EntryKind::App,
                EntryKind::AppWithExtendedKey,
                EntryKind::AppWithExtendedKey,
                EntryKind::App,
                EntryKind::User(User::Alice),
            ]
        );
    }
}
