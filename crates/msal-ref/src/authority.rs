//! Where tokens come from: the authority URL, split into what the
//! protocol and the cache need.

use fic_protocol::TenantId;

use crate::error::MsalError;

/// `https://host[:port]/<tenant>`, split into what the protocol needs.
///
/// The token endpoint is built from it directly, without OpenID discovery,
/// as MSAL .NET and Java do for Entra authorities. The cache `environment`
/// is the host alone, so cache keys do not change with the mock's random
/// port:
///
/// ```
/// use msal_ref::Authority;
/// let a = Authority::parse("https://LocalHost:8443/contoso/", false)?;
/// assert_eq!(a.environment, "localhost");
/// assert_eq!(a.tenant, "contoso");
/// assert_eq!(a.token_endpoint, "https://localhost:8443/contoso/oauth2/v2.0/token");
/// # Ok::<(), msal_ref::MsalError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// Normalized, without trailing slash.
    pub url: String,
    /// Host without port, lowercased: the cache `environment`, so keys do
    /// not change with the mock's random port.
    pub environment: String,
    /// The first path segment: the cache `realm`.
    pub tenant: TenantId,
    /// `{authority}/oauth2/v2.0/token`, built without discovery as .NET and
    /// Java do.
    pub token_endpoint: String,
}

impl Authority {
    /// Parses and normalizes an authority URL. `https` is required unless
    /// `allow_plain_http` (see
    /// [`ConfidentialClientBuilder::allow_plain_http`](crate::ConfidentialClientBuilder::allow_plain_http)),
    /// and the path must name a tenant.
    pub fn parse(authority: &str, allow_plain_http: bool) -> Result<Authority, MsalError> {
        let invalid = |reason: &str| MsalError::InvalidAuthority {
            authority: authority.to_owned(),
            reason: reason.to_owned(),
        };
        let url = url::Url::parse(authority).map_err(|e| invalid(&e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_plain_http => {}
            _ => return Err(invalid("the scheme must be https")),
        }
        let host = url.host_str().ok_or_else(|| invalid("no host"))?;
        let tenant = url
            .path_segments()
            .and_then(|mut s| s.next())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| invalid("no tenant path segment"))?
            .to_owned();
        let origin = url.origin().ascii_serialization();
        let base = format!("{origin}/{tenant}");
        Ok(Authority {
            token_endpoint: format!("{base}/oauth2/v2.0/token"),
            url: base,
            environment: host.to_lowercase(),
            tenant: TenantId::new(tenant),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_environment_has_no_port() {
        let a = Authority::parse("https://LocalHost:8443/tenant-id/", false).unwrap();
        assert_eq!(a.environment, "localhost");
        assert_eq!(a.tenant, "tenant-id");
        assert_eq!(a.url, "https://localhost:8443/tenant-id");
        assert_eq!(
            a.token_endpoint,
            "https://localhost:8443/tenant-id/oauth2/v2.0/token"
        );
    }

    #[test]
    fn authority_must_be_https_with_a_tenant() {
        assert!(Authority::parse("http://localhost/t", false).is_err());
        assert!(Authority::parse("http://localhost/t", true).is_ok());
        assert!(Authority::parse("https://localhost/", false).is_err());
        assert!(Authority::parse("not a url", false).is_err());
    }
}
