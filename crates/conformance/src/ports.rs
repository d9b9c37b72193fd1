//! The clients the matrix can run: the in-process reference client (`rust`)
//! and the real MSAL ports behind their drivers (`python`, `node`, `java`,
//! `go`). Each port is one row of one table: its name, its library, where
//! its version is pinned, how to launch its driver, and how to tell a
//! missing runtime or install ("skipped, because …") from a broken one.

use std::path::{Path, PathBuf};

use crate::driver_protocol::capability;
use crate::port_driver::Launch;

/// Every port, in matrix column order (the names of the port table's rows).
pub const ALL: [&str; 5] = ["rust", "python", "node", "java", "go"];

/// What every real port must announce to be worth running: the agent
/// identity protocol itself. A package without these is a broken install or
/// a wrong pin, not a port whose scenarios are "not supported".
pub const PROTOCOL_CAPABILITIES: [&str; 4] = [
    capability::FMI_PATH,
    capability::CONTEXT_CALLBACK,
    capability::USER_FIC,
    capability::CACHE,
];

#[derive(Debug, thiserror::Error)]
/// Why a port could not be named or prepared.
pub enum PortError {
    #[error("unknown port {0:?} (known: {known})", known = ALL.join(", "))]
    /// No port by that name.
    Unknown(String),
    #[error("cannot read the {port} pin in {path}: {source}")]
    /// The file pinning the port's library could not be read.
    PinUnreadable {
        /// The port.
        port: String,
        /// The pin file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    #[error("{path} does not pin {library} (looked for {pattern})")]
    /// The pin file does not name the library.
    PinNotFound {
        /// The pin file.
        path: PathBuf,
        /// The library looked for.
        library: String,
        /// What was looked for.
        pattern: String,
    },
}

/// One column of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    /// `msal-ref`, in process.
    Reference,
    /// MSAL Python.
    Python,
    /// msal-node.
    Node,
    /// msal4j.
    Java,
    /// MSAL Go.
    Go,
}

/// Whether a port can run here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// The in-process reference client: always there.
    InProcess,
    /// A driver process, ready to launch.
    Driver(Launch),
    /// The runtime or the install is missing; the reason says which and how
    /// to fix it.
    Missing {
        /// What is missing and how to install it.
        reason: String,
    },
}

/// Everything the harness knows about one port, in one row of [`TABLE`].
struct PortInfo {
    port: Port,
    /// The name used in the matrix, `--port`, `snapshots/<name>/` and
    /// `fixtures/divergences.toml`.
    name: &'static str,
    /// The package under test, as its driver's `hello` names it.
    library: &'static str,
    /// Where the version is pinned, how the pin reads there, and how to
    /// read it (`None` for the reference client, this workspace's own code).
    pin: Option<Pin>,
    runtime: Runtime,
}

struct Pin {
    file: &'static str,
    pattern: &'static str,
    read: fn(text: &str, library: &str) -> Option<String>,
}

enum Runtime {
    InProcess,
    Driver {
        program: Program,
        args: &'static [&'static str],
        /// A file the install leaves behind, relative to the repository,
        /// and what is missing when it is not there.
        installed: &'static str,
        missing: &'static str,
    },
}

