//! How the client proves who it is: a secret, a certificate that signs
//! jwt-bearer assertions, or a callback that hands over an assertion
//! (optionally with a token-binding certificate, which turns it into jwt-pop).

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fic_protocol::{ClientAssertion, ClientSecret};
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::{BoxError, MsalError};

/// What the assertion callback is told about the request it signs for
/// (`docs/protocol.md` §3). `fmi_path` is set only when the token request
/// carries one, which is how a Leg 2 callback knows which agent to mint T1
/// for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionRequestOptions {
    /// The client whose request is being authenticated.
    pub client_id: String,
    /// The token endpoint the request goes to: the `aud` of a signed
    /// assertion.
    pub token_endpoint: String,
    /// The request's `fmi_path`, when it has one.
    pub fmi_path: Option<String>,
}

/// A certificate and its private key, both PEM, used as a TLS client
/// certificate (the token-binding certificate of jwt-pop).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The certificate chain, leaf first.
    pub cert_pem: String,
    /// The leaf's private key.
    pub key_pem: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t#S256", &self.x5t_s256().ok())
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// A certificate and key from their PEM text.
    pub fn new(cert_pem: impl Into<String>, key_pem: impl Into<String>) -> ClientCertificate {
        ClientCertificate {
            cert_pem: cert_pem.into(),
            key_pem: key_pem.into(),
        }
    }

    /// DER of the leaf (first) certificate in `cert_pem`.
    pub fn leaf_der(&self) -> Result<Vec<u8>, MsalError> {
        leaf_der(&self.cert_pem)
    }

    /// The thumbprint an `mtls_pop` token is keyed by.
    pub fn x5t_s256(&self) -> Result<String, MsalError> {
        Ok(fic_protocol::thumbprint::x5t_s256(&self.leaf_der()?))
    }
}

fn leaf_der(cert_pem: &str) -> Result<Vec<u8>, MsalError> {
    CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .next()
        .ok_or_else(|| MsalError::InvalidCertificate("no CERTIFICATE block in the PEM".into()))?
        .map(|der| der.to_vec())
        .map_err(|e| MsalError::InvalidCertificate(e.to_string()))
}

/// What the assertion callback returns. A plain string converts into a
/// response without certificate, which always yields jwt-bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionResponse {
    /// The assertion, sent as `client_assertion`.
    pub assertion: ClientAssertion,
    /// With a certificate the request uses jwt-pop and presents it as the
    /// TLS client certificate; without, jwt-bearer.
    pub token_binding_certificate: Option<ClientCertificate>,
}

impl From<String> for AssertionResponse {
    fn from(assertion: String) -> Self {
        AssertionResponse {
            assertion: ClientAssertion::new(assertion),
            token_binding_certificate: None,
        }
    }
}

impl From<&str> for AssertionResponse {
    fn from(assertion: &str) -> Self {
        AssertionResponse::from(assertion.to_owned())
    }
}

/// The assertion callback as stored: called once per token request with
/// what it signs for. Build one with [`Credential::assertion_callback`].
pub type AssertionCallback = Arc<
    dyn Fn(AssertionRequestOptions) -> BoxFuture<'static, Result<AssertionResponse, BoxError>>
        + Send
        + Sync,
>;

/// A certificate credential: signs a fresh jwt-bearer assertion per request.
#[derive(Clone)]
pub struct Certificate {
    cert_der: Vec<u8>,
    x5t_s256: String,
    key: EncodingKey,
    algorithm: Algorithm,
    send_x5c: bool,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("x5t#S256", &self.x5t_s256)
            .field("algorithm", &self.algorithm)
            .field("send_x5c", &self.send_x5c)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// RSA keys sign RS256 (what the issue asks for, and what MSAL Java
    /// sends even with `x5t#S256`); EC P-256 keys sign ES256 so a test
    /// certificate of either kind works.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Certificate, MsalError> {
        let cert_der = leaf_der(cert_pem)?;
        let (key, algorithm) = match EncodingKey::from_rsa_pem(key_pem.as_bytes()) {
            Ok(k) => (k, Algorithm::RS256),
            Err(rsa_err) => match EncodingKey::from_ec_pem(key_pem.as_bytes()) {
                Ok(k) => (k, Algorithm::ES256),
                Err(_) => return Err(MsalError::InvalidCertificate(rsa_err.to_string())),
            },
        };
        Ok(Certificate {
            x5t_s256: fic_protocol::thumbprint::x5t_s256(&cert_der),
            cert_der,
            key,
            algorithm,
            send_x5c: false,
        })
    }

    /// Also send the certificate itself (`x5c`), for subject-name/issuer
    /// based trust.
    pub fn send_x5c(mut self, yes: bool) -> Certificate {
        self.send_x5c = yes;
        self
    }

    /// The certificate's thumbprint, sent as the `x5t#S256` header.
    pub fn x5t_s256(&self) -> &str {
        &self.x5t_s256
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub(crate) fn key(&self) -> &EncodingKey {
        &self.key
    }

    /// `x5c` holds standard (not url-safe) base64 DER, per RFC 7515.
    pub(crate) fn x5c(&self) -> Option<Vec<String>> {
        self.send_x5c.then(|| vec![STANDARD.encode(&self.cert_der)])
    }
}

/// The client credential: how the client proves who it is.
///
/// In the agent protocol the blueprint uses a certificate (or a secret)
/// and each agent uses an assertion callback that asks the blueprint for
/// T1 (`docs/protocol.md` §1, §3).
#[derive(Clone)]
pub enum Credential {
    /// An application password, sent as `client_secret`.
    Secret(ClientSecret),
    /// Signs a fresh jwt-bearer assertion per request.
    Certificate(Certificate),
    /// Hands over an assertion per request.
    Assertion(AssertionCallback),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Secret(_) => f.write_str("Credential::Secret(..)"),
            Credential::Certificate(c) => {
                f.debug_tuple("Credential::Certificate").field(c).finish()
            }
            Credential::Assertion(_) => f.write_str("Credential::Assertion(..)"),
        }
    }
}

impl Credential {
    /// A client secret.
    pub fn secret(secret: impl Into<String>) -> Credential {
        Credential::Secret(ClientSecret::new(secret))
    }

    /// A certificate and its private key, both PEM.
    pub fn certificate(cert_pem: &str, key_pem: &str) -> Result<Credential, MsalError> {
        Ok(Credential::Certificate(Certificate::from_pem(
            cert_pem, key_pem,
        )?))
    }

    /// Wraps an async closure as the assertion callback. The closure may
    /// return anything convertible to [`AssertionResponse`] (a `String`
    /// included).
    pub fn assertion_callback<F, Fut, R>(callback: F) -> Credential
    where
        F: Fn(AssertionRequestOptions) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, BoxError>> + Send + 'static,
        R: Into<AssertionResponse>,
    {
        let callback = Arc::new(callback);
        Credential::Assertion(Arc::new(move |options| {
            let fut = callback(options);
            Box::pin(async move { fut.await.map(Into::into) })
        }))
    }

    /// A fixed assertion, e.g. T1 handed over by another process.
    pub fn assertion(assertion: impl Into<String>) -> Credential {
        let assertion: String = assertion.into();
        Credential::assertion_callback(move |_| {
            let assertion = assertion.clone();
            async move { Ok::<_, BoxError>(assertion) }
        })
    }
}
