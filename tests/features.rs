//! Runs every `features/*.feature` against the reference client (`rust`)
//! under `cargo test --test features`: prints the scenario count and the
//! pass / fail / not-supported counts, every failure with its step and the
//! journal of what reached the IdP, and exits non-zero on any failure.
//!
//! It runs twice: with the production authority (through the mock's proxy;
//! snapshots in `snapshots/rust/`) and with the mock's own localhost
//! authority (`snapshots/localhost/rust/`). A missing or different snapshot
//! is a failure: `INSTA_UPDATE` defaults to `no` here (no file is written);
//! run with `INSTA_UPDATE=always` to write them, then review every one.
//! Filter with `FIC_TAGS='@user_fic and not @review-finding'`.

use std::process::ExitCode;

use conformance::authority::AuthorityMode;
use conformance::reference_driver::{PORT, reference_factory};
use conformance::suite::{Status, SuiteOptions, default_features_dir, run_suite};

fn main() -> ExitCode {
    if std::env::var_os("INSTA_UPDATE").is_none() {
        // SAFETY: set before any other thread (the runtime) exists.
        unsafe { std::env::set_var("INSTA_UPDATE", "no") };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (mut ran, mut ok) = (0, true);
    for authority in [AuthorityMode::Production, AuthorityMode::Localhost] {
        let (n, passed) = run(&runtime, authority);
        ran += n;
        ok &= passed;
    }
    if ran == 0 {
        println!(
            "no scenario ran: is {} empty?",
            default_features_dir().display()
        );
        return ExitCode::FAILURE;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The suite in one authority mode: how many scenarios ran, and whether
/// they all passed.
fn run(runtime: &tokio::runtime::Runtime, authority: AuthorityMode) -> (usize, bool) {
    let report = runtime.block_on(run_suite(SuiteOptions {
        features_dir: default_features_dir(),
        tag_filter: std::env::var("FIC_TAGS").ok().filter(|t| !t.is_empty()),
        factory: reference_factory(),
        port: PORT.to_owned(),
        authority,
    }));

    for s in &report.scenarios {
        let mark = match &s.status {
            Status::Passed => "pass".to_owned(),
            Status::Failed { .. } => "FAIL".to_owned(),
            Status::NotSupported { capability } => format!("not supported ({capability})"),
        };
        println!("{mark:>6}  [{authority}] {} / {}", s.feature, s.scenario);
    }
    let (passed, failed, unsupported) = report.counts();
    print!("{}", report.failure_details());
    println!(
        "\n{} scenarios against `{PORT}` ({authority} authority): {passed} passed, {failed} failed, {unsupported} not supported",
        report.scenarios.len()
    );
    (report.scenarios.len(), report.is_success())
}
