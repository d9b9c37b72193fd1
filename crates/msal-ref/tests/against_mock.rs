//! The reference client against the real mock IdP (`mock-entra`), over TLS
//! with the mock's CA: the three legs end to end, cache hits visible in the
//! journal, jwt-pop on the TLS connection, and the lookup policies.

use std::path::PathBuf;

use mock_entra::fixtures::{AGENT_A as AGENT_1, AGENT_B as AGENT_2, ALICE, BLUEPRINT};
use mock_entra::{Directory, MockEntra};
use msal_ref::{
    AccountLookupPolicy, AssertionRequestOptions, AssertionResponse, BoxError, ClientCertificate,
    ConfidentialClient, Credential, TokenSource, UserId,
};

const EXCHANGE: &str = "api://AzureADTokenExchange/.default";

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/certs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scope of the directory's resource API (fixtures/directory.toml), for user tokens.
fn resource_scope(_mock: &MockEntra) -> String {
    RESOURCE_SCOPE.to_owned()
}

const RESOURCE_SCOPE: &str = "api://contoso-api/read";

async fn mock() -> MockEntra {
    MockEntra::start(Directory::default_directory())
        .await
        .expect("mock starts")
}

fn blueprint_with_certificate(mock: &MockEntra) -> ConfidentialClient {
    ConfidentialClient::builder(BLUEPRINT.as_str(), mock.authority())
        .credential(
            Credential::certificate(&fixture("blueprint.crt"), &fixture("blueprint.key")).unwrap(),
        )
        .ca_certificate_pem(mock.ca_cert_pem())
        .build()
        .unwrap()
}

fn blueprint_with_secret(mock: &MockEntra) -> ConfidentialClient {
    ConfidentialClient::builder(BLUEPRINT.as_str(), mock.authority())
        .credential(Credential::secret("blueprint-secret"))
        .ca_certificate_pem(mock.ca_cert_pem())
        .build()
        .unwrap()
}

/// The agent's client: its callback asks the blueprint for T1 with
/// fmi_path = the agent's own id (Leg 1 inside Leg 2).
fn agent(
    mock: &MockEntra,
    blueprint: &ConfidentialClient,
    policy: AccountLookupPolicy,
) -> ConfidentialClient {
    let blueprint = blueprint.clone();
    ConfidentialClient::builder(AGENT_1.as_str(), mock.authority())
        .credential(Credential::assertion_callback(
            move |ctx: AssertionRequestOptions| {
                let blueprint = blueprint.clone();
                async move {
                    let t1 = blueprint
                        .acquire_token_for_client([EXCHANGE])
                        .fmi_path(ctx.client_id)
                        .execute()
                        .await?;
                    Ok::<_, BoxError>(t1.access_token)
                }
            },
        ))
        .account_lookup(policy)
        .ca_certificate_pem(mock.ca_cert_pem())
        .build()
        .unwrap()
}

#[tokio::test]
async fn three_legs_end_to_end() {
    let mock = mock().await;
    let blueprint = blueprint_with_certificate(&mock);
    let agent = agent(&mock, &blueprint, AccountLookupPolicy::Strict);
    let scope = resource_scope(&mock);

    let t2 = agent
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap();
    let user = agent
        .acquire_token_by_user_fic(
            [scope.as_str()],
            t2.access_token.clone(),
            UserId::Upn("alice@contoso.com".into()),
        )
        .execute()
        .await
        .unwrap();
    assert_eq!(user.source, TokenSource::IdentityProvider);
    let account = user.account.clone().unwrap();
    assert_eq!(account.username, "alice@contoso.com");
    assert_eq!(account.oid(), ALICE.as_str());

    let entries = mock.journal().entries();
    assert_eq!(entries.len(), 3, "Leg 1, Leg 2, Leg 3");
    let (leg1, leg2, leg3) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(leg1.client_id.as_deref(), Some(BLUEPRINT.as_str()));
    assert_eq!(
        leg1.form.get("fmi_path").map(String::as_str),
        Some(AGENT_1.as_str())
    );
    assert_eq!(leg1.client_auth.as_deref(), Some("jwt_bearer"));
    assert_eq!(leg2.client_id.as_deref(), Some(AGENT_1.as_str()));
    assert!(!leg2.form.contains_key("fmi_path"));
    assert_eq!(leg3.grant_type.as_deref(), Some("user_fic"));
    assert_eq!(
        leg3.form.get("username").map(String::as_str),
        Some("alice@contoso.com")
    );
    assert_eq!(
        leg3.headers.get("x-anchormailbox").map(String::as_str),
        Some("upn:alice@contoso.com")
    );
    for e in &entries {
        assert_eq!(e.outcome.status, 200, "{e:?}");
    }

    let silent = agent
        .acquire_token_silent([scope.as_str()], &account)
        .await
        .unwrap();
    assert_eq!(silent.source, TokenSource::Cache);
    assert_eq!(silent.access_token, user.access_token);
    assert_eq!(mock.journal().len(), 3, "silent made no request");
}

