//! Compares a port's observations with the reference client's, step by
//! step, as a list of checks in the order a scenario would make them:
//! where the answer came from (or who refused), how many requests reached
//! the IdP, whose token it is, then every app's cache. The first check
//! whose value differs is the disagreement; its line is the `Then` step
//! that pins the reference's value, so an emitted scenario fails there.

use std::fmt;

use super::model::{App, Session, Step, StepKind};
use super::run::{Acquisition, CacheSummary, EntryKind, Observation, Outcome};
use crate::driver_protocol::TokenSource;

/// What a check is about; `fixtures/divergences.toml` `[[explore]]`
/// entries name it as `observed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Aspect {
    /// Both answered with a token, from different places (cache or IdP).
    Source,
    /// One refused where the other did not, or they refused differently.
    Refusal,
    /// A different number of requests reached the IdP.
    Requests,
    /// The token is someone else's (client, subject, user, fmi path).
    Token,
    /// An app's cache holds other access tokens.
    Cache,
}

impl Aspect {
    /// Every aspect.
    pub const ALL: [Aspect; 5] = [
        Aspect::Source,
        Aspect::Refusal,
        Aspect::Requests,
        Aspect::Token,
        Aspect::Cache,
    ];

    /// The name in declarations and reports.
    pub fn name(self) -> &'static str {
        match self {
            Aspect::Source => "source",
            Aspect::Refusal => "refusal",
            Aspect::Requests => "requests",
            Aspect::Token => "token",
            Aspect::Cache => "cache",
        }
    }

    /// The aspect with this name.
    pub fn parse(name: &str) -> Option<Aspect> {
        Aspect::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One comparable fact about a step, with the `Then` line (without its
/// keyword) that pins it in a scenario, when the vocabulary has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What it is about (an outcome check is `Source` or `Refusal`,
    /// settled when two are compared).
    pub aspect: Aspect,
    /// The step that checks it.
    pub line: Option<String>,
    /// The value compared, for people.
    pub value: String,
}

fn check(aspect: Aspect, line: Option<String>, value: impl Into<String>) -> Check {
    Check {
        aspect,
        line,
        value: value.into(),
    }
}

/// An app's or user's name in a step, rather than its id, where it has one.
fn named(id: &str) -> String {
    App::ALL
        .into_iter()
        .find(|a| a.client_id() == id)
        .map_or_else(|| id.to_owned(), |a| a.name().to_owned())
}

/// The checks of one acquisition of `step`.
pub fn acquisition_checks(step: &Step, acquisition: &Acquisition) -> Vec<Check> {
    let mut checks = Vec::new();
    let outcome = match &acquisition.outcome {
        Outcome::Token { source, .. } => {
            let from = match source {
                TokenSource::Cache => "the cache",
                TokenSource::IdentityProvider => "the identity provider",
            };
            check(
                Aspect::Source,
                Some(format!("the token came from {from}")),
                format!("a token from {from}"),
            )
        }
        Outcome::ClientRefusal => check(
            Aspect::Refusal,
            Some("the client refused before sending anything".into()),
            "a client-side refusal",
        ),
        Outcome::IdpRefusal { code, status } => check(
            Aspect::Refusal,
            code.zip(*status)
                .map(|(c, s)| format!("the refusal is AADSTS{c} with status {s}")),
            match code {
                Some(c) => format!("the IdP's refusal AADSTS{c}"),
                None => "the IdP's refusal without AADSTS code".into(),
            },
        ),
        Outcome::OtherError(message) => check(
            Aspect::Refusal,
            None,
            format!("an error that is no refusal: {message}"),
        ),
        Outcome::Unsupported => check(Aspect::Refusal, None, "unsupported"),
        Outcome::NoAccount { listed } => {
            let agent = match step {
                Step::Silent { agent, .. } => agent.app().phrase(),
                _ => "the app",
            };
            check(
                Aspect::Refusal,
                Some(format!(
                    "{agent} lists exactly {listed} account{}",
                    if *listed == 1 { "" } else { "s" }
                )),
                "no cached account for the user",
            )
        }
    };
    checks.push(outcome);
    let (before, after) = (acquisition.requests_before, acquisition.requests_after);
    let sent = after.saturating_sub(before);
    checks.push(check(
        Aspect::Requests,
        Some(format!(
            "exactly {after} request{} reached the IdP",
            if after == 1 { "" } else { "s" }
        )),
        format!("{sent} request{}", if sent == 1 { "" } else { "s" }),
    ));
    if let Outcome::Token { claims, .. } = &acquisition.outcome {
        for (claim, value) in [
            ("azp", &claims.azp),
            ("sub", &claims.sub),
            ("oid", &claims.oid),
            ("xms_fmi_path", &claims.fmi_path),
        ] {
            let shown = value.as_deref().map(named);
            checks.push(check(
                Aspect::Token,
                shown
                    .as_ref()
                    .map(|v| format!("the token's \"{claim}\" claim is \"{v}\"")),
                format!(
                    "{claim} {}",
                    shown
                        .as_deref()
                        .map_or("(absent)".into(), |v| format!("{v:?}"))
                ),
            ));
        }
    }
    checks
}

fn describe(summary: &CacheSummary) -> String {
    let n = summary.total();
    let parts: Vec<String> = summary
        .access_tokens
        .iter()
        .map(|(kind, count)| {
            let kind = match kind {
                EntryKind::App => "app".to_owned(),
                EntryKind::AppWithExtendedKey => "app with an extended key".to_owned(),
                EntryKind::User(u) => format!("user {}", u.upn()),
            };
            format!("{count} {kind}")
        })
        .collect();
    format!(
        "{n} access token{}{}",
        if n == 1 { "" } else { "s" },
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    )
}

/// The checks of every app's cache after a step. The line pins the count;
/// the value also says whose tokens they are.
pub fn cache_checks(observation: &Observation) -> Vec<Check> {
    observation
        .caches
        .iter()
        .map(|(app, summary)| {
            let n = summary.total();
            check(
                Aspect::Cache,
                Some(format!(
                    "{}'s cache holds {n} access token{}",
                    app.phrase(),
                    if n == 1 { "" } else { "s" }
                )),
                format!("{}: {}", app.name(), describe(summary)),
            )
        })
        .collect()
}

/// The first way a port's session differs from the reference's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The step, from 0.
    pub step: usize,
    /// Its kind.
    pub kind: StepKind,
    /// What differs.
    pub aspect: Aspect,
    /// The `Then` line that pins the reference's value, if any.
    pub line: Option<String>,
    /// The reference's value.
    pub reference: String,
    /// The port's value.
    pub port: String,
}

