//! Which build of a port a matrix column runs, as `--port` names it, and how
//! that build is installed.
//!
//! The same syntax for every port, comma-separated and repeatable:
//! - `node`: the default build, the version the repository pins
//!   (`ports/<lang>/` lock files), installed by `ports/install.sh`;
//! - `node@7.2.4`: a released version, installed on demand into
//!   `.build/ports/node@7.2.4/` and pinned there by that exact version (the
//!   repository's pins are left alone);
//! - `node=PATH`: a local build (a package folder or tarball, a source tree,
//!   a module folder, a jar), installed into `.build/ports/node-local-<hash>/`
//!   on every run, since a checkout changes between runs;
//! - `all`: the default build of every port.
//!
//! The per-language installers are `ports/<lang>/install-build.sh DEST
//! version VERSION | DEST path PATH`; a released version whose folder holds
//! an intact install (the installer's `.installed` marker) is not installed
//! again.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::port_driver::Launch;
use crate::ports::{ALL, Availability, Port, PortError};

/// Where non-default builds are installed, relative to the repository.
pub const BUILDS_DIR: &str = ".build/ports";

/// The marker an installer leaves in a finished install.
const INSTALLED_MARKER: &str = ".installed";

/// How many lines of a failed installer's output a broken column quotes.
const ERROR_TAIL_LINES: usize = 12;

/// Which build of the port's library a column runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum BuildSource {
    /// The version the repository pins (`ports/install.sh`).
    Default,
    /// A released version, exactly as given (`7.2.4`; MSAL Go's with its `v`).
    Release(String),
    /// A local checkout, package folder, tarball or jar, as given.
    Local(PathBuf),
}

/// One column of the matrix: a port and the build of its library it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortBuild {
    /// The port.
    #[serde(serialize_with = "port_name")]
    pub port: Port,
    /// Which build.
    pub source: BuildSource,
}

fn port_name<S: serde::Serializer>(port: &Port, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(port.name())
}

/// Why a `--port` value names no build.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PortBuildError {
    #[error("unknown port {0:?} in --port (known: {known}, or all)", known = ALL.join(", "))]
    /// No port by that name.
    UnknownPort(String),
    #[error(
        "--port {0:?}: the reference client (rust) is this workspace's code and has no other builds"
    )]
    /// `rust@…` or `rust=…`.
    ReferenceBuild(String),
    #[error(
        "--port {spec:?}: {version:?} is not an exact version (e.g. {example}); a build is pinned by the version it names"
    )]
    /// `node@^7`, `node@latest`, `node@`.
    NotExact {
        /// The whole value.
        spec: String,
        /// The version part.
        version: String,
        /// What an exact version looks like for this port.
        example: &'static str,
    },
    #[error("--port {0:?}: no path after `=`")]
    /// `node=`.
    EmptyPath(String),
    #[error("--port names {0} twice")]
    /// The same build twice.
    Duplicate(String),
    #[error("--port is empty")]
    /// Nothing selected.
    Empty,
}

