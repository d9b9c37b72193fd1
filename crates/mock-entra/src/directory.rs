//! The tenant directory the mock serves: tenants, resources, apps (with
//! their credentials and federated identity records) and users, loaded from
//! TOML (`fixtures/directory.toml` is the embedded default).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use fic_protocol::TOKEN_EXCHANGE_AUDIENCE;

/// The default directory's file and the certificates it names, embedded so
/// the binary serves it from any working directory.
const DEFAULT_DIRECTORY: &str = include_str!("../../../fixtures/directory.toml");
const DEFAULT_FILES: &[(&str, &str)] = &[(
    "certs/blueprint.crt",
    include_str!("../../../fixtures/certs/blueprint.crt"),
)];

/// Why a directory file was refused. Every message names the file, and a
/// problem in it its line, once.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot read {}: {reason}", .path.display())]
    /// The file could not be read.
    Read {
        /// The path concerned.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    #[error("{file}:{line}:{column}: {message}")]
    /// The file is not valid TOML (or not the directory's shape).
    Syntax {
        /// The file's name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the TOML parser said.
        message: String,
    },
    #[error("{}", join_lines(.problems))]
    /// The file parsed, but its content breaks the directory's rules.
    Invalid {
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

fn join_lines(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// One thing wrong in a directory file, where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {what}")]
pub struct Problem {
    /// The file's name.
    pub file: String,
    /// The 1-based line of the offending entry.
    pub line: usize,
    /// What is wrong.
    pub what: String,
}

/// What the TOML file holds, before certificates are read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryFile {
    tenants: Vec<TenantFile>,
    #[serde(default)]
    resources: Vec<ResourceFile>,
    #[serde(default)]
    apps: Vec<AppFile>,
    #[serde(default)]
    users: Vec<UserFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantFile {
    id: Spanned<String>,
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
    certificate: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppFile {
    client_id: Spanned<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    tenant: Option<Spanned<String>>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    certificates: Vec<Spanned<String>>,
    #[serde(default)]
    blueprint: Option<Spanned<String>>,
    #[serde(default)]
    federated_credentials: Vec<FederatedCredential>,
    #[serde(default)]
    trusted_subject_names: Vec<String>,
    #[serde(default)]
    app_role_assignments: Vec<AssignmentFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignmentFile {
    /// The resource's app id URI or app id.
    resource: Spanned<String>,
    role: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    oid: Spanned<String>,
    upn: String,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    tenant: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceFile {
    app_id: Spanned<String>,
    app_id_uri: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    app_roles: Vec<String>,
}

#[derive(Debug, Clone)]
/// A resource (API) user and app tokens can be asked for.
pub struct Resource {
    /// Its app id: the `aud` of its access tokens.
    pub app_id: String,
    /// Its application ID URI, the scope prefix (`api://contoso-api`).
    pub app_id_uri: String,
    /// A name for people.
    pub display_name: Option<String>,
    /// The delegated scopes it defines (`read`, ...): what a user token's `scp` may hold.
    pub scopes: Vec<String>,
    /// The app roles it defines: what an app token's `roles` may hold.
    pub app_roles: Vec<String>,
}

/// An app role of a resource granted to an app (Entra's app role
/// assignment): only assigned roles reach an app-only token's `roles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRoleAssignment {
    /// The resource's app id (lower case).
    pub resource_app_id: String,
    /// The role's name, as it appears in `roles`.
    pub role: String,
}

/// A federated identity credential record on an app (docs/protocol.md §1, Leg 2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederatedCredential {
    /// `{issuer}` may be written as the literal string `"mock"` to mean this
    /// mock's own issuer for the app's tenant, whose port is only known at start.
    pub issuer: String,
    /// The `sub` the presented token must carry.
    pub subject: String,
    #[serde(default = "default_fic_audience")]
    /// The `aud` the presented token must carry (`api://AzureADTokenExchange` by default).
    pub audience: String,
}

fn default_fic_audience() -> String {
    TOKEN_EXCHANGE_AUDIENCE.to_owned()
}

#[derive(Debug, Clone)]
/// A tenant: the authority segment clients name, by id or verified domain.
pub struct Tenant {
    /// The tenant id (a GUID).
    pub id: String,
    /// Verified domains that name the tenant in an authority (`contoso.com`).
    pub domains: Vec<String>,
    /// A name for people.
    pub display_name: Option<String>,
    /// External issuers whose tokens apps in this tenant may present as
    /// federated credentials.
    pub trusted_issuers: Vec<TrustedIssuer>,
}

#[derive(Debug, Clone)]
/// An external token issuer the tenant trusts, with the certificate its
/// tokens are verified against.
pub struct TrustedIssuer {
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// The DER of its signing certificate.
    pub certificate_der: Vec<u8>,
}

#[derive(Debug, Clone)]
/// An application: a plain app, a blueprint, or an agent (an app with a
/// `blueprint`).
pub struct App {
    /// Its client id (a GUID, lower case).
    pub client_id: String,
    /// A name for people.
    pub display_name: Option<String>,
    /// The tenant it is registered in.
    pub tenant_id: String,
    /// Its client secrets.
    pub secrets: Vec<String>,
    /// DER of each registered certificate.
    pub certificates: Vec<RegisteredCertificate>,
    /// For an agent: its blueprint's client id.
    pub blueprint: Option<String>,
    /// Its federated identity credential records (an agent's implicit record
    /// for its blueprint's T1 is added at request time, by the federation
    /// rules in `client_auth/federation.rs`).
    pub federated_credentials: Vec<FederatedCredential>,
    /// Subject-name/issuer (SNI) trust: certificate assertions whose `x5c`
    /// chains to the mock's CA and whose leaf's subject CN is one of these
    /// are accepted without the certificate being registered.
    pub trusted_subject_names: Vec<String>,
    /// The app roles of other resources this app was granted.
    pub app_role_assignments: Vec<AppRoleAssignment>,
}

#[derive(Debug, Clone)]
/// A certificate registered on an app, with what assertions are matched by.
pub struct RegisteredCertificate {
    /// The certificate's DER.
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
    /// Reads the thumbprints and the RSA key once, at load time.
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
/// A user `user_fic` tokens can be for.
pub struct User {
    /// Object id.
    pub oid: String,
    /// User principal name (`alice@contoso.com`).
    pub upn: String,
    /// The `preferred_username` claim (may differ in case from the UPN).
    pub preferred_username: String,
    /// The `name` claim.
    pub display_name: String,
    /// The user's home tenant.
    pub tenant_id: String,
}

/// The directory the mock serves. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Directory {
    /// Every tenant; the first is the default.
    pub tenants: Vec<Tenant>,
    /// Every resource, across tenants.
    pub resources: Vec<Resource>,
    /// Apps by client id.
    pub apps: BTreeMap<String, App>,
    /// Every user.
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
        Self::parse("fixtures/directory.toml", DEFAULT_DIRECTORY, &|path| {
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
        let text = std::fs::read_to_string(path).map_err(|e| DirectoryError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new(".")).to_owned();
        Self::parse(&path.display().to_string(), &text, &|p| {
            std::fs::read(base.join(p))
                .map_err(|e| format!("cannot read {}: {e}", base.join(p).display()))
        })
    }

    /// Parses a directory; certificate paths are relative to the working
    /// directory.
    pub fn from_toml_str(s: &str) -> Result<Directory, DirectoryError> {
        Self::parse("(directory)", s, &|p| {
            std::fs::read(p).map_err(|e| format!("cannot read {p}: {e}"))
        })
    }

    fn parse(
        file_name: &str,
        text: &str,
        read: &dyn Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Directory, DirectoryError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let file: DirectoryFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let line = line_of(offset);
            let line_start = text[..offset.min(text.len())]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            DirectoryError::Syntax {
                file: file_name.to_owned(),
                line,
                column: text[line_start..offset.min(text.len())].chars().count() + 1,
                message: e.message().trim_end().to_owned(),
            }
        })?;
        let mut problems = Vec::new();
        let mut problem = |span: std::ops::Range<usize>, what: String| {
            problems.push(Problem {
                file: file_name.to_owned(),
                line: line_of(span.start),
                what,
            });
        };
        let mut check_guid = |field: &str, value: &Spanned<String>| {
            if !is_guid(value.get_ref()) {
                problem(
                    value.span(),
                    format!(
                        "{field} \"{}\" is not a GUID (8-4-4-4-12 hexadecimal digits, e.g. 10c419d4-4a50-45b2-aa4e-919fb84df24f)",
                        value.get_ref()
                    ),
                );
            }
        };
        for t in &file.tenants {
            check_guid("tenant id", &t.id);
        }
        for r in &file.resources {
            check_guid("resource app_id", &r.app_id);
        }
        for a in &file.apps {
            check_guid("client_id", &a.client_id);
            if let Some(b) = &a.blueprint {
                check_guid("blueprint", b);
            }
        }
        for u in &file.users {
            check_guid("user oid", &u.oid);
        }
        let Some(first_tenant) = file
            .tenants
            .first()
            .map(|t| t.id.get_ref().to_ascii_lowercase())
        else {
            problem(0..0, "at least one [[tenants]] entry is required".into());
            return Err(DirectoryError::Invalid { problems });
        };

        let mut tenants: Vec<Tenant> = Vec::new();
        for t in file.tenants {
            let id = t.id.get_ref().to_ascii_lowercase();
            if tenants.iter().any(|x| x.id == id) {
                problem(t.id.span(), format!("tenant {id} is listed twice"));
            }
            let mut trusted = Vec::new();
            for ti in t.trusted_issuers {
                let cert = ti.certificate.get_ref();
                match read(cert).and_then(|pem| pem_to_der(&pem)) {
                    Ok(der) => trusted.push(TrustedIssuer {
                        issuer: ti.issuer,
                        certificate_der: der,
                    }),
                    Err(reason) => problem(
                        ti.certificate.span(),
                        format!(
                            "certificate {cert} of trusted issuer {}: {reason}",
                            ti.issuer
                        ),
                    ),
                }
            }
            tenants.push(Tenant {
                id,
                domains: t.domains,
                display_name: t.display_name,
                trusted_issuers: trusted,
            });
        }
        let known_tenant = |id: &Option<Spanned<String>>,
                            problem: &mut dyn FnMut(std::ops::Range<usize>, String)|
         -> String {
            match id {
                None => first_tenant.clone(),
                Some(id) => {
                    let lower = id.get_ref().to_ascii_lowercase();
                    if !tenants.iter().any(|t| t.id == lower) {
                        problem(
                            id.span(),
                            format!("tenant {} is not one of the [[tenants]]", id.get_ref()),
                        );
                    }
                    lower
                }
            }
        };

        let resources: Vec<Resource> = file
            .resources
            .into_iter()
            .map(|r| Resource {
                app_id: r.app_id.into_inner().to_ascii_lowercase(),
                app_id_uri: r.app_id_uri,
                display_name: r.display_name,
                scopes: r.scopes,
                app_roles: r.app_roles,
            })
            .collect();

        let mut apps = BTreeMap::new();
        let mut app_lines: BTreeMap<String, usize> = BTreeMap::new();
        let mut blueprints = Vec::new();
        for a in file.apps {
            let client_id = a.client_id.get_ref().to_ascii_lowercase();
            let line = line_of(a.client_id.span().start);
            if let Some(first) = app_lines.get(&client_id) {
                problem(
                    a.client_id.span(),
                    format!("app {client_id} is listed twice (first at line {first})"),
                );
                continue;
            }
            app_lines.insert(client_id.clone(), line);
            let mut certificates = Vec::new();
            for path in &a.certificates {
                match read(path.get_ref()).and_then(|pem| pem_to_der(&pem)) {
                    Ok(der) => certificates.push(RegisteredCertificate::from_der(der)),
                    Err(reason) => problem(
                        path.span(),
                        format!(
                            "certificate {} of app {client_id}: {reason}",
                            path.get_ref()
                        ),
                    ),
                }
            }
            let mut assignments = Vec::new();
            for asg in &a.app_role_assignments {
                let name = asg.resource.get_ref();
                let Some(resource) = find_resource(&resources, name) else {
                    problem(
                        asg.resource.span(),
                        format!(
                            "app role assignment of app {client_id}: resource {name} is not one of the [[resources]]"
                        ),
                    );
                    continue;
                };
                let role = asg.role.get_ref();
                if !resource.app_roles.iter().any(|r| r == role) {
                    problem(
                        asg.role.span(),
                        format!(
                            "app role assignment of app {client_id}: {} has no app role \"{role}\" (it has: {})",
                            resource.app_id_uri,
                            resource.app_roles.join(", ")
                        ),
                    );
                    continue;
                }
                assignments.push(AppRoleAssignment {
                    resource_app_id: resource.app_id.clone(),
                    role: role.clone(),
                });
            }
            if let Some(b) = &a.blueprint {
                blueprints.push((client_id.clone(), b.clone()));
            }
            let tenant_id = known_tenant(&a.tenant, &mut problem);
            apps.insert(
                client_id.clone(),
                App {
                    client_id,
                    display_name: a.display_name,
                    tenant_id,
                    secrets: a.secrets,
                    certificates,
                    blueprint: a.blueprint.map(|b| b.into_inner().to_ascii_lowercase()),
                    federated_credentials: a.federated_credentials,
                    trusted_subject_names: a.trusted_subject_names,
                    app_role_assignments: assignments,
                },
            );
        }
        for (agent, blueprint) in &blueprints {
            if !apps.contains_key(&blueprint.get_ref().to_ascii_lowercase()) {
                problem(
                    blueprint.span(),
                    format!(
                        "agent {agent} names blueprint {}, which is not one of the [[apps]]",
                        blueprint.get_ref()
                    ),
                );
            }
        }
        let mut users: Vec<User> = Vec::new();
        for u in file.users {
            let tenant_id = known_tenant(&u.tenant, &mut problem);
            let oid = u.oid.get_ref().to_ascii_lowercase();
            if users
                .iter()
                .any(|x| x.oid == oid && x.tenant_id == tenant_id)
            {
                problem(u.oid.span(), format!("user oid {oid} is listed twice"));
            }
            users.push(User {
                preferred_username: u.preferred_username.unwrap_or_else(|| u.upn.clone()),
                display_name: u.display_name.unwrap_or_else(|| u.upn.clone()),
                tenant_id,
                oid,
                upn: u.upn,
            });
        }
        if !problems.is_empty() {
            return Err(DirectoryError::Invalid { problems });
        }
        Ok(Directory {
            tenants,
            resources,
            apps,
            users,
        })
    }

    /// The app roles of `resource` assigned to `app`, in the resource's
    /// order: what an app-only token for that resource carries in `roles`.
    pub fn assigned_roles(&self, app: &App, resource: &Resource) -> Vec<String> {
        resource
            .app_roles
            .iter()
            .filter(|role| {
                app.app_role_assignments
                    .iter()
                    .any(|a| a.resource_app_id == resource.app_id && &a.role == *role)
            })
            .cloned()
            .collect()
    }

    /// The tenant a path segment names: its GUID or a verified domain.
    pub fn tenant(&self, segment: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| {
            t.id.eq_ignore_ascii_case(segment)
                || t.domains.iter().any(|d| d.eq_ignore_ascii_case(segment))
        })
    }

    /// The first tenant: the one `MockEntra::tenant_id` names.
    pub fn default_tenant(&self) -> &Tenant {
        &self.tenants[0]
    }

    /// The app with this client id (any case).
    pub fn app(&self, client_id: &str) -> Option<&App> {
        self.apps.get(&client_id.to_ascii_lowercase())
    }

    /// The user with this UPN in the tenant (any case, as Entra compares UPNs).
    pub fn user_by_upn(&self, tenant_id: &str, upn: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.tenant_id == tenant_id && u.upn.eq_ignore_ascii_case(upn))
    }

    /// The user with this object id in the tenant.
    pub fn user_by_oid(&self, tenant_id: &str, oid: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.tenant_id == tenant_id && u.oid.eq_ignore_ascii_case(oid))
    }

    /// The resource a scope's prefix names (by app id URI or app id).
    pub fn resource(&self, resource: &str) -> Option<&Resource> {
        find_resource(&self.resources, resource)
    }
}

