//! Who may use what: user_fic only for an agent with its T1 and its own T2,
//! `tid` agreeing with the tenant and `iss` in every credential the mock
//! issued, fmi paths only for blueprints and agents, `crit` headers, exact
//! assertion audiences, and the `common` authority.

mod support;

use jsonwebtoken::Algorithm;
use mock_entra::{Directory, MockEntra};
use serde_json::json;
use support::*;

const SCOPE: &str = "api://contoso-api/read openid profile offline_access";
const BOB: (&str, &str) = ("username", "bob@contoso.com");

/// T1 and T2 claims as the mock issues them, to forge variants of.
fn t2_claims(h: &Harness, agent: &str) -> serde_json::Value {
    json!({
        "iss": h.mock.issuer(), "aud": "api://AzureADTokenExchange",
        "sub": agent, "azp": agent, "tid": TENANT.as_str(), "idtyp": "app",
        "oid": agent, "xms_par_app_azp": BLUEPRINT.as_str(),
        "iat": now(), "nbf": now(), "exp": now() + 3600,
    })
}

#[tokio::test]
async fn user_fic_is_only_for_an_agent_with_its_t1_and_its_own_t2() {
    let h = start().await;
    let t1 = h.t1(AGENT_A.as_str()).await;
    let t2 = h.t2(AGENT_A.as_str(), &t1).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The positive control: agent A, authenticated with T1, presenting its T2.
    h.user_fic(AGENT_A.as_str(), &t1, &t2, BOB, SCOPE)
        .await
        .token();

    // An ordinary app with its secret, presenting an app token of its own.
    let daemon_token = h
        .post(&[
            ("grant_type", "client_credentials"),
            ("client_id", DAEMON.as_str()),
            ("client_secret", "daemon-secret"),
            ("scope", EXCHANGE),
        ])
        .await
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let daemon = h
        .post(&[
            ("grant_type", "user_fic"),
            ("client_id", DAEMON.as_str()),
            ("client_secret", "daemon-secret"),
            ("user_federated_identity_credential", &daemon_token),
            BOB,
            ("scope", SCOPE),
        ])
        .await;
    daemon.refused(400, 9990016);
    assert!(daemon.body.to_string().contains("not an agent identity"));
    // The blueprint with its secret and a T1 as the user credential.
    h.post(&[
        ("grant_type", "user_fic"),
        ("client_id", BLUEPRINT.as_str()),
        ("client_secret", "blueprint-secret"),
        ("user_federated_identity_credential", &t1),
        BOB,
        ("scope", SCOPE),
    ])
    .await
    .refused(400, 9990016);
    // The blueprint with a certificate assertion.
    h.post(&[
        ("grant_type", "user_fic"),
        ("client_id", BLUEPRINT.as_str()),
        ("client_assertion_type", JWT_BEARER),
        (
            "client_assertion",
            &h.assertion(Algorithm::RS256, json!({})),
        ),
        ("user_federated_identity_credential", &t1),
        BOB,
        ("scope", SCOPE),
    ])
    .await
    .refused(400, 9990016);

    // A T2 issued to agent A but about someone else.
    let mut about_other = t2_claims(&h, AGENT_A.as_str());
    about_other["sub"] = json!(AGENT_B.as_str());
    let r = h
        .user_fic(
            AGENT_A.as_str(),
            &t1,
            &h.mock.sign_token(&about_other),
            BOB,
            SCOPE,
        )
        .await;
    r.refused(400, 9990012);
    assert!(r.body.to_string().contains("Its subject is"), "{}", r.body);
    // A T2 whose tid is another tenant's (iss still this tenant's).
    let mut other_tenant = t2_claims(&h, AGENT_A.as_str());
    other_tenant["tid"] = json!("00000000-0000-0000-0000-0000000000ff");
    let r = h
        .user_fic(
            AGENT_A.as_str(),
            &t1,
            &h.mock.sign_token(&other_tenant),
            BOB,
            SCOPE,
        )
        .await;
    r.refused(400, 70000);
    assert!(r.body.to_string().contains("'tid'"), "{}", r.body);
    // No tid at all.
    let mut no_tid = t2_claims(&h, AGENT_A.as_str());
    no_tid.as_object_mut().unwrap().remove("tid");
    h.user_fic(
        AGENT_A.as_str(),
        &t1,
        &h.mock.sign_token(&no_tid),
        BOB,
        SCOPE,
    )
    .await
    .refused(400, 70000);
    // A forged T2 with the claims right is still accepted: the rules above
    // are what refused the others.
    h.user_fic(
        AGENT_A.as_str(),
        &t1,
        &h.mock.sign_token(&t2_claims(&h, AGENT_A.as_str())),
        BOB,
        SCOPE,
    )
    .await
    .token();
}

