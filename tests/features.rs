//! Runs every `features/*.feature` under `cargo test --test features`: the
//! IdP conformance section (`@idp`, no client) and every other scenario
//! against the reference client (`rust`). Prints the scenario count and the
//! pass / fail / not-supported counts, every failure with its step and the
//! journal of what reached the IdP, and exits non-zero on any failure.
//!
//! The IdP section (`@idp`, no client; snapshots in `snapshots/idp/`) runs
//! once; the reference client's scenarios run twice: with the production
//! authority (through the mock's proxy; snapshots in `snapshots/rust/`) and
//! with the mock's own localhost authority (`snapshots/localhost/rust/`). A
//! missing or different snapshot is a failure: `INSTA_UPDATE` defaults to
//! `no` here (no file is written); run with `INSTA_UPDATE=new` to write
//! `.snap.new` files, then review every one (`cargo insta review`).
//! Filter with `FIC_TAGS='@user_fic and not @review-finding'`.

use std::process::ExitCode;

use conformance::authority::AuthorityMode;
use conformance::reference_driver::{PORT, reference_factory};
use conformance::scenario::Outcome;
use conformance::suite::{Section, SuiteOptions, default_features_dir, no_client, run_suite};

fn main() -> ExitCode {
    if std::env::var_os("INSTA_UPDATE").is_none() {
        // SAFETY: set before any other thread (the runtime) exists.
        unsafe { std::env::set_var("INSTA_UPDATE", "no") };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let tags = std::env::var("FIC_TAGS").ok().filter(|t| !t.is_empty());
    let mut ran = 0;
    let mut success = true;
    let sections = [
        (Section::Idp, AuthorityMode::Production),
        (Section::Port(PORT.to_owned()), AuthorityMode::Production),
        (Section::Port(PORT.to_owned()), AuthorityMode::Localhost),
    ];
    for (section, authority) in sections {
        let name = section.name().to_owned();
        let factory = match section {
            Section::Idp => no_client(),
            Section::Port(_) | Section::Build(_) => reference_factory(),
        };
        let report = runtime.block_on(run_suite(SuiteOptions {
            features_dir: default_features_dir(),
            tag_filter: tags.clone(),
            factory,
            section,
            on_finished: None,
            authority,
        }));
        for s in &report.scenarios {
            let mark = match &s.outcome {
                Outcome::Passed => "pass".to_owned(),
                Outcome::Failed { .. } => "FAIL".to_owned(),
                Outcome::NotSupported { capability } => format!("not supported ({capability})"),
            };
            println!(
                "{mark:>6}  [{authority}] {:<6} {} / {}",
                s.id, s.feature, s.scenario
            );
        }
        let (passed, failed, unsupported) = report.counts();
        print!("{}", report.failure_details());
        println!(
            "\n{} scenarios against `{name}` ({authority} authority): {passed} passed, {failed} failed, {unsupported} not supported\n",
            report.scenarios.len()
        );
        ran += report.scenarios.len() + report.errors.len();
        success &= report.is_success();
    }
    if ran == 0 {
        println!(
            "no scenario ran: is {} empty?",
            default_features_dir().display()
        );
        return ExitCode::FAILURE;
    }
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
