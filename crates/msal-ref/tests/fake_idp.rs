//! The client's request logic against a tiny in-process fake token endpoint
//! (plain HTTP, `allow_plain_http`): what goes on the wire, when the cache
//! answers instead, and which refusals happen before any request. The real
//! mock IdP is exercised in `against_mock.rs`.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fic_protocol::AssertionType;
use msal_ref::{
    AccountLookupPolicy, AssertionRequestOptions, AssertionResponse, BoxError, ClientCertificate,
    ConfidentialClient, Credential, ManualClock, MsalError, TokenSource, UserId,
};
use serde_json::json;
use support::{APP, EXCHANGE, Fake, TENANT, entra_like, start};

fn secret_client(authority: &str) -> ConfidentialClient {
    ConfidentialClient::builder(APP.as_str(), authority)
        .credential(Credential::secret("blueprint-secret"))
        .allow_plain_http(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn fmi_paths_are_sent_and_cached_apart() {
    let (authority, fake) = start(entra_like()).await;
    let client = secret_client(&authority);

    let a = client
        .acquire_token_for_client([EXCHANGE])
        .fmi_path("agent-a")
        .execute()
        .await
        .unwrap();
    assert_eq!(a.source, TokenSource::IdentityProvider);
    let seen = fake.last();
    assert_eq!(seen.tenant, TENANT.as_str());
    assert_eq!(seen.form["grant_type"], "client_credentials");
    assert_eq!(seen.form["scope"], EXCHANGE);
    assert_eq!(seen.form["fmi_path"], "agent-a");
    assert_eq!(seen.form["client_id"], APP.as_str());
    assert_eq!(seen.form["client_secret"], "blueprint-secret");
    assert!(a.cache_key.as_str().starts_with("-localhost-atext-"));

    let again = client
        .acquire_token_for_client([EXCHANGE])
        .fmi_path("agent-a")
        .execute()
        .await
        .unwrap();
    assert_eq!(again.source, TokenSource::Cache);
    assert_eq!(again.access_token, a.access_token);
    assert_eq!(fake.count(), 1, "a cache hit makes no request");

    let b = client
        .acquire_token_for_client([EXCHANGE])
        .fmi_path("agent-b")
        .execute()
        .await
        .unwrap();
    let plain = client
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap();
    assert!(!fake.last().form.contains_key("fmi_path"));
    assert_eq!(fake.count(), 3);
    assert_ne!(a.cache_key, b.cache_key);
    assert!(
        plain
            .cache_key
            .as_str()
            .starts_with("-localhost-accesstoken-")
    );
    assert_eq!(client.cache().access_token_keys().len(), 3);
    // The plain token never answers for an fmi path, nor the reverse.
    let c = client
        .acquire_token_for_client([EXCHANGE])
        .fmi_path("agent-c")
        .execute()
        .await
        .unwrap();
    assert_eq!(c.source, TokenSource::IdentityProvider);
}

#[tokio::test]
async fn client_side_refusals_send_nothing() {
    let (authority, fake) = start(entra_like()).await;
    let client = secret_client(&authority);
    for blank in ["", "   "] {
        let err = client
            .acquire_token_for_client([EXCHANGE])
            .fmi_path(blank)
            .execute()
            .await
            .unwrap_err();
        assert!(matches!(err, MsalError::BlankFmiPath), "{err}");
    }
    let err = client
        .acquire_token_by_user_fic(
            ["api://resource/Read"],
            "",
            UserId::Upn("alice@contoso.com".into()),
        )
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, MsalError::EmptyUserAssertion));
    let err = client
        .acquire_token_by_user_fic(["api://resource/Read"], "t2", UserId::Oid(" ".into()))
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, MsalError::EmptyUserId));
    let err = client
        .acquire_token_for_client([EXCHANGE])
        .mtls_pop()
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, MsalError::MtlsPopWithoutCertificate), "{err}");

    let empty = ConfidentialClient::builder(APP.as_str(), &authority)
        .credential(Credential::assertion(""))
        .allow_plain_http(true)
        .build()
        .unwrap();
    let err = empty
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, MsalError::EmptyAssertion));
    assert!(err.is_client_side());
    assert_eq!(fake.count(), 0);
}

