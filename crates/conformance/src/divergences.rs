//! Known differences between a real port and the reference client, declared
//! in `fixtures/divergences.toml`: deliberate ones (*divergent*) and bugs
//! found in a released port (*known port bug*). The matrix reports a failing
//! scenario declared here as one of those rather than failed; a declaration
//! that no longer matches a failure is *stale* and fails the run, so the
//! file cannot quietly outlive the behaviour it describes (a port release
//! that fixes its bug turns the entry stale).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::authority::AuthorityMode;
use crate::ports::{ALL, Port};

/// The repository's declarations, relative to its root.
pub const DEFAULT_PATH: &str = "fixtures/divergences.toml";

#[derive(Debug, thiserror::Error)]
pub enum DivergenceError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("{path}: divergence #{index} names port {port:?}; known ports: {known}", known = ALL.join(", "))]
    UnknownPort {
        path: PathBuf,
        index: usize,
        port: String,
    },
    #[error(
        "{path}: divergence #{index} ({port} / {scenario:?}) has an empty `{field}`: say what differs and where the SPEC says so"
    )]
    Empty {
        path: PathBuf,
        index: usize,
        port: String,
        scenario: String,
        field: &'static str,
    },
    #[error("{path}: {port} / {scenario:?} is declared twice")]
    Duplicate {
        path: PathBuf,
        port: String,
        scenario: String,
    },
}

/// Why a port fails a scenario on purpose, or knowingly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DivergenceKind {
    /// The port chose another behaviour (another cache-key layout, a check
    /// it leaves to the IdP): reported, never a failure.
    #[default]
    Divergence,
    /// The released port is wrong by its own design or the protocol, and
    /// the harness found it: reported apart so it is not mistaken for a
    /// choice, and not a CI failure, since no one here can fix the port.
    PortBug,
}

/// One declared divergence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// `python`, `node`, `java` or `go` (the matrix column).
    pub port: String,
    #[serde(default)]
    pub kind: DivergenceKind,
    /// The scenario's name, exactly as in its feature file.
    pub scenario: String,
    /// What the port does differently, in a sentence.
    pub what: String,
    /// Where the protocol brief describes it, e.g. `SPEC §4`.
    pub spec: String,
    /// The step expected to fail, keyword included (`Then …`), as the
    /// matrix reports it. With it, a failure at any other step is not this
    /// divergence and fails the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The only authority mode the declaration holds in (`production` or
    /// `localhost`); absent, it holds in both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityMode>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    divergence: Vec<Divergence>,
}

/// All declarations, checked for shape when loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Divergences {
    entries: Vec<Divergence>,
}

