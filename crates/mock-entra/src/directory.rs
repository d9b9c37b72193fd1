//! The tenant directory the mock serves: tenants, resources, apps (with
//! their credentials and federated identity records) and users, loaded from
//! TOML (`fixtures/directory.toml` is the embedded default).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use fic_protocol::TOKEN_EXCHANGE_AUDIENCE;

/// The default directory's file and the certificates it names, embedded so
/// the binary serves it from any working directory.
const DEFAULT_DIRECTORY: &str = include_str!("../../../fixtures/directory.toml");
const DEFAULT_FILES: &[(&str, &str)] = &[(
    "certs/blueprint.crt",
    include_str!("../../../fixtures/certs/blueprint.crt"),
)];

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the directory is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("certificate {path} of app {client_id}: {reason}")]
    Certificate {
        client_id: String,
        path: String,
        reason: String,
    },
    #[error("the directory is inconsistent: {0}")]
    Invalid(String),
}

/// What the TOML file holds, before certificates are read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryFile {
    tenants: Vec<TenantFile>,
    #[serde(default)]
    resources: Vec<Resource>,
    #[serde(default)]
    apps: Vec<AppFile>,
    #[serde(default)]
    users: Vec<UserFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantFile {
    id: String,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    display_name: Option<String>,
    /// Other token issuers whose tokens this tenant's apps may federate with.
    #[serde(default)]
    trusted_issuers: Vec<TrustedIssuerFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustedIssuerFile {
    issuer: String,
    /// PEM certificate whose key signs that issuer's tokens.
    certificate: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppFile {
    client_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    certificates: Vec<String>,
    #[serde(default)]
    blueprint: Option<String>,
    #[serde(default)]
    federated_credentials: Vec<FederatedCredential>,
    #[serde(default)]
    trusted_subject_names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    oid: String,
    upn: String,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    tenant: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub app_id: String,
    pub app_id_uri: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub app_roles: Vec<String>,
}

/// A federated identity credential record on an app (SPEC §1, Leg 2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederatedCredential {
    /// `{issuer}` may be written as the literal string `"mock"` to mean this
    /// mock's own issuer for the app's tenant, whose port is only known at start.
    pub issuer: String,
    pub subject: String,
    #[serde(default = "default_fic_audience")]
    pub audience: String,
}

fn default_fic_audience() -> String {
    TOKEN_EXCHANGE_AUDIENCE.to_owned()
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub domains: Vec<String>,
    pub display_name: Option<String>,
    pub trusted_issuers: Vec<TrustedIssuer>,
}

#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    pub issuer: String,
    pub certificate_der: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct App {
    pub client_id: String,
    pub display_name: Option<String>,
    pub tenant_id: String,
    pub secrets: Vec<String>,
    /// DER of each registered certificate.
    pub certificates: Vec<RegisteredCertificate>,
    /// For an agent: its blueprint's client id.
    pub blueprint: Option<String>,
    pub federated_credentials: Vec<FederatedCredential>,
    /// Subject-name/issuer (SNI) trust: certificate assertions whose `x5c`
    /// chains to the mock's CA and whose leaf's subject CN is one of these
    /// are accepted without the certificate being registered.
    pub trusted_subject_names: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RegisteredCertificate {
    pub der: Vec<u8>,
    /// base64url SHA-1 of the DER (the JOSE `x5t`).
    pub x5t: String,
    /// base64url SHA-256 of the DER (the JOSE `x5t#S256`).
    pub x5t_s256: String,
    /// The certificate's RSA key, read once here rather than per assertion;
    /// the error (not RSA, unreadable) is what an assertion naming it gets.
    pub public_key: Result<crate::pki::RsaPublic, String>,
}

impl RegisteredCertificate {
    pub fn from_der(der: Vec<u8>) -> RegisteredCertificate {
        RegisteredCertificate {
            x5t: fic_protocol::thumbprint::x5t_sha1(&der),
            x5t_s256: fic_protocol::thumbprint::x5t_s256(&der),
            public_key: crate::pki::RsaPublic::from_cert_der(&der),
            der,
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub oid: String,
    pub upn: String,
    pub preferred_username: String,
    pub display_name: String,
    pub tenant_id: String,
}

/// The directory the mock serves. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Directory {
    pub tenants: Vec<Tenant>,
    pub resources: Vec<Resource>,
    pub apps: BTreeMap<String, App>,
    pub users: Vec<User>,
}

/// The subject of T1 minted by `blueprint` for `fmi_path` in `tenant`: the
/// token's `sub`, and the subject an agent's implicit federated record expects.
pub fn fmi_subject(tenant_id: &str, client_id: &str, fmi_path: &str) -> String {
    format!("/eid1/c/pub/t/{tenant_id}/a/{client_id}/{fmi_path}")
}

/// Marks a federated record whose issuer is this mock (resolved at request
/// time, because the issuer contains the listening port).
pub const MOCK_ISSUER: &str = "mock";

impl Directory {
    /// The embedded `fixtures/directory.toml`.
    pub fn default_directory() -> Directory {
        Self::parse(DEFAULT_DIRECTORY, &|path| {
            DEFAULT_FILES
                .iter()
                .find(|(name, _)| *name == path)
                .map(|(_, pem)| pem.as_bytes().to_vec())
                .ok_or_else(|| format!("{path} is not embedded"))
        })
        .expect("the embedded default directory is valid")
    }

    /// Loads a directory file; certificate paths are relative to it.
    pub fn load(path: &Path) -> Result<Directory, DirectoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| DirectoryError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new(".")).to_owned();
        Self::parse(&text, &|p| {
            std::fs::read(base.join(p))
                .map_err(|e| format!("cannot read {}: {e}", base.join(p).display()))
        })
    }

    /// Parses a directory; certificate paths are relative to the working
    /// directory.
    pub fn from_toml_str(s: &str) -> Result<Directory, DirectoryError> {
        Self::parse(s, &|p| {
            std::fs::read(p).map_err(|e| format!("cannot read {p}: {e}"))
        })
    }

    fn parse(
        text: &str,
        read: &dyn Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Directory, DirectoryError> {
        let file: DirectoryFile = toml::from_str(text)?;
        let first_tenant = file
            .tenants
            .first()
            .map(|t| t.id.clone())
            .ok_or_else(|| DirectoryError::Invalid("at least one tenant is required".into()))?;
        let mut tenants = Vec::new();
        for t in file.tenants {
            let mut trusted = Vec::new();
            for ti in t.trusted_issuers {
                let pem = read(&ti.certificate).map_err(|reason| DirectoryError::Certificate {
                    client_id: format!("(trusted issuer {})", ti.issuer),
                    path: ti.certificate.clone(),
                    reason,
                })?;
                let der = pem_to_der(&pem).map_err(|reason| DirectoryError::Certificate {
                    client_id: format!("(trusted issuer {})", ti.issuer),
                    path: ti.certificate.clone(),
                    reason,
                })?;
                trusted.push(TrustedIssuer {
                    issuer: ti.issuer,
                    certificate_der: der,
                });
            }
            tenants.push(Tenant {
                id: t.id.to_ascii_lowercase(),
                domains: t.domains,
                display_name: t.display_name,
                trusted_issuers: trusted,
            });
        }
        let known_tenant = |id: &Option<String>| -> Result<String, DirectoryError> {
            let id = id.clone().unwrap_or_else(|| first_tenant.clone());
            if tenants.iter().any(|t| t.id.eq_ignore_ascii_case(&id)) {
                Ok(id.to_ascii_lowercase())
            } else {
                Err(DirectoryError::Invalid(format!("unknown tenant {id}")))
            }
        };
        let mut apps = BTreeMap::new();
        for a in file.apps {
            let mut certificates = Vec::new();
            for path in &a.certificates {
                let cert_err = |reason: String| DirectoryError::Certificate {
                    client_id: a.client_id.clone(),
                    path: path.clone(),
                    reason,
                };
                let pem = read(path).map_err(cert_err)?;
                let der = pem_to_der(&pem).map_err(cert_err)?;
                certificates.push(RegisteredCertificate::from_der(der));
            }
            let app = App {
                client_id: a.client_id.to_ascii_lowercase(),
                display_name: a.display_name,
                tenant_id: known_tenant(&a.tenant)?,
                secrets: a.secrets,
                certificates,
                blueprint: a.blueprint.map(|b| b.to_ascii_lowercase()),
                federated_credentials: a.federated_credentials,
                trusted_subject_names: a.trusted_subject_names,
            };
            if apps.insert(app.client_id.clone(), app).is_some() {
                return Err(DirectoryError::Invalid(format!(
                    "app {} is listed twice",
                    a.client_id
                )));
            }
        }
        for app in apps.values() {
            if let Some(bp) = &app.blueprint
                && !apps.contains_key(bp)
            {
                return Err(DirectoryError::Invalid(format!(
                    "agent {} names blueprint {bp}, which is not an app",
                    app.client_id
                )));
            }
        }
        let mut users = Vec::new();
        for u in file.users {
            users.push(User {
                preferred_username: u.preferred_username.unwrap_or_else(|| u.upn.clone()),
                display_name: u.display_name.unwrap_or_else(|| u.upn.clone()),
                tenant_id: known_tenant(&u.tenant)?,
                oid: u.oid.to_ascii_lowercase(),
                upn: u.upn,
            });
        }
        Ok(Directory {
            tenants,
            resources: file.resources,
            apps,
            users,
        })
    }

    /// The tenant a path segment names: its GUID or a verified domain.
    pub fn tenant(&self, segment: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| {
            t.id.eq_ignore_ascii_case(segment)
                || t.domains.iter().any(|d| d.eq_ignore_ascii_case(segment))
        })
    }

    pub fn default_tenant(&self) -> &Tenant {
        &self.tenants[0]
    }

    pub fn app(&self, client_id: &str) -> Option<&App> {
        self.apps.get(&client_id.to_ascii_lowercase())
    }

    pub fn user_by_upn(&self, tenant_id: &str, upn: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.tenant_id == tenant_id && u.upn.eq_ignore_ascii_case(upn))
    }

    pub fn user_by_oid(&self, tenant_id: &str, oid: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.tenant_id == tenant_id && u.oid.eq_ignore_ascii_case(oid))
    }

    /// The resource a scope's prefix names (by app id URI or app id).
    pub fn resource(&self, resource: &str) -> Option<&Resource> {
        let resource = resource.trim_end_matches('/');
        self.resources.iter().find(|r| {
            r.app_id_uri
                .trim_end_matches('/')
                .eq_ignore_ascii_case(resource)
                || r.app_id.eq_ignore_ascii_case(resource)
        })
    }

    /// The federated identity records `app` accepts, with `mock_issuer`
    /// substituted for [`MOCK_ISSUER`]: explicit ones plus, for an agent, the
    /// implicit record trusting its blueprint's T1 for the agent's own id.
    pub fn federated_credentials(&self, app: &App, mock_issuer: &str) -> Vec<FederatedCredential> {
        let mut records: Vec<FederatedCredential> = app
            .federated_credentials
            .iter()
            .map(|f| FederatedCredential {
                issuer: if f.issuer == MOCK_ISSUER {
                    mock_issuer.to_owned()
                } else {
                    f.issuer.clone()
                },
                ..f.clone()
            })
            .collect();
        if let Some(blueprint) = &app.blueprint {
            records.push(FederatedCredential {
                issuer: mock_issuer.to_owned(),
                subject: fmi_subject(&app.tenant_id, blueprint, &app.client_id),
                audience: TOKEN_EXCHANGE_AUDIENCE.to_owned(),
            });
        }
        records
    }
}

