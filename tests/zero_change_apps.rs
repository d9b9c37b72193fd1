//! The zero-change examples (docs/mock-entra.md, "Unmodified apps"): each
//! language's plain MSAL app, with its production authority and default
//! settings, gets a Leg-1 token with `fmi_path` from the mock through
//! `examples/zero-change/run.sh`, which sets only environment (proxy, CA
//! trust). A missing runtime skips, or fails under `FIC_REQUIRE_PORTS=1` /
//! `CI`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use mock_entra::fixtures::{AGENT_A as AGENT, BLUEPRINT};
use mock_entra::{Directory, MockEntra};
use support::{ports_required, repo_root};

const BLUEPRINT_SECRET: &str = "blueprint-secret";
/// A cold `go run` or JVM start on a busy machine takes a while; a hang is
/// still caught.
const APP_TIMEOUT: Duration = Duration::from_secs(300);

/// Variables that would route an app some other way than the test says.
const PROXY_VARIABLES: [&str; 10] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "NODE_OPTIONS",
    "JAVA_TOOL_OPTIONS",
];

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// What `lang`'s example needs that is not installed here, if anything.
fn missing_runtime(lang: &str) -> Option<String> {
    let root = repo_root();
    let need_file = |path: PathBuf, install: &str| {
        (!path.exists()).then(|| format!("{} is missing (run {install})", path.display()))
    };
    let need_program =
        |program: &str| (!on_path(program)).then(|| format!("'{program}' is not on PATH"));
    match lang {
        "python" => need_file(
            root.join(".build/venv/bin/python"),
            "ports/python/install.sh",
        ),
        "node" => need_program("node")
            .or_else(|| {
                need_file(
                    root.join("ports/node/node_modules/@azure/msal-node"),
                    "ports/node/install.sh",
                )
            })
            .or_else(|| {
                need_file(
                    root.join("ports/node/node_modules/undici"),
                    "ports/node/install.sh",
                )
            }),
        "java" => need_program("java")
            .or_else(|| need_program("keytool"))
            .or_else(|| {
                let lib = root.join("ports/java/target/lib");
                let has_msal4j = std::fs::read_dir(&lib).is_ok_and(|entries| {
                    entries
                        .flatten()
                        .any(|e| e.file_name().to_string_lossy().starts_with("msal4j-"))
                });
                (!has_msal4j).then(|| {
                    format!(
                        "{} has no msal4j jar (run ports/java/install.sh)",
                        lib.display()
                    )
                })
            }),
        "go" => need_program("go").or_else(|| {
            need_file(
                root.join(".build/gomod/github.com/!azure!a!d"),
                "ports/go/install.sh",
            )
        }),
        other => Some(format!("no example for '{other}'")),
    }
}

/// Runs `examples/zero-change/run.sh lang` against a fresh mock and checks
/// the one token request it made.
async fn run_example(lang: &str) {
    let test = format!("zero_change_{lang}");
    if let Some(why) = missing_runtime(lang) {
        assert!(
            !ports_required(),
            "{test}: {why} (required because FIC_REQUIRE_PORTS=1 or CI is set)"
        );
        eprintln!("skipped: {test}: {why}");
        return;
    }
    let mock = MockEntra::start(Directory::default_directory())
        .await
        .expect("mock starts");
    let mut command = tokio::process::Command::new("bash");
    command
        .arg(repo_root().join("examples/zero-change/run.sh"))
        .arg(lang)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for variable in PROXY_VARIABLES {
        command.env_remove(variable);
    }
    command
        .env("PROXY", mock.proxy_url().as_str())
        .env("CA_CERT", mock.ca_cert_path())
        .env("TENANT_ID", mock.tenant_id())
        .env("CLIENT_ID", BLUEPRINT.as_str())
        .env("CLIENT_SECRET", BLUEPRINT_SECRET)
        .env("FMI_PATH", AGENT.as_str());
    let output = tokio::time::timeout(APP_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("{test}: the app did not finish in {APP_TIMEOUT:?}"))
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let entries = mock.journal().entries();
    assert!(
        output.status.success(),
        "{test}: {}\nstdout:\n{stdout}\nstderr:\n{stderr}\njournal: {entries:#?}",
        output.status
    );
    assert!(
        stdout.contains("token acquired: Bearer"),
        "{test}: {stdout}\n{stderr}"
    );
    // Exactly one token request, Leg 1 with the fmi path, and it reached the
    // mock as login.microsoftonline.com through the proxy.
    assert_eq!(entries.len(), 1, "{test}: {entries:#?}");
    let entry = &entries[0];
    assert_eq!(entry.grant_type.as_deref(), Some("client_credentials"));
    assert_eq!(entry.client_id.as_deref(), Some(BLUEPRINT.as_str()));
    assert_eq!(
        entry.form.get("fmi_path").map(String::as_str),
        Some(AGENT.as_str())
    );
    assert_eq!(entry.outcome.status, 200, "{test}: {entry:#?}");
    assert_eq!(
        entry.path,
        format!("/{}/oauth2/v2.0/token", mock.tenant_id()),
        "{test}"
    );
    // With that authority the proxy is the only way to this mock; HTTP/1.1
    // also names the host (HTTP/2 carries it in :authority instead).
    if let Some(host) = entry.headers.get("host") {
        assert_eq!(host, "login.microsoftonline.com", "{test}: {entry:#?}");
    }
    mock.shutdown().await;
}

fn assert_is_file(path: &Path) {
    assert!(path.is_file(), "{} is missing", path.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn zero_change_python() {
    run_example("python").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn zero_change_node() {
    run_example("node").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn zero_change_java() {
    run_example("java").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn zero_change_go() {
    run_example("go").await;
}

/// The commands docs/mock-entra.md shows for each language are the ones
/// run.sh runs (so what the tests execute is what the reader copies).
#[test]
fn the_documented_settings_are_the_ones_run_sh_uses() {
    let root = repo_root();
    let run_sh = std::fs::read_to_string(root.join("examples/zero-change/run.sh")).unwrap();
    let docs = std::fs::read_to_string(root.join("docs/mock-entra.md")).unwrap();
    let section = docs
        .split_once("## Unmodified apps")
        .map(|(_, rest)| rest.split("\n## ").next().unwrap_or(rest))
        .expect("docs/mock-entra.md has an 'Unmodified apps' section");
    let mut blocks = 0;
    // Each language's block (all but the first, which only sets the
    // variables) must be lines run.sh runs.
    for block in section.split("```sh").skip(2) {
        let block = block.split_once('\n').unwrap().1;
        let block = block.split("```").next().unwrap();
        for line in block.lines().filter(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        }) {
            assert!(
                run_sh.contains(line.trim()),
                "docs/mock-entra.md shows a line examples/zero-change/run.sh does not run: {line}"
            );
        }
        blocks += 1;
    }
    assert!(blocks >= 4, "one block per language, found {blocks}");
    for file in [
        "python/app.py",
        "node/app.mjs",
        "node/proxy-preload.mjs",
        "java/App.java",
        "go/main.go",
    ] {
        assert_is_file(&root.join("examples/zero-change").join(file));
    }
}
