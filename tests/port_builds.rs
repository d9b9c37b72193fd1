//! A port maintainer's loop, end to end: a local build of msal-node that
//! fixes a declared port bug is reported "fixed in this build" next to the
//! released build that still has it.
//!
//! The local build is a copy of the installed package
//! (`ports/node/node_modules/@azure/msal-node`) with a small patch that hands
//! the request's `fmiPath` to the client-assertion callback, the bug
//! `fixtures/divergences.toml` declares for "The callback sees the client
//! id, the token endpoint and the fmi path" (`docs/protocol.md §3`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod support;
use support::{ports_required, repo_root, run_harness};

const SCENARIO: &str = "The callback sees the client id, the token endpoint and the fmi path";
/// Selects that scenario alone: the one assertion-types scenario whose
/// callback needs the request's context.
const TAGS: &str = "@assertions and @requires-context_callback";

/// Each edit: the file (under the package's `dist/client/`), the text as
/// released, and the text that forwards the request's fmi path. msal-node
/// resolves the callback once per request in
/// `ClientApplication.buildOauthClientConfiguration` → `getClientAssertion`,
/// with the client id and token endpoint only.
const PATCH: [(&str, &str, &str); 5] = [
    (
        "ConfidentialClientApplication.mjs",
        r#"const clientCredentialConfig = await this.buildOauthClientConfiguration(discoveredAuthority, validRequest.correlationId, "", serverTelemetryManager);"#,
        r#"const clientCredentialConfig = await this.buildOauthClientConfiguration(discoveredAuthority, validRequest.correlationId, "", serverTelemetryManager, validRequest.fmiPath);"#,
    ),
    (
        "ClientApplication.mjs",
        "async buildOauthClientConfiguration(discoveredAuthority, requestCorrelationId, redirectUri, serverTelemetryManager) {",
        "async buildOauthClientConfiguration(discoveredAuthority, requestCorrelationId, redirectUri, serverTelemetryManager, fmiPath) {",
    ),
    (
        "ClientApplication.mjs",
        "clientAssertion: await this.getClientAssertion(discoveredAuthority),",
        "clientAssertion: await this.getClientAssertion(discoveredAuthority, fmiPath),",
    ),
    (
        "ClientApplication.mjs",
        "async getClientAssertion(authority) {",
        "async getClientAssertion(authority, fmiPath) {",
    ),
    (
        "ClientApplication.mjs",
        "getClientAssertion(this.developerProvidedClientAssertion, this.config.auth.clientId, authority.tokenEndpoint)",
        "getClientAssertion(this.developerProvidedClientAssertion, this.config.auth.clientId, authority.tokenEndpoint, fmiPath)",
    ),
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The installed msal-node, copied and patched; each edit must apply
/// exactly once, so a package that changed shape fails here, readably.
fn patched_copy(installed: &Path) -> PathBuf {
    let copy = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("msal-node-fmi-path-fix");
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(installed, &copy);
    for (file, released, fixed) in PATCH {
        let path = copy.join("dist/client").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.matches(released).count(),
            1,
            "{}: the released text to patch is not there once:\n{released}",
            path.display()
        );
        std::fs::write(&path, text.replace(released, fixed)).unwrap();
    }
    copy
}

fn node_installed(installed: &Path) -> bool {
    let node = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("node").is_file()));
    if !node || !installed.join("package.json").is_file() {
        assert!(
            !ports_required(),
            "node or ports/node/node_modules is missing and FIC_REQUIRE_PORTS=1: run `bash ports/install.sh`"
        );
        eprintln!("skipped: needs node on PATH and msal-node installed (`bash ports/install.sh`)");
        return false;
    }
    true
}