/// DER of the first CERTIFICATE block in a PEM file.
fn pem_to_der(pem: &[u8]) -> Result<Vec<u8>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem)
        .map(|c| c.to_vec())
        .map_err(|e| format!("no PEM certificate: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_directory_has_the_documented_facts() {
        let d = Directory::default_directory();
        let t = d.tenant("contoso.com").unwrap();
        assert_eq!(t.id, "10c419d4-4a50-45b2-aa4e-919fb84df24f");
        let bp = d.app("3bf56293-fbb5-42bd-a407-248ba7431a8c").unwrap();
        assert_eq!(bp.secrets, ["blueprint-secret"]);
        assert_eq!(bp.certificates.len(), 1);
        let agent = d.app("7A3B9C2D-1111-4e5f-8a9b-0c1d2e3f4a5b").unwrap();
        assert_eq!(agent.blueprint.as_deref(), Some(bp.client_id.as_str()));
        let carol = d.user_by_upn(&t.id, "carol@contoso.com").unwrap();
        assert_eq!(carol.upn, "Carol@Contoso.com");
        assert_eq!(carol.preferred_username, "carol@contoso.com");
        let fics = d.federated_credentials(agent, "https://localhost:1/x/v2.0");
        assert_eq!(
            fics[0].subject,
            "/eid1/c/pub/t/10c419d4-4a50-45b2-aa4e-919fb84df24f/a/3bf56293-fbb5-42bd-a407-248ba7431a8c/7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b"
        );
        assert!(d.resource("api://contoso-api").is_some());
    }

    #[test]
    fn inconsistent_directories_are_refused_with_a_reason() {
        let err = Directory::from_toml_str(
            "[[tenants]]\nid='t'\n[[apps]]\nclient_id='a'\nblueprint='nope'\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("blueprint nope"), "{err}");
        assert!(Directory::from_toml_str("tenants = []").is_err());
        assert!(Directory::from_toml_str("[[tenants]]\nid='t'\nbogus=1").is_err());
    }
}