#[tokio::test]
async fn the_callback_learns_the_fmi_path_only_when_there_is_one() {
    let (authority, fake) = start(entra_like()).await;
    let calls: Arc<Mutex<Vec<AssertionRequestOptions>>> = Arc::default();
    let recorded = calls.clone();
    let client = ConfidentialClient::builder("agent-a", &authority)
        .credential(Credential::assertion_callback(
            move |o: AssertionRequestOptions| {
                recorded.lock().unwrap().push(o.clone());
                async move { Ok::<_, BoxError>(format!("t1-for-{}", o.client_id)) }
            },
        ))
        .allow_plain_http(true)
        .build()
        .unwrap();
    client
        .acquire_token_for_client([EXCHANGE])
        .fmi_path("child")
        .execute()
        .await
        .unwrap();
    client
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap();
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls[0].fmi_path.as_deref(), Some("child"));
    assert_eq!(calls[1].fmi_path, None);
    assert_eq!(calls[0].client_id, "agent-a");
    assert_eq!(
        calls[0].token_endpoint,
        format!("{authority}/oauth2/v2.0/token")
    );
    let form = fake.last().form;
    assert_eq!(form["client_assertion_type"], AssertionType::JWT_BEARER_URN);
    assert_eq!(form["client_assertion"], "t1-for-agent-a");
}

#[tokio::test]
async fn user_fic_wire_and_storage() {
    let (authority, fake) = start(entra_like()).await;
    let client = ConfidentialClient::builder("agent-a", &authority)
        .credential(Credential::assertion("t1"))
        .allow_plain_http(true)
        .build()
        .unwrap();
    let r = client
        .acquire_token_by_user_fic(
            ["api://resource/Read"],
            "t2",
            UserId::Upn("alice@contoso.com".into()),
        )
        .execute()
        .await
        .unwrap();
    let seen = fake.last();
    assert_eq!(seen.form["grant_type"], "user_fic");
    assert_eq!(
        seen.form["scope"],
        "api://resource/Read openid profile offline_access"
    );
    assert_eq!(seen.form["user_federated_identity_credential"], "t2");
    assert_eq!(seen.form["username"], "alice@contoso.com");
    assert!(!seen.form.contains_key("user_id"));
    assert_eq!(seen.form["client_info"], "1");
    assert_eq!(seen.headers["x-anchormailbox"], "upn:alice@contoso.com");

    let home = format!("aaaa.{TENANT}");
    assert!(
        r.cache_key
            .as_str()
            .starts_with(&format!("{home}-localhost-accesstoken-agent-a-"))
    );
    let account = r.account.clone().unwrap();
    assert_eq!(account.username, "alice@contoso.com");
    assert_eq!(account.account_source.as_deref(), Some("user_fic"));
    assert_eq!(r.id_token_claims.as_ref().unwrap()["oid"], "aaaa");
    let cache = client.cache();
    assert_eq!(cache.refresh_tokens().count(), 1);
    assert_eq!(cache.id_tokens().count(), 1);
    assert!(
        cache
            .access_tokens()
            .all(|(_, at)| at.ext_cache_key.is_none())
    );

    let silent = client
        .acquire_token_silent(["api://resource/Read"], &account)
        .await
        .unwrap();
    assert_eq!(silent.source, TokenSource::Cache);
    assert_eq!(silent.access_token, r.access_token);

    client
        .acquire_token_by_user_fic(["api://resource/Read"], "t2", UserId::Oid("bbbb".into()))
        .execute()
        .await
        .unwrap();
    let seen = fake.last();
    assert_eq!(seen.form["user_id"], "bbbb");
    assert!(!seen.form.contains_key("username"));
    assert_eq!(
        seen.headers["x-anchormailbox"],
        format!("oid:bbbb@{TENANT}")
    );
    assert_eq!(client.accounts().len(), 2);
}

async fn alice_cached(policy: AccountLookupPolicy) -> (ConfidentialClient, Fake, String) {
    let (authority, fake) = start(entra_like()).await;
    let client = ConfidentialClient::builder("agent-a", &authority)
        .credential(Credential::assertion("t1"))
        .account_lookup(policy)
        .allow_plain_http(true)
        .build()
        .unwrap();
    let alice = client
        .acquire_token_by_user_fic(
            ["api://resource/Read"],
            "t2",
            UserId::Upn("alice@contoso.com".into()),
        )
        .execute()
        .await
        .unwrap();
    (client, fake, alice.access_token)
}

