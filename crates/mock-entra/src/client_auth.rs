//! Client authentication, checked on every grant: a secret (body or HTTP
//! Basic), a certificate-signed client assertion, or a federated credential
//! (a token from this mock or a trusted issuer, matched against the app's
//! federated identity records).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use fic_protocol::thumbprint::decode_thumbprint;
use fic_protocol::{AssertionType, form};

use crate::aadsts::Aadsts;
use crate::directory::{App, RegisteredCertificate, Tenant};
use crate::entra_error::EntraError;
use crate::jwt::Jwt;
use crate::pki::RsaPublic;
use crate::state::{JtiPolicy, MockState, SeenJti};

/// Clock skew tolerated on assertion times, as Entra does (5 minutes).
pub const SKEW_SECONDS: i64 = 300;
/// Longest client-assertion lifetime accepted. Entra sets no documented
/// limit; MSAL ports use 10 minutes, so a day is generous and still refuses
/// "never expires" assertions.
pub const MAX_ASSERTION_LIFETIME_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// How the client authenticated, as the journal records it (`client_auth`).
pub enum ClientAuthMethod {
    /// `client_secret` in the form body.
    SecretPost,
    /// The secret in an HTTP Basic `Authorization` header.
    SecretBasic,
    /// A signed JWT client assertion (`jwt-bearer`).
    JwtBearer,
    /// A client assertion sent with `jwt-pop`: the token-binding certificate must
    /// be the TLS client certificate.
    JwtPop,
}

impl ClientAuthMethod {
    /// The journal's spelling: `secret_post`, `secret_basic`, `jwt_bearer`, `jwt_pop`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::SecretPost => "secret_post",
            ClientAuthMethod::SecretBasic => "secret_basic",
            ClientAuthMethod::JwtBearer => "jwt_bearer",
            ClientAuthMethod::JwtPop => "jwt_pop",
        }
    }
}

/// What the request presented, known before it is checked (for the journal).
#[derive(Debug, Default, Clone)]
pub struct PresentedCredential {
    /// The method the request's fields name, if any does.
    pub method: Option<ClientAuthMethod>,
    /// The client assertion, decoded but not yet checked.
    pub assertion: Option<Jwt>,
}

/// What the client proved itself with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A client secret (body or Basic).
    Secret,
    /// A client assertion signed with a certificate's key.
    Certificate,
    /// A token from this mock or a trusted issuer (T1 for an agent).
    Federated,
}

#[derive(Debug, Clone)]
/// A client that proved who it is: what the grants decide on.
pub struct AuthenticatedClient<'a> {
    /// Its directory entry.
    pub app: &'a App,
    /// How it authenticated.
    pub method: ClientAuthMethod,
    /// What it proved itself with (the `user_fic` grant needs [`Credential::Federated`]).
    pub credential: Credential,
    /// `azpacr`: "1" for a secret, "2" for a certificate or federated credential.
    pub azpacr: &'static str,
}

/// The request's view that authentication needs.
pub struct AuthInput<'r> {
    /// The tenant the request's path resolved to.
    pub tenant: &'r Tenant,
    /// The tenant segment of the path as sent (an id or a domain), for error messages.
    pub tenant_segment: &'r str,
    /// The form fields of the request body.
    pub form: &'r BTreeMap<String, String>,
    /// `(client_id, secret)` from an `Authorization: Basic` header.
    pub basic: Option<(String, String)>,
    /// x5t#S256 of the TLS client certificate, when one was presented.
    pub tls_client_x5t: Option<&'r str>,
    /// Where the request arrived: which token endpoints an assertion may
    /// name as its audience.
    pub origin: crate::impersonation::Origin,
}

/// The client_id the request names (body, else Basic), before any checking.
pub fn claimed_client_id(input: &AuthInput<'_>) -> Result<Option<String>, EntraError> {
    let body = input.form.get(form::CLIENT_ID).filter(|c| !c.is_empty());
    let basic = input.basic.as_ref().map(|(id, _)| id);
    match (body, basic) {
        (Some(b), Some(h)) if !b.eq_ignore_ascii_case(h) => Err(EntraError::new(
            Aadsts::ConflictingClientIds,
            format!("Body: '{b}', header: '{h}'."),
        )),
        (Some(b), _) => Ok(Some(b.clone())),
        (None, Some(h)) => Ok(Some(h.clone())),
        (None, None) => Ok(None),
    }
}