impl Disagreement {
    /// What a declaration matches: the step kind and the aspect.
    pub fn signature(&self) -> (StepKind, Aspect) {
        (self.kind, self.aspect)
    }
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} ({}), {}: the reference client has {}, the port {}",
            self.step + 1,
            self.kind.name(),
            self.aspect.name(),
            self.reference,
            self.port
        )
    }
}

/// How a port's run of a session compares with the reference's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Every check agrees.
    Same,
    /// The port has no such feature at this step: nothing to compare after it.
    Unsupported {
        /// The step, from 0.
        step: usize,
    },
    /// The first check that differs.
    Differs(Disagreement),
}

/// Compares step by step, check by check, up to the first difference.
pub fn compare(session: &Session, reference: &[Observation], port: &[Observation]) -> Comparison {
    for (i, step) in session.steps.iter().enumerate() {
        let (Some(want), Some(got)) = (reference.get(i), port.get(i)) else {
            break;
        };
        let differs = |want: &Check, got: Option<&Check>| {
            let got_value = got.map_or_else(|| "nothing".to_owned(), |c| c.value.clone());
            (got_value != want.value).then(|| {
                let aspect = match (want.aspect, got.map(|c| c.aspect)) {
                    (Aspect::Source, Some(Aspect::Source)) => Aspect::Source,
                    (Aspect::Source | Aspect::Refusal, _) => Aspect::Refusal,
                    (a, _) => a,
                };
                Disagreement {
                    step: i,
                    kind: step.kind(),
                    aspect,
                    line: want.line.clone(),
                    reference: want.value.clone(),
                    port: got_value,
                }
            })
        };
        for (j, acquisition) in want.acquisitions.iter().enumerate() {
            let Some(theirs) = got.acquisitions.get(j) else {
                let first = acquisition_checks(step, acquisition);
                return Comparison::Differs(differs(&first[0], None).expect("nothing differs"));
            };
            if theirs.outcome == Outcome::Unsupported {
                return Comparison::Unsupported { step: i };
            }
            let ours = acquisition_checks(step, acquisition);
            let theirs = acquisition_checks(step, theirs);
            for (k, c) in ours.iter().enumerate() {
                if let Some(d) = differs(c, theirs.get(k)) {
                    return Comparison::Differs(d);
                }
            }
        }
        if got.acquisitions.len() > want.acquisitions.len() {
            let extra = &got.acquisitions[want.acquisitions.len()];
            let theirs = acquisition_checks(step, extra);
            return Comparison::Differs(Disagreement {
                step: i,
                kind: step.kind(),
                aspect: Aspect::Refusal,
                line: None,
                reference: "no further acquisition".into(),
                port: theirs[0].value.clone(),
            });
        }
        let (ours, theirs) = (cache_checks(want), cache_checks(got));
        for (k, c) in ours.iter().enumerate() {
            if let Some(d) = differs(c, theirs.get(k)) {
                return Comparison::Differs(d);
            }
        }
    }
    Comparison::Same
}
