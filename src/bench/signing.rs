//! The RS256 signing ceiling: every token costs one RSA-2048 signature, so
//! signatures per second on this machine bound tokens per second. Measured
//! with `openssl speed` (what issue 7 quotes) and with the aws-lc-rs key
//! the mock itself signs with.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use jsonwebtoken::{Algorithm, EncodingKey};

/// `openssl speed -seconds N rsa2048`: signatures per second on one core.
pub fn openssl_sign_per_second(seconds: u32) -> anyhow::Result<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "rsa2048"])
        .output()
        .context("running openssl speed")?;
    anyhow::ensure!(out.status.success(), "openssl speed failed: {}", out.status);
    parse_openssl_speed(&String::from_utf8_lossy(&out.stdout))
        .context("no 'rsa 2048 bits' line in openssl speed's output")
}

/// The `sign/s` column of the `rsa 2048 bits` line:
/// `rsa 2048 bits 0.000281s 0.000008s   3552.1 124223.5`.
pub fn parse_openssl_speed(output: &str) -> Option<f64> {
    let line = output
        .lines()
        .find(|l| l.trim_start().starts_with("rsa 2048 bits"))?;
    let numbers: Vec<&str> = line.split_whitespace().skip(3).collect();
    // sign (s), verify (s), sign/s, verify/s
    numbers.get(2)?.parse().ok()
}

/// RS256 signatures per second on one thread with the blueprint's 2048-bit
/// key through jsonwebtoken/aws-lc-rs: the mock's own signing path.
pub fn aws_lc_sign_per_second(repo: &Path, run_for: Duration) -> anyhow::Result<f64> {
    let pem = std::fs::read(repo.join("fixtures/certs/blueprint.key"))
        .context("reading the blueprint key")?;
    let key = EncodingKey::from_rsa_pem(&pem).context("an RSA key")?;
    let message = [b'x'; 600];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < run_for {
        jsonwebtoken::crypto::sign(&message, &key, Algorithm::RS256).context("signing")?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sign_column() {
        let out = "version: 3.0.19\n...\n                  sign    verify    sign/s verify/s\n\
                   rsa 2048 bits 0.000281s 0.000008s   3552.1 124223.5\n";
        assert_eq!(parse_openssl_speed(out), Some(3552.1));
        assert_eq!(parse_openssl_speed("nothing"), None);
    }
}
