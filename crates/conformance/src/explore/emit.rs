//! A session as a Gherkin scenario in the suite's step vocabulary: the
//! `Given` steps configuring its apps, each step's `When` line, then the
//! `Then` lines pinning what the reference client observed, in the order
//! `compare` checks them. A port that differs from the reference fails the
//! scenario at the line of the first difference.

use std::fmt::Write as _;

use super::compare::{acquisition_checks, cache_checks};
use super::model::{App, Session, Step, UserRef};
use super::run::{Observation, Outcome};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Given,
    When,
    Then,
}

struct Lines {
    out: Vec<String>,
    last: Option<Kind>,
}

impl Lines {
    fn push(&mut self, kind: Kind, text: &str) {
        let keyword = if self.last == Some(kind) {
            "And"
        } else {
            match kind {
                Kind::Given => "Given",
                Kind::When => "When",
                Kind::Then => "Then",
            }
        };
        self.out.push(format!("{keyword} {text}"));
        self.last = Some(kind);
    }
}

/// Where the session came from, for the scenario's comment and name.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The port that differed.
    pub port: String,
    /// The run's seed.
    pub seed: u64,
    /// The case's number in the run.
    pub case: u64,
    /// The step lines (keyword included) the port is expected to fail at.
    pub fails_at: Option<String>,
    /// What differed, for people.
    pub summary: String,
}

/// The `@requires-…` tags a port must announce for the session's steps.
fn tags(session: &Session) -> Vec<&'static str> {
    let mut tags = vec!["@requires-cache"];
    for step in &session.steps {
        let needs: &[&str] = match step {
            Step::AppToken { fmi_path: None, .. } | Step::ClockMoves { .. } => &[],
            Step::AppToken { .. } => &["@requires-fmi_path"],
            Step::Leg2 { .. } => &["@requires-fmi_path", "@requires-context_callback"],
            Step::UserFic { by, .. } => match by {
                UserRef::Upn => &[
                    "@requires-fmi_path",
                    "@requires-context_callback",
                    "@requires-user_fic",
                ],
                UserRef::ObjectId => &[
                    "@requires-fmi_path",
                    "@requires-context_callback",
                    "@requires-user_fic",
                    "@requires-user_fic_by_oid",
                ],
            },
            Step::Silent { .. } => &[
                "@requires-fmi_path",
                "@requires-context_callback",
                "@requires-silent",
            ],
        };
        for tag in needs {
            if !tags.contains(tag) {
                tags.push(tag);
            }
        }
    }
    tags.sort_unstable();
    tags
}

/// The scenario's steps, keywords included, pinning the reference's observations.
pub fn scenario_steps(session: &Session, reference: &[Observation]) -> Vec<String> {
    let mut lines = Lines {
        out: Vec::new(),
        last: None,
    };
    for app in session.apps() {
        let given = match app {
            App::Blueprint => "the blueprint app with a secret credential".to_owned(),
            App::Daemon => "the daemon app with a secret credential".to_owned(),
            App::AgentA | App::AgentB => format!(
                "{} whose assertion callback gets T1 from the blueprint",
                app.phrase()
            ),
        };
        lines.push(Kind::Given, &given);
    }
    for (step, observation) in session.steps.iter().zip(reference) {
        let mut acquisitions = observation.acquisitions.iter();
        let mut acquired = |lines: &mut Lines, when: Option<String>| {
            let acquisition = acquisitions.next()?;
            if let Some(when) = when {
                lines.push(Kind::When, &when);
            }
            for check in acquisition_checks(step, acquisition) {
                if let Some(line) = check.line {
                    lines.push(Kind::Then, &line);
                }
            }
            Some(acquisition.outcome.clone())
        };
        match step {
            Step::ClockMoves { .. } => lines.push(Kind::When, &step.to_string()),
            Step::UserFic { agent, user, by } => {
                let t2 = acquired(
                    &mut lines,
                    Some(format!("{} acquires an app token", agent.app().phrase())),
                );
                if matches!(t2, Some(Outcome::Token { .. })) {
                    lines.push(Kind::Then, "the token is remembered as T2");
                    let who = match by {
                        UserRef::Upn => String::new(),
                        UserRef::ObjectId => "the object id of ".into(),
                    };
                    acquired(
                        &mut lines,
                        Some(format!(
                            "{} acquires a user token with T2 for {who}\"{}\"",
                            agent.app().phrase(),
                            user.upn()
                        )),
                    );
                }
            }
            Step::Silent { .. } => {
                // Without a cached account there is nothing to acquire
                // silently; the account count pins that instead.
                let has_account = !matches!(
                    observation.acquisitions.first().map(|a| &a.outcome),
                    Some(Outcome::NoAccount { .. })
                );
                acquired(&mut lines, has_account.then(|| step.to_string()));
            }
            _ => {
                acquired(&mut lines, Some(step.to_string()));
            }
        }
        for check in cache_checks(observation) {
            if let Some(line) = check.line {
                lines.push(Kind::Then, &line);
            }
        }
    }
    lines.out
}

/// The whole `.feature` file.
pub fn feature(session: &Session, reference: &[Observation], found: &Provenance) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Found by `fic-harness explore --port {} --seed {}` (case {}), shrunk to {} step{}.",
        found.port,
        found.seed,
        found.case,
        session.steps.len(),
        if session.steps.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        text,
        "# The reference client passes it; {} differed: {}",
        found.port, found.summary
    );
    if let Some(line) = &found.fails_at {
        let _ = writeln!(text, "# {} fails at: {line}", found.port);
    }
    let _ = writeln!(text, "Feature: Found by explore on {}", found.port);
    let _ = writeln!(text);
    let _ = writeln!(text, "  {}", tags(session).join(" "));
    let _ = writeln!(
        text,
        "  Scenario: Explore finding on {}, seed {} case {}",
        found.port, found.seed, found.case
    );
    for line in scenario_steps(session, reference) {
        let _ = writeln!(text, "    {line}");
    }
    text
}