/// What credential the request presents, without checking it: the journal
/// records it even when authentication then fails.
pub fn presented(input: &AuthInput<'_>) -> PresentedCredential {
    if input.basic.is_some() {
        return PresentedCredential {
            method: Some(ClientAuthMethod::SecretBasic),
            assertion: None,
        };
    }
    if input.form.contains_key(form::CLIENT_SECRET) {
        return PresentedCredential {
            method: Some(ClientAuthMethod::SecretPost),
            assertion: None,
        };
    }
    let Some(assertion) = input.form.get(form::CLIENT_ASSERTION) else {
        return PresentedCredential::default();
    };
    let method = match input
        .form
        .get(form::CLIENT_ASSERTION_TYPE)
        .and_then(|t| AssertionType::from_urn(t))
    {
        Some(AssertionType::JwtPop) => Some(ClientAuthMethod::JwtPop),
        Some(AssertionType::JwtBearer) => Some(ClientAuthMethod::JwtBearer),
        None => None,
    };
    PresentedCredential {
        method,
        assertion: Jwt::parse(assertion).ok(),
    }
}

/// Authenticates the client: exactly one credential (secret, certificate
/// assertion or federated credential), checked against the app's directory
/// entry. Every refusal is an Entra-shaped [`EntraError`].
pub fn authenticate<'s>(
    state: &'s MockState,
    input: &AuthInput<'_>,
) -> Result<AuthenticatedClient<'s>, EntraError> {
    let client_id =
        claimed_client_id(input)?.ok_or_else(|| EntraError::missing(form::CLIENT_ID))?;
    let app = state
        .directory
        .app(&client_id)
        .filter(|a| a.tenant_id == input.tenant.id)
        .ok_or_else(|| {
            EntraError::new(
                Aadsts::AppNotFound,
                format!(
                    "Application with identifier '{client_id}' was not found in the directory '{}'.",
                    input.tenant_segment
                ),
            )
        })?;

    let secret = input
        .basic
        .as_ref()
        .map(|(_, s)| (s.as_str(), ClientAuthMethod::SecretBasic))
        .or_else(|| {
            input
                .form
                .get(form::CLIENT_SECRET)
                .map(|s| (s.as_str(), ClientAuthMethod::SecretPost))
        });
    let assertion = input.form.get(form::CLIENT_ASSERTION);
    if input.basic.is_some() && input.form.contains_key(form::CLIENT_SECRET) {
        return Err(EntraError::new(
            Aadsts::MalformedRequest,
            "Only one client credential may be sent: HTTP Basic or client_secret in the body.",
        ));
    }
    match (secret, assertion) {
        (Some(_), Some(_)) => Err(EntraError::new(
            Aadsts::MalformedRequest,
            "Only one client credential may be sent: a secret or a client_assertion.",
        )),
        (None, None) => Err(EntraError::new(Aadsts::NoClientCredential, "")),
        (Some((secret, method)), None) => {
            // Every registered secret is compared, in constant time, so the
            // answer's timing says nothing about which one nearly matched.
            let ok = app.secrets.iter().fold(0u8, |acc, s| {
                acc | u8::from(bool::from(s.as_bytes().ct_eq(secret.as_bytes())))
            });
            if ok == 1 {
                Ok(AuthenticatedClient {
                    app,
                    method,
                    credential: Credential::Secret,
                    azpacr: "1",
                })
            } else {
                Err(EntraError::new(Aadsts::InvalidSecret, ""))
            }
        }
        (None, Some(assertion)) => authenticate_assertion(state, input, app, assertion),
    }
}

