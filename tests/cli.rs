//! The binary as a user meets it: usage errors (exit 2, with what to type
//! instead), help texts, `serve --ready-file`, and no Rust debug notation
//! (`Some(`, `None`, `{ kind:`) in anything a failing run or a CLI error
//! prints or writes.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mock_entra::fixtures::DAEMON;

const BIN: &str = env!("CARGO_BIN_EXE_fic-harness");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("INSTA_UPDATE")
        .output()
        .expect("running fic-harness")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What Rust's `Debug` prints and a person should never read.
fn assert_no_debug_text(what: &str, text: &str) {
    for marker in ["Some(", "None", "{ kind:"] {
        assert!(
            !text.contains(marker),
            "{what} shows Rust debug notation `{marker}`:\n{text}"
        );
    }
}

#[test]
fn usage_errors_exit_2_and_say_what_to_type() {
    let port = run(&["serve", "--port", "8443"]);
    assert_eq!(port.status.code(), Some(2));
    let said = text(&port);
    assert!(said.contains("unexpected argument '--port'"), "{said}");
    assert!(said.contains("--addr 127.0.0.1:8443"), "{said}");

    let tags = run(&["run", "--port", "rust", "--tags", "@fmi_path and"]);
    assert_eq!(tags.status.code(), Some(2), "{}", text(&tags));
    let said = text(&tags);
    assert!(
        said.contains("invalid tag expression `@fmi_path and`"),
        "{said}"
    );
    assert!(!said.contains("BROKEN"), "{said}");
    assert_no_debug_text("a bad --tags", &said);

    for args in [
        &["run", "--port", "cobol"][..],
        &["run", "--port", "node@latest"],
        &["run", "--port", "python,python"],
        &["run", "--report", "xml", "x.xml"],
        &["hash", "fmi_path"],
        &["serve", "--directory", "/nonexistent/directory.toml"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert_no_debug_text(&format!("fic-harness {}", args.join(" ")), &text(&out));
    }
}

#[test]
fn a_refused_directory_is_reported_once_per_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dir.toml");
    std::fs::write(
        &file,
        "[[tenants]]\nid = 'not-a-guid'\n\n[[apps]]\nclient_id = '9e4a7b1c-4444-4e5f-8a9b-44444444444Z'\n",
    )
    .unwrap();
    let out = run(&["serve", "--directory", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    let path = file.display().to_string();
    assert!(
        said.contains(&format!("{path}:2: tenant id \"not-a-guid\" is not a GUID")),
        "{said}"
    );
    assert!(said.contains(&format!("{path}:5: client_id")), "{said}");
    assert_eq!(said.matches("is not a GUID").count(), 2, "{said}");

    std::fs::write(
        &file,
        "[[tenants]]\nid = '10c419d4-4a50-45b2-aa4e-919fb84df24f'\nbogus = 1\n",
    )
    .unwrap();
    let said = text(&run(&["serve", "--directory", file.to_str().unwrap()]));
    assert_eq!(said.matches("unknown field `bogus`").count(), 1, "{said}");

    let said = text(&run(&["serve", "--directory", "/nonexistent/dir.toml"]));
    assert_eq!(
        said.matches("No such file or directory").count(),
        1,
        "{said}"
    );
}

#[test]
fn help_describes_every_flag_and_uses_real_tags() {
    let key = text(&run(&["key", "--help"]));
    for flag in [
        "--profile",
        "--algorithm",
        "--client-id",
        "--environment",
        "--realm",
        "--scopes",
        "--home-account-id",
        "--token-type",
    ] {
        let line = key
            .lines()
            .position(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("key --help lacks {flag}:\n{key}"));
        // Each flag is followed by its description (clap's long help puts
        // it on the next line).
        let next = key.lines().nth(line + 1).unwrap_or("").trim();
        assert!(
            !next.is_empty() && !next.starts_with("--"),
            "key --help leaves {flag} undescribed:\n{key}"
        );
    }
    let flowing = key.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flowing.contains("\"atext\" is the credential type"),
        "{key}"
    );

    let help = text(&run(&["run", "--help"]));
    let features: String =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("features"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
    let tags: Vec<&str> = help
        .split(|c: char| c.is_whitespace() || c == '`' || c == '\'' || c == ')' || c == '(')
        .filter(|w| w.starts_with('@') && w.len() > 1)
        .collect();
    assert!(!tags.is_empty(), "run --help shows no tag example:\n{help}");
    for tag in tags {
        assert!(
            features.contains(&format!("{tag} ")) || features.contains(&format!("{tag}\n")),
            "run --help's example tag {tag} is in no feature"
        );
    }
}

#[test]
fn serve_writes_the_ready_file_atomically_once_it_accepts_connections() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("not/yet/there/ready.json");
    let mut child = Command::new(BIN)
        .args(["serve", "--plain-http", "--ready-file"])
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "no ready file after 60 s");
        assert!(child.try_wait().unwrap().is_none(), "serve exited");
        std::thread::sleep(Duration::from_millis(20));
    }
    let line = std::fs::read_to_string(&ready).unwrap();
    let json: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = json["url"].as_str().unwrap();
    let addr = url
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    // Only the ready file is in its folder: the temporary file was renamed.
    let names: Vec<_> = std::fs::read_dir(ready.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["ready.json"]);
    // The file exists, so the server already accepts connections.
    let connected = std::net::TcpStream::connect(&addr);
    // SIGTERM: a clean stop, which removes the file.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "serve did not stop cleanly");
    assert!(!ready.exists(), "the ready file outlived the server");
    connected.unwrap_or_else(|e| panic!("connecting to {addr} once the ready file exists: {e}"));
    assert_eq!(
        line,
        String::from_utf8_lossy(&out.stdout),
        "file and stdout differ"
    );
}

