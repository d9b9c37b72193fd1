//! The mock as Entra's public cloud: the hosts it answers for behind its
//! proxy, the URLs and issuer it writes there (no port, as Entra writes
//! them), and the TLS server configuration for those names, signed by the
//! mock's own CA. See docs/protocol.md §8.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::MockError;
use crate::pki::Pki;

/// The public cloud's aliases, as instance discovery lists them.
pub const PUBLIC_CLOUD_HOSTS: [&str; 4] = [
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
];
/// The alias MSAL talks to.
pub const PREFERRED_NETWORK: &str = "login.microsoftonline.com";
/// The alias instance discovery names for cache entries.
pub const PREFERRED_CACHE: &str = "login.windows.net";
/// The host in every v2.0 token's `iss`, whichever alias issued it: Entra
/// writes `https://login.microsoftonline.com/{tid}/v2.0` for v2.0 tokens.
pub const ISSUER_HOST: &str = PREFERRED_NETWORK;

/// One of [`PUBLIC_CLOUD_HOSTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicHost(&'static str);

impl PublicHost {
    /// The impersonated host `name` names (case-insensitive; a trailing dot
    /// is the same name), or `None` for any other host.
    pub fn parse(name: &str) -> Option<PublicHost> {
        let name = name.strip_suffix('.').unwrap_or(name);
        PUBLIC_CLOUD_HOSTS
            .iter()
            .find(|h| h.eq_ignore_ascii_case(name))
            .map(|h| PublicHost(h))
    }

    /// The host name.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// `https://{host}`: no port, not even `:443` (MSAL Go compares the
    /// issuer's host with the authority's).
    pub fn base_url(self) -> String {
        format!("https://{}", self.0)
    }
}

/// Where a request arrived: the mock's own listener, or an impersonated
/// host through the proxy. It decides the URLs in answers and the issuer of
/// the tokens minted for the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    #[default]
    /// The mock's own listener.
    Local,
    /// A tunnel through the proxy for this public-cloud host.
    Public(PublicHost),
}

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Origin, Self::Rejection> {
        // The proxy tags its tunnels; the own listener tags nothing.
        Ok(parts
            .extensions
            .get::<Origin>()
            .copied()
            .unwrap_or_default())
    }
}

/// The issuer of v2.0 tokens for tenant `tenant_id` in the public cloud.
pub fn public_issuer(tenant_id: &str) -> String {
    format!("https://{ISSUER_HOST}/{tenant_id}/v2.0")
}

/// `https://{alias}` with no port other than the default.
pub fn is_public_url(url: &url::Url) -> bool {
    url.scheme() == "https"
        && url.port_or_known_default() == Some(443)
        && url.host_str().and_then(PublicHost::parse).is_some()
}

/// The tenant a public-cloud issuer `iss` names (its tenant id, unchecked).
pub fn tenant_id_of_public_issuer(iss: &str) -> Option<&str> {
    iss.strip_prefix("https://")?
        .strip_prefix(ISSUER_HOST)?
        .strip_prefix('/')?
        .strip_suffix("/v2.0")
}

/// TLS for the impersonated hosts: a certificate for all four names from
/// the mock's CA (the one clients already trust), client certificates
/// optional as on the own listener (jwt-pop, mtls_pop).
pub fn tls_config(pki: &Pki) -> Result<Arc<rustls::ServerConfig>, MockError> {
    let tls = |e: &dyn std::fmt::Display| MockError::Tls(e.to_string());
    let (cert_pem, key_pem) = pki.issue_server_certificate(&PUBLIC_CLOUD_HOSTS)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_client_cert_verifier(pki.chain_verifier().map_err(|e| tls(&e))?)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|e| tls(&e))?],
            PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| tls(&e))?,
        )
        .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A TLS configuration with no certificate for any name: the handshake of
/// a ClientHello whose SNI is not impersonated ends in a fatal alert.
pub fn refusing_tls_config() -> Result<Arc<rustls::ServerConfig>, MockError> {
    #[derive(Debug)]
    struct NoCertificate;
    impl rustls::server::ResolvesServerCert for NoCertificate {
        fn resolve(
            &self,
            _: rustls::server::ClientHello<'_>,
        ) -> Option<Arc<rustls::sign::CertifiedKey>> {
            None
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MockError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(NoCertificate));
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_hosts_parse_case_insensitively_and_nothing_else() {
        assert_eq!(
            PublicHost::parse("LOGIN.windows.net.").map(PublicHost::as_str),
            Some("login.windows.net")
        );
        for other in [
            "localhost",
            "login.microsoftonline.com.evil.example",
            "graph.microsoft.com",
            "",
        ] {
            assert_eq!(PublicHost::parse(other), None, "{other}");
        }
    }

    #[test]
    fn public_urls_carry_no_port_but_the_default() {
        let ok = |s: &str| is_public_url(&url::Url::parse(s).unwrap());
        assert!(ok("https://login.microsoftonline.com/t/oauth2/v2.0/token"));
        assert!(ok("https://sts.windows.net:443/t/v2.0"));
        assert!(!ok("https://login.microsoftonline.com:8443/t"));
        assert!(!ok("http://login.microsoftonline.com/t"));
        assert!(!ok("https://localhost/t"));
    }

    #[test]
    fn public_issuer_has_no_port() {
        assert_eq!(
            public_issuer("tid"),
            "https://login.microsoftonline.com/tid/v2.0"
        );
        assert_eq!(
            tenant_id_of_public_issuer("https://login.microsoftonline.com/tid/v2.0"),
            Some("tid")
        );
        assert_eq!(
            tenant_id_of_public_issuer("https://login.windows.net/tid/v2.0"),
            None
        );
    }
}