fn authenticate_assertion<'s>(
    state: &'s MockState,
    input: &AuthInput<'_>,
    app: &'s App,
    raw: &str,
) -> Result<AuthenticatedClient<'s>, EntraError> {
    let assertion_type = input
        .form
        .get(form::CLIENT_ASSERTION_TYPE)
        .ok_or_else(|| EntraError::missing(form::CLIENT_ASSERTION_TYPE))?;
    let method = match AssertionType::from_urn(assertion_type) {
        Some(AssertionType::JwtBearer) => ClientAuthMethod::JwtBearer,
        Some(AssertionType::JwtPop) => ClientAuthMethod::JwtPop,
        None => {
            return Err(EntraError::new(
                Aadsts::UnsupportedAssertionType,
                format!("Got '{assertion_type}'."),
            ));
        }
    };
    if method == ClientAuthMethod::JwtPop && input.tls_client_x5t.is_none() {
        return Err(EntraError::new(Aadsts::JwtPopWithoutClientCertificate, ""));
    }
    let jwt = Jwt::parse(raw).map_err(|e| {
        EntraError::new(
            Aadsts::MalformedAssertion,
            format!("The client assertion: {e}."),
        )
    })?;
    if let Err(e) = jwt.check_critical() {
        return Err(EntraError::new(
            Aadsts::MalformedAssertion,
            format!("The client assertion: {e}."),
        ));
    }
    let now = state.clock.unix();
    // A token this mock (or a trusted issuer) issued is a federated
    // credential; anything else must be the app's own signed assertion.
    let iss = jwt.claim_str("iss").unwrap_or_default();
    let federated_key = if state.tenant_of_issuer(iss).is_some() {
        Some(state.pki.signing.decoding.clone())
    } else {
        input
            .tenant
            .trusted_issuers
            .iter()
            .find(|t| t.issuer == iss)
            .map(|t| {
                RsaPublic::from_cert_der(&t.certificate_der)
                    .map(|k| k.decoding_key())
                    .map_err(|e| {
                        EntraError::new(
                            Aadsts::AssertionSignature,
                            format!("Trusted issuer key: {e}."),
                        )
                    })
            })
            .transpose()?
    };
    let credential = match federated_key {
        Some(key) => {
            check_federated(state, app, &jwt, &key, now)?;
            Credential::Federated
        }
        None => {
            check_certificate_assertion(state, input, app, &jwt, raw, now)?;
            Credential::Certificate
        }
    };
    Ok(AuthenticatedClient {
        app,
        method,
        credential,
        azpacr: "2",
    })
}

/// Times shared by both kinds of assertion: `exp` required, `nbf`/`iat` not
/// in the future, all within the skew.
fn check_times(jwt: &Jwt, now: i64, code: Aadsts) -> Result<(i64, i64), EntraError> {
    let date = |name: &str| {
        jwt.numeric_date(name).map_err(|_| {
            EntraError::new(
                Aadsts::MalformedAssertion,
                format!("The '{name}' claim is not a NumericDate."),
            )
        })
    };
    let exp =
        date("exp")?.ok_or_else(|| EntraError::new(code, "The assertion has no 'exp' claim."))?;
    let nbf = date("nbf")?;
    let iat = date("iat")?;
    if now > exp.saturating_add(SKEW_SECONDS) {
        return Err(EntraError::new(
            code,
            format!("Expired at {exp}; now is {now}."),
        ));
    }
    for (name, value) in [("nbf", nbf), ("iat", iat)] {
        if let Some(v) = value
            && v > now.saturating_add(SKEW_SECONDS)
        {
            return Err(EntraError::new(
                code,
                format!("'{name}' {v} is in the future; now is {now}."),
            ));
        }
    }
    let start = nbf.or(iat).unwrap_or(now).min(now);
    Ok((start, exp))
}