/// Why a build could not be installed; the column reports it as broken.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot start {script}: {source}")]
    /// The installer could not be started (no bash).
    Spawn {
        /// The installer.
        script: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    #[error("{script} failed:\n{tail}")]
    /// The installer refused or failed; its last lines say why.
    Failed {
        /// The installer and its arguments.
        script: String,
        /// The last lines it wrote.
        tail: String,
    },
    #[error("{0}")]
    /// The default build cannot be described.
    Port(#[from] PortError),
}

impl PortBuild {
    /// The default build of a port.
    pub fn default_of(port: Port) -> PortBuild {
        PortBuild {
            port,
            source: BuildSource::Default,
        }
    }

    /// One `--port` value: `node`, `node@7.2.4` or `node=PATH`.
    pub fn parse(spec: &str) -> Result<PortBuild, PortBuildError> {
        let spec = spec.trim();
        let (name, source) = if let Some((name, path)) = spec.split_once('=') {
            if path.trim().is_empty() {
                return Err(PortBuildError::EmptyPath(spec.to_owned()));
            }
            (name, BuildSource::Local(PathBuf::from(path.trim())))
        } else if let Some((name, version)) = spec.split_once('@') {
            (name, BuildSource::Release(version.trim().to_owned()))
        } else {
            (spec, BuildSource::Default)
        };
        let port =
            Port::parse(name.trim()).map_err(|_| PortBuildError::UnknownPort(name.to_owned()))?;
        let source = match source {
            BuildSource::Default => BuildSource::Default,
            _ if !port.is_real() => return Err(PortBuildError::ReferenceBuild(spec.to_owned())),
            BuildSource::Release(version) => {
                BuildSource::Release(exact_version(port, spec, &version)?)
            }
            local => local,
        };
        Ok(PortBuild { port, source })
    }

    /// A whole `--port` value list: comma-separated builds, each as in
    /// [`PortBuild::parse`], `all` for every port's default build. Several
    /// values (a repeated `--port`) join with commas. The columns keep the
    /// order given; the same build twice is refused.
    pub fn parse_list(specs: &str) -> Result<Vec<PortBuild>, PortBuildError> {
        let mut out: Vec<PortBuild> = Vec::new();
        for spec in specs.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let builds = if spec == "all" {
                ALL.iter()
                    .map(|name| PortBuild::default_of(Port::parse(name).expect("a known port")))
                    .collect()
            } else {
                vec![PortBuild::parse(spec)?]
            };
            for build in builds {
                if out.contains(&build) {
                    return Err(PortBuildError::Duplicate(build.label()));
                }
                out.push(build);
            }
        }
        if out.is_empty() {
            return Err(PortBuildError::Empty);
        }
        Ok(out)
    }

    /// The column's name: `node`, `node@7.2.4`, `node=../msal-node`.
    pub fn label(&self) -> String {
        match &self.source {
            BuildSource::Default => self.port.name().to_owned(),
            BuildSource::Release(v) => format!("{}@{v}", self.port.name()),
            BuildSource::Local(path) => format!("{}={}", self.port.name(), path.display()),
        }
    }

    /// True for the version the repository pins.
    pub fn is_default(&self) -> bool {
        self.source == BuildSource::Default
    }

    /// True for a local build.
    pub fn is_local(&self) -> bool {
        matches!(self.source, BuildSource::Local(_))
    }

    /// The folder a non-default build is installed in (`None` for the
    /// default build). A local build's folder is named after a hash of its
    /// absolute path, so two checkouts never share one.
    pub fn install_dir(&self, root: &Path) -> Option<PathBuf> {
        let builds = root.join(BUILDS_DIR);
        match &self.source {
            BuildSource::Default => None,
            BuildSource::Release(v) => Some(builds.join(format!("{}@{v}", self.port.name()))),
            BuildSource::Local(path) => {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                Some(builds.join(format!(
                    "{}-local-{:016x}",
                    self.port.name(),
                    fnv1a(absolute.to_string_lossy().as_bytes())
                )))
            }
        }
    }

    /// The installer of a non-default build, relative to the repository.
    pub fn installer(&self) -> String {
        format!("ports/{}/install-build.sh", self.port.name())
    }

    /// Installs the build if it needs it (a released version already
    /// installed intact is reused; a local build is installed on every run),
    /// then says how to launch its driver. Blocks while the installer runs.
    pub fn prepare(&self, root: &Path) -> Result<Availability, InstallError> {
        let Some(dest) = self.install_dir(root) else {
            return Ok(self.port.availability(root));
        };
        let (kind, what) = match &self.source {
            BuildSource::Release(v) => ("version", v.clone()),
            BuildSource::Local(path) => (
                "path",
                std::path::absolute(path)
                    .unwrap_or_else(|_| path.clone())
                    .display()
                    .to_string(),
            ),
            BuildSource::Default => unreachable!("the default build has no install folder"),
        };
        let marker = std::fs::read_to_string(dest.join(INSTALLED_MARKER)).ok();
        let intact = kind == "version"
            && marker.as_deref().map(str::trim) == Some(format!("{kind} {what}").as_str())
            && self.launch(root, &dest).program.exists();
        if !intact {
            let script = root.join(self.installer());
            let output = Command::new("bash")
                .arg(&script)
                .arg(&dest)
                .arg(kind)
                .arg(&what)
                .current_dir(root)
                .output()
                .map_err(|source| InstallError::Spawn {
                    script: self.installer(),
                    source,
                })?;
            if !output.status.success() {
                let text = format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
                return Err(InstallError::Failed {
                    script: format!("{} {} {kind} {what}", self.installer(), dest.display()),
                    tail: last_lines(&text, ERROR_TAIL_LINES),
                });
            }
        }
        if self.port == Port::Node {
            // The driver copy is refreshed on every run, so a reused install
            // never runs an older driver than the repository's.
            let _ = std::fs::copy(root.join("ports/node/driver.mjs"), dest.join("driver.mjs"));
        }
        Ok(Availability::Driver(self.launch(root, &dest)))
    }

    /// How to start the driver of a build installed in `dest`.
    fn launch(&self, root: &Path, dest: &Path) -> Launch {
        let (program, args): (PathBuf, Vec<String>) = match self.port {
            Port::Python => (
                dest.join("venv/bin/python"),
                vec!["ports/python/driver.py".into()],
            ),
            Port::Node => (
                crate::ports::find_on_path("node").unwrap_or_else(|| PathBuf::from("node")),
                vec![dest.join("driver.mjs").display().to_string()],
            ),
            Port::Java => (
                crate::ports::find_on_path("java").unwrap_or_else(|| PathBuf::from("java")),
                vec![
                    "-jar".into(),
                    dest.join("project/target/java-driver.jar")
                        .display()
                        .to_string(),
                ],
            ),
            Port::Go => (dest.join("go-driver"), vec![]),
            Port::Reference => unreachable!("the reference client has no other builds"),
        };
        Launch {
            program,
            args,
            working_dir: root.to_path_buf(),
            env: vec![],
        }
    }

    /// What declarations see of this build once its driver said which
    /// version it loaded.
    pub fn scope(&self, loaded_version: &str) -> BuildScope {
        BuildScope {
            version: loaded_version.to_owned(),
            local: self.is_local(),
        }
    }
}