fn verdict_of(report: &Value, column: &str) -> String {
    let columns = report["ports"]
        .as_array()
        .expect("ports in the JSON report");
    let column = columns
        .iter()
        .find(|c| c["port"] == column)
        .unwrap_or_else(|| panic!("no column {column} in {report:#}"));
    let cell = column["state"]["cells"]
        .as_array()
        .and_then(|cells| cells.iter().find(|c| c["scenario"] == SCENARIO))
        .unwrap_or_else(|| panic!("column {column} did not run {SCENARIO:?}: {column:#}"));
    cell["verdict"]["verdict"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_patched_local_msal_node_is_fixed_in_this_build_next_to_the_released_bug() {
    let installed = repo_root().join("ports/node/node_modules/@azure/msal-node");
    if !node_installed(&installed) {
        return;
    }
    let copy = patched_copy(&installed);
    let local = format!("node={}", copy.display());
    let reports = tempfile::tempdir().unwrap();
    let json = reports.path().join("matrix.json");
    let html = reports.path().join("matrix.html");
    let builds = format!("node,{local}");
    let out = run_harness([
        "run",
        "--port",
        &builds,
        "--tags",
        TAGS,
        "--report",
        "json",
        json.to_str().expect("a UTF-8 temporary path"),
        "--report",
        "html",
        html.to_str().expect("a UTF-8 temporary path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the run failed ({:?}):\n{stdout}\n{stderr}",
        out.status
    );

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(verdict_of(&report, "node"), "known_port_bug");
    assert_eq!(verdict_of(&report, &local), "fixed_in_this_build");
    assert!(
        stdout.contains(&format!("{local}: @azure/msal-node"))
            && stdout.contains(" (local build)")
            && stdout.contains(" (local)"),
        "the progress and versions lines name the local build:\n{stdout}"
    );
    assert!(
        stdout.contains("fixed in this build") && stdout.contains("passed in local build"),
        "{stdout}"
    );
    // The passing evidence is in the HTML report: the requests the mock saw.
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.contains("fixed in this build") && html.contains("requests the mock journaled"),
        "the HTML report shows the verdict and its evidence"
    );
    if let Some(dir) = conformance::port_build::PortBuild::parse(&local)
        .unwrap()
        .install_dir(&repo_root())
    {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A version the registry does not have and a folder that is no msal-node
/// package are broken columns quoting their installer; the other column
/// still runs, and the run fails.
#[test]
fn a_build_that_cannot_be_installed_is_a_broken_column_and_the_others_run() {
    if !node_installed(&repo_root().join("ports/node/node_modules/@azure/msal-node")) {
        return;
    }
    let not_a_package = tempfile::tempdir().unwrap();
    std::fs::write(
        not_a_package.path().join("package.json"),
        r#"{"name": "left-pad", "version": "1.3.0"}"#,
    )
    .unwrap();
    let bad_path = format!("node={}", not_a_package.path().display());
    let out = run_harness([
        "run",
        "--port",
        &format!("node@0.0.99,{bad_path},node"),
        "--tags",
        TAGS,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("node@0.0.99: BROKEN: node@0.0.99 could not be installed")
            && stdout.contains("No matching version found for @azure/msal-node@0.0.99"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{bad_path}: BROKEN"))
            && stdout.contains("is the package 'left-pad', not @azure/msal-node"),
        "{stdout}"
    );
    assert!(
        stdout.contains("node   known port bug at-5"),
        "the default build still ran:\n{stdout}"
    );
    let _ = std::fs::remove_dir_all(repo_root().join(".build/ports/node@0.0.99"));
}

/// MSAL Python the same way: a released version in its own venv and a
/// source tree (the pinned release's sdist, unpacked) as a local build,
/// next to the pinned install.
#[test]
fn msal_python_runs_as_a_released_version_and_as_a_source_tree() {
    let venv_python = repo_root().join(".build/venv/bin/python");
    if !venv_python.is_file() {
        assert!(
            !ports_required(),
            ".build/venv is missing and FIC_REQUIRE_PORTS=1: run `bash ports/install.sh`"
        );
        eprintln!("skipped: needs MSAL Python installed (`bash ports/install.sh`)");
        return;
    }
    let pin = conformance::ports::Port::Python
        .pinned_version(&repo_root())
        .unwrap()
        .unwrap();
    let sdists = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("msal-python-sdist");
    let _ = std::fs::remove_dir_all(&sdists);
    std::fs::create_dir_all(&sdists).unwrap();
    let download = Command::new(&venv_python)
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--no-binary", ":all:", "--no-deps", &format!("msal=={pin}")])
        .current_dir(&sdists)
        .status()
        .unwrap();
    assert!(download.success(), "pip download of msal {pin}'s sdist");
    let unpacked = Command::new("tar")
        .args(["xzf", &format!("msal-{pin}.tar.gz")])
        .current_dir(&sdists)
        .status()
        .unwrap();
    assert!(unpacked.success());
    let tree = format!("python={}", sdists.join(format!("msal-{pin}")).display());
    let release = format!("python@{pin}");
    let out = run_harness([
        "run",
        "--port",
        &format!("{release},{tree},python"),
        "--tags",
        TAGS,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for (column, loaded) in [
        (release.as_str(), format!("== {release}: msal {pin}\n")),
        (
            tree.as_str(),
            format!("== {tree}: msal {pin} (local build)\n"),
        ),
        ("python", format!("== python: msal {pin}\n")),
    ] {
        assert!(stdout.contains(&loaded), "{column}: {stdout}");
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{column} ")) && l.contains("exercised 1 of 1"))
            .unwrap_or_else(|| panic!("no summary for {column}:\n{stdout}"));
        assert!(line.contains("1 pass"), "{line}");
    }
    if let Some(dir) = conformance::port_build::PortBuild::parse(&tree)
        .unwrap()
        .install_dir(&repo_root())
    {
        let _ = std::fs::remove_dir_all(dir);
    }
}
