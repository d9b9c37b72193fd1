//! Executes the commands the documentation tells a user to run, so a doc
//! that no longer works fails `cargo test`.
//!
//! Every fenced block in `*.md` at the repository root and in `docs/*.md`
//! is picked up by its info string:
//!
//! - ` ```sh ` / ` ```bash `: run. The runnable blocks of one file are run in
//!   order as one bash script (`set -euo pipefail`), as a reader following
//!   the page would, in a fresh directory laid out like a clone without
//!   `.build/` or `target/`, where `scripts/harness.sh` and `fic-harness` are
//!   the binary this test was built with (the real script would first build a
//!   release binary). Background jobs are stopped at the end; a file gets
//!   [`FILE_TIMEOUT`].
//! - ` ```console `: a transcript. Each `$ command` (continued with `\`) is
//!   run and its output (stdout and stderr) must be the lines that follow;
//!   a trailing `# exit status N` on the last line is the expected status.
//! - ` ```sh ci `: run by CI, not here: only the commands in [`CI_COMMANDS`]
//!   (the long ones `.ci/run` already runs through `scripts/test.sh`).
//! - ` ```sh no-run <reason> `: not run, for the reason given (it installs
//!   a tool, needs an interactive review, takes many minutes). The reason is
//!   required, so the marker stays rare.
//!
//! Blocks in other languages (`json`, `rust`, `toml`, `text`) are not
//! commands and are left alone.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FILE_TIMEOUT: Duration = Duration::from_secs(300);

/// The long commands a ` ```sh ci ` block may hold, each with the line of
/// `scripts/test.sh` (which `.ci/run` runs) that runs it in CI.
const CI_COMMANDS: &[(&str, &str)] = &[
    ("scripts/test.sh", "bash scripts/test.sh"),
    ("scripts/harness.sh run --port all", "run --port all"),
    ("fic-harness run", "run --port all"),
    (
        "fic-harness explore --port all --seed 1 --cases 20 --max-steps 6",
        "explore --port all --seed 1 --cases 20 --max-steps 6",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Run,
    Console,
    Ci,
    NoRun(String),
    /// Not a shell block.
    Other,
}

#[derive(Debug, Clone)]
struct Block {
    file: PathBuf,
    /// 1-based line of the opening fence.
    line: usize,
    kind: Kind,
    text: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The block kind an info string names, or why it is malformed.
fn kind(info: &str) -> Result<Kind, String> {
    let mut words = info.split_whitespace();
    let lang = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    let shell = matches!(lang, "sh" | "bash" | "shell");
    if lang == "console" {
        return Ok(Kind::Console);
    }
    if !shell {
        return Ok(Kind::Other);
    }
    match rest.first().copied() {
        None => Ok(Kind::Run),
        Some("ci") if rest.len() == 1 => Ok(Kind::Ci),
        Some("no-run") if rest.len() > 1 => Ok(Kind::NoRun(rest[1..].join(" "))),
        Some("no-run") => Err("`no-run` needs a reason after it".into()),
        Some(other) => Err(format!(
            "unknown marker `{other}` (known: `ci`, `no-run <reason>`)"
        )),
    }
}

fn blocks(file: &Path, text: &str) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String, Vec<&str>)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some((i + 1, info.trim().to_owned(), Vec::new()));
                }
            }
            Some((start, info, body)) => {
                if trimmed.starts_with("```") {
                    let kind =
                        kind(info).map_err(|e| format!("{}:{start}: {e}", file.display()))?;
                    out.push(Block {
                        file: file.to_owned(),
                        line: *start,
                        kind,
                        text: body.join("\n"),
                    });
                    open = None;
                } else {
                    body.push(line);
                }
            }
        }
    }
    if let Some((start, ..)) = open {
        return Err(format!("{}:{start}: unclosed code block", file.display()));
    }
    Ok(out)
}

/// The documentation files: `*.md` at the root and in `docs/`.
fn doc_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [repo(), repo().join("docs")] {
        for entry in std::fs::read_dir(&dir).expect("reading the docs") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn all_blocks() -> Vec<Block> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).expect("reading a doc");
        let rel = file.strip_prefix(repo()).unwrap_or(&file).to_owned();
        match blocks(&rel, &text) {
            Ok(b) => out.extend(b),
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    out
}

