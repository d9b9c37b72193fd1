//! The model of a session: the steps an application can take against its
//! client, over the default directory (`fixtures/directory.toml`) under the
//! names the features use, so a session reads, and is emitted, as a
//! scenario in the existing step vocabulary.

use std::fmt;

use crate::steps::directory::{AGENT_A, AGENT_B, BLUEPRINT, DAEMON};

/// An app of the default directory, as the features name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum App {
    /// The agent blueprint (secret credential): Leg 1, with or without an fmi path.
    Blueprint,
    /// Agent A, whose assertion callback gets T1 from the blueprint (Leg 2).
    AgentA,
    /// Agent B, likewise.
    AgentB,
    /// An ordinary confidential client (secret credential).
    Daemon,
}

impl App {
    /// Every app, in the order a scenario configures them (agents after
    /// the blueprint their callback uses).
    pub const ALL: [App; 4] = [App::Blueprint, App::AgentA, App::AgentB, App::Daemon];

    /// The name used with the client under test (`configure`'s `app`).
    pub fn name(self) -> &'static str {
        match self {
            App::Blueprint => "blueprint",
            App::AgentA => "agent A",
            App::AgentB => "agent B",
            App::Daemon => "daemon",
        }
    }

    /// How a step names it (`the blueprint`, `agent A`).
    pub fn phrase(self) -> &'static str {
        match self {
            App::Blueprint => "the blueprint",
            App::AgentA => "agent A",
            App::AgentB => "agent B",
            App::Daemon => "the daemon",
        }
    }

    /// Its client id in the default directory.
    pub fn client_id(self) -> &'static str {
        match self {
            App::Blueprint => BLUEPRINT.as_str(),
            App::AgentA => AGENT_A.as_str(),
            App::AgentB => AGENT_B.as_str(),
            App::Daemon => DAEMON.as_str(),
        }
    }

    /// Whether it is an agent (its credential is the T1 callback).
    pub fn is_agent(self) -> bool {
        matches!(self, App::AgentA | App::AgentB)
    }
}

/// An agent: the apps that run Legs 2 and 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Agent {
    /// Agent A.
    A,
    /// Agent B.
    B,
}

impl Agent {
    /// The agent as an app.
    pub fn app(self) -> App {
        match self {
            Agent::A => App::AgentA,
            Agent::B => App::AgentB,
        }
    }
}

/// A user of the default directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum User {
    /// alice@contoso.com.
    Alice,
    /// bob@contoso.com.
    Bob,
    /// Carol@Contoso.com, whose UPN differs in case from her preferred_username.
    Carol,
}

impl User {
    /// The UPN as a step quotes it (lower case: lookups are case-insensitive).
    pub fn upn(self) -> &'static str {
        match self {
            User::Alice => "alice@contoso.com",
            User::Bob => "bob@contoso.com",
            User::Carol => "carol@contoso.com",
        }
    }

    /// The object id.
    pub fn oid(self) -> &'static str {
        crate::steps::directory::user_oid(self.upn()).expect("a user of the default directory")
    }
}

/// How a user_fic request names its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// By UPN (`username`).
    Upn,
    /// By object id (`user_id`).
    ObjectId,
}

/// One step of a session. The variants are ordered simplest first, which is
/// the order proptest shrinks towards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// `acquire_for_client` for T1's scope (Leg 1 with an fmi path, a plain
    /// app token without), by the blueprint or the daemon.
    AppToken {
        /// The blueprint or the daemon.
        app: App,
        /// The agent whose id is the fmi path, if any.
        fmi_path: Option<Agent>,
    },
    /// Leg 2: the agent acquires its app token; its callback gets T1 from
    /// the blueprint's cache or the IdP.
    Leg2 {
        /// The agent.
        agent: Agent,
    },
    /// Leg 3: the agent's Leg 2 token (T2, cache first), then user_fic with it.
    UserFic {
        /// The agent.
        agent: Agent,
        /// The user.
        user: User,
        /// By UPN or by object id.
        by: UserRef,
    },
    /// `acquire_silent` for a cached account of the agent, if it lists one.
    Silent {
        /// The agent.
        agent: Agent,
        /// The user whose account is looked up.
        user: User,
    },
    /// The mock's clock moves on (past every token's expiry at two hours):
    /// the client's own clock does not, so only what the IdP checks changes.
    ClockMoves {
        /// Whole hours.
        hours: u64,
    },
}