fn check_certificate_assertion(
    state: &MockState,
    input: &AuthInput<'_>,
    app: &App,
    jwt: &Jwt,
    raw: &str,
    now: i64,
) -> Result<(), EntraError> {
    let algorithm = jwt.rsa_algorithm().ok_or_else(|| {
        EntraError::new(
            Aadsts::AssertionSignature,
            format!(
                "Algorithm '{}' is not accepted for client assertions (RS256, PS256).",
                jwt.header_str("alg").unwrap_or("(none)")
            ),
        )
    })?;
    let (key, named) = match find_certificate(app, jwt) {
        Ok(certificate) => {
            if x5c_chain(jwt)?
                .first()
                .is_some_and(|leaf| *leaf != certificate.der)
            {
                return Err(EntraError::new(
                    Aadsts::AssertionSignature,
                    "The x5c certificate is not the registered certificate the thumbprint names.",
                ));
            }
            let key = certificate.public_key.as_ref().map_err(|e| {
                EntraError::new(
                    Aadsts::AssertionSignature,
                    format!("Registered certificate: {e}."),
                )
            })?;
            (
                key.decoding_key(),
                format!("certificate x5t#S256 '{}'", certificate.x5t_s256),
            )
        }
        Err(not_found) if !app.trusted_subject_names.is_empty() => {
            subject_name_trust(state, app, jwt, now, not_found)?
        }
        Err(not_found) => return Err(not_found),
    };
    if !jwt.verify(&key, algorithm) {
        return Err(EntraError::new(
            Aadsts::AssertionSignature,
            format!("Signature does not verify with the key of {named}."),
        ));
    }
    for claim in ["iss", "sub"] {
        if !jwt
            .claim_str(claim)
            .is_some_and(|v| v.eq_ignore_ascii_case(&app.client_id))
        {
            return Err(EntraError::new(
                Aadsts::AssertionAppIdMismatch,
                format!("Claim '{claim}' must be the client_id '{}'.", app.client_id),
            ));
        }
    }
    let audiences = jwt.audiences();
    if !audiences.iter().any(|a| audience_ok(state, input, a)) {
        return Err(EntraError::new(
            Aadsts::AssertionAudience,
            format!(
                "Got {audiences:?}; expected '{}/{}/oauth2/v2.0/token' or the issuer.",
                state.base_url_at(input.origin),
                input.tenant_segment
            ),
        ));
    }
    let (start, exp) = check_times(jwt, now, Aadsts::AssertionTimeRange)?;
    if exp.saturating_sub(start) > MAX_ASSERTION_LIFETIME_SECONDS {
        return Err(EntraError::new(
            Aadsts::AssertionLifetimeTooLong,
            format!(
                "{} s; at most {MAX_ASSERTION_LIFETIME_SECONDS} s.",
                exp.saturating_sub(start)
            ),
        ));
    }
    let jti = jwt
        .claim_str("jti")
        .filter(|j| !j.is_empty())
        .ok_or_else(|| EntraError::new(Aadsts::MissingJti, ""))?;
    remember_jti(state, app, jti, raw, exp, now)
}

fn remember_jti(
    state: &MockState,
    app: &App,
    jti: &str,
    raw: &str,
    exp: i64,
    now: i64,
) -> Result<(), EntraError> {
    let digest: [u8; 32] = Sha256::digest(raw.as_bytes()).into();
    let mut seen = state.seen_jti.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(previous) = seen.get(jti) {
        let identical_resend =
            previous.client_id == app.client_id && previous.assertion_sha256 == digest;
        if state.jti_policy == JtiPolicy::RejectAnyReuse || !identical_resend {
            return Err(EntraError::new(
                Aadsts::ReplayedJti,
                format!("jti '{jti}'."),
            ));
        }
        return Ok(());
    }
    seen.insert(
        jti.to_owned(),
        SeenJti {
            client_id: app.client_id.clone(),
            assertion_sha256: digest,
            expires: exp,
        },
        now.saturating_sub(SKEW_SECONDS),
    );
    Ok(())
}

