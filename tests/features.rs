//! Runs every `features/*.feature` against the reference client (`rust`)
//! under `cargo test --test features`: prints the scenario count and the
//! pass / fail / not-supported counts, every failure with its step and the
//! journal of what reached the IdP, and exits non-zero on any failure.
//!
//! Snapshots live in `snapshots/rust/`. A missing or different snapshot is
//! a failure: `INSTA_UPDATE` defaults to `no` here (no file is written);
//! run with `INSTA_UPDATE=new` to write `.snap.new` files, then review every
//! one (`cargo insta review`).
//! Filter with `FIC_TAGS='@user_fic and not @review-finding'`.

use std::process::ExitCode;

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
    let report = runtime.block_on(run_suite(SuiteOptions {
        features_dir: default_features_dir(),
        tag_filter: std::env::var("FIC_TAGS").ok().filter(|t| !t.is_empty()),
        factory: reference_factory(),
        port: PORT.to_owned(),
    }));

    for s in &report.scenarios {
        let mark = match &s.status {
            Status::Passed => "pass".to_owned(),
            Status::Failed { .. } => "FAIL".to_owned(),
            Status::NotSupported { capability } => format!("not supported ({capability})"),
        };
        println!("{mark:>6}  {} / {}", s.feature, s.scenario);
    }
    let (passed, failed, unsupported) = report.counts();
    print!("{}", report.failure_details());
    println!(
        "\n{} scenarios against `{PORT}`: {passed} passed, {failed} failed, {unsupported} not supported",
        report.scenarios.len()
    );
    if report.scenarios.is_empty() && report.errors.is_empty() {
        println!(
            "no scenario ran: is {} empty?",
            default_features_dir().display()
        );
        return ExitCode::FAILURE;
    }
    if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