fn find_resource<'r>(resources: &'r [Resource], name: &str) -> Option<&'r Resource> {
    let name = name.trim_end_matches('/');
    resources.iter().find(|r| {
        r.app_id_uri
            .trim_end_matches('/')
            .eq_ignore_ascii_case(name)
            || r.app_id.eq_ignore_ascii_case(name)
    })
}

/// A GUID as Entra writes it: 8-4-4-4-12 hexadecimal digits (any case).
fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
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
        let fics = crate::client_auth::federation::records(agent, "https://localhost:1/x/v2.0");
        assert_eq!(
            fics[0].subject,
            "/eid1/c/pub/t/10c419d4-4a50-45b2-aa4e-919fb84df24f/a/3bf56293-fbb5-42bd-a407-248ba7431a8c/7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b"
        );
        assert!(d.resource("api://contoso-api").is_some());
    }

    #[test]
    fn only_assigned_app_roles_reach_a_token() {
        let d = Directory::default_directory();
        let api = d.resource("api://contoso-api").unwrap();
        let graph = d.resource("https://graph.microsoft.com").unwrap();
        let blueprint = d.app("3bf56293-fbb5-42bd-a407-248ba7431a8c").unwrap();
        let agent = d.app("7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b").unwrap();
        let daemon = d.app("5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b").unwrap();
        assert_eq!(d.assigned_roles(blueprint, api), ["Data.Read.All"]);
        assert!(d.assigned_roles(blueprint, graph).is_empty());
        assert!(d.assigned_roles(agent, api).is_empty());
        assert_eq!(d.assigned_roles(daemon, graph), ["User.Read.All"]);
    }

    fn example_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/directory.example.toml")
    }

    #[test]
    fn the_example_directory_loads_with_every_field() {
        let d = Directory::load(&example_path()).unwrap();
        assert_eq!(d.tenants.len(), 2);
        let t = d.tenant("fabrikam.example").unwrap();
        assert_eq!(t.trusted_issuers.len(), 1);
        let sync = d.app("0A1B2C3D-4e5f-4a6b-8c7d-8e9f0a1b2c3d").unwrap();
        assert_eq!(sync.display_name.as_deref(), Some("Fabrikam order sync"));
        assert_eq!((sync.secrets.len(), sync.certificates.len()), (1, 1));
        let orders = d.resource("api://fabrikam-orders").unwrap();
        assert_eq!(d.assigned_roles(sync, orders), ["Orders.Read.All"]);
        let erin = d
            .user_by_upn(
                "2d4f6a8c-1e3b-4d5f-8a9c-0b1c2d3e4f5a",
                "erin@partner.example",
            )
            .unwrap();
        assert_eq!(erin.display_name, "erin@partner.example");
        let agent = d.app("2c3d4e5f-6a7b-4c8d-8e9f-0a1b2c3d4e5f").unwrap();
        assert_eq!(
            crate::client_auth::federation::records(agent, "https://mock/v2.0").len(),
            1
        );
    }

    /// The message for `toml`, which must be refused.
    fn refusal(toml: &str) -> String {
        Directory::parse("dir.toml", toml, &|p| Err(format!("no file {p}")))
            .unwrap_err()
            .to_string()
    }

    const TENANT: &str = "[[tenants]]\nid = '10c419d4-4a50-45b2-aa4e-919fb84df24f'\n";

    #[test]
    fn each_problem_is_reported_once_with_file_and_line() {
        let bad_ids = refusal(
            "[[tenants]]\nid = 'not-a-guid'\n[[apps]]\nclient_id = '9e4a7b1c-4444-4e5f-8a9b-44444444444Z'\n[[users]]\noid = '1'\nupn = 'a@b'\n",
        );
        assert_eq!(
            bad_ids.lines().collect::<Vec<_>>(),
            [
                "dir.toml:2: tenant id \"not-a-guid\" is not a GUID (8-4-4-4-12 hexadecimal digits, e.g. 10c419d4-4a50-45b2-aa4e-919fb84df24f)",
                "dir.toml:4: client_id \"9e4a7b1c-4444-4e5f-8a9b-44444444444Z\" is not a GUID (8-4-4-4-12 hexadecimal digits, e.g. 10c419d4-4a50-45b2-aa4e-919fb84df24f)",
                "dir.toml:6: user oid \"1\" is not a GUID (8-4-4-4-12 hexadecimal digits, e.g. 10c419d4-4a50-45b2-aa4e-919fb84df24f)",
            ]
        );
        let app = "[[apps]]\nclient_id = '5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b'\n";
        assert_eq!(
            refusal(&format!("{TENANT}{app}{app}")),
            "dir.toml:6: app 5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b is listed twice (first at line 4)"
        );
        let typo = refusal(&format!(
            "{TENANT}[[apps]]\nclient_id = '5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b'\nsecret = ['x']\n"
        ));
        assert!(
            typo.starts_with("dir.toml:5:1: unknown field `secret`, expected one of"),
            "{typo}"
        );
        assert_eq!(typo.matches("unknown field").count(), 1, "{typo}");
        assert_eq!(
            refusal(&format!(
                "{TENANT}[[apps]]\nclient_id = '7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b'\nblueprint = '3bf56293-fbb5-42bd-a407-248ba7431a8c'\n"
            )),
            "dir.toml:5: agent 7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b names blueprint 3bf56293-fbb5-42bd-a407-248ba7431a8c, which is not one of the [[apps]]"
        );
        assert_eq!(
            refusal(&format!(
                "{TENANT}[[apps]]\nclient_id = '5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b'\ncertificates = ['c.pem']\n"
            )),
            "dir.toml:5: certificate c.pem of app 5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b: no file c.pem"
        );
        assert_eq!(
            refusal("tenants = []"),
            "dir.toml:1: at least one [[tenants]] entry is required"
        );
    }

    #[test]
    fn app_role_assignments_must_name_a_resource_and_one_of_its_roles() {
        let resource = "[[resources]]\napp_id = 'c0ffee00-5555-4e5f-8a9b-0c1d2e3f4a5b'\napp_id_uri = 'api://r'\napp_roles = ['A', 'B']\n";
        let app = "[[apps]]\nclient_id = '5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b'\n";
        assert_eq!(
            refusal(&format!(
                "{TENANT}{resource}{app}[[apps.app_role_assignments]]\nresource = 'api://r'\nrole = 'C'\n"
            )),
            "dir.toml:11: app role assignment of app 5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b: api://r has no app role \"C\" (it has: A, B)"
        );
        assert_eq!(
            refusal(&format!(
                "{TENANT}{resource}{app}[[apps.app_role_assignments]]\nresource = 'api://other'\nrole = 'A'\n"
            )),
            "dir.toml:10: app role assignment of app 5d8f1c3e-3333-4e5f-8a9b-0c1d2e3f4a5b: resource api://other is not one of the [[resources]]"
        );
    }

    #[test]
    fn a_missing_file_is_named_once() {
        let err = Directory::load(Path::new("/nonexistent/dir.toml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read /nonexistent/dir.toml: No such file or directory (os error 2)"
        );
        assert!(std::error::Error::source(&err).is_none());
    }
}
