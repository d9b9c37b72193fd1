//! `fic-harness explore`: random multi-step sessions (proptest draws them
//! over the default directory) run on the reference client and on every
//! port, each against its own mock; the first step where a port's
//! observations differ from the reference's is a disagreement. A
//! disagreement no `[[explore]]` declaration covers is shrunk by proptest
//! to a minimal session that still differs the same way, re-run to confirm
//! it, and printed (and with `--emit`, written) as a Gherkin scenario.

pub mod compare;
pub mod emit;
pub mod generate;
pub mod model;
pub mod run;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client_under_test::{ClientFactory, ClientUnderTest};
use crate::divergences::{Divergences, ExploreDeclaration};
use crate::driver_protocol::{Command, Hello};
use crate::port_build::{BuildScope, BuildSource, PortBuild};
use crate::port_driver::PortDriver;
use crate::ports::{Availability, Port};
use compare::{Comparison, Disagreement, compare};
use model::Session;
use run::{Observation, SessionError, run_session};

/// What `explore` runs.
#[derive(Debug, Clone)]
pub struct ExploreOptions {
    /// The repository root (drivers run there).
    pub root: PathBuf,
    /// The port builds compared with the reference (`rust` itself is
    /// skipped), as `run --port` names them.
    pub ports: Vec<PortBuild>,
    /// Seeds the sessions: the same seed, the same sessions.
    pub seed: u64,
    /// How many sessions.
    pub cases: u64,
    /// The longest session.
    pub max_steps: usize,
    /// No new session starts after this long (shrinking a finding still ends).
    pub time_budget: Option<Duration>,
    /// Where minimal sessions are written as `.feature` files.
    pub emit: Option<PathBuf>,
    /// The longest one driver command may take.
    pub command_timeout: Duration,
    /// A port that is not installed is a failure rather than skipped.
    pub require_ports: bool,
    /// The most sessions one shrink may run.
    pub max_shrink_runs: usize,
}

/// What became of one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortState {
    /// It ran: its library and version, as its driver says.
    Ran(String),
    /// Not installed here.
    Skipped(String),
    /// It could not run (a broken driver, a required port missing).
    Broken(String),
}

/// A new disagreement, shrunk.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The case that found it.
    pub case: u64,
    /// The disagreement as found.
    pub found: Disagreement,
    /// How many steps the session had.
    pub found_steps: usize,
    /// The minimal session that still differs the same way.
    pub minimal: Session,
    /// Its disagreement.
    pub disagreement: Disagreement,
    /// The reference's observations of the minimal session.
    pub reference: Vec<Observation>,
    /// Sessions run while shrinking.
    pub shrink_runs: usize,
    /// Whether a re-run of the minimal session differed identically.
    pub confirmed: bool,
    /// The scenario's step the port fails at (keyword included).
    pub fails_at: Option<String>,
    /// Where the scenario was written.
    pub emitted: Option<PathBuf>,
    /// Other sessions that differed the same way.
    pub repeats: usize,
}

/// A disagreement a declaration covers.
#[derive(Debug, Clone)]
pub struct Known {
    /// The declaration.
    pub declaration: ExploreDeclaration,
    /// The first one seen.
    pub first: Disagreement,
    /// The case it was seen first in.
    pub case: u64,
    /// How many sessions showed it.
    pub sessions: usize,
}

