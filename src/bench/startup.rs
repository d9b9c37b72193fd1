//! Time from spawning `fic-harness serve` to reading its ready line: warm
//! (keys reused from `--state-dir`, the CI case) and cold (a fresh state
//! directory, so the RSA signing key is generated).

use std::path::Path;

use super::stats::{median, ms};
use super::targets;

pub struct Startup {
    pub warm_ms: Vec<f64>,
    pub cold_ms: Vec<f64>,
}

impl Startup {
    pub fn warm_median(&self) -> f64 {
        median(&self.warm_ms).unwrap_or(f64::NAN)
    }
    pub fn cold_median(&self) -> f64 {
        median(&self.cold_ms).unwrap_or(f64::NAN)
    }
}

pub fn measure(work_dir: &Path, runs: usize) -> anyhow::Result<Startup> {
    let warm_dir = work_dir.join("startup-warm");
    let addr = targets::free_port()?;
    // Make the keys once; the warm runs reuse them.
    drop(targets::start_mock(addr, &warm_dir, true)?);
    let mut warm_ms = Vec::new();
    for _ in 0..runs {
        warm_ms.push(ms(targets::start_mock(addr, &warm_dir, true)?.ready_after));
    }
    let mut cold_ms = Vec::new();
    for i in 0..runs {
        let dir = work_dir.join(format!("startup-cold-{i}"));
        cold_ms.push(ms(targets::start_mock(addr, &dir, true)?.ready_after));
    }
    Ok(Startup { warm_ms, cold_ms })
}
