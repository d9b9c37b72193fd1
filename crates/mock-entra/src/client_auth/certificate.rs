//! A client assertion signed with a certificate's key (Leg 1): the key is
//! a registered certificate's, named by the header's thumbprint, or, when
//! the app trusts subject names, the `x5c` leaf's once its chain leads to
//! the mock's CA. Then `iss`/`sub`, the audience, the times and the
//! lifetime. The `jti` is `replay`'s.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;

use fic_protocol::thumbprint::decode_thumbprint;

use crate::directory::{App, RegisteredCertificate, Tenant};
use crate::jwt::Jwt;
use crate::pki::RsaPublic;
use crate::refusal::Refusal;
use crate::state::MockState;
use crate::token_request::TokenRequest;

use super::{MAX_ASSERTION_LIFETIME_SECONDS, check_times};

/// Checks everything of a certificate assertion but its `jti`; returns its
/// `exp`.
pub(crate) fn check_assertion(
    state: &MockState,
    tenant: &Tenant,
    request: &TokenRequest,
    app: &App,
    jwt: &Jwt,
    now: i64,
) -> Result<i64, Refusal> {
    let algorithm = jwt
        .rsa_algorithm()
        .ok_or_else(|| Refusal::AssertionAlgorithm {
            alg: jwt.header_str("alg").map(str::to_owned),
        })?;
    let (key, named) = match find_certificate(app, jwt) {
        Ok(certificate) => {
            if x5c_chain(jwt)?
                .first()
                .is_some_and(|leaf| *leaf != certificate.der)
            {
                return Err(Refusal::X5cNotTheRegisteredCertificate);
            }
            let key = certificate
                .public_key
                .as_ref()
                .map_err(|e| Refusal::UnusableKey {
                    whose: "Registered certificate",
                    reason: e.to_string(),
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
        return Err(Refusal::AssertionSignature { key: named });
    }
    for claim in ["iss", "sub"] {
        if !jwt
            .claim_str(claim)
            .is_some_and(|v| v.eq_ignore_ascii_case(&app.client_id))
        {
            return Err(Refusal::AssertionNotFromClient {
                claim,
                client_id: app.client_id.clone(),
            });
        }
    }
    let audiences = jwt.audiences();
    if !audiences
        .iter()
        .any(|a| audience_ok(state, tenant, request, a))
    {
        return Err(Refusal::AssertionAudience {
            audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
            expected: format!(
                "{}/{}/oauth2/v2.0/token",
                state.base_url_at(request.origin),
                request.tenant_segment
            ),
        });
    }
    let (start, exp) = check_times(jwt, now)?;
    let lifetime = exp.saturating_sub(start);
    if lifetime > MAX_ASSERTION_LIFETIME_SECONDS {
        return Err(Refusal::AssertionLifetimeTooLong {
            seconds: lifetime,
            max: MAX_ASSERTION_LIFETIME_SECONDS,
        });
    }
    Ok(exp)
}

/// The registered certificate the header's `x5t#S256`, `x5t` or `kid` names.
fn find_certificate<'a>(app: &'a App, jwt: &Jwt) -> Result<&'a RegisteredCertificate, Refusal> {
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
    found.ok_or_else(|| Refusal::CertificateNotFound {
        client_id: app.client_id.clone(),
        named: ["x5t#S256", "x5t", "kid"]
            .iter()
            .filter_map(|h| jwt.header_str(h).map(|v| format!("{h}={v}")))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// DER of the `x5c` certificates, leaf first: a string (.NET) or an array
/// (the rest), standard base64, possibly PEM-wrapped with newlines (Python).
fn x5c_chain(jwt: &Jwt) -> Result<Vec<Vec<u8>>, Refusal> {
    let encoded: Vec<&str> = match jwt.header.get("x5c") {
        None => return Ok(Vec::new()),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) if a.is_empty() => return Err(Refusal::X5cEmpty),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().ok_or(Refusal::X5cEntryNotString))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(Refusal::X5cNotBase64),
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
            STANDARD.decode(body).map_err(|_| Refusal::X5cNotBase64)
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
    not_found: Refusal,
) -> Result<(jsonwebtoken::DecodingKey, String), Refusal> {
    use rustls_pki_types::{CertificateDer, UnixTime};
    let chain = x5c_chain(jwt)?;
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err(not_found);
    };
    let verifier = state
        .pki
        .chain_verifier()
        .map_err(|e| Refusal::ChainVerifier {
            reason: e.to_string(),
        })?;
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|der| CertificateDer::from(der.as_slice()))
        .collect();
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(now).unwrap_or(0),
    ));
    verifier
        .verify_client_cert(&CertificateDer::from(leaf.as_slice()), &intermediates, at)
        .map_err(|e| Refusal::X5cUntrusted {
            client_id: app.client_id.clone(),
            reason: e.to_string(),
        })?;
    let subject = x509_parser::parse_x509_certificate(leaf)
        .ok()
        .and_then(|(_, cert)| {
            let cn = cert.subject().iter_common_name().next()?;
            cn.as_str().ok().map(str::to_owned)
        })
        .unwrap_or_default();
    if !app.trusted_subject_names.contains(&subject) {
        return Err(Refusal::UntrustedSubjectName {
            subject,
            client_id: app.client_id.clone(),
        });
    }
    let key = RsaPublic::from_cert_der(leaf).map_err(|e| Refusal::UnusableKey {
        whose: "The x5c certificate",
        reason: e.to_string(),
    })?;
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
fn audience_ok(state: &MockState, tenant: &Tenant, request: &TokenRequest, aud: &str) -> bool {
    let Ok(url) = url::Url::parse(aud) else {
        return false;
    };
    let exact = url.as_str() == aud
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if !exact || !state.names_this_mock(request.origin, &url) {
        return false;
    }
    let path = url.path();
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let names_this_tenant = |seg: &str| {
        seg.eq_ignore_ascii_case(&request.tenant_segment)
            || seg.eq_ignore_ascii_case(&tenant.id)
            || tenant.domains.iter().any(|d| d.eq_ignore_ascii_case(seg))
    };
    match segments.as_slice() {
        [tenant, "oauth2", "v2.0", "token"] | [tenant, "oauth2", "token"] | [tenant, "v2.0"] => {
            names_this_tenant(tenant)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::client_auth::tests::unsigned;
    use crate::directory::Directory;

    fn blueprint(directory: &Directory) -> &App {
        directory
            .apps
            .values()
            .find(|a| !a.certificates.is_empty() && a.trusted_subject_names.is_empty())
            .unwrap()
    }

    #[test]
    fn the_header_thumbprint_names_the_registered_certificate() {
        let d = Directory::default_directory();
        let app = blueprint(&d);
        let registered = &app.certificates[0];
        let by = |name: &str, value: &str| {
            let mut header = serde_json::Map::new();
            header.insert(name.to_owned(), value.into());
            find_certificate(app, &unsigned(Value::Object(header), json!({})))
                .map(|c| c.x5t_s256.clone())
        };
        assert_eq!(
            by("x5t#S256", &registered.x5t_s256),
            Ok(registered.x5t_s256.clone())
        );
        assert_eq!(by("x5t", &registered.x5t), Ok(registered.x5t_s256.clone()));
        assert_eq!(by("kid", &registered.x5t), Ok(registered.x5t_s256.clone()));
        assert_eq!(
            by("x5t", "AAAA"),
            Err(Refusal::CertificateNotFound {
                client_id: app.client_id.clone(),
                named: "x5t=AAAA".into()
            })
        );
    }

    #[test]
    fn x5c_is_read_in_every_shape_ports_send() {
        let der = STANDARD.encode([1u8, 2, 3]);
        let chain = |x5c: Value| x5c_chain(&unsigned(json!({ "x5c": x5c }), json!({})));
        assert_eq!(chain(json!(der)), Ok(vec![vec![1, 2, 3]]));
        let pem = format!("-----BEGIN CERTIFICATE-----\n{der}\n-----END CERTIFICATE-----\n");
        assert_eq!(chain(json!([pem, der])), Ok(vec![vec![1, 2, 3]; 2]));
        assert_eq!(chain(json!([])), Err(Refusal::X5cEmpty));
        assert_eq!(chain(json!([1])), Err(Refusal::X5cEntryNotString));
        assert_eq!(chain(json!("%%%")), Err(Refusal::X5cNotBase64));
        assert_eq!(chain(json!({})), Err(Refusal::X5cNotBase64));
        assert_eq!(x5c_chain(&unsigned(json!({}), json!({}))), Ok(Vec::new()));
    }
}