/// The build a column ran, as `versions = "…"` declarations see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildScope {
    /// The version its driver reported loading (`hello`).
    pub version: String,
    /// A local build: its version number may not say what it contains.
    pub local: bool,
}

impl BuildScope {
    /// A released build (the default pin or `name@VERSION`).
    pub fn release(version: &str) -> BuildScope {
        BuildScope {
            version: version.to_owned(),
            local: false,
        }
    }

    /// The version as semver, without MSAL Go's leading `v` (`None` when it
    /// is not semver).
    pub fn semver(&self) -> Option<semver::Version> {
        semver::Version::parse(self.version.trim().trim_start_matches('v')).ok()
    }
}

/// The version of `spec`, exact and in the port's spelling.
fn exact_version(port: Port, spec: &str, version: &str) -> Result<String, PortBuildError> {
    let example = match port {
        Port::Go => "v1.10.1",
        Port::Java => "1.26.1",
        Port::Node => "7.2.4",
        _ => "1.39.0",
    };
    let bare = version.trim_start_matches('v');
    let exact = !bare.is_empty()
        && bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        && bare.starts_with(|c: char| c.is_ascii_digit())
        && bare.contains('.');
    if !exact || (port != Port::Go && version.starts_with('v')) {
        return Err(PortBuildError::NotExact {
            spec: spec.to_owned(),
            version: version.to_owned(),
            example,
        });
    }
    Ok(if port == Port::Go {
        format!("v{bare}")
    } else {
        bare.to_owned()
    })
}