impl Divergences {
    pub fn load(path: &Path) -> Result<Divergences, DivergenceError> {
        let text = std::fs::read_to_string(path).map_err(|source| DivergenceError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Divergences::parse(&text, path)
    }

    /// Parses `text`; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Divergences, DivergenceError> {
        let file: File = toml::from_str(text).map_err(|source| DivergenceError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        let mut seen = std::collections::BTreeSet::new();
        for (i, d) in file.divergence.iter().enumerate() {
            let index = i + 1;
            if Port::parse(&d.port).is_err() {
                return Err(DivergenceError::UnknownPort {
                    path: path.to_path_buf(),
                    index,
                    port: d.port.clone(),
                });
            }
            for (field, value) in [
                ("scenario", &d.scenario),
                ("what", &d.what),
                ("spec", &d.spec),
            ] {
                if value.trim().is_empty() {
                    return Err(DivergenceError::Empty {
                        path: path.to_path_buf(),
                        index,
                        port: d.port.clone(),
                        scenario: d.scenario.clone(),
                        field,
                    });
                }
            }
            // Once per mode: an entry for both modes clashes with any other.
            let modes = match d.authority {
                Some(mode) => vec![mode],
                None => vec![AuthorityMode::Production, AuthorityMode::Localhost],
            };
            let fresh = modes
                .into_iter()
                .all(|mode| seen.insert((d.port.as_str(), d.scenario.as_str(), mode)));
            if !fresh {
                return Err(DivergenceError::Duplicate {
                    path: path.to_path_buf(),
                    port: d.port.clone(),
                    scenario: d.scenario.clone(),
                });
            }
        }
        Ok(Divergences {
            entries: file.divergence,
        })
    }

    /// The declarations that hold in one authority mode.
    pub fn for_authority(&self, mode: AuthorityMode) -> Divergences {
        Divergences {
            entries: self
                .entries
                .iter()
                .filter(|d| d.authority.is_none_or(|m| m == mode))
                .cloned()
                .collect(),
        }
    }

    /// The declaration for this port and scenario, if any.
    pub fn find(&self, port: &str, scenario: &str) -> Option<&Divergence> {
        self.entries
            .iter()
            .find(|d| d.port == port && d.scenario == scenario)
    }

    /// Every declaration for one port.
    pub fn for_port<'a>(&'a self, port: &'a str) -> impl Iterator<Item = &'a Divergence> + 'a {
        self.entries.iter().filter(move |d| d.port == port)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port_driver::repo_root;

    fn parse(text: &str) -> Result<Divergences, DivergenceError> {
        Divergences::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn the_repository_file_is_valid() {
        // Whether each declaration still matches a failure is the matrix's
        // check (stale / unknown); here only the shape.
        Divergences::load(&repo_root().join(DEFAULT_PATH)).unwrap();
    }

    #[test]
    fn finds_by_port_and_scenario() {
        let d = parse(
            "[[divergence]]\nport = \"node\"\nscenario = \"S\"\nwhat = \"w\"\nspec = \"SPEC §4\"\n",
        )
        .unwrap();
        assert_eq!(d.find("node", "S").unwrap().spec, "SPEC §4");
        assert!(d.find("python", "S").is_none());
        assert!(d.find("node", "s").is_none(), "names match exactly");
        assert_eq!(d.for_port("node").count(), 1);
    }

    #[test]
    fn a_declaration_may_hold_in_one_authority_mode_only() {
        let d = parse(
            "[[divergence]]\nport = \"java\"\nscenario = \"S\"\nwhat = \"w\"\nspec = \"s\"\nauthority = \"localhost\"\n\
             [[divergence]]\nport = \"java\"\nscenario = \"S\"\nwhat = \"other\"\nspec = \"s\"\nauthority = \"production\"\n\
             [[divergence]]\nport = \"go\"\nscenario = \"S\"\nwhat = \"w\"\nspec = \"s\"\n",
        )
        .unwrap();
        let local = d.for_authority(AuthorityMode::Localhost);
        assert_eq!(local.find("java", "S").unwrap().what, "w");
        assert!(local.find("go", "S").is_some());
        let prod = d.for_authority(AuthorityMode::Production);
        assert_eq!(prod.find("java", "S").unwrap().what, "other");
        assert!(prod.find("go", "S").is_some());
    }

    #[test]
    fn refuses_what_would_make_the_file_dishonest() {
        let unknown = parse(
            "[[divergence]]\nport = \"ruby\"\nscenario = \"S\"\nwhat = \"w\"\nspec = \"s\"\n",
        );
        assert!(matches!(unknown, Err(DivergenceError::UnknownPort { .. })));
        let no_spec =
            parse("[[divergence]]\nport = \"go\"\nscenario = \"S\"\nwhat = \"w\"\nspec = \" \"\n");
        let err = no_spec.unwrap_err().to_string();
        assert!(err.contains("`spec`"), "{err}");
        let twice = "[[divergence]]\nport = \"go\"\nscenario = \"S\"\nwhat = \"w\"\nspec = \"s\"\n";
        assert!(matches!(
            parse(&twice.repeat(2)),
            Err(DivergenceError::Duplicate { .. })
        ));
        let per_mode = "[[divergence]]\nport = \"go\"\nscenario = \"S\"\nwhat = \"w\"\nspec = \"s\"\nauthority = \"localhost\"\n";
        assert!(matches!(
            parse(&format!("{twice}{per_mode}")),
            Err(DivergenceError::Duplicate { .. })
        ));
        let typo =
            parse("[[divergence]]\nport = \"go\"\nscenario = \"S\"\nwhat = \"w\"\nspecs = \"s\"\n");
        assert!(matches!(typo, Err(DivergenceError::Parse { .. })));
    }
}