#[tokio::test]
async fn strict_lookup_sends_bob_to_the_idp() {
    let (client, fake, alice) = alice_cached(AccountLookupPolicy::Strict).await;
    let bob = client
        .acquire_token_by_user_fic(
            ["api://resource/Read"],
            "t2",
            UserId::Upn("bob@contoso.com".into()),
        )
        .execute()
        .await
        .unwrap();
    assert_eq!(bob.source, TokenSource::IdentityProvider);
    assert_ne!(bob.access_token, alice);
    assert_eq!(bob.account.unwrap().username, "bob@contoso.com");
    assert_eq!(fake.count(), 2);
    // Alice again, by OID and by UPN in another case: from the cache.
    for user in [
        UserId::Oid("AAAA".into()),
        UserId::Upn("Alice@Contoso.com".into()),
    ] {
        let again = client
            .acquire_token_by_user_fic(["api://resource/Read"], "t2", user)
            .execute()
            .await
            .unwrap();
        assert_eq!(again.source, TokenSource::Cache);
        assert_eq!(again.access_token, alice);
    }
    assert_eq!(fake.count(), 2);
}

#[tokio::test]
async fn single_account_fallback_hands_bob_alices_token() {
    let (client, fake, alice) = alice_cached(AccountLookupPolicy::SingleAccountFallback).await;
    let bob = client
        .acquire_token_by_user_fic(
            ["api://resource/Read"],
            "t2",
            UserId::Upn("bob@contoso.com".into()),
        )
        .execute()
        .await
        .unwrap();
    assert_eq!(bob.source, TokenSource::Cache);
    assert_eq!(
        bob.access_token, alice,
        "the finding: Bob gets Alice's token"
    );
    assert_eq!(fake.count(), 1, "without contacting the IdP");
}

#[tokio::test]
async fn expiry_and_refresh() {
    let (authority, fake) = start(entra_like()).await;
    let clock = ManualClock::starting_now();
    let client = ConfidentialClient::builder("agent-a", &authority)
        .credential(Credential::assertion("t1"))
        .clock(Arc::new(clock.clone()))
        .allow_plain_http(true)
        .build()
        .unwrap();
    client
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap();
    let user = client
        .acquire_token_by_user_fic(
            ["api://resource/Read"],
            "t2",
            UserId::Upn("alice@contoso.com".into()),
        )
        .execute()
        .await
        .unwrap();
    clock.advance(Duration::from_secs(3600));
    let app = client
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap();
    assert_eq!(app.source, TokenSource::IdentityProvider);
    let refreshed = client
        .acquire_token_silent(["api://resource/Read"], user.account.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(refreshed.source, TokenSource::IdentityProvider);
    assert_ne!(refreshed.access_token, user.access_token);
    let seen = fake.last();
    assert_eq!(seen.form["grant_type"], "refresh_token");
    assert!(seen.form["refresh_token"].starts_with("rt-aaaa"));
    assert_eq!(fake.count(), 4);
}

#[tokio::test]
async fn silent_without_anything_cached_is_a_typed_error() {
    let (authority, _fake) = start(entra_like()).await;
    let client = secret_client(&authority);
    let (other, _, _) = alice_cached(AccountLookupPolicy::Strict).await;
    let alice = other.accounts().remove(0);
    let err = client
        .acquire_token_silent(["api://resource/Read"], &alice)
        .await
        .unwrap_err();
    assert!(matches!(err, MsalError::NoTokenInCache));
}

#[tokio::test]
async fn service_errors_keep_status_and_body() {
    let (authority, _fake) = start(Arc::new(|_, _| {
        (
            401,
            json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.",
                "error_codes": [7000215], "timestamp": "2026-01-01 00:00:00Z", "trace_id": "t",
                "correlation_id": "c", "error_uri": "https://localhost/error?code=7000215"}),
        )
    }))
    .await;
    let err = secret_client(&authority)
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap_err();
    match &err {
        MsalError::Service { status, body } => {
            assert_eq!(*status, 401);
            assert_eq!(body.error, "invalid_client");
        }
        other => panic!("expected a service error, got {other:?}"),
    }
    assert_eq!(err.aadsts(), Some(7000215));
}