enum Program {
    /// A runtime found on `PATH`; the hint says what the driver needs.
    OnPath {
        name: &'static str,
        hint: &'static str,
    },
    /// A program the install builds inside the repository.
    InRepo(&'static str),
}

/// The ports, in matrix column order.
const TABLE: [PortInfo; 5] = [
    PortInfo {
        port: Port::Reference,
        name: "rust",
        library: "msal-ref",
        pin: None,
        runtime: Runtime::InProcess,
    },
    PortInfo {
        port: Port::Python,
        name: "python",
        library: "msal",
        pin: Some(Pin {
            file: "ports/python/requirements.txt",
            pattern: "msal==<version>",
            read: pin_in_requirements,
        }),
        runtime: Runtime::Driver {
            program: Program::InRepo(".build/venv/bin/python"),
            args: &["ports/python/driver.py"],
            installed: ".build/venv/bin/python",
            missing: "no Python venv with msal",
        },
    },
    PortInfo {
        port: Port::Node,
        name: "node",
        library: "@azure/msal-node",
        pin: Some(Pin {
            file: "ports/node/package.json",
            pattern: "dependencies.\"@azure/msal-node\"",
            read: pin_in_package_json,
        }),
        runtime: Runtime::Driver {
            program: Program::OnPath {
                name: "node",
                hint: "msal-node needs Node.js 20+",
            },
            args: &["ports/node/driver.mjs"],
            installed: "ports/node/node_modules/@azure/msal-node/package.json",
            missing: "msal-node not installed",
        },
    },
    PortInfo {
        port: Port::Java,
        name: "java",
        library: "com.microsoft.azure:msal4j",
        pin: Some(Pin {
            file: "ports/java/pom.xml",
            pattern: "<msal4j.version>",
            read: |text, _| between(text, "<msal4j.version>", "</msal4j.version>"),
        }),
        runtime: Runtime::Driver {
            program: Program::OnPath {
                name: "java",
                hint: "the msal4j driver needs Java 11+",
            },
            args: &["-jar", "ports/java/target/java-driver.jar"],
            installed: "ports/java/target/java-driver.jar",
            missing: "driver not built",
        },
    },
    PortInfo {
        port: Port::Go,
        name: "go",
        library: "github.com/AzureAD/microsoft-authentication-library-for-go",
        pin: Some(Pin {
            file: "ports/go/go.mod",
            pattern: "require <module> <version>",
            read: pin_in_go_mod,
        }),
        runtime: Runtime::Driver {
            program: Program::InRepo(".build/go-driver"),
            args: &[],
            installed: ".build/go-driver",
            missing: "driver not built",
        },
    },
];

impl Port {
    fn info(self) -> &'static PortInfo {
        TABLE
            .iter()
            .find(|row| row.port == self)
            .expect("every port has a row")
    }

    /// The port a matrix column name names.
    pub fn parse(name: &str) -> Result<Port, PortError> {
        TABLE
            .iter()
            .find(|row| row.name == name)
            .map(|row| row.port)
            .ok_or_else(|| PortError::Unknown(name.to_owned()))
    }

    /// The name used in the matrix, `--port`, `snapshots/<name>/` and
    /// `fixtures/divergences.toml`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The package under test, as its driver's `hello` names it.
    pub fn library(self) -> &'static str {
        self.info().library
    }

    /// True for a real MSAL port (a driver process), false for the reference client.
    pub fn is_real(self) -> bool {
        self != Port::Reference
    }

    /// The file that pins the port's package, relative to the repository.
    pub fn pin_file(self) -> Option<&'static str> {
        self.info().pin.as_ref().map(|p| p.file)
    }

    /// The version the repository pins (`None` for the reference client,
    /// which is this workspace's own code). Read from the same file the
    /// port's installer uses, so the harness and the install agree.
    pub fn pinned_version(self, root: &Path) -> Result<Option<String>, PortError> {
        let Some(pin) = &self.info().pin else {
            return Ok(None);
        };
        let path = root.join(pin.file);
        let text = std::fs::read_to_string(&path).map_err(|source| PortError::PinUnreadable {
            port: self.name().to_owned(),
            path: path.clone(),
            source,
        })?;
        (pin.read)(&text, self.library())
            .map(Some)
            .ok_or_else(|| PortError::PinNotFound {
                path,
                library: self.library().to_owned(),
                pattern: pin.pattern.to_owned(),
            })
    }

    /// How to launch the driver, or why it cannot run here. Checks only what
    /// is cheap and certain (files and programs exist); a driver that starts
    /// but loads the wrong package is caught by the version check on `hello`.
    pub fn availability(self, root: &Path) -> Availability {
        let Runtime::Driver {
            program,
            args,
            installed,
            missing,
        } = &self.info().runtime
        else {
            return Availability::InProcess;
        };
        let program = match program {
            Program::OnPath { name, hint } => match find_on_path(name) {
                Some(found) => found,
                None => {
                    return Availability::Missing {
                        reason: format!("`{name}` is not on PATH ({hint})"),
                    };
                }
            },
            Program::InRepo(path) => root.join(path),
        };
        let installed = root.join(installed);
        if !installed.exists() {
            return Availability::Missing {
                reason: format!(
                    "{} is missing ({missing}): run `bash ports/install.sh`",
                    installed.display()
                ),
            };
        }
        Availability::Driver(Launch {
            program,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            working_dir: root.to_path_buf(),
            env: vec![],
        })
    }
}