/// A directory laid out like a fresh clone: the repository's files (linked),
/// no `.build/` or `target/`, `scripts/harness.sh` replaced by the tested
/// binary, and `bin/fic-harness` for commands that call it by name.
fn fresh_clone() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("fic-harness-docs-")
        .tempdir()
        .expect("a temporary directory");
    for entry in std::fs::read_dir(repo()).expect("reading the repository") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name();
        if matches!(
            name.to_str(),
            Some("target" | ".build" | ".git" | "scripts" | "bin")
        ) {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), dir.path().join(&name)).expect("linking");
    }
    let scripts = dir.path().join("scripts");
    std::fs::create_dir(&scripts).expect("scripts/");
    for entry in std::fs::read_dir(repo().join("scripts")).expect("reading scripts/") {
        let entry = entry.expect("a directory entry");
        if entry.file_name() != "harness.sh" {
            std::os::unix::fs::symlink(entry.path(), scripts.join(entry.file_name()))
                .expect("linking");
        }
    }
    let bin = env!("CARGO_BIN_EXE_fic-harness");
    let shim = format!(
        "#!/usr/bin/env bash\n# The docs test's stand-in: the binary under test, already built.\nexec {bin:?} \"$@\"\n"
    );
    write_executable(&scripts.join("harness.sh"), &shim);
    std::fs::create_dir(dir.path().join("bin")).expect("bin/");
    std::os::unix::fs::symlink(bin, dir.path().join("bin/fic-harness")).expect("linking");
    dir
}

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, text).expect("writing a script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

struct Outcome {
    status: Option<i32>,
    output: String,
    timed_out: bool,
}

/// Runs `script` with bash in `dir`, in its own process group, which is
/// stopped afterwards (servers a block started in the background included).
fn run_bash(dir: &Path, script: &str, timeout: Duration) -> Outcome {
    use std::os::unix::process::CommandExt as _;
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out_path = dir.join(".docs-test-output");
    let out = std::fs::File::create(&out_path).expect("an output file");
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .process_group(0)
        .spawn()
        .expect("starting bash");
    let deadline = Instant::now() + timeout;
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("waiting for bash") {
            break (status.code(), false);
        }
        if Instant::now() > deadline {
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    let mut output = String::new();
    std::fs::File::open(&out_path)
        .expect("the output file")
        .read_to_string(&mut output)
        .expect("reading the output");
    Outcome {
        status,
        output,
        timed_out,
    }
}

/// One file's runnable blocks as one script, each announced on stderr.
fn script(blocks: &[&Block]) -> String {
    let mut s = String::from("set -euo pipefail\n");
    for b in blocks {
        s.push_str(&format!(
            "echo '>>> {}:{}' >&2\n{}\n",
            b.file.display(),
            b.line,
            b.text
        ));
    }
    s
}

/// `$ command` lines (with `\` continuations) and the output that follows.
fn transcript(text: &str) -> Vec<(String, String)> {
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut continuing = false;
    for line in text.lines() {
        if continuing {
            let (cmd, _) = steps.last_mut().expect("a command");
            cmd.push('\n');
            cmd.push_str(line);
            continuing = line.ends_with('\\');
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            steps.push((cmd.to_owned(), String::new()));
            continuing = cmd.ends_with('\\');
        } else if let Some((_, out)) = steps.last_mut() {
            out.push_str(line);
            out.push('\n');
        }
    }
    steps
}

fn check_console(block: &Block, dir: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    for (cmd, expected) in transcript(&block.text) {
        let (expected, want_status) = match expected.trim_end().rsplit_once("# exit status ") {
            Some((out, code)) => (
                out.trim_end().to_owned(),
                code.trim().parse::<i32>().expect("an exit status"),
            ),
            None => (expected.trim_end().to_owned(), 0),
        };
        let got = run_bash(dir, &cmd, Duration::from_secs(60));
        if got.status != Some(want_status) || got.output.trim_end() != expected {
            failures.push(format!(
                "{}:{}: `{cmd}`: {} (expected {want_status}), printed\n{}\nexpected\n{expected}",
                block.file.display(),
                block.line,
                status_text(got.status),
                got.output.trim_end()
            ));
        }
    }
    failures
}

fn status_text(status: Option<i32>) -> String {
    match status {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".into(),
    }
}

#[test]
fn every_documented_command_runs() {
    let blocks = all_blocks();
    let mut failures = Vec::new();
    let mut files: Vec<&PathBuf> = blocks.iter().map(|b| &b.file).collect();
    files.dedup();
    let mut ran = 0;
    for file in files {
        let clone = fresh_clone();
        let mine: Vec<&Block> = blocks.iter().filter(|b| &b.file == file).collect();
        let runnable: Vec<&Block> = mine
            .iter()
            .copied()
            .filter(|b| b.kind == Kind::Run)
            .collect();
        if !runnable.is_empty() {
            let started = Instant::now();
            let got = run_bash(clone.path(), &script(&runnable), FILE_TIMEOUT);
            eprintln!(
                "{}: {} block(s) in {:.1}s",
                file.display(),
                runnable.len(),
                started.elapsed().as_secs_f64()
            );
            ran += runnable.len();
            if got.timed_out || got.status != Some(0) {
                failures.push(format!(
                    "{}: {} (the last `>>>` line is the failing block):\n{}",
                    file.display(),
                    if got.timed_out {
                        format!("still running after {FILE_TIMEOUT:?}")
                    } else {
                        status_text(got.status)
                    },
                    got.output
                ));
            }
        }
        for block in mine.iter().filter(|b| b.kind == Kind::Console) {
            failures.extend(check_console(block, clone.path()));
            ran += 1;
        }
    }
    assert!(ran > 0, "no documented command was found");
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn ci_blocks_hold_only_what_ci_runs() {
    let test_sh = std::fs::read_to_string(repo().join("scripts/test.sh")).expect("test.sh");
    let ci_run = std::fs::read_to_string(repo().join(".ci/run")).expect(".ci/run");
    assert!(
        ci_run.contains("bash scripts/test.sh"),
        ".ci/run no longer runs scripts/test.sh"
    );
    for block in all_blocks().iter().filter(|b| b.kind == Kind::Ci) {
        for line in block.text.lines() {
            let command = line.split('#').next().unwrap_or("").trim();
            if command.is_empty() {
                continue;
            }
            let Some((_, ci_line)) = CI_COMMANDS.iter().find(|(c, _)| *c == command) else {
                panic!(
                    "{}:{}: `{command}` is marked `ci`, but CI does not run it; run it in the docs test instead",
                    block.file.display(),
                    block.line
                );
            };
            assert!(
                test_sh.contains(ci_line) || ci_run.contains(ci_line),
                "{}:{}: `{command}` is marked `ci`, but neither .ci/run nor scripts/test.sh runs `{ci_line}`",
                block.file.display(),
                block.line
            );
        }
    }
}

#[test]
fn markers_are_read_and_a_bare_no_run_is_refused() {
    let md = "x\n```sh\necho a\n```\n```sh ci\nscripts/test.sh\n```\n```sh no-run installs a tool\ncargo install x\n```\n```json\n{}\n```\n```console\n$ true\n```\n";
    let b = blocks(Path::new("x.md"), md).unwrap();
    let kinds: Vec<Kind> = b.iter().map(|b| b.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            Kind::Run,
            Kind::Ci,
            Kind::NoRun("installs a tool".into()),
            Kind::Other,
            Kind::Console
        ]
    );
    assert_eq!((b[0].line, b[0].text.as_str()), (2, "echo a"));
    let err = blocks(Path::new("x.md"), "```sh no-run\nx\n```\n").unwrap_err();
    assert!(err.contains("x.md:1: `no-run` needs a reason"), "{err}");
    assert!(blocks(Path::new("x.md"), "```sh maybe\nx\n```\n").is_err());
    assert!(blocks(Path::new("x.md"), "```sh\nx\n").is_err());
}

#[test]
fn a_failing_block_fails_and_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let b = Block {
        file: "x.md".into(),
        line: 7,
        kind: Kind::Run,
        text: "false\necho never".into(),
    };
    let got = run_bash(dir.path(), &script(&[&b]), Duration::from_secs(10));
    assert_eq!(got.status, Some(1));
    assert!(got.output.contains(">>> x.md:7"), "{}", got.output);
    assert!(!got.output.contains("never"));
    let slow = run_bash(dir.path(), "sleep 30", Duration::from_millis(200));
    assert!(slow.timed_out);
}

#[test]
fn transcripts_split_commands_continuations_and_status() {
    let steps = transcript("$ a \\\n  b\nout\n$ c\nerr   # exit status 2\n");
    assert_eq!(
        steps,
        [
            ("a \\\n  b".to_owned(), "out\n".to_owned()),
            ("c".to_owned(), "err   # exit status 2\n".to_owned())
        ]
    );
}