#[tokio::test]
async fn mtls_pop_is_keyed_by_the_binding_certificate() {
    let (authority, fake) = start(entra_like()).await;
    let a = rcgen::generate_simple_self_signed(vec!["a".into()]).unwrap();
    let b = rcgen::generate_simple_self_signed(vec!["b".into()]).unwrap();
    let certs = [
        ClientCertificate::new(a.cert.pem(), a.signing_key.serialize_pem()),
        ClientCertificate::new(b.cert.pem(), b.signing_key.serialize_pem()),
    ];
    let current = Arc::new(Mutex::new(0usize));
    let which = current.clone();
    let client = ConfidentialClient::builder("agent-a", &authority)
        .credential(Credential::assertion_callback(move |_| {
            let cert = certs[*which.lock().unwrap()].clone();
            async move {
                Ok::<_, BoxError>(AssertionResponse {
                    assertion: "t1".into(),
                    token_binding_certificate: Some(cert),
                })
            }
        }))
        .allow_plain_http(true)
        .build()
        .unwrap();
    let first = client
        .acquire_token_for_client([EXCHANGE])
        .mtls_pop()
        .execute()
        .await
        .unwrap();
    let form = fake.last().form;
    assert_eq!(form["token_type"], "mtls_pop");
    assert_eq!(form["client_assertion_type"], AssertionType::JWT_POP_URN);
    assert_eq!(first.token_type, "mtls_pop");
    let hit = client
        .acquire_token_for_client([EXCHANGE])
        .mtls_pop()
        .execute()
        .await
        .unwrap();
    assert_eq!(hit.source, TokenSource::Cache);
    *current.lock().unwrap() = 1;
    let other = client
        .acquire_token_for_client([EXCHANGE])
        .mtls_pop()
        .execute()
        .await
        .unwrap();
    assert_eq!(
        other.source,
        TokenSource::IdentityProvider,
        "bound to another certificate"
    );
    // A bearer request never gets the PoP token.
    let bearer = client
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap();
    assert_eq!(bearer.token_type, "Bearer");
    assert_eq!(fake.count(), 3);
}

#[tokio::test]
async fn mtls_pop_requires_the_response_to_say_so() {
    let (authority, _fake) = start(Arc::new(|_, _| {
        (
            200,
            json!({"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": "x"}),
        )
    }))
    .await;
    let k = rcgen::generate_simple_self_signed(vec!["a".into()]).unwrap();
    let cert = ClientCertificate::new(k.cert.pem(), k.signing_key.serialize_pem());
    let client = ConfidentialClient::builder("agent-a", &authority)
        .credential(Credential::assertion_callback(move |_| {
            let cert = cert.clone();
            async move {
                Ok::<_, BoxError>(AssertionResponse {
                    assertion: "t1".into(),
                    token_binding_certificate: Some(cert),
                })
            }
        }))
        .allow_plain_http(true)
        .build()
        .unwrap();
    let err = client
        .acquire_token_for_client([EXCHANGE])
        .mtls_pop()
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, MsalError::TokenTypeMismatch { .. }), "{err}");
    assert!(client.cache().access_token_keys().is_empty());
}

/// The same two responses MSAL Python 1.39.0 was fed in
/// `data/make_python_golden.py` produce the same cache JSON here (compared
/// as JSON values: section order is not significant to any reader).
#[tokio::test]
async fn cache_json_equals_what_msal_python_writes_for_the_same_responses() {
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("data/msal_python_1.39.0_cache.json")).unwrap();
    let id_token = golden["IdToken"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (authority, _fake) = start(Arc::new(move |seen, _| {
        if seen.form["grant_type"] == "client_credentials" {
            (
                200,
                json!({"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": "x"}),
            )
        } else {
            (
                200,
                json!({"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600,
                    "access_token": "u", "refresh_token": "r", "id_token": id_token,
                    "client_info": fic_protocol::ClientInfo { uid: "aaaa".into(), utid: "tid".into() }.encode(),
                    "scope": "api://resource/Read openid profile offline_access"}),
            )
        }
    }))
    .await;
    let authority = authority.replace(TENANT.as_str(), "tid");
    let clock = Arc::new(ManualClock::new(1000));
    let bp = ConfidentialClient::builder("bp", &authority)
        .credential(Credential::secret("s"))
        .clock(clock.clone())
        .allow_plain_http(true)
        .build()
        .unwrap();
    bp.acquire_token_for_client([EXCHANGE])
        .fmi_path("agent")
        .execute()
        .await
        .unwrap();
    let agent = ConfidentialClient::builder("agent", &authority)
        .credential(Credential::assertion("t1"))
        .clock(clock)
        .token_cache(bp.cache())
        .allow_plain_http(true)
        .build()
        .unwrap();
    agent
        .acquire_token_by_user_fic(
            ["api://resource/Read"],
            "t2",
            UserId::Upn("alice@contoso.com".into()),
        )
        .execute()
        .await
        .unwrap();
    let ours: serde_json::Value =
        serde_json::from_str(&agent.cache().serialize_json().unwrap()).unwrap();
    assert_eq!(ours, golden);
}

