//! Helpers for tests that run a real MSAL port through its JSON-lines driver
//! (`docs/driver-protocol.md`).
#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the built `fic-harness` in the repository, as a user would, with
/// insta's own `INSTA_UPDATE` left out so the run's snapshot policy is its own.
pub fn run_harness<I, S>(args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_fic-harness"))
        .args(args)
        .current_dir(repo_root())
        .env_remove("INSTA_UPDATE")
        .output()
        .expect("running fic-harness")
}

/// Whether a missing port runtime must fail the test rather than skip it:
/// CI must never mistake a port that did not run for one that passed.
pub fn ports_required() -> bool {
    std::env::var("FIC_REQUIRE_PORTS").is_ok_and(|v| v == "1")
        || std::env::var("CI").is_ok_and(|v| !v.is_empty())
}

/// The venv interpreter `ports/python/install.sh` creates, or `None` after
/// printing why the caller skips (or panicking when ports are required).
pub fn python_venv_or_skip(test: &str) -> Option<PathBuf> {
    let python = repo_root().join(".build/venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    let why = format!(
        "{} is missing: run `bash ports/install.sh` (or ports/python/install.sh) first",
        python.display()
    );
    assert!(
        !ports_required(),
        "{test}: {why} (required because FIC_REQUIRE_PORTS=1 or CI is set)"
    );
    eprintln!("skipped: {test}: {why}");
    None
}

/// A driver process; every call sends one request and reads its one reply.
pub struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Driver {
    /// Spawns `program args…` in the repository root, with the CA variables
    /// the harness sets (`docs/driver-protocol.md`, "Environment").
    pub fn spawn(program: &Path, args: &[&str], ca_cert: &Path) -> Driver {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(repo_root())
            .env("FIC_CA_CERT", ca_cert)
            .env("NODE_EXTRA_CA_CERTS", ca_cert)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Driver {
            child,
            stdin,
            stdout,
            next_id: 1,
        }
    }

    /// Sends `{"cmd": cmd, ...fields}` and returns the whole reply object.
    pub fn call(&mut self, cmd: &str, fields: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = json!({"id": id, "cmd": cmd});
        if let Value::Object(extra) = fields {
            request.as_object_mut().unwrap().extend(extra);
        }
        writeln!(self.stdin, "{request}")
            .and_then(|()| self.stdin.flush())
            .expect("driver stdin");
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).expect("driver stdout");
        assert!(n > 0, "driver exited without replying to {request}");
        let reply: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("driver wrote a non-JSON line ({e}): {line}"));
        assert_eq!(reply["id"], id, "reply out of order: {reply}");
        reply
    }

    /// Like [`Driver::call`], but the command must succeed.
    pub fn ok(&mut self, cmd: &str, fields: Value) -> Value {
        let reply = self.call(cmd, fields);
        assert_eq!(reply["ok"], true, "{cmd} failed: {reply}");
        reply
    }

    pub fn shutdown(mut self) {
        self.ok("shutdown", json!({}));
        let status = self.child.wait().expect("driver exit");
        assert!(status.success(), "driver exited with {status}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // A failed assertion must not leave the driver process behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The claims of a JWT, decoded without checking its signature.
pub fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {jwt}"));
    serde_json::from_slice(&base64url_decode(payload)).expect("JWT payload is JSON")
}

fn base64url_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.trim_end_matches('=').bytes() {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("not base64url: {s}"));
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