/// An agent given a secret in its own directory may still not use Leg 3
/// with it: only its T1 proves it is the blueprint's agent.
#[tokio::test]
async fn an_agent_authenticated_with_a_secret_gets_no_user_token() {
    let mut directory = Directory::default_directory();
    let agent = directory.apps.get_mut(AGENT_A.as_str()).expect("agent A");
    agent.secrets.push("agent-secret".into());
    let mock = MockEntra::start(directory).await.expect("mock starts");
    let h = Harness {
        http: client(&mock, None),
        mock,
    };
    let t1 = h.t1(AGENT_A.as_str()).await;
    let t2 = h.t2(AGENT_A.as_str(), &t1).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h
        .post(&[
            ("grant_type", "user_fic"),
            ("client_id", AGENT_A.as_str()),
            ("client_secret", "agent-secret"),
            ("user_federated_identity_credential", &t2),
            BOB,
            ("scope", SCOPE),
        ])
        .await;
    r.refused(400, 9990016);
    assert!(r.body.to_string().contains("with a secret"), "{}", r.body);
}

#[tokio::test]
async fn a_t1_whose_tid_is_not_its_issuers_tenant_is_refused() {
    let h = start().await;
    let t1 = h.t1(AGENT_A.as_str()).await;
    let mut c = claims(&t1);
    c["tid"] = json!("00000000-0000-0000-0000-0000000000ff");
    let r = h.t2(AGENT_A.as_str(), &h.mock.sign_token(&c)).await;
    r.refused(400, 50027);
    assert!(r.body.to_string().contains("'tid'"), "{}", r.body);
    c.as_object_mut().unwrap().remove("tid");
    h.t2(AGENT_A.as_str(), &h.mock.sign_token(&c))
        .await
        .refused(400, 50027);
    // The real T1 passes, and T2 and the user token carry the tenant.
    let t2 = h.t2(AGENT_A.as_str(), &t1).await;
    t2.token();
    let t2 = t2.body["access_token"].as_str().unwrap().to_owned();
    let user = h.user_fic(AGENT_A.as_str(), &t1, &t2, BOB, SCOPE).await;
    user.token();
    assert_issued_in_tenant(&claims(user.body["id_token"].as_str().unwrap()));
}

#[tokio::test]
async fn a_critical_header_is_refused_in_every_credential() {
    let h = start().await;
    let crit =
        |header: serde_json::Value| h.assertion(Algorithm::RS256, json!({"_header": header}));
    let leg1 = |a: String| {
        let h = &h;
        async move {
            h.post(&[
                ("grant_type", "client_credentials"),
                ("client_id", BLUEPRINT.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &a),
                ("scope", EXCHANGE),
            ])
            .await
        }
    };
    // The control: the same assertion without crit is fine.
    leg1(crit(json!({}))).await.token();
    for header in [
        json!({"crit": ["b64"], "b64": false}),
        json!({"crit": ["exp"]}),
        json!({"crit": []}),
        json!({"crit": "b64"}),
    ] {
        let r = leg1(crit(header.clone())).await;
        r.refused(400, 50027);
        assert!(r.body.to_string().contains("crit"), "{header}: {}", r.body);
    }
    // In T1 (a federated credential) and in T2.
    let t1 = h.t1(AGENT_A.as_str()).await;
    let t2 = h.t2(AGENT_A.as_str(), &t1).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_crit = |token: &str| {
        let (_, rest) = token.split_once('.').unwrap();
        let header = json!({"alg": "RS256", "typ": "JWT", "crit": ["x"], "x": 1});
        let claims_part = rest.split_once('.').unwrap().0;
        let c: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                claims_part,
            )
            .unwrap(),
        )
        .unwrap();
        support::sign_with_mock_header(&h.mock, &header, &c)
    };
    h.t2(AGENT_A.as_str(), &with_crit(&t1))
        .await
        .refused(400, 50027);
    h.user_fic(AGENT_A.as_str(), &t1, &with_crit(&t2), BOB, SCOPE)
        .await
        .refused(400, 70000);
}