#[tokio::test]
async fn tls_trusts_exactly_the_given_ca_and_jwt_pop_presents_the_certificate() {
    let ca = support::TestCa::new();
    let (authority, fake) = support::start_tls(entra_like(), &ca).await;

    let untrusting = ConfidentialClient::builder(APP.as_str(), &authority)
        .credential(Credential::secret("s"))
        .ca_certificate_pem(support::TestCa::new().cert_pem)
        .build()
        .unwrap();
    let err = untrusting
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, MsalError::Http(_)), "{err}");
    assert_eq!(fake.count(), 0);

    let bearer = ConfidentialClient::builder(APP.as_str(), &authority)
        .credential(Credential::secret("s"))
        .ca_certificate_pem(ca.cert_pem.clone())
        .build()
        .unwrap();
    bearer
        .acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap();
    assert_eq!(fake.last().tls_client_x5t, None);

    let (cert_pem, key_pem) = ca.issue("agent");
    let binding = ClientCertificate::new(cert_pem, key_pem);
    let expected_x5t = binding.x5t_s256().unwrap();
    let pop = ConfidentialClient::builder("agent-a", &authority)
        .credential(Credential::assertion_callback(move |_| {
            let binding = binding.clone();
            async move {
                Ok::<_, BoxError>(AssertionResponse {
                    assertion: "t1".into(),
                    token_binding_certificate: Some(binding),
                })
            }
        }))
        .ca_certificate_pem(ca.cert_pem.clone())
        .build()
        .unwrap();
    pop.acquire_token_for_client([EXCHANGE])
        .execute()
        .await
        .unwrap();
    let seen = fake.last();
    assert_eq!(seen.tls_client_x5t.as_deref(), Some(expected_x5t.as_str()));
    assert_eq!(
        seen.form["client_assertion_type"],
        AssertionType::JWT_POP_URN
    );
    // The plain client's pooled connection still carries no certificate.
    bearer
        .acquire_token_for_client([EXCHANGE])
        .fmi_path("other")
        .execute()
        .await
        .unwrap();
    assert_eq!(fake.last().tls_client_x5t, None);
}

/// The legacy concat hash end to end: `{fmi_pat: hvalue}` is served the
/// token cached for `{fmi_path: value}` without a request; netstring keeps
/// them apart.
#[tokio::test]
async fn legacy_concat_collision_end_to_end() {
    for (algorithm, collides) in [
        (msal_ref::HashAlgorithm::LegacyConcat, true),
        (msal_ref::HashAlgorithm::Netstring, false),
    ] {
        let (authority, fake) = start(entra_like()).await;
        let client = ConfidentialClient::builder(APP.as_str(), &authority)
            .credential(Credential::secret("s"))
            .hash_algorithm(algorithm)
            .allow_plain_http(true)
            .build()
            .unwrap();
        let a = client
            .acquire_token_for_client([EXCHANGE])
            .fmi_path("value")
            .execute()
            .await
            .unwrap();
        let b = client
            .acquire_token_for_client([EXCHANGE])
            .extra_body_parameter("fmi_pat", "hvalue")
            .execute()
            .await
            .unwrap();
        assert_eq!(b.access_token == a.access_token, collides, "{algorithm}");
        assert_eq!(b.cache_key == a.cache_key, collides, "{algorithm}");
        assert_eq!(fake.count(), if collides { 1 } else { 2 }, "{algorithm}");
        if !collides {
            assert_eq!(fake.last().form["fmi_pat"], "hvalue");
        }
    }
    let (authority, fake) = start(entra_like()).await;
    let err = secret_client(&authority)
        .acquire_token_for_client([EXCHANGE])
        .extra_body_parameter("client_id", "evil")
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, MsalError::ReservedParameter(_)));
    assert_eq!(fake.count(), 0);
}
