//! The RS256 signing ceiling: every token costs one RSA-2048 signature, so
//! signatures per second on this machine bound tokens per second. Measured
//! with `openssl speed` (the usual reference figure) and with the aws-lc-rs key
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

/// RS256 signatures per second on one thread with the same key parsed
/// once into an aws-lc-rs `RsaKeyPair` and reused: jsonwebtoken 11 parses
/// (and validates) the DER key inside every `sign` call, which the figure
/// above includes and this one does not.
pub fn aws_lc_parsed_once_per_second(repo: &Path, run_for: Duration) -> anyhow::Result<f64> {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
    use base64::Engine;
    let pem = std::fs::read_to_string(repo.join("fixtures/certs/blueprint.key"))
        .context("reading the blueprint key")?;
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .context("the blueprint key is not PEM")?;
    let key = RsaKeyPair::from_pkcs8(&der)
        .map_err(|e| anyhow::anyhow!("the blueprint key is not PKCS#8 RSA: {e}"))?;
    let rng = SystemRandom::new();
    let mut signature = vec![0; key.public_modulus_len()];
    let message = [b'x'; 600];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < run_for {
        key.sign(&RSA_PKCS1_SHA256, &rng, &message, &mut signature)
            .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
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