/// The registered certificate the header's `x5t#S256`, `x5t` or `kid` names.
fn find_certificate<'a>(app: &'a App, jwt: &Jwt) -> Result<&'a RegisteredCertificate, EntraError> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // The header's thumbprint (in whichever encoding the port sent) is
    // normalised once and compared with the thumbprints the directory
    // computed at load, rather than hashing every certificate per request.
    let by_sha256 = |v: &str| {
        let wanted = URL_SAFE_NO_PAD.encode(decode_thumbprint(v, 32)?);
        app.certificates.iter().find(|c| c.x5t_s256 == wanted)
    };
    let by_sha1 = |v: &str| {
        let wanted = URL_SAFE_NO_PAD.encode(decode_thumbprint(v, 20)?);
        app.certificates.iter().find(|c| c.x5t == wanted)
    };
    let found = jwt
        .header_str("x5t#S256")
        .and_then(by_sha256)
        .or_else(|| jwt.header_str("x5t").and_then(by_sha1))
        .or_else(|| {
            jwt.header_str("kid")
                .and_then(|k| by_sha256(k).or_else(|| by_sha1(k)))
        });
    found.ok_or_else(|| {
        let named = ["x5t#S256", "x5t", "kid"]
            .iter()
            .filter_map(|h| jwt.header_str(h).map(|v| format!("{h}={v}")))
            .collect::<Vec<_>>()
            .join(", ");
        EntraError::new(
            Aadsts::AssertionSignature,
            format!(
                "Key was not found: no certificate registered on app '{}' matches [{named}].",
                app.client_id
            ),
        )
    })
}

/// DER of the `x5c` certificates, leaf first: a string (.NET) or an array
/// (the rest), standard base64, possibly PEM-wrapped with newlines (Python).
fn x5c_chain(jwt: &Jwt) -> Result<Vec<Vec<u8>>, EntraError> {
    let malformed = |detail: &str| EntraError::new(Aadsts::MalformedAssertion, detail.to_owned());
    let encoded: Vec<&str> = match jwt.header.get("x5c") {
        None => return Ok(Vec::new()),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) if a.is_empty() => return Err(malformed("The x5c header is empty.")),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| malformed("An x5c entry is not a string."))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(malformed("The x5c header is not base64 DER.")),
    };
    encoded
        .iter()
        .map(|one| {
            let body: String = one
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            STANDARD
                .decode(body)
                .map_err(|_| malformed("The x5c header is not base64 DER."))
        })
        .collect()
}

/// Subject-name/issuer trust: an assertion whose certificate is not
/// registered is accepted when its `x5c` chain leads to the mock's CA (the
/// trusted authority, verified as rustls verifies TLS client certificates)
/// and the leaf's subject CN is one the app trusts. Returns the leaf's key
/// and how to name it; `not_found` is the answer when there is no `x5c`.
fn subject_name_trust(
    state: &MockState,
    app: &App,
    jwt: &Jwt,
    now: i64,
    not_found: EntraError,
) -> Result<(jsonwebtoken::DecodingKey, String), EntraError> {
    use rustls_pki_types::{CertificateDer, UnixTime};
    let chain = x5c_chain(jwt)?;
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err(not_found);
    };
    let refuse = |detail: String| EntraError::new(Aadsts::AssertionSignature, detail);
    let verifier = state
        .pki
        .chain_verifier()
        .map_err(|e| refuse(e.to_string()))?;
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|der| CertificateDer::from(der.as_slice()))
        .collect();
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(now).unwrap_or(0),
    ));
    verifier
        .verify_client_cert(&CertificateDer::from(leaf.as_slice()), &intermediates, at)
        .map_err(|e| {
            refuse(format!(
                "The x5c certificate is not registered on app '{}' and its chain does not lead to a trusted authority: {e}.",
                app.client_id
            ))
        })?;
    let subject = x509_parser::parse_x509_certificate(leaf)
        .ok()
        .and_then(|(_, cert)| {
            let cn = cert.subject().iter_common_name().next()?;
            cn.as_str().ok().map(str::to_owned)
        })
        .unwrap_or_default();
    if !app.trusted_subject_names.contains(&subject) {
        return Err(refuse(format!(
            "The x5c certificate's subject '{subject}' is not a subject name app '{}' trusts.",
            app.client_id
        )));
    }
    let key =
        RsaPublic::from_cert_der(leaf).map_err(|e| refuse(format!("The x5c certificate: {e}.")))?;
    Ok((
        key.decoding_key(),
        format!("the x5c certificate '{subject}'"),
    ))
}