/// The last `n` non-empty lines of `text`.
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// FNV-1a: a stable folder name for a path (std's hasher may change
/// between Rust releases, which would orphan installs).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(specs: &str) -> Vec<String> {
        PortBuild::parse_list(specs)
            .unwrap()
            .iter()
            .map(PortBuild::label)
            .collect()
    }

    #[test]
    fn one_syntax_for_every_port() {
        assert_eq!(
            PortBuild::parse("node@7.2.4").unwrap(),
            PortBuild {
                port: Port::Node,
                source: BuildSource::Release("7.2.4".into())
            }
        );
        assert_eq!(
            PortBuild::parse("python=../msal").unwrap().source,
            BuildSource::Local("../msal".into())
        );
        assert_eq!(
            PortBuild::parse("java").unwrap(),
            PortBuild::default_of(Port::Java)
        );
        // MSAL Go's versions carry a `v`; either spelling names the same build.
        assert_eq!(PortBuild::parse("go@1.10.1").unwrap().label(), "go@v1.10.1");
        assert_eq!(
            PortBuild::parse("go@v1.10.1").unwrap().label(),
            "go@v1.10.1"
        );
        // A path may itself hold `@` (a scoped package folder).
        assert_eq!(
            PortBuild::parse("node=/tmp/@azure/msal-node")
                .unwrap()
                .source,
            BuildSource::Local("/tmp/@azure/msal-node".into())
        );
    }

    #[test]
    fn lists_are_comma_separated_in_the_order_given_and_all_expands() {
        assert_eq!(
            labels("node@7.2.1, node@7.2.4,node=../msal-node,python"),
            ["node@7.2.1", "node@7.2.4", "node=../msal-node", "python"]
        );
        assert_eq!(labels("all"), ALL);
        assert_eq!(labels("all,node@7.2.4").len(), ALL.len() + 1);
        assert_eq!(
            PortBuild::parse_list("node,python,node"),
            Err(PortBuildError::Duplicate("node".into()))
        );
        assert_eq!(
            PortBuild::parse_list("go@1.10.1,go@v1.10.1"),
            Err(PortBuildError::Duplicate("go@v1.10.1".into()))
        );
        assert_eq!(PortBuild::parse_list(" , "), Err(PortBuildError::Empty));
    }

    #[test]
    fn bad_values_are_refused_with_what_to_write() {
        let err = |spec: &str| PortBuild::parse_list(spec).unwrap_err().to_string();
        assert!(err("ruby@1.0.0").contains("unknown port \"ruby\""));
        assert!(err("rust@0.1.0").contains("no other builds"));
        assert!(err("rust=.").contains("no other builds"));
        for loose in [
            "node@^7.2",
            "node@latest",
            "node@",
            "node@7",
            "python@v1.39.0",
        ] {
            assert!(err(loose).contains("not an exact version"), "{loose}");
        }
        assert!(err("node@latest").contains("7.2.4"));
        assert!(err("node=").contains("no path"));
    }

    #[test]
    fn builds_install_apart_and_only_the_default_uses_the_repository_pins() {
        let root = Path::new("/repo");
        assert_eq!(PortBuild::default_of(Port::Node).install_dir(root), None);
        assert_eq!(
            PortBuild::parse("node@7.2.4").unwrap().install_dir(root),
            Some(PathBuf::from("/repo/.build/ports/node@7.2.4"))
        );
        let a = PortBuild::parse("node=/src/a").unwrap();
        let b = PortBuild::parse("node=/src/b").unwrap();
        let dir = a.install_dir(root).unwrap();
        assert!(
            dir.starts_with("/repo/.build/ports")
                && dir
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("node-local-"),
            "{dir:?}"
        );
        assert_ne!(a.install_dir(root), b.install_dir(root));
        assert_eq!(a.install_dir(root), a.clone().install_dir(root));
        assert!(a.is_local() && !a.is_default());
        assert_eq!(a.installer(), "ports/node/install-build.sh");
    }

    #[test]
    fn a_failing_installer_is_quoted_by_its_last_lines() {
        let text = (1..=30).map(|i| format!("line {i}\n")).collect::<String>();
        let tail = last_lines(&text, 3);
        assert_eq!(tail, "line 28\nline 29\nline 30");
        assert_eq!(
            BuildScope::release("v1.10.1").semver(),
            Some(semver::Version::new(1, 10, 1))
        );
        assert_eq!(BuildScope::release("unknown").semver(), None);
    }

    #[test]
    fn a_local_path_that_is_no_package_breaks_with_the_installers_reason() {
        let root = crate::port_driver::repo_root();
        if crate::ports::find_on_path("node").is_none() {
            eprintln!("skipped: node is not on PATH");
            return;
        }
        let not_a_package =
            std::env::temp_dir().join(format!("fic-not-msal-{}", std::process::id()));
        std::fs::create_dir_all(&not_a_package).unwrap();
        std::fs::write(not_a_package.join("package.json"), r#"{"name":"left-pad"}"#).unwrap();
        let build = PortBuild::parse(&format!("node={}", not_a_package.display())).unwrap();
        let err = build.prepare(&root).unwrap_err().to_string();
        assert!(
            err.contains("is the package 'left-pad', not @azure/msal-node"),
            "{err}"
        );
        std::fs::remove_dir_all(&not_a_package).unwrap();
        if let Some(dir) = build.install_dir(&root) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
