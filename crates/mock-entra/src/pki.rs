//! The mock's keys and certificates: a CA (trusted by clients), the TLS
//! server certificate it signs for `localhost`/`127.0.0.1`, the RS256 token
//! signing key (parsed once, reused for every token), and client
//! certificates for mTLS tests. Generated at start, or reused from a state
//! directory so clients can keep trusting the same CA across restarts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;

use crate::state_dir::{self, Secrecy, StateDirError};
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

#[derive(Debug, thiserror::Error)]
/// Why the mock's keys or certificates could not be made or loaded.
pub enum PkiError {
    #[error("certificate generation failed: {0}")]
    /// Generating a key or certificate failed.
    Generate(#[from] rcgen::Error),
    #[error("the token signing key is unusable: {0}")]
    /// The signing key could not be read or used.
    SigningKey(String),
    #[error("the CA certificate is unusable: {0}")]
    /// The CA could not be read or used.
    Ca(String),
    #[error(transparent)]
    /// The state directory is unsafe or unreadable.
    StateDir(#[from] StateDirError),
    #[error(
        "the state directory {dir} holds only part of the mock's keys: {missing} missing (present: {present}); restore the missing files or start with an empty directory"
    )]
    /// Some of the state files are present and some are not.
    PartialState {
        /// The state directory.
        dir: PathBuf,
        /// The files missing.
        missing: String,
        /// The files present.
        present: String,
    },
    #[error(
        "{key} does not belong to {cert}: the key's public half differs from the certificate's"
    )]
    /// A key file does not belong to its certificate.
    KeyMismatch {
        /// The key file.
        key: PathBuf,
        /// The certificate file.
        cert: PathBuf,
    },
    #[error("{path} is unusable: {reason}")]
    /// A state file is not what it should be.
    BadStateFile {
        /// The path concerned.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// A certificate and its key, as PEM, written to files for drivers that
/// take paths.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TlsIdentity {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PEM.
    pub key_pem: String,
    /// base64url SHA-256 of the certificate's DER: what a bound token's
    /// `cnf` carries.
    pub x5t_s256: String,
    /// Where the certificate was written.
    pub cert_pem_path: PathBuf,
    /// Where the key was written.
    pub key_pem_path: PathBuf,
}

/// The RS256 key every issued token is signed with.
///
/// The private key is parsed once, here: signing is the one expensive step
/// per token, and re-parsing the key per signature (what
/// `jsonwebtoken::encode` does with an `EncodingKey`) costs more than the
/// signature itself.
pub struct SigningKey {
    pair: RsaKeyPair,
    /// The constant JOSE header, base64url-encoded once.
    header_b64: String,
    /// The public half, for verifying what the mock signed.
    pub decoding: DecodingKey,
    /// `kid` and `x5t` of the JWKS entry (base64url SHA-1 of the certificate).
    pub kid: String,
    /// The DER of the signing certificate (the JWKS `x5c`).
    pub cert_der: Vec<u8>,
    /// base64url modulus and exponent for the JWKS.
    pub n: String,
    /// base64url exponent for the JWKS.
    pub e: String,
}

/// The mock's keys and certificates, loaded from or written to the state
/// directory.
pub struct Pki {
    /// The state directory.
    pub dir: PathBuf,
    /// The CA certificate clients trust, PEM.
    pub ca_cert_pem: String,
    ca: Issuer<'static, KeyPair>,
    /// The TLS server certificate of the mock's own listener (SAN:
    /// `localhost`, `127.0.0.1` and the configured host), PEM.
    pub server_cert_pem: String,
    /// Its private key, PEM.
    pub server_key_pem: String,
    /// The token signing key.
    pub signing: SigningKey,
    /// Built on first use, then shared (see `chain_verifier`).
    verifier: std::sync::OnceLock<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
}

/// The state files, in pairs (certificate, its key).
const PAIRS: [(&str, &str); 3] = [
    ("ca.pem", "ca.key"),
    ("server.pem", "server.key"),
    ("signing.pem", "signing.key"),
];