/// Whether `aud` names this tenant's token endpoint (v2 or v1) or its
/// issuer on this mock, written exactly: a URL the parser would not have to
/// normalise (no dot segments, upper-case host, default port or empty
/// query), with no user info, query, fragment or trailing slash. Only the
/// tenant segment is compared case-insensitively, as tenant names are.
fn audience_ok(state: &MockState, input: &AuthInput<'_>, aud: &str) -> bool {
    let Ok(url) = url::Url::parse(aud) else {
        return false;
    };
    let exact = url.as_str() == aud
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if !exact || !state.names_this_mock(input.origin, &url) {
        return false;
    }
    let path = url.path();
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let names_this_tenant = |seg: &str| {
        seg.eq_ignore_ascii_case(input.tenant_segment)
            || seg.eq_ignore_ascii_case(&input.tenant.id)
            || input
                .tenant
                .domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(seg))
    };
    match segments.as_slice() {
        [tenant, "oauth2", "v2.0", "token"] | [tenant, "oauth2", "token"] | [tenant, "v2.0"] => {
            names_this_tenant(tenant)
        }
        _ => false,
    }
}

/// A federated credential (T1 in Leg 2): signed by its issuer, in its time
/// range, app-only, and matching one of the app's federated records.
fn check_federated(
    state: &MockState,
    app: &App,
    jwt: &Jwt,
    key: &jsonwebtoken::DecodingKey,
    now: i64,
) -> Result<(), EntraError> {
    let algorithm = jwt.rsa_algorithm().ok_or_else(|| {
        EntraError::new(
            Aadsts::AssertionSignature,
            "The federated credential's algorithm is not RS256/PS256.",
        )
    })?;
    if !jwt.verify(key, algorithm) {
        return Err(EntraError::new(
            Aadsts::AssertionSignature,
            "The federated credential's signature does not verify with its issuer's key.",
        ));
    }
    check_times(jwt, now, Aadsts::AssertionTimeRange)?;
    if jwt.is_user_token() {
        return Err(EntraError::new(Aadsts::UserTokenAsFederatedCredential, ""));
    }
    let iss = jwt.claim_str("iss").unwrap_or_default();
    // A token in this mock's name carries the tenant it was issued in twice,
    // in `iss` and `tid`; both must name the app's tenant.
    if let Some(issued_in) = state.tenant_of_issuer(iss) {
        let tid = jwt.claim_str("tid").unwrap_or_default();
        if !tid.eq_ignore_ascii_case(&issued_in.id) {
            return Err(EntraError::new(
                Aadsts::MalformedAssertion,
                format!(
                    "The federated credential's 'tid' '{tid}' is not the tenant of its issuer '{iss}'."
                ),
            ));
        }
    }
    let sub = jwt.claim_str("sub").unwrap_or_default();
    let audiences = jwt.audiences();
    // The records naming "this mock" match either issuer it writes (own
    // listener, public cloud), each compared exactly like any issuer.
    let own_issuers = [
        state.issuer(&app.tenant_id),
        crate::impersonation::public_issuer(&app.tenant_id),
    ];
    let mock_issuer = own_issuers
        .iter()
        .find(|own| own.as_str() == iss)
        .unwrap_or(&own_issuers[0]);
    let records = state.directory.federated_credentials(app, mock_issuer);
    if records.is_empty() {
        return Err(EntraError::new(
            Aadsts::NoMatchingFederatedRecord,
            format!("App '{}' has no federated identity records.", app.client_id),
        ));
    }
    let by_issuer: Vec<_> = records.iter().filter(|r| r.issuer == iss).collect();
    if by_issuer.is_empty() {
        return Err(EntraError::new(
            Aadsts::FederatedIssuerMismatch,
            format!("Assertion issuer: '{iss}'."),
        ));
    }
    let by_subject: Vec<_> = by_issuer.into_iter().filter(|r| r.subject == sub).collect();
    if by_subject.is_empty() {
        return Err(EntraError::new(
            Aadsts::FederatedSubjectMismatch,
            format!("Assertion subject: '{sub}'. App: '{}'.", app.client_id),
        ));
    }
    if !by_subject
        .iter()
        .any(|r| audiences.contains(&r.audience.as_str()))
    {
        return Err(EntraError::new(
            Aadsts::FederatedAudienceMismatch,
            format!("Assertion audience: {audiences:?}."),
        ));
    }
    Ok(())
}
