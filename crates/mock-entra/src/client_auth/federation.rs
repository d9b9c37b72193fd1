//! Federated credentials (docs/protocol.md §1).
//!
//! - T1, Leg 2: a token from this mock or a tenant's trusted issuer,
//!   presented as a client assertion: signed by its issuer, current,
//!   app-only, and matching one of the app's federated identity records
//!   ([`records`]: the explicit ones plus, for an agent, the implicit
//!   record trusting its blueprint's T1 for the agent's own id).
//! - T2, Leg 3: the `user_federated_identity_credential` of the `user_fic`
//!   grant: the presenting agent's own token from this tenant.

use fic_protocol::TOKEN_EXCHANGE_AUDIENCE;

use crate::directory::{App, Directory, FederatedCredential, MOCK_ISSUER, Tenant, fmi_subject};
use crate::jwt::Jwt;
use crate::pki::RsaPublic;
use crate::refusal::Refusal;
use crate::state::MockState;

use super::{SKEW_SECONDS, check_times};

/// The key a federated credential's issuer signs with, when `jwt` names
/// this mock or one of the tenant's trusted issuers as its `iss`; `None`:
/// the assertion is not a federated credential.
pub(crate) fn issuer_key(
    state: &MockState,
    tenant: &Tenant,
    jwt: &Jwt,
) -> Result<Option<jsonwebtoken::DecodingKey>, Refusal> {
    let iss = jwt.claim_str("iss").unwrap_or_default();
    if state.tenant_of_issuer(iss).is_some() {
        return Ok(Some(state.pki.signing.decoding.clone()));
    }
    tenant
        .trusted_issuers
        .iter()
        .find(|t| t.issuer == iss)
        .map(|t| {
            RsaPublic::from_cert_der(&t.certificate_der)
                .map(|k| k.decoding_key())
                .map_err(|e| Refusal::UnusableKey {
                    whose: "Trusted issuer key",
                    reason: e.to_string(),
                })
        })
        .transpose()
}