/// One port's results.
#[derive(Debug, Clone)]
pub struct PortSummary {
    /// The port.
    pub port: String,
    /// Whether it ran.
    pub state: PortState,
    /// Sessions run (shrinking not counted).
    pub sessions: usize,
    /// Steps run in them.
    pub steps: usize,
    /// Sessions stopped at a step the port does not support.
    pub unsupported: usize,
    /// New disagreements, one per signature.
    pub new: Vec<Finding>,
    /// Declared ones.
    pub known: Vec<Known>,
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct ExploreSummary {
    /// The seed.
    pub seed: u64,
    /// Sessions drawn and run on the reference.
    pub sessions: u64,
    /// Whether the time budget ended the run before `cases`.
    pub out_of_time: bool,
    /// Per port.
    pub ports: Vec<PortSummary>,
}

impl ExploreSummary {
    /// A new disagreement or a port that could not run.
    pub fn failed(&self) -> bool {
        self.ports
            .iter()
            .any(|p| !p.new.is_empty() || matches!(p.state, PortState::Broken(_)))
    }
}

/// Why `explore` could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    #[error("the reference client failed to run case {case}: {source}")]
    /// The model itself failed: nothing can be compared.
    Reference {
        /// The case.
        case: u64,
        /// Why.
        source: SessionError,
    },
    #[error("cannot write the scenario to {path}: {source}")]
    /// `--emit` failed.
    Emit {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
}

/// One client compared with the reference: its name, and how to make a
/// fresh one per session (`None`: it cannot run, `state` says why).
pub struct Column {
    /// The column's label: the port, or the build (`node@7.2.1`, `node=PATH`).
    pub name: String,
    /// The port's name, as declarations name it.
    pub port: String,
    /// The build as `versions = "…"` declarations see it (the version its
    /// driver loaded).
    pub scope: BuildScope,
    /// Makes a fresh client per session.
    pub factory: Option<ClientFactory>,
    /// Whether it runs.
    pub state: PortState,
}

fn driver_factory(
    port: Port,
    launch: crate::port_driver::Launch,
    timeout: Duration,
) -> ClientFactory {
    Arc::new(move || {
        let driver = PortDriver::new(port.name(), launch.clone(), None, timeout);
        Box::pin(async move { Ok(Box::new(driver) as Box<dyn ClientUnderTest>) })
    })
}

/// A released build must have loaded the version asked for: anything else
/// would compare some other install under the build's name.
fn loaded(build: &PortBuild, hello: Hello) -> Result<Hello, String> {
    match &build.source {
        BuildSource::Release(want) if hello.version != *want => Err(format!(
            "{} loaded {} {}, not {want}",
            build.label(),
            hello.library,
            hello.version
        )),
        _ => Ok(hello),
    }
}

async fn hello(factory: &ClientFactory) -> Result<Hello, String> {
    let mut client = factory().await.map_err(|e| e.to_string())?;
    let hello = crate::matrix::hello(client.as_mut()).await;
    let _ = client.send(Command::Shutdown).await;
    hello
}

/// The engine on the ports of `options`: makes each port's client
/// factory, then [`explore_columns`].
pub async fn explore(
    options: &ExploreOptions,
    declarations: &Divergences,
    say: &mut dyn FnMut(String),
) -> Result<ExploreSummary, ExploreError> {
    let mut columns = Vec::new();
    for build in &options.ports {
        let port = build.port;
        if port == Port::Reference {
            continue;
        }
        let label = build.label();
        let availability = {
            let (installing, root) = (build.clone(), options.root.clone());
            match tokio::task::spawn_blocking(move || installing.prepare(&root)).await {
                Ok(Ok(availability)) => availability,
                Ok(Err(e)) => Availability::Missing {
                    reason: format!("could not be installed: {e}"),
                },
                Err(e) => Availability::Missing {
                    reason: format!("the installer's thread failed: {e}"),
                },
            }
        };
        let (factory, state, scope) = match availability {
            Availability::InProcess => continue,
            Availability::Driver(launch) => {
                let f = driver_factory(port, launch, options.command_timeout);
                match hello(&f).await.and_then(|h| loaded(build, h)) {
                    Ok(h) => (
                        Some(f),
                        PortState::Ran(format!("{} {}", h.library, h.version)),
                        build.scope(&h.version),
                    ),
                    Err(reason) => (None, PortState::Broken(reason), build.scope("")),
                }
            }
            // A build asked for by version or path that did not install is
            // broken, like a required default build that is missing.
            Availability::Missing { reason } if !build.is_default() => {
                (None, PortState::Broken(reason), build.scope(""))
            }
            Availability::Missing { reason } if options.require_ports => (
                None,
                PortState::Broken(format!("{reason}; required because FIC_REQUIRE_PORTS=1")),
                build.scope(""),
            ),
            Availability::Missing { reason } => (None, PortState::Skipped(reason), build.scope("")),
        };
        say(match &state {
            PortState::Ran(v) => format!("{label}: {v}"),
            PortState::Skipped(r) => format!("{label}: skipped: {r}"),
            PortState::Broken(r) => format!("{label}: cannot run: {r}"),
        });
        columns.push(Column {
            name: label,
            port: port.name().to_owned(),
            scope,
            factory,
            state,
        });
    }
    let reference = crate::reference_driver::reference_factory();
    explore_columns(options, declarations, &reference, columns, say).await
}

/// The engine: draws the sessions, runs each on `reference` and on every
/// column, compares, shrinks and emits what is new. `say` gets one line of
/// progress at a time.
pub async fn explore_columns(
    options: &ExploreOptions,
    declarations: &Divergences,
    reference: &ClientFactory,
    columns: Vec<Column>,
    say: &mut dyn FnMut(String),
) -> Result<ExploreSummary, ExploreError> {
    let mut columns: Vec<(Column, PortSummary)> = columns
        .into_iter()
        .map(|c| {
            let summary = PortSummary {
                port: c.name.clone(),
                state: c.state.clone(),
                sessions: 0,
                steps: 0,
                unsupported: 0,
                new: Vec::new(),
                known: Vec::new(),
            };
            (c, summary)
        })
        .collect();
    let started = Instant::now();
    let mut sessions = 0;
    let mut out_of_time = false;
    for case in 0..options.cases {
        if options.time_budget.is_some_and(|b| started.elapsed() >= b) {
            out_of_time = true;
            break;
        }
        let session = generate::case_tree(options.seed, case, options.max_steps).current();
        let want = run_session(reference, &session)
            .await
            .map_err(|source| ExploreError::Reference { case, source })?;
        sessions += 1;
        for (column, summary) in columns.iter_mut() {
            let Some(factory) = column.factory.clone() else {
                continue;
            };
            let got = match run_session(&factory, &session).await {
                Ok(got) => got,
                Err(e) => {
                    say(format!("{}: case {case}: {e}", column.name));
                    summary.state = PortState::Broken(e.to_string());
                    column.factory = None;
                    continue;
                }
            };
            summary.sessions += 1;
            summary.steps += session.steps.len();
            let d = match compare(&session, &want, &got) {
                Comparison::Same => continue,
                Comparison::Unsupported { .. } => {
                    summary.unsupported += 1;
                    continue;
                }
                Comparison::Differs(d) => d,
            };
            let port = column.name.as_str();
            if let Some(decl) = declarations.find_explore(
                &column.port,
                &column.scope,
                d.kind.name(),
                d.aspect.name(),
            ) {
                match summary.known.iter_mut().find(|k| k.declaration == *decl) {
                    Some(k) => k.sessions += 1,
                    None => {
                        say(format!(
                            "{port}: case {case}: known {}: {d}",
                            kind_label(decl)
                        ));
                        summary.known.push(Known {
                            declaration: decl.clone(),
                            first: d,
                            case,
                            sessions: 1,
                        });
                    }
                }
                continue;
            }
            if let Some(f) = summary
                .new
                .iter_mut()
                .find(|f| f.found.signature() == d.signature())
            {
                f.repeats += 1;
                continue;
            }
            say(format!(
                "{port}: case {case} ({} steps): new disagreement at {d}",
                session.steps.len()
            ));
            let finding = shrink(
                options,
                reference,
                &factory,
                port,
                case,
                d,
                session.steps.len(),
            )
            .await?;
            for line in finding_lines(port, options.seed, &finding) {
                say(line);
            }
            summary.new.push(finding);
        }
    }
    Ok(ExploreSummary {
        seed: options.seed,
        sessions,
        out_of_time,
        ports: columns.into_iter().map(|(_, s)| s).collect(),
    })
}

fn kind_label(d: &ExploreDeclaration) -> &'static str {
    match d.kind {
        crate::divergences::DivergenceKind::Divergence => "divergence",
        crate::divergences::DivergenceKind::PortBug => "port bug",
    }
}