impl Step {
    /// The apps the step needs configured.
    pub fn apps(&self) -> Vec<App> {
        match self {
            Step::AppToken { app, .. } => vec![*app],
            Step::Leg2 { agent } | Step::UserFic { agent, .. } | Step::Silent { agent, .. } => {
                vec![App::Blueprint, agent.app()]
            }
            Step::ClockMoves { .. } => vec![],
        }
    }

    /// The step's kind, as an `[[explore]]` declaration names it.
    pub fn kind(&self) -> StepKind {
        match self {
            Step::AppToken { fmi_path: None, .. } => StepKind::AppToken,
            Step::AppToken { .. } => StepKind::AppTokenWithFmiPath,
            Step::Leg2 { .. } => StepKind::Leg2,
            Step::UserFic { .. } => StepKind::UserFic,
            Step::Silent { .. } => StepKind::Silent,
            Step::ClockMoves { .. } => StepKind::ClockMoves,
        }
    }
}

/// The kinds of step, as `fixtures/divergences.toml` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepKind {
    /// `app_token`.
    AppToken,
    /// `app_token_with_fmi_path`.
    AppTokenWithFmiPath,
    /// `leg2`.
    Leg2,
    /// `user_fic`.
    UserFic,
    /// `silent`.
    Silent,
    /// `clock_moves`.
    ClockMoves,
}

impl StepKind {
    /// Every kind.
    pub const ALL: [StepKind; 6] = [
        StepKind::AppToken,
        StepKind::AppTokenWithFmiPath,
        StepKind::Leg2,
        StepKind::UserFic,
        StepKind::Silent,
        StepKind::ClockMoves,
    ];

    /// The name in declarations and reports.
    pub fn name(self) -> &'static str {
        match self {
            StepKind::AppToken => "app_token",
            StepKind::AppTokenWithFmiPath => "app_token_with_fmi_path",
            StepKind::Leg2 => "leg2",
            StepKind::UserFic => "user_fic",
            StepKind::Silent => "silent",
            StepKind::ClockMoves => "clock_moves",
        }
    }

    /// The kind with this name.
    pub fn parse(name: &str) -> Option<StepKind> {
        StepKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// For people: the step's `When` line, without the keyword.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::AppToken { app, fmi_path } => {
                write!(f, "{} acquires an app token", app.phrase())?;
                if let Some(agent) = fmi_path {
                    write!(f, " for fmi path \"{}\"", agent.app().name())?;
                }
                Ok(())
            }
            Step::Leg2 { agent } => write!(f, "{} acquires an app token", agent.app().phrase()),
            Step::UserFic { agent, user, by } => write!(
                f,
                "{} acquires a user token with its app token for {}\"{}\"",
                agent.app().phrase(),
                match by {
                    UserRef::Upn => "",
                    UserRef::ObjectId => "the object id of ",
                },
                user.upn()
            ),
            Step::Silent { agent, user } => write!(
                f,
                "{} acquires a user token silently for \"{}\"",
                agent.app().phrase(),
                user.upn()
            ),
            Step::ClockMoves { hours } => write!(
                f,
                "the mock's clock moves {hours} hour{} on",
                if *hours == 1 { "" } else { "s" }
            ),
        }
    }
}

/// A session: the steps in order, run on a fresh client against a fresh mock.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Session {
    /// The steps.
    pub steps: Vec<Step>,
}

impl Session {
    /// The apps the session configures, in configuration order.
    pub fn apps(&self) -> Vec<App> {
        App::ALL
            .into_iter()
            .filter(|app| self.steps.iter().any(|s| s.apps().contains(app)))
            .collect()
    }
}