/// The federated identity records `app` accepts, with `mock_issuer`
/// substituted for [`MOCK_ISSUER`]: explicit ones plus, for an agent, the
/// implicit record trusting its blueprint's T1 for the agent's own id.
pub(crate) fn records(app: &App, mock_issuer: &str) -> Vec<FederatedCredential> {
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

/// T1 in Leg 2: signed by its issuer (`key`), in its time range, app-only,
/// and matching one of the app's federated records by issuer, then
/// subject, then audience.
pub(crate) fn check_t1(
    state: &MockState,
    app: &App,
    jwt: &Jwt,
    key: &jsonwebtoken::DecodingKey,
    now: i64,
) -> Result<(), Refusal> {
    let algorithm = jwt.rsa_algorithm().ok_or(Refusal::FederatedAlgorithm)?;
    if !jwt.verify(key, algorithm) {
        return Err(Refusal::FederatedSignature);
    }
    check_times(jwt, now)?;
    if jwt.is_user_token() {
        return Err(Refusal::UserTokenAsFederatedCredential);
    }
    let iss = jwt.claim_str("iss").unwrap_or_default();
    // A token in this mock's name carries the tenant it was issued in twice,
    // in `iss` and `tid`; both must name the app's tenant.
    if let Some(issued_in) = state.tenant_of_issuer(iss) {
        let tid = jwt.claim_str("tid").unwrap_or_default();
        if !tid.eq_ignore_ascii_case(&issued_in.id) {
            return Err(Refusal::FederatedTenantMismatch {
                tid: tid.to_owned(),
                iss: iss.to_owned(),
            });
        }
    }
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
    match_record(&records(app, mock_issuer), app, jwt)
}

/// The record matching rule: by issuer, then subject, then audience, each
/// failure with its own code.
fn match_record(records: &[FederatedCredential], app: &App, jwt: &Jwt) -> Result<(), Refusal> {
    let iss = jwt.claim_str("iss").unwrap_or_default();
    let sub = jwt.claim_str("sub").unwrap_or_default();
    let audiences = jwt.audiences();
    if records.is_empty() {
        return Err(Refusal::NoFederatedRecords {
            client_id: app.client_id.clone(),
        });
    }
    let by_issuer: Vec<_> = records.iter().filter(|r| r.issuer == iss).collect();
    if by_issuer.is_empty() {
        return Err(Refusal::FederatedIssuerMismatch {
            iss: iss.to_owned(),
        });
    }
    let by_subject: Vec<_> = by_issuer.into_iter().filter(|r| r.subject == sub).collect();
    if by_subject.is_empty() {
        return Err(Refusal::FederatedSubjectMismatch {
            sub: sub.to_owned(),
            client_id: app.client_id.clone(),
        });
    }
    if !by_subject
        .iter()
        .any(|r| audiences.contains(&r.audience.as_str()))
    {
        return Err(Refusal::FederatedAudienceMismatch {
            audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
        });
    }
    Ok(())
}

/// T2 in Leg 3: issued by this mock in `tenant` (`iss` and `tid` agreeing),
/// signed, current, app-only, for the token exchange audience, and the
/// presenting agent's own (issued to it, about it).
pub(crate) fn check_t2(
    state: &MockState,
    tenant: &Tenant,
    agent: &App,
    raw: &str,
) -> Result<(), Refusal> {
    let jwt = Jwt::parse(raw).map_err(Refusal::UserCredentialMalformed)?;
    jwt.check_critical()
        .map_err(Refusal::UserCredentialCritical)?;
    let iss = jwt.claim_str("iss").unwrap_or_default();
    if state
        .tenant_of_issuer(iss)
        .is_none_or(|t| t.id != tenant.id)
    {
        return Err(Refusal::UserCredentialIssuer {
            iss: iss.to_owned(),
        });
    }
    let algorithm = jwt
        .rsa_algorithm()
        .ok_or(Refusal::UserCredentialAlgorithm)?;
    if !jwt.verify(&state.pki.signing.decoding, algorithm) {
        return Err(Refusal::UserCredentialSignature);
    }
    let now = state.clock.unix();
    let exp = jwt
        .numeric_date("exp")
        .ok()
        .flatten()
        .ok_or(Refusal::UserCredentialWithoutExp)?;
    if now > exp.saturating_add(SKEW_SECONDS) {
        return Err(Refusal::UserCredentialExpired { exp, now });
    }
    if jwt.is_user_token() {
        return Err(Refusal::UserTokenAsFederatedCredential);
    }
    if !jwt.audiences().contains(&TOKEN_EXCHANGE_AUDIENCE) {
        return Err(Refusal::UserCredentialAudience);
    }
    let tid = jwt.claim_str("tid").unwrap_or_default();
    if !tid.eq_ignore_ascii_case(&tenant.id) {
        return Err(Refusal::UserCredentialTenant {
            tid: tid.to_owned(),
            tenant_id: tenant.id.clone(),
        });
    }
    let client_id = &agent.client_id;
    let azp = jwt.claim_str("azp").unwrap_or_default();
    if !azp.eq_ignore_ascii_case(client_id) {
        return Err(Refusal::UserCredentialIssuedToAnother {
            azp: azp.to_owned(),
            client_id: client_id.clone(),
        });
    }
    let sub = jwt.claim_str("sub").unwrap_or_default();
    if !sub.eq_ignore_ascii_case(client_id) {
        return Err(Refusal::UserCredentialAboutAnother {
            sub: sub.to_owned(),
            client_id: client_id.clone(),
        });
    }
    Ok(())
}

/// Whether `app` may ask for a token with an `fmi_path`: federated managed
/// identity paths name agents under a blueprint, so only a blueprint (an
/// app some agent names as its blueprint) and an agent may.
pub(crate) fn may_use_fmi_path(directory: &Directory, app: &App) -> bool {
    app.blueprint.is_some()
        || directory
            .apps
            .values()
            .any(|a| a.blueprint.as_deref() == Some(app.client_id.as_str()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::client_auth::tests::{state, unsigned, unsigned_raw};

    const MOCK: &str = "https://localhost:1/x/v2.0";

    fn agent(d: &Directory) -> &App {
        d.apps.values().find(|a| a.blueprint.is_some()).unwrap()
    }

    #[test]
    fn an_agent_trusts_its_blueprints_t1_for_its_own_id() {
        let d = Directory::default_directory();
        let agent = agent(&d);
        let blueprint = agent.blueprint.as_deref().unwrap();
        let implicit = records(agent, MOCK).pop().unwrap();
        assert_eq!(implicit.issuer, MOCK);
        assert_eq!(
            implicit.subject,
            format!(
                "/eid1/c/pub/t/{}/a/{blueprint}/{}",
                agent.tenant_id, agent.client_id
            )
        );
        assert_eq!(implicit.audience, TOKEN_EXCHANGE_AUDIENCE);
        assert!(may_use_fmi_path(&d, agent));
        assert!(may_use_fmi_path(&d, d.app(blueprint).unwrap()));
    }

    #[test]
    fn t1_matches_by_issuer_then_subject_then_audience() {
        let d = Directory::default_directory();
        let agent = agent(&d);
        let accepted = records(agent, MOCK);
        let subject = accepted.last().unwrap().subject.clone();
        let t1 = |iss: &str, sub: &str, aud: &str| {
            unsigned(json!({}), json!({"iss": iss, "sub": sub, "aud": aud}))
        };
        let check = |jwt: &Jwt| match_record(&accepted, agent, jwt);
        assert_eq!(check(&t1(MOCK, &subject, TOKEN_EXCHANGE_AUDIENCE)), Ok(()));
        assert_eq!(
            check(&t1("https://elsewhere", &subject, TOKEN_EXCHANGE_AUDIENCE)),
            Err(Refusal::FederatedIssuerMismatch {
                iss: "https://elsewhere".into()
            })
        );
        assert_eq!(
            check(&t1(MOCK, "someone", TOKEN_EXCHANGE_AUDIENCE)),
            Err(Refusal::FederatedSubjectMismatch {
                sub: "someone".into(),
                client_id: agent.client_id.clone()
            })
        );
        assert_eq!(
            check(&t1(MOCK, &subject, "api://other")),
            Err(Refusal::FederatedAudienceMismatch {
                audiences: vec!["api://other".into()]
            })
        );
        let daemon = d
            .apps
            .values()
            .find(|a| a.blueprint.is_none() && a.federated_credentials.is_empty())
            .unwrap();
        assert_eq!(
            match_record(&records(daemon, MOCK), daemon, &t1(MOCK, &subject, "x")),
            Err(Refusal::NoFederatedRecords {
                client_id: daemon.client_id.clone()
            })
        );
    }

    #[test]
    fn t2_must_come_from_this_tenants_issuer_and_be_signed() {
        let (state, _dir) = state();
        let tenant = state.directory.default_tenant();
        let agent = agent(&state.directory);
        let foreign = unsigned_raw(json!({"alg": "RS256"}), json!({"iss": "https://elsewhere"}));
        assert_eq!(
            check_t2(&state, tenant, agent, &foreign),
            Err(Refusal::UserCredentialIssuer {
                iss: "https://elsewhere".into()
            })
        );
        let forged = unsigned_raw(
            json!({"alg": "RS256"}),
            json!({"iss": state.issuer(&tenant.id)}),
        );
        assert_eq!(
            check_t2(&state, tenant, agent, &forged),
            Err(Refusal::UserCredentialSignature)
        );
        assert!(matches!(
            check_t2(&state, tenant, agent, "a.b"),
            Err(Refusal::UserCredentialMalformed(_))
        ));
        let now = state.clock.unix();
        let signed = |claims: serde_json::Value| crate::token_issuer::sign(&state, &claims);
        let own = json!({
            "iss": state.issuer(&tenant.id), "tid": tenant.id, "aud": TOKEN_EXCHANGE_AUDIENCE,
            "azp": agent.client_id, "sub": agent.client_id, "idtyp": "app", "exp": now + 600,
        });
        assert_eq!(
            check_t2(&state, tenant, agent, &signed(own.clone())),
            Ok(())
        );
        let mut another = own.clone();
        another["azp"] = json!("someone-else");
        assert_eq!(
            check_t2(&state, tenant, agent, &signed(another)),
            Err(Refusal::UserCredentialIssuedToAnother {
                azp: "someone-else".into(),
                client_id: agent.client_id.clone()
            })
        );
        let mut expired = own;
        expired["exp"] = json!(now - SKEW_SECONDS - 1);
        assert_eq!(
            check_t2(&state, tenant, agent, &signed(expired)),
            Err(Refusal::UserCredentialExpired {
                exp: now - SKEW_SECONDS - 1,
                now
            })
        );
    }
}
