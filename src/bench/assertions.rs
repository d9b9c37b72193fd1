//! Request bodies for the two client-credentials scenarios: the blueprint's
//! secret, and a pool of certificate assertions signed with the blueprint's
//! fixture key, each with its own `jti`, made before the clock starts so
//! the generator measures the server, not its own RSA signing.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use fic_protocol::{GrantType, TOKEN_EXCHANGE_SCOPE, form as field};
use jsonwebtoken::{Algorithm, EncodingKey};
use mock_entra::fixtures::{AGENT_A, BLUEPRINT};
use serde_json::json;

pub const BLUEPRINT_SECRET: &str = "blueprint-secret";
const JWT_BEARER: &str = fic_protocol::AssertionType::JWT_BEARER_URN;
/// Assertions live as long as MSAL's (10 minutes): a bench run is shorter.
const LIFETIME_SECONDS: u64 = 600;

fn form(pairs: &[(&str, &str)]) -> Bytes {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    Bytes::from(s.finish())
}

/// Leg 1 with the secret: the same body for every request.
pub fn secret_body() -> Bytes {
    form(&[
        (field::GRANT_TYPE, GrantType::ClientCredentials.as_str()),
        (field::CLIENT_ID, BLUEPRINT.as_str()),
        (field::CLIENT_SECRET, BLUEPRINT_SECRET),
        (field::SCOPE, TOKEN_EXCHANGE_SCOPE),
        (field::FMI_PATH, AGENT_A.as_str()),
    ])
}

/// The blueprint's key and certificate, read from the repository's fixtures.
pub struct Signer {
    key: EncodingKey,
    /// base64url JSON of the JOSE header, the same for every assertion.
    header_b64: String,
}

impl Signer {
    pub fn from_fixtures(repo: &Path) -> anyhow::Result<Signer> {
        let certs = repo.join("fixtures/certs");
        let key_pem = std::fs::read(certs.join("blueprint.key"))
            .with_context(|| format!("reading {}", certs.join("blueprint.key").display()))?;
        let cert_pem = std::fs::read_to_string(certs.join("blueprint.crt"))
            .with_context(|| format!("reading {}", certs.join("blueprint.crt").display()))?;
        let der = STANDARD
            .decode(
                cert_pem
                    .lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<String>(),
            )
            .context("blueprint.crt is not PEM")?;
        let header = json!({
            "alg": "RS256", "typ": "JWT",
            "x5t#S256": fic_protocol::thumbprint::x5t_s256(&der),
        });
        Ok(Signer {
            key: EncodingKey::from_rsa_pem(&key_pem).context("blueprint.key is not an RSA key")?,
            header_b64: URL_SAFE_NO_PAD.encode(header.to_string()),
        })
    }

    /// One assertion for `audience` (the token endpoint).
    fn assertion(&self, audience: &str, now: u64) -> anyhow::Result<String> {
        let claims = json!({
            "aud": audience, "iss": BLUEPRINT, "sub": BLUEPRINT,
            "iat": now, "nbf": now, "exp": now + LIFETIME_SECONDS,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let input = format!(
            "{}.{}",
            self.header_b64,
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &self.key, Algorithm::RS256)
            .context("signing an assertion")?;
        Ok(format!("{input}.{signature}"))
    }

    /// `count` Leg 1 bodies with certificate assertions, signed on every
    /// core in parallel.
    pub fn assertion_bodies(&self, audience: &str, count: usize) -> anyhow::Result<Vec<Bytes>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the clock is before 1970")?
            .as_secs();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_thread = count.div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let n = per_thread.min(count.saturating_sub(t * per_thread));
                    scope.spawn(move || {
                        (0..n)
                            .map(|_| {
                                let a = self.assertion(audience, now)?;
                                Ok(form(&[
                                    (field::GRANT_TYPE, GrantType::ClientCredentials.as_str()),
                                    (field::CLIENT_ID, BLUEPRINT.as_str()),
                                    (field::CLIENT_ASSERTION_TYPE, JWT_BEARER),
                                    (field::CLIENT_ASSERTION, &a),
                                    (field::SCOPE, TOKEN_EXCHANGE_SCOPE),
                                    (field::FMI_PATH, AGENT_A.as_str()),
                                ]))
                            })
                            .collect::<anyhow::Result<Vec<Bytes>>>()
                    })
                })
                .collect();
            let mut bodies = Vec::with_capacity(count);
            for h in handles {
                bodies.extend(
                    h.join()
                        .map_err(|_| anyhow::anyhow!("a signing thread panicked"))??,
                );
            }
            Ok(bodies)
        })
    }
}