impl Pki {
    /// Reuses the six files in `dir` when all exist (each key checked
    /// against its certificate); generates them (for `host`, `localhost`
    /// and `127.0.0.1`) when none does; refuses a partial set, which would
    /// otherwise replace the CA clients trust. The directory must be this
    /// user's and closed to others (see `state_dir`).
    pub fn load_or_generate(dir: &Path, host: &str) -> Result<Pki, PkiError> {
        state_dir::prepare(dir)?;
        let files = PAIRS.iter().flat_map(|(c, k)| [*c, *k]);
        let (present, missing): (Vec<&str>, Vec<&str>) =
            files.partition(|f| std::fs::symlink_metadata(dir.join(f)).is_ok());
        if missing.is_empty() {
            return Pki::load(dir);
        }
        if !present.is_empty() {
            return Err(PkiError::PartialState {
                dir: dir.to_owned(),
                missing: missing.join(", "),
                present: present.join(", "),
            });
        }
        Pki::generate(dir, host)
    }

    fn load(dir: &Path) -> Result<Pki, PkiError> {
        let read = |f: &str| {
            let secrecy = if f.ends_with(".key") {
                Secrecy::Secret
            } else {
                Secrecy::Public
            };
            state_dir::read(&dir.join(f), secrecy)
        };
        let bad = |f: &str, e: &dyn std::fmt::Display| PkiError::BadStateFile {
            path: dir.join(f),
            reason: e.to_string(),
        };
        for (cert, key) in PAIRS {
            check_pair(dir, cert, &read(cert)?, key, &read(key)?)?;
        }
        let ca_key = KeyPair::from_pem(&read("ca.key")?).map_err(|e| bad("ca.key", &e))?;
        let ca_cert_pem = read("ca.pem")?;
        let ca = Issuer::from_ca_cert_pem(&ca_cert_pem, ca_key).map_err(|e| bad("ca.pem", &e))?;
        let signing = signing_key(&read("signing.pem")?, &read("signing.key")?)?;
        Ok(Pki {
            dir: dir.to_owned(),
            ca_cert_pem,
            ca,
            server_cert_pem: read("server.pem")?,
            server_key_pem: read("server.key")?,
            signing,
            verifier: Default::default(),
        })
    }

    fn generate(dir: &Path, host: &str) -> Result<Pki, PkiError> {
        // The RSA key is the slow part of start-up: its prime search takes
        // anywhere from 20 to 160 ms. Two searches race (the first key found
        // is used, the other thread finishes unobserved), which cuts the
        // median and the tail, while the (ECDSA) CA and server certificate
        // are made here.
        let (found, rsa) = std::sync::mpsc::channel();
        for _ in 0..2 {
            let found = found.clone();
            std::thread::spawn(move || {
                let _ = found.send(KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256));
            });
        }
        drop(found);

        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "fic-harness mock Entra ID test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca_cert_pem = ca_cert.pem();
        let ca_key_pem = ca_key.serialize_pem();
        let ca = Issuer::new(ca_params, ca_key);

