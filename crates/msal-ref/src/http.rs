//! HTTP transport: one reqwest client per TLS identity, and the token POST.
//!
//! A token-binding certificate must be on the TLS connection of exactly the
//! request it belongs to, so clients are cached per certificate thumbprint
//! rather than sharing one connection pool that might carry another
//! identity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fic_protocol::{EntraErrorBody, TokenResponse};
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::credential::ClientCertificate;
use crate::error::MsalError;

#[derive(Debug)]
pub(crate) struct Http {
    /// `None` means the platform's trust store (reqwest's default).
    roots: Option<Arc<RootCertStore>>,
    /// Every request goes through it when set (reqwest's own choice otherwise).
    proxy: Option<url::Url>,
    plain: reqwest::Client,
    with_identity: Mutex<HashMap<String, reqwest::Client>>,
}

impl Http {
    pub(crate) fn new(
        ca_certificate_pem: Option<&str>,
        proxy: Option<url::Url>,
    ) -> Result<Http, MsalError> {
        let roots = match ca_certificate_pem {
            None => None,
            Some(pem) => {
                let mut store = RootCertStore::empty();
                for der in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                    let der = der.map_err(|e| MsalError::Tls(format!("CA certificate: {e}")))?;
                    store
                        .add(der)
                        .map_err(|e| MsalError::Tls(format!("CA certificate: {e}")))?;
                }
                if store.is_empty() {
                    return Err(MsalError::Tls("no certificate in the CA PEM".into()));
                }
                Some(Arc::new(store))
            }
        };
        let plain = build_client(roots.as_ref(), proxy.as_ref(), None)?;
        Ok(Http {
            roots,
            proxy,
            plain,
            with_identity: Mutex::new(HashMap::new()),
        })
    }

    /// The client that presents `certificate` (or none) during the handshake.
    pub(crate) fn client_for(
        &self,
        certificate: Option<&ClientCertificate>,
    ) -> Result<reqwest::Client, MsalError> {
        let Some(cert) = certificate else {
            return Ok(self.plain.clone());
        };
        let thumbprint = cert.x5t_s256()?;
        let mut cache = self
            .with_identity
            .lock()
            .expect("http client cache poisoned");
        if let Some(c) = cache.get(&thumbprint) {
            return Ok(c.clone());
        }
        let client = build_client(self.roots.as_ref(), self.proxy.as_ref(), Some(cert))?;
        cache.insert(thumbprint, client.clone());
        Ok(client)
    }

    /// POSTs a form to the token endpoint. Success parses as a
    /// [`TokenResponse`]; failure keeps Entra's body and the status.
    pub(crate) async fn post_token(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        headers: &[(&str, String)],
        form: &[(String, String)],
    ) -> Result<TokenResponse, MsalError> {
        let mut request = client.post(endpoint).form(form);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.bytes().await?;
        if (200..300).contains(&status) {
            serde_json::from_slice::<TokenResponse>(&body).map_err(|e| {
                MsalError::UnexpectedResponse {
                    status,
                    detail: format!("{e}: {}", String::from_utf8_lossy(&body)),
                }
            })
        } else {
            match serde_json::from_slice::<EntraErrorBody>(&body) {
                Ok(body) => Err(MsalError::Service {
                    status,
                    body: Box::new(body),
                }),
                Err(_) => Err(MsalError::UnexpectedResponse {
                    status,
                    detail: String::from_utf8_lossy(&body).into_owned(),
                }),
            }
        }
    }
}

fn build_client(
    roots: Option<&Arc<RootCertStore>>,
    proxy: Option<&url::Url>,
    identity: Option<&ClientCertificate>,
) -> Result<reqwest::Client, MsalError> {
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(proxy) = proxy {
        builder = builder.proxy(reqwest::Proxy::all(proxy.as_str()).map_err(MsalError::Http)?);
    }
    let builder = match roots {
        Some(roots) => builder.tls_backend_preconfigured(rustls_config(roots, identity)?),
        None => match identity {
            Some(id) => builder.identity(
                reqwest::Identity::from_pem(format!("{}\n{}", id.cert_pem, id.key_pem).as_bytes())
                    .map_err(|e| MsalError::Tls(e.to_string()))?,
            ),
            None => builder,
        },
    };
    builder.build().map_err(MsalError::Http)
}

/// A rustls config on the one crypto provider (aws-lc-rs), trusting only
/// the given roots.
fn rustls_config(
    roots: &Arc<RootCertStore>,
    identity: Option<&ClientCertificate>,
) -> Result<rustls::ClientConfig, MsalError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MsalError::Tls(e.to_string()))?
        .with_root_certificates(roots.clone());
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some(id) => {
            let chain = CertificateDer::pem_slice_iter(id.cert_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| MsalError::InvalidCertificate(e.to_string()))?;
            let key = PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes())
                .map_err(|e| MsalError::InvalidCertificate(e.to_string()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| MsalError::InvalidCertificate(e.to_string()))?
        }
    };
    // reqwest leaves ALPN to a preconfigured config; HTTP/1.1 is all a
    // token endpoint needs.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