/// Runs `session` on both clients; the disagreement, if it has `signature`.
async fn differs_the_same_way(
    reference: &ClientFactory,
    port: &ClientFactory,
    session: &Session,
    signature: (model::StepKind, compare::Aspect),
) -> Option<(Disagreement, Vec<Observation>, Vec<Observation>)> {
    let want = run_session(reference, session).await.ok()?;
    let got = run_session(port, session).await.ok()?;
    match compare(session, &want, &got) {
        Comparison::Differs(d) if d.signature() == signature => Some((d, want, got)),
        _ => None,
    }
}

/// proptest's shrinking of case `case` (drop steps, simpler values),
/// keeping each simplification that still differs the same way, then one
/// more run of the minimal session to confirm it.
async fn shrink(
    options: &ExploreOptions,
    reference: &ClientFactory,
    port_factory: &ClientFactory,
    port: &str,
    case: u64,
    found: Disagreement,
    found_steps: usize,
) -> Result<Finding, ExploreError> {
    let signature = found.signature();
    let mut tree = generate::case_tree(options.seed, case, options.max_steps);
    let mut minimal = tree.current();
    let mut best = None;
    let mut runs = 0;
    if tree.simplify() {
        while runs < options.max_shrink_runs {
            let candidate = tree.current();
            runs += 1;
            let more =
                match differs_the_same_way(reference, port_factory, &candidate, signature).await {
                    Some(found) => {
                        minimal = candidate;
                        best = Some(found);
                        tree.simplify()
                    }
                    None => tree.complicate(),
                };
            if !more {
                break;
            }
        }
    }
    let confirm = differs_the_same_way(reference, port_factory, &minimal, signature).await;
    runs += 1;
    let (disagreement, want, got, confirmed) = match (confirm, best) {
        (Some((d, want, got)), Some((best_d, _, _))) => {
            let same = d == best_d;
            (d, want, got, same)
        }
        (Some((d, want, got)), None) => {
            let same = d == found;
            (d, want, got, same)
        }
        (None, _) => {
            // Not reproduced: report the session as found, unconfirmed.
            let want = run_session(reference, &minimal)
                .await
                .map_err(|source| ExploreError::Reference { case, source })?;
            (found.clone(), want.clone(), want, false)
        }
    };
    let reference_lines = emit::scenario_steps(&minimal, &want);
    let port_lines = emit::scenario_steps(&minimal, &got);
    let fails_at = reference_lines
        .iter()
        .zip(port_lines.iter().map(Some).chain(std::iter::repeat(None)))
        .find(|(ours, theirs)| Some(*ours) != *theirs)
        .map(|(ours, _)| ours.clone());
    let mut finding = Finding {
        case,
        found,
        found_steps,
        minimal,
        disagreement,
        reference: want,
        shrink_runs: runs,
        confirmed,
        fails_at,
        emitted: None,
        repeats: 0,
    };
    if let Some(dir) = &options.emit {
        let path = dir.join(format!(
            "explore_{port}_seed_{}_case_{case}.feature",
            options.seed
        ));
        let text = emit::feature(
            &finding.minimal,
            &finding.reference,
            &provenance(port, options.seed, &finding),
        );
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|source| ExploreError::Emit {
                path: path.clone(),
                source,
            })?;
        finding.emitted = Some(path);
    }
    Ok(finding)
}

