//! Wall time of the feature suite with the Rust reference client:
//! `cargo test --release --test features`, built first so only the run is
//! timed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

pub fn features_wall_time(repo: &Path, runs: usize) -> anyhow::Result<Option<Vec<Duration>>> {
    if !repo.join("tests/features.rs").exists() {
        return Ok(None);
    }
    let cargo = |args: &[&str]| {
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(repo)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("running cargo")
    };
    let built = cargo(&["test", "--release", "--test", "features", "--no-run"])?;
    anyhow::ensure!(built.success(), "building the feature suite failed");
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let status = cargo(&["test", "--release", "--test", "features"])?;
        times.push(started.elapsed());
        anyhow::ensure!(status.success(), "the feature suite failed: {status}");
    }
    Ok(Some(times))
}