#[tokio::test]
async fn assertion_audiences_are_compared_exactly() {
    let h = start().await;
    let endpoint = h.mock.token_endpoint();
    let base = h.mock.base_url();
    let leg1 = |aud: String| {
        let a = h.assertion(Algorithm::RS256, json!({"aud": aud}));
        let h = &h;
        async move {
            h.post(&[
                ("grant_type", "client_credentials"),
                ("client_id", BLUEPRINT.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &a),
                ("scope", EXCHANGE),
            ])
            .await
        }
    };
    let port = h.mock.port();
    for ok in [
        endpoint.clone(),
        format!("{base}/contoso.com/oauth2/v2.0/token"),
        format!("{base}/CONTOSO.COM/oauth2/v2.0/token"),
        format!("{base}/{TENANT}/oauth2/token"),
        h.mock.issuer(),
        format!("https://127.0.0.1:{port}/{TENANT}/oauth2/v2.0/token"),
    ] {
        let r = leg1(ok.clone()).await;
        assert_eq!(r.status, 200, "{ok}: {}", r.body);
    }
    for bad in [
        format!("{endpoint}?x=1"),
        format!("{endpoint}?"),
        format!("{endpoint}#frag"),
        format!("{endpoint}/"),
        format!("https://user@localhost:{port}/{TENANT}/oauth2/v2.0/token"),
        format!("https://user:pw@localhost:{port}/{TENANT}/oauth2/v2.0/token"),
        format!("{base}/x/../{TENANT}/oauth2/v2.0/token"),
        format!("{base}/{TENANT}/./oauth2/v2.0/token"),
        format!("https://LOCALHOST:{port}/{TENANT}/oauth2/v2.0/token"),
        format!("{base}/{TENANT}/oauth2/v2.0/%74oken"),
        format!("{base}//{TENANT}/oauth2/v2.0/token"),
    ] {
        let r = leg1(bad.clone()).await;
        assert_eq!(
            (r.status, r.body["error_codes"][0].as_u64()),
            (401, Some(700023)),
            "{bad}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn only_blueprints_and_agents_may_ask_for_an_fmi_path() {
    let h = start().await;
    let r = h
        .post(&[
            ("grant_type", "client_credentials"),
            ("client_id", DAEMON.as_str()),
            ("client_secret", "daemon-secret"),
            ("scope", EXCHANGE),
            ("fmi_path", AGENT_A.as_str()),
        ])
        .await;
    r.refused(400, 9990017);
    // Without one the daemon is served as before.
    h.post(&[
        ("grant_type", "client_credentials"),
        ("client_id", DAEMON.as_str()),
        ("client_secret", "daemon-secret"),
        ("scope", EXCHANGE),
    ])
    .await
    .token();
    // An agent may (its T1 callback gets the path; Leg 2 sends it on).
    let t1 = h.t1(AGENT_A.as_str()).await;
    let r = h
        .post(&[
            ("grant_type", "client_credentials"),
            ("client_id", AGENT_A.as_str()),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &t1),
            ("scope", EXCHANGE),
            ("fmi_path", "sub-agent"),
        ])
        .await;
    assert_eq!(r.token()["xms_fmi_path"], "sub-agent");
}

#[tokio::test]
async fn a_non_ascii_fmi_path_is_counted_in_characters() {
    let h = start().await;
    let path = "agent-ü/東京";
    let t1 = claims(&h.t1(path).await);
    assert_eq!(t1["xms_fmi_path"], path);
    assert_eq!(
        t1["sub"],
        format!("/eid1/c/pub/t/{TENANT}/a/{BLUEPRINT}/{path}")
    );
    // 256 two-byte characters (512 bytes) are within the limit; 257 are not.
    h.t1(&"é".repeat(256)).await;
    h.post(&[
        ("grant_type", "client_credentials"),
        ("client_id", BLUEPRINT.as_str()),
        ("client_secret", "blueprint-secret"),
        ("scope", EXCHANGE),
        ("fmi_path", &"é".repeat(257)),
    ])
    .await
    .refused(400, 9990008);
}

/// `common` has a discovery document (clients read it) whose token endpoint
/// refuses: every app here belongs to one tenant.
#[tokio::test]
async fn common_discovery_is_served_and_its_token_endpoint_names_the_reason() {
    let h = start().await;
    let doc: serde_json::Value = h
        .http
        .get(format!(
            "{}/common/v2.0/.well-known/openid-configuration",
            h.mock.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = doc["token_endpoint"].as_str().unwrap().to_owned();
    assert_eq!(
        endpoint,
        format!("{}/common/oauth2/v2.0/token", h.mock.base_url())
    );
    let r = reply(
        h.http
            .post(&endpoint)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", BLUEPRINT.as_str()),
                ("client_secret", "blueprint-secret"),
                ("scope", EXCHANGE),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.refused(400, 90002);
    assert!(r.body.to_string().contains("names no tenant"), "{}", r.body);
}