        let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        if !names.iter().any(|n| n == host) {
            names.push(host.to_owned());
        }
        let server_key = KeyPair::generate()?;
        let mut server_params = CertificateParams::new(Vec::<String>::new())?;
        server_params.subject_alt_names = names
            .iter()
            .map(|n| match n.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => n.clone().try_into().map(SanType::DnsName),
            })
            .collect::<Result<_, _>>()?;
        server_params
            .distinguished_name
            .push(DnType::CommonName, "fic-harness mock Entra ID");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server_params.signed_by(&server_key, &ca)?;

        let rsa = rsa
            .recv()
            .map_err(|_| PkiError::SigningKey("key generation panicked".into()))??;
        let mut signing_params = CertificateParams::new(Vec::<String>::new())?;
        signing_params.distinguished_name.push(
            DnType::CommonName,
            "fic-harness mock Entra ID token signing",
        );
        let signing_cert = signing_params.signed_by(&rsa, &ca)?;
        let signing_cert_pem = signing_cert.pem();
        let signing_key_pem = rsa.serialize_pem();

        let pki = Pki {
            dir: dir.to_owned(),
            ca_cert_pem,
            ca,
            server_cert_pem: server_cert.pem(),
            server_key_pem: server_key.serialize_pem(),
            signing: signing_key(&signing_cert_pem, &signing_key_pem)?,
            verifier: Default::default(),
        };
        for (file, contents) in [
            ("ca.pem", pki.ca_cert_pem.as_str()),
            ("ca.key", ca_key_pem.as_str()),
            ("server.pem", pki.server_cert_pem.as_str()),
            ("server.key", pki.server_key_pem.as_str()),
            ("signing.pem", signing_cert_pem.as_str()),
            ("signing.key", signing_key_pem.as_str()),
        ] {
            let secrecy = if file.ends_with(".key") {
                Secrecy::Secret
            } else {
                Secrecy::Public
            };
            state_dir::write_new(&dir.join(file), contents, secrecy)?;
        }
        Ok(pki)
    }

    /// A verifier of certificate chains up to the mock's CA, as rustls checks
    /// TLS client certificates: the TLS listener and `x5c` chains under
    /// subject-name/issuer trust use the same one.
    pub fn chain_verifier(
        &self,
    ) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, PkiError> {
        if let Some(v) = self.verifier.get() {
            return Ok(v.clone());
        }
        let err = |e: &dyn std::fmt::Display| PkiError::Ca(e.to_string());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(
                rustls_pki_types::CertificateDer::from_pem_slice(self.ca_cert_pem.as_bytes())
                    .map_err(|e| err(&e))?,
            )
            .map_err(|e| err(&e))?;
        // Client certificates are optional on the TLS listener: jwt-pop and
        // mtls_pop need them, everything else works without.
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        )
        .allow_unauthenticated()
        .build()
        .map_err(|e| err(&e))?;
        Ok(self.verifier.get_or_init(|| verifier).clone())
    }

    /// Where the CA certificate is written.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// An ECDSA P-256 server certificate for `names`, signed by the CA, as
    /// PEM (certificate, key); kept in memory only.
    pub fn issue_server_certificate(&self, names: &[&str]) -> Result<(String, String), PkiError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(
            names
                .iter()
                .map(|n| (*n).to_owned())
                .collect::<Vec<String>>(),
        )?;
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("mock"));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.ca)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// A client certificate signed by the CA (so the mock's TLS listener
    /// accepts it), written to `client-<name>.{pem,key}` in the state dir.
    /// An ECDSA P-256 client certificate signed by the mock's CA (for mTLS).
    pub fn issue_client_certificate(&self, common_name: &str) -> Result<TlsIdentity, PkiError> {
        self.issue_certificate_with(common_name, KeyPair::generate()?)
    }

    /// An RSA client certificate signed by the mock's CA: what a certificate
    /// assertion (RS256/PS256) under subject-name/issuer trust is signed with.
    pub fn issue_rsa_client_certificate(&self, common_name: &str) -> Result<TlsIdentity, PkiError> {
        self.issue_certificate_with(common_name, KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?)
    }

    fn issue_certificate_with(
        &self,
        common_name: &str,
        key: KeyPair,
    ) -> Result<TlsIdentity, PkiError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.ca)?;
        let safe: String = common_name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let serial = uuid::Uuid::new_v4().simple().to_string();
        let cert_pem_path = self.dir.join(format!("client-{safe}-{}.pem", &serial[..8]));
        let key_pem_path = self.dir.join(format!("client-{safe}-{}.key", &serial[..8]));
        state_dir::write_new(&cert_pem_path, &cert.pem(), Secrecy::Public)?;
        state_dir::write_new(&key_pem_path, &key.serialize_pem(), Secrecy::Secret)?;
        Ok(TlsIdentity {
            x5t_s256: fic_protocol::thumbprint::x5t_s256(cert.der()),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_pem_path,
            key_pem_path,
        })
    }
}