/// `--port all` or one name, in matrix order.
pub fn select(choice: &str) -> Result<Vec<Port>, PortError> {
    if choice == "all" {
        return ALL.iter().map(|name| Port::parse(name)).collect();
    }
    Ok(vec![Port::parse(choice)?])
}

fn pin_in_requirements(text: &str, package: &str) -> Option<String> {
    let prefix = format!("{package}==");
    text.lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix(&prefix))
        .map(|rest| {
            rest.split(|c: char| c.is_whitespace() || c == ';' || c == '\\')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .filter(|v| !v.is_empty())
}

fn pin_in_package_json(text: &str, package: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    json.get("dependencies")?
        .get(package)?
        .as_str()
        .map(str::to_owned)
}

fn pin_in_go_mod(text: &str, module: &str) -> Option<String> {
    // Either `require <module> <version>` or a line inside `require ( … )`.
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let first = words.next()?;
        let first = if first == "require" {
            words.next()?
        } else {
            first
        };
        (first == module).then(|| words.next().map(str::to_owned))?
    })
}

fn between(text: &str, open: &str, close: &str) -> Option<String> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(text[start..start + len].trim().to_owned()).filter(|v| !v.is_empty())
}

/// The first executable named `program` on `PATH`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port_driver::repo_root;

    #[test]
    fn the_table_has_one_row_per_port_in_column_order() {
        let names: Vec<&str> = TABLE.iter().map(|row| row.name).collect();
        assert_eq!(names, ALL);
        for name in ALL {
            assert_eq!(Port::parse(name).unwrap().name(), name);
        }
        assert!(Port::parse("ruby").is_err());
    }

    #[test]
    fn pins_are_read_from_each_installer_file() {
        let root = repo_root();
        for port in select("all").unwrap() {
            let pin = port.pinned_version(&root).unwrap();
            assert_eq!(pin.is_some(), port.is_real(), "{port:?}: {pin:?}");
            if let Some(v) = pin {
                assert!(v.chars().any(|c| c.is_ascii_digit()), "{port:?}: {v}");
            }
        }
    }

    #[test]
    fn pin_parsers_take_the_version_and_nothing_else() {
        let req = "certifi==1 \\\n    --hash=sha256:ab\nmsal==1.39.0 \\\n    --hash=sha256:cd\n";
        assert_eq!(pin_in_requirements(req, "msal").as_deref(), Some("1.39.0"));
        assert_eq!(pin_in_requirements("msal-extensions==1\n", "msal"), None);
        let gomod = "module x\n\nrequire (\n\tgithub.com/a/b v1.2.3\n\tgithub.com/a/bc v9\n)\n";
        assert_eq!(
            pin_in_go_mod(gomod, "github.com/a/b").as_deref(),
            Some("v1.2.3")
        );
        assert_eq!(
            pin_in_go_mod("require github.com/a/b v0.1.0\n", "github.com/a/b").as_deref(),
            Some("v0.1.0")
        );
        assert_eq!(
            pin_in_package_json(
                r#"{"dependencies":{"@azure/msal-node":"7.2.1"}}"#,
                "@azure/msal-node"
            )
            .as_deref(),
            Some("7.2.1")
        );
        assert_eq!(
            between(
                "<p><msal4j.version> 1.26.0 </msal4j.version>",
                "<msal4j.version>",
                "</msal4j.version>"
            )
            .as_deref(),
            Some("1.26.0")
        );
    }

    #[test]
    fn a_missing_install_says_what_and_how_to_fix_it() {
        let empty = tempfile_dir();
        for port in [Port::Python, Port::Go] {
            match port.availability(&empty) {
                Availability::Missing { reason } => {
                    assert!(reason.contains("ports/install.sh"), "{reason}");
                    assert!(reason.contains(empty.to_str().unwrap()), "{reason}");
                }
                other => panic!("{port:?} without an install: {other:?}"),
            }
        }
        assert_eq!(
            Port::Reference.availability(&empty),
            Availability::InProcess
        );
        std::fs::remove_dir_all(empty).unwrap();
    }

    #[test]
    fn unknown_ports_are_refused_by_name() {
        let err = select("cobol").unwrap_err().to_string();
        assert!(
            err.contains("cobol") && err.contains("rust, python"),
            "{err}"
        );
        assert_eq!(select("go").unwrap(), vec![Port::Go]);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fic-ports-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

/// The three legs of the agent identity protocol, through every installed
/// port's real driver against the real mock over TLS. The feature suite says
/// the same in Gherkin; this keeps `cargo test` honest about the drivers.
#[cfg(test)]
mod legs {
    use std::time::Duration;

    use mock_entra::fixtures::{AGENT_A as AGENT, ALICE as ALICE_OID, BLUEPRINT};
    use mock_entra::{Directory, MockEntra};
    use serde_json::{Value, json};

    use super::*;
    use crate::authority::{AuthorityMode, Target};
    use crate::client_under_test::ClientUnderTest;
    use crate::driver_protocol::{Command, Reply};
    use crate::port_driver::{PortDriver, repo_root};

    const ALICE: &str = "alice@contoso.com";
    const EXCHANGE: &str = "api://AzureADTokenExchange/.default";
    const API_READ: &str = "api://contoso-api/read";

    fn required() -> bool {
        std::env::var("FIC_REQUIRE_PORTS").is_ok_and(|v| v == "1")
    }

    async fn call(driver: &mut PortDriver, command: Value) -> Reply {
        let command: Command = serde_json::from_value(command.clone())
            .unwrap_or_else(|e| panic!("bad test command {command}: {e}"));
        let reply = driver.send(command).await;
        reply.unwrap_or_else(|e| panic!("{}: driver failure: {e}", driver.port()))
    }

    async fn ok(driver: &mut PortDriver, command: Value) -> Value {
        let reply = call(driver, command.clone()).await;
        assert!(
            reply.ok,
            "{}: {command} failed: {:?}",
            driver.port(),
            reply.error
        );
        Value::Object(reply.body)
    }

    fn claims(jwt: &str) -> Value {
        use base64::Engine as _;
        let payload = jwt.split('.').nth(1).expect("a JWT");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .expect("base64url payload");
        serde_json::from_slice(&bytes).expect("JSON claims")
    }

    /// Whether the port finds its own app tokens in its cache against the
    /// mock. msal4j 1.26.1 does not when the authority has a port: its
    /// lookup uses `Authority.host` (`URL.getAuthority()`, `localhost:PORT`)
    /// but it stores `environment` from `URL.getHost()` (`localhost`), so
    /// every client_credentials call goes to the network. With the
    /// production authority (no port) it does. Pinned here so a fixed
    /// msal4j fails this test and gets noticed.
    fn app_cache_hits(port: Port, mode: AuthorityMode) -> bool {
        port != Port::Java || mode == AuthorityMode::Production
    }

    async fn three_legs(port: Port, launch: Launch, mock: &MockEntra, mode: AuthorityMode) {
        let name = port.name();
        let ca = mock.ca_cert_path().display().to_string();
        let Target { authority, proxy } = mode.target(mock);
        let certs = repo_root().join("fixtures/certs");
        let mut d = PortDriver::new(name, launch, None, Duration::from_secs(60));
        let hello = ok(&mut d, json!({"cmd": "hello"})).await;
        let pin = port.pinned_version(&repo_root()).unwrap().unwrap();
        assert_eq!(hello["version"], pin.as_str(), "{name}: {hello}");

        // Leg 1: the blueprint, with its certificate, asks for T1.
        ok(&mut d, json!({"cmd": "configure", "app": "blueprint", "client_id": BLUEPRINT,
            "authority": authority, "proxy": proxy, "ca_cert": ca, "credential": {"type": "certificate",
            "cert_pem_path": certs.join("blueprint.crt"), "key_pem_path": certs.join("blueprint.key"),
            "send_x5c": true}}))
        .await;
        let leg1 = json!({"cmd": "acquire_for_client", "app": "blueprint", "scopes": [EXCHANGE], "fmi_path": AGENT});
        let t1 = ok(&mut d, leg1.clone()).await;
        assert_eq!(t1["token"]["source"], "identity_provider", "{name}: {t1}");
        let t1_claims = claims(t1["token"]["access_token"].as_str().unwrap());
        assert_eq!(
            t1_claims["xms_fmi_path"],
            AGENT.as_str(),
            "{name}: {t1_claims}"
        );
        let again = ok(&mut d, leg1).await;
        let expected = if app_cache_hits(port, mode) {
            "cache"
        } else {
            "identity_provider"
        };
        assert_eq!(again["token"]["source"], expected, "{name}: {again}");

        // Leg 2: the agent, whose callback gets T1 for its own id.
        ok(
            &mut d,
            json!({"cmd": "configure", "app": "agent", "client_id": AGENT,
            "authority": authority, "proxy": proxy, "ca_cert": ca,
            "credential": {"type": "fmi_callback", "via_app": "blueprint"}}),
        )
        .await;
        let t2 = ok(
            &mut d,
            json!({"cmd": "acquire_for_client", "app": "agent", "scopes": [EXCHANGE]}),
        )
        .await;
        let t2_token = t2["token"]["access_token"].as_str().unwrap().to_owned();
        let t2_claims = claims(&t2_token);
        assert_eq!(t2_claims["azp"], AGENT.as_str(), "{name}: {t2_claims}");
        assert_eq!(
            t2_claims["xms_par_app_azp"],
            BLUEPRINT.as_str(),
            "{name}: {t2_claims}"
        );
        let contexts = ok(&mut d, json!({"cmd": "callback_contexts", "app": "agent"})).await;
        assert_eq!(
            contexts["contexts"][0]["client_id"],
            AGENT.as_str(),
            "{name}: {contexts}"
        );

        // Leg 3: user_fic for Alice, then silent from the port's own cache.
        let user = ok(
            &mut d,
            json!({"cmd": "acquire_by_user_fic", "app": "agent",
            "scopes": [API_READ], "assertion": t2_token, "username": ALICE}),
        )
        .await;
        assert_eq!(
            user["token"]["source"], "identity_provider",
            "{name}: {user}"
        );
        let user_claims = claims(user["token"]["access_token"].as_str().unwrap());
        assert_eq!(
            user_claims["oid"],
            ALICE_OID.as_str(),
            "{name}: {user_claims}"
        );
        let home = user["token"]["account"]["home_account_id"].clone();
        assert!(
            home.as_str()
                .is_some_and(|h| h.starts_with(ALICE_OID.as_str())),
            "{name}: {user}"
        );
        let silent = ok(
            &mut d,
            json!({"cmd": "acquire_silent", "app": "agent",
            "scopes": [API_READ], "home_account_id": home}),
        )
        .await;
        assert_eq!(silent["token"]["source"], "cache", "{name}: {silent}");
        assert_eq!(
            silent["token"]["access_token"], user["token"]["access_token"],
            "{name}"
        );
        let cache = ok(&mut d, json!({"cmd": "cache", "app": "agent"})).await;
        assert_eq!(
            cache["account_keys"].as_array().map(Vec::len),
            Some(1),
            "{name}: {cache}"
        );
        ok(&mut d, json!({"cmd": "shutdown"})).await;
    }

    /// Runs the legs against a fresh mock, or skips (fails under
    /// `FIC_REQUIRE_PORTS=1`) when the port is not installed here.
    async fn legs_for(port: Port, mode: AuthorityMode) {
        let launch = match port.availability(&repo_root()) {
            Availability::Driver(launch) => launch,
            Availability::Missing { reason } if !required() => {
                eprintln!("skipped {}: {reason}", port.name());
                return;
            }
            other => panic!("{} must run (FIC_REQUIRE_PORTS=1): {other:?}", port.name()),
        };
        let mock = MockEntra::start(Directory::default_directory())
            .await
            .expect("mock starts");
        three_legs(port, launch, &mock, mode).await;
        // Leg 1 once (its repeat and the agent callback's T1, fetched again
        // for T2 and for user_fic, are cache hits), T2 and user_fic; silent
        // is answered from the port's cache. Without app-token cache hits the
        // repeat and both callback T1s go out too.
        let expected = if app_cache_hits(port, mode) { 3 } else { 6 };
        let entries = mock.journal().entries();
        assert_eq!(entries.len(), expected, "{}: {entries:#?}", port.name());
        mock.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn msal_python_runs_the_three_legs() {
        legs_for(Port::Python, AuthorityMode::Production).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn msal_node_runs_the_three_legs() {
        legs_for(Port::Node, AuthorityMode::Production).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn msal4j_runs_the_three_legs() {
        legs_for(Port::Java, AuthorityMode::Production).await;
    }

    /// The one port whose behaviour depends on the authority's port.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn msal4j_runs_the_three_legs_against_localhost() {
        legs_for(Port::Java, AuthorityMode::Localhost).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn msal_go_runs_the_three_legs() {
        legs_for(Port::Go, AuthorityMode::Production).await;
    }
}