const FAILING: &str = r#"Feature: Fails on purpose
  Background:
    Given the blueprint app with a secret credential
    And agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2

  Scenario: A client-side refusal read as the IdP's
    When agent A acquires a user token with an empty assertion for "bob@contoso.com"
    Then the refusal is AADSTS50034 with status 400

  Scenario: An IdP refusal read as the client's
    When agent A acquires a user token with T2 for "mallory@contoso.com"
    Then the client refused before sending anything

  Scenario: The wrong grant and client
    When agent A acquires a user token with T2 for "alice@contoso.com"
    Then the last request had grant_type "client_credentials"

  Scenario: The wrong requester
    When agent A acquires a user token with T2 for "alice@contoso.com"
    Then the last request came from agent B

  Scenario: An absent field
    When agent A acquires a user token with T2 for "alice@contoso.com"
    Then the last request's "fmi_path" was "agent-1"

  Scenario: A step nobody wrote
    Then the moon is made of cheese
"#;

#[test]
fn a_failing_run_prints_and_reports_no_debug_text() {
    let dir = tempfile::tempdir().unwrap();
    let features = dir.path().join("features");
    std::fs::create_dir(&features).unwrap();
    std::fs::write(features.join("failing.feature"), FAILING).unwrap();
    let json = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let out = run(&[
        "run",
        "--port",
        "rust",
        "--features",
        features.to_str().unwrap(),
        "--report",
        "json",
        json.to_str().unwrap(),
        "--report",
        "junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let printed = text(&out);
    let json = std::fs::read_to_string(json).unwrap();
    let junit = std::fs::read_to_string(junit).unwrap();
    // The run really failed in each way (so the scan below reads the
    // messages those failures produce).
    for (report, name) in [(&json, "JSON"), (&junit, "JUnit")] {
        for scenario in [
            "A client-side refusal read as the IdP",
            "An IdP refusal read as the client",
            "The wrong grant and client",
            "The wrong requester",
            "An absent field",
            "A step nobody wrote",
        ] {
            assert!(
                report.contains(scenario),
                "the {name} report lacks {scenario}:\n{report}"
            );
        }
    }
    assert!(junit.contains("expected the IdP"), "{junit}");
    assert!(junit.contains("(absent)"), "{junit}");
    assert_no_debug_text("the printed matrix", &printed);
    assert_no_debug_text("the JSON report", &json);
    assert_no_debug_text("the JUnit report", &junit);
}

/// One plain-HTTP/1.1 request; the response's status line and body.
fn http(addr: &str, method: &str, path: &str, content_type: &str, body: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_logs_plain_key_value_lines_and_names_injected_faults() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--plain-http", "--ready-file"])
        .arg(&ready)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "no ready file after 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    let addr = json["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let token_path = format!("/{}/oauth2/v2.0/token", json["tenant_id"].as_str().unwrap());
    let form = format!(
        "grant_type=client_credentials&client_id={DAEMON}&client_secret=daemon-secret&scope=api%3A%2F%2Fcontoso-api%2F.default"
    );

    let refused = http(
        &addr,
        "POST",
        "/_harness/faults",
        "application/json",
        r#"{"stauts":503}"#,
    );
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
    assert!(refused.contains("unknown field `stauts`"), "{refused}");
    let queued = http(
        &addr,
        "POST",
        "/_harness/faults",
        "application/json",
        r#"{"status":503}"#,
    );
    assert!(queued.starts_with("HTTP/1.1 201"), "{queued}");
    let faulted = http(
        &addr,
        "POST",
        &token_path,
        "application/x-www-form-urlencoded",
        &form,
    );
    assert!(faulted.starts_with("HTTP/1.1 503"), "{faulted}");
    assert!(faulted.contains("AADSTS9990100"), "{faulted}");
    let wrong = form.replace("daemon-secret", "wrong");
    let denied = http(
        &addr,
        "POST",
        &token_path,
        "application/x-www-form-urlencoded",
        &wrong,
    );
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");

    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a log file:\n{log}"
    );
    assert_no_debug_text("the log", &log);
    let injected = log
        .lines()
        .find(|l| l.contains("injected fault answered"))
        .unwrap_or_else(|| panic!("the injected fault is not logged as such:\n{log}"));
    for field in [
        "grant=client_credentials",
        &format!("client={DAEMON}"),
        "status=503",
        "code=9990100",
    ] {
        assert!(injected.contains(field), "{field} missing in: {injected}");
    }
    let refused = log
        .lines()
        .find(|l| l.contains("token refused"))
        .unwrap_or_else(|| panic!("the refusal is not logged:\n{log}"));
    assert!(refused.contains("code=7000215"), "{refused}");
}