/// Refuses a key whose public half is not the certificate's: a signing key
/// that does not match `signing.pem` makes the mock refuse its own tokens
/// and publish a JWKS that verifies none of them.
fn check_pair(
    dir: &Path,
    cert: &str,
    cert_pem: &str,
    key: &str,
    key_pem: &str,
) -> Result<(), PkiError> {
    let bad = |f: &str, reason: String| PkiError::BadStateFile {
        path: dir.join(f),
        reason,
    };
    let cert_der = rustls_pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| bad(cert, e.to_string()))?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&cert_der)
        .map_err(|e| bad(cert, format!("not an X.509 certificate: {e}")))?;
    let key_pair = KeyPair::from_pem(key_pem).map_err(|e| bad(key, e.to_string()))?;
    if rcgen::PublicKeyData::subject_public_key_info(&key_pair) != parsed.public_key().raw {
        return Err(PkiError::KeyMismatch {
            key: dir.join(key),
            cert: dir.join(cert),
        });
    }
    Ok(())
}

fn signing_key(cert_pem: &str, key_pem: &str) -> Result<SigningKey, PkiError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let err = |e: String| PkiError::SigningKey(e);
    let key_der =
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| err(e.to_string()))?;
    let pair = match &key_der {
        PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
        _ => return Err(err("the signing key is not an RSA key".into())),
    }
    .map_err(|e| err(e.to_string()))?;
    let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| err(e.to_string()))?
        .to_vec();
    let public = RsaPublic::from_cert_der(&cert_der).map_err(err)?;
    let kid = fic_protocol::thumbprint::x5t_sha1(&cert_der);
    // `kid` and `x5t` both name the JWKS entry, as in Entra's tokens; the
    // field order is the one the journal snapshots pin.
    let header = serde_json::json!({ "typ": "JWT", "alg": "RS256", "kid": kid, "x5t": kid });
    Ok(SigningKey {
        pair,
        header_b64: URL_SAFE_NO_PAD.encode(header.to_string()),
        decoding: public.decoding_key(),
        kid,
        n: public.n_b64,
        e: public.e_b64,
        cert_der,
    })
}

impl SigningKey {
    /// A compact RS256 JWS of `claims` under this key's header.
    pub fn sign_jwt(&self, claims: &serde_json::Value) -> String {
        let mut jws = String::with_capacity(1024);
        jws.push_str(&self.header_b64);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(claims.to_string(), &mut jws);
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        // PKCS#1 v1.5 is deterministic: the RNG is never drawn from.
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                jws.as_bytes(),
                &mut signature,
            )
            .expect("RS256 with a key parsed at start and a right-sized buffer cannot fail");
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut jws);
        jws
    }
}

/// An RSA public key taken from a certificate.
#[derive(Debug, Clone)]
pub struct RsaPublic {
    /// PKCS#1 RSAPublicKey DER.
    pub pkcs1_der: Vec<u8>,
    /// base64url modulus.
    pub n_b64: String,
    /// base64url exponent.
    pub e_b64: String,
}

impl RsaPublic {
    /// The RSA key of a certificate; an error names why there is none.
    pub fn from_cert_der(der: &[u8]) -> Result<RsaPublic, String> {
        use x509_parser::public_key::PublicKey;
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let spki = cert.public_key();
        match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => {
                let strip = |b: &[u8]| {
                    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
                    b[start..].to_vec()
                };
                Ok(RsaPublic {
                    pkcs1_der: spki.subject_public_key.data.to_vec(),
                    n_b64: URL_SAFE_NO_PAD.encode(strip(rsa.modulus)),
                    e_b64: URL_SAFE_NO_PAD.encode(strip(rsa.exponent)),
                })
            }
            Ok(_) => Err("the certificate's key is not RSA".into()),
            Err(e) => Err(format!("unreadable public key: {e}")),
        }
    }

    /// The key for verifying signatures.
    pub fn decoding_key(&self) -> DecodingKey {
        DecodingKey::from_rsa_der(&self.pkcs1_der)
    }
}