/// Where a finding came from, for its scenario.
pub fn provenance(port: &str, seed: u64, finding: &Finding) -> emit::Provenance {
    emit::Provenance {
        port: port.to_owned(),
        seed,
        case: finding.case,
        fails_at: finding.fails_at.clone(),
        summary: finding.disagreement.to_string(),
    }
}

/// How a finding is printed: the minimal session and its scenario.
pub fn finding_lines(port: &str, seed: u64, f: &Finding) -> Vec<String> {
    let mut lines = vec![format!(
        "  shrunk from {} to {} step{} in {} runs; re-run: {}",
        f.found_steps,
        f.minimal.steps.len(),
        if f.minimal.steps.len() == 1 { "" } else { "s" },
        f.shrink_runs,
        if f.confirmed {
            "differs the same way"
        } else {
            "NOT reproduced identically"
        }
    )];
    lines.push(format!("  minimal: {}", f.disagreement));
    lines.push("  scenario:".to_owned());
    for line in emit::feature(&f.minimal, &f.reference, &provenance(port, seed, f)).lines() {
        lines.push(format!("    {line}"));
    }
    if let Some(path) = &f.emitted {
        lines.push(format!("  written to {}", path.display()));
    }
    lines
}

/// The summary table and the known disagreements, for people.
pub fn summary_text(s: &ExploreSummary) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "explore: seed {}, {} sessions{}",
        s.seed,
        s.sessions,
        if s.out_of_time {
            " (the time budget ended the run)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "{:<8} {:>8} {:>6} {:>4} {:>6} {:>12}  state",
        "port", "sessions", "steps", "new", "known", "unsupported"
    );
    for p in &s.ports {
        let state = match &p.state {
            PortState::Ran(v) => v.clone(),
            PortState::Skipped(r) => format!("skipped: {r}"),
            PortState::Broken(r) => format!("FAILED: {r}"),
        };
        let _ = writeln!(
            out,
            "{:<8} {:>8} {:>6} {:>4} {:>6} {:>12}  {state}",
            p.port,
            p.sessions,
            p.steps,
            p.new.len(),
            p.known.len(),
            p.unsupported
        );
    }
    for p in &s.ports {
        for k in &p.known {
            let _ = writeln!(
                out,
                "known {} on {} ({} session{}, first in case {}): {}\n  {} ({})",
                kind_label(&k.declaration),
                p.port,
                k.sessions,
                if k.sessions == 1 { "" } else { "s" },
                k.case,
                k.first,
                k.declaration.what,
                k.declaration.spec
            );
        }
        for f in &p.new {
            let _ = writeln!(
                out,
                "NEW on {} (case {}, {} more session{}): {}",
                p.port,
                f.case,
                f.repeats,
                if f.repeats == 1 { "" } else { "s" },
                f.disagreement
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;