#[tokio::test]
async fn cache_hits_make_no_second_request_and_fmi_paths_get_their_own_entries() {
    let mock = mock().await;
    let blueprint = blueprint_with_secret(&mock);
    let first = blueprint
        .acquire_token_for_client([EXCHANGE])
        .fmi_path(AGENT_1.as_str())
        .execute()
        .await
        .unwrap();
    let again = blueprint
        .acquire_token_for_client([EXCHANGE])
        .fmi_path(AGENT_1.as_str())
        .execute()
        .await
        .unwrap();
    assert_eq!(again.source, TokenSource::Cache);
    assert_eq!(again.access_token, first.access_token);
    assert_eq!(mock.journal().len(), 1);

    let second = blueprint
        .acquire_token_for_client([EXCHANGE])
        .fmi_path(AGENT_2.as_str())
        .execute()
        .await
        .unwrap();
    assert_eq!(mock.journal().len(), 2);
    assert_ne!(second.access_token, first.access_token);
    let tenant = mock.tenant_id().to_owned();
    let mut keys: Vec<String> = blueprint
        .cache()
        .access_token_keys()
        .into_iter()
        .map(|k| k.into_string())
        .collect();
    keys.sort();
    // The first is what `fic-harness key` prints for these parts; the mock's
    // port is in neither.
    let agent_2_hash = msal_ref::cache_key::stored_ext_cache_key(
        &msal_ref::ext_components([("fmi_path", AGENT_2.as_str())]),
        msal_ref::HashAlgorithm::Netstring,
    )
    .unwrap();
    let mut expected = vec![
        format!(
            "-localhost-atext-{BLUEPRINT}-{tenant}-api://azureadtokenexchange/.default-ktfqxxtlgnhse9aq6a4tp9ua9bnt9eazz1brpfij5ha"
        ),
        format!(
            "-localhost-atext-{BLUEPRINT}-{tenant}-api://azureadtokenexchange/.default-{agent_2_hash}"
        ),
    ];
    expected.sort();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn jwt_pop_presents_the_client_certificate() {
    let mock = mock().await;
    let blueprint = blueprint_with_secret(&mock);
    let identity = mock
        .issue_client_certificate(AGENT_1.as_str())
        .expect("client certificate");
    let binding = ClientCertificate::new(identity.cert_pem.clone(), identity.key_pem.clone());
    let bp = blueprint.clone();
    let agent = ConfidentialClient::builder(AGENT_1.as_str(), mock.authority())
        .credential(Credential::assertion_callback(
            move |ctx: AssertionRequestOptions| {
                let bp = bp.clone();
                let binding = binding.clone();
                async move {
                    let t1 = bp
                        .acquire_token_for_client([EXCHANGE])
                        .fmi_path(ctx.client_id)
                        .execute()
                        .await?;
                    Ok::<_, BoxError>(AssertionResponse {
                        assertion: t1.access_token.into(),
                        token_binding_certificate: Some(binding),
                    })
                }
            },
        ))
        .ca_certificate_pem(mock.ca_cert_pem())
        .build()
        .unwrap();
    let t2 = agent
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap();
    assert_eq!(t2.token_type.to_lowercase(), "bearer", "bearer over mTLS");
    let leg2 = mock.journal().entries().pop().unwrap();
    assert_eq!(leg2.client_auth.as_deref(), Some("jwt_pop"));
    assert_eq!(
        leg2.tls_client_cert_x5t_s256.as_deref(),
        Some(identity.x5t_s256.as_str())
    );
}

async fn alice_then_bob(policy: AccountLookupPolicy) -> (MockEntra, String, msal_ref::AuthResult) {
    let mock = mock().await;
    let blueprint = blueprint_with_secret(&mock);
    let agent = agent(&mock, &blueprint, policy);
    let scope = resource_scope(&mock);
    let t2 = agent
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap()
        .access_token;
    let alice = agent
        .acquire_token_by_user_fic(
            [scope.as_str()],
            t2.clone(),
            UserId::Upn("alice@contoso.com".into()),
        )
        .execute()
        .await
        .unwrap();
    mock.journal().clear();
    let bob = agent
        .acquire_token_by_user_fic([scope.as_str()], t2, UserId::Upn("bob@contoso.com".into()))
        .execute()
        .await
        .unwrap();
    (mock, alice.access_token, bob)
}

#[tokio::test]
async fn strict_lookup_gets_bob_his_own_token() {
    let (mock, alice, bob) = alice_then_bob(AccountLookupPolicy::Strict).await;
    assert_eq!(bob.source, TokenSource::IdentityProvider);
    assert_ne!(bob.access_token, alice);
    assert_eq!(bob.account.unwrap().username, "bob@contoso.com");
    assert_eq!(mock.journal().len(), 1);
}

#[tokio::test]
async fn single_account_fallback_reproduces_the_finding() {
    let (mock, alice, bob) = alice_then_bob(AccountLookupPolicy::SingleAccountFallback).await;
    assert_eq!(bob.source, TokenSource::Cache);
    assert_eq!(bob.access_token, alice, "Bob silently gets Alice's token");
    assert_eq!(mock.journal().len(), 0, "without contacting the IdP");
}
