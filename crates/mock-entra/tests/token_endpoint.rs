//! The mock over real TLS: every grant's success path and every refusal
//! the mock issue lists, with AADSTS code and status asserted.

mod support;

use std::time::Duration;

use jsonwebtoken::Algorithm;
use mock_entra::fixtures::{ALICE, BOB, SNI_SERVICE};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn discovery_jwks_and_instance_discovery() {
    let h = start().await;
    let base = h.mock.base_url();
    for segment in [TENANT.as_str(), "contoso.com"] {
        let doc: Value = h
            .http
            .get(format!(
                "{base}/{segment}/v2.0/.well-known/openid-configuration"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["issuer"], h.mock.issuer());
        assert_eq!(doc["token_endpoint"], h.mock.token_endpoint());
        assert!(
            doc["authorization_endpoint"]
                .as_str()
                .unwrap()
                .starts_with("https://localhost:")
        );
    }
    let common: Value = h
        .http
        .get(format!(
            "{base}/common/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(common["issuer"], format!("{base}/{{tenantid}}/v2.0"));
    let unknown = reply(
        h.http
            .get(format!(
                "{base}/nope.example/v2.0/.well-known/openid-configuration"
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    unknown.refused(400, 90002);

    let auth = format!("{}/oauth2/v2.0/authorize", h.mock.authority());
    let inst: Value = h
        .http
        .get(format!("{base}/common/discovery/instance"))
        .query(&[("api-version", "1.1"), ("authorization_endpoint", &auth)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        inst["tenant_discovery_endpoint"],
        format!(
            "{}/v2.0/.well-known/openid-configuration",
            h.mock.authority()
        )
    );
    assert_eq!(
        inst["metadata"][0]["aliases"][0],
        format!("localhost:{}", h.mock.port())
    );
    let other = reply(
        h.http
            .get(format!("{base}/common/discovery/instance"))
            .query(&[
                ("api-version", "1.1"),
                (
                    "authorization_endpoint",
                    "https://login.example.com/x/oauth2/v2.0/authorize",
                ),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    other.refused(400, 50049);

    // The JWKS key verifies an issued token.
    let jwks: Value = h
        .http
        .get(format!("{}/discovery/v2.0/keys", h.mock.authority()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    let t1 = h.t1("agent-1").await;
    let header = jsonwebtoken::decode_header(&t1).unwrap();
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(Algorithm::RS256);
    v.set_audience(&["api://AzureADTokenExchange"]);
    v.set_issuer(&[h.mock.issuer()]);
    jsonwebtoken::decode::<Value>(&t1, &decoding, &v).expect("token verifies with the JWKS key");
}

#[tokio::test]
async fn leg1_with_secret_certificate_and_basic_auth() {
    let h = start().await;
    let t1 = claims(&h.t1(AGENT_A.as_str()).await);
    assert_eq!(
        t1["sub"],
        format!("/eid1/c/pub/t/{TENANT}/a/{BLUEPRINT}/{AGENT_A}")
    );
    assert_eq!(t1["xms_fmi_path"], AGENT_A.as_str());
    assert_eq!(
        (t1["azpacr"].as_str(), t1["idtyp"].as_str()),
        (Some("1"), Some("app"))
    );

    for alg in [Algorithm::PS256, Algorithm::RS256] {
        let a = h.assertion(alg, json!({}));
        let r = h
            .post(&[
                ("grant_type", "client_credentials"),
                ("client_id", BLUEPRINT.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &a),
                ("scope", "api://contoso-api/.default"),
                ("fmi_path", "agent-2"),
            ])
            .await;
        let t = r.token();
        assert_eq!(
            (t["aud"].as_str(), t["azpacr"].as_str()),
            (Some("api://contoso-api"), Some("2"))
        );
        assert_eq!(t["roles"], json!(["Data.Read.All"]));
        assert!(t["sub"].as_str().unwrap().ends_with("/agent-2"));
        for field in ["expires_in", "ext_expires_in"] {
            assert!(r.body[field].is_u64(), "{field} must be an integer");
        }
        assert!(r.body.get("refresh_token").is_none() && r.body.get("client_info").is_none());
    }
    // .NET's shape: nbf/exp as strings, x5t (SHA-1) instead of x5t#S256, no iat.
    let dotnet = h.assertion(Algorithm::RS256, json!({"_header": {"x5t#S256": null, "x5c": null, "x5t": fic_protocol::thumbprint::x5t_sha1(&cert_der_of(BLUEPRINT_CERT))}, "nbf": now().to_string(), "exp": (now() + 600).to_string(), "iat": null}));
    h.post(&[
        ("grant_type", "client_credentials"),
        ("client_id", BLUEPRINT.as_str()),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &dotnet),
        ("scope", EXCHANGE),
    ])
    .await
    .token();
    // Python's shape: float exp/iat, no nbf, x5c as a PEM body with newlines.
    let body = cert_body_with_newlines();
    let python = h.assertion(Algorithm::PS256, json!({"_header": {"x5c": [body]}, "exp": now() as f64 + 600.5, "iat": now() as f64, "nbf": null}));
    h.post(&[
        ("grant_type", "client_credentials"),
        ("client_id", BLUEPRINT.as_str()),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &python),
        ("scope", EXCHANGE),
    ])
    .await
    .token();

    let basic = h
        .http
        .post(h.mock.token_endpoint())
        .basic_auth(BLUEPRINT.as_str(), Some("blueprint-secret"))
        .form(&[("grant_type", "client_credentials"), ("scope", EXCHANGE)])
        .send()
        .await
        .unwrap();
    reply(basic).await.token();
    let entries = h.mock.journal().entries();
    assert_eq!(
        entries
            .iter()
            .map(|e| e.client_auth.clone().unwrap())
            .collect::<Vec<_>>(),
        [
            "secret_post",
            "jwt_bearer",
            "jwt_bearer",
            "jwt_bearer",
            "jwt_bearer",
            "secret_basic"
        ]
    );
}

fn cert_der_of(pem: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

fn cert_body_with_newlines() -> String {
    BLUEPRINT_CERT
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn three_legs_and_refresh() {
    let h = start().await;
    let t1 = h.t1(AGENT_A.as_str()).await;
    let t2 = h.t2(AGENT_A.as_str(), &t1).await;
    let t2c = t2.token();
    assert_eq!(
        (
            t2c["azp"].as_str(),
            t2c["sub"].as_str(),
            t2c["xms_par_app_azp"].as_str()
        ),
        (
            Some(AGENT_A.as_str()),
            Some(AGENT_A.as_str()),
            Some(BLUEPRINT.as_str())
        )
    );
    let t2 = t2.body["access_token"].as_str().unwrap().to_owned();

    let scope = "api://contoso-api/read openid profile offline_access";
    let by_upn = h
        .user_fic(
            AGENT_A.as_str(),
            &t1,
            &t2,
            ("username", "bob@contoso.com"),
            scope,
        )
        .await;
    let at = by_upn.token();
    assert_eq!(
        (at["oid"].as_str(), at["scp"].as_str(), at["idtyp"].as_str()),
        (Some(BOB.as_str()), Some("read"), Some("user"))
    );
    let id = claims(by_upn.body["id_token"].as_str().unwrap());
    assert_eq!(
        (
            id["aud"].as_str(),
            id["preferred_username"].as_str(),
            id["tid"].as_str()
        ),
        (
            Some(AGENT_A.as_str()),
            Some("bob@contoso.com"),
            Some(TENANT.as_str())
        )
    );
    assert!(id["exp"].is_i64());
    let ci =
        fic_protocol::ClientInfo::decode(by_upn.body["client_info"].as_str().unwrap()).unwrap();
    assert_eq!(ci.home_account_id(), format!("{BOB}.{TENANT}"));
    assert_eq!(by_upn.body["scope"], scope);

    // Carol by case-insensitive UPN; Alice by object id.
    let carol = h
        .user_fic(
            AGENT_A.as_str(),
            &t1,
            &t2,
            ("username", "CAROL@contoso.com"),
            scope,
        )
        .await;
    assert_eq!(
        claims(carol.body["id_token"].as_str().unwrap())["preferred_username"],
        "carol@contoso.com"
    );
    let alice = h
        .user_fic(
            AGENT_A.as_str(),
            &t1,
            &t2,
            ("user_id", ALICE.as_str()),
            scope,
        )
        .await;
    assert_eq!(alice.token()["upn"], "alice@contoso.com");

    let rt = by_upn.body["refresh_token"].as_str().unwrap();
    let refreshed = h
        .post(&[
            ("grant_type", "refresh_token"),
            ("client_id", AGENT_A.as_str()),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &t1),
            ("refresh_token", rt),
            ("scope", scope),
            ("client_info", "1"),
        ])
        .await;
    assert_eq!(refreshed.token()["oid"], BOB.as_str());
    // The same refresh token from another client is refused.
    h.post(&[
        ("grant_type", "refresh_token"),
        ("client_id", DAEMON.as_str()),
        ("client_secret", "daemon-secret"),
        ("refresh_token", rt),
    ])
    .await
    .refused(400, 70000);
    h.post(&[
        ("grant_type", "refresh_token"),
        ("client_id", AGENT_A.as_str()),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &t1),
        ("refresh_token", "not-one-of-ours"),
    ])
    .await
    .refused(400, 70000);
}

#[tokio::test]
async fn federated_credential_refusals() {
    let h = start().await;
    let t1_for_a = h.t1(AGENT_A.as_str()).await;
    // T1 minted for agent A, presented by agent B.
    h.t2(AGENT_B.as_str(), &t1_for_a).await.refused(401, 700213);
    // T1 presented by an app with no federated records.
    let r = h
        .post(&[
            ("grant_type", "client_credentials"),
            ("client_id", DAEMON.as_str()),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &t1_for_a),
            ("scope", EXCHANGE),
        ])
        .await;
    r.refused(401, 70021);
    // Wrong audience, user token, forged signature, unknown issuer.
    let base = claims(&t1_for_a);
    let mut wrong_aud = base.clone();
    wrong_aud["aud"] = json!("api://something-else");
    h.t2(AGENT_A.as_str(), &h.mock.sign_token(&wrong_aud))
        .await
        .refused(401, 700212);
    let mut user = base.clone();
    user["idtyp"] = json!("user");
    h.t2(AGENT_A.as_str(), &h.mock.sign_token(&user))
        .await
        .refused(401, 700229);
    let forged = format!(
        "{}.{}",
        t1_for_a.rsplit_once('.').unwrap().0,
        "c2lnbmF0dXJl"
    );
    h.t2(AGENT_A.as_str(), &forged).await.refused(401, 700027);
    // Expired T1: the mock's clock moves two hours on.
    h.mock.clock().advance(Duration::from_secs(2 * 3600));
    h.t2(AGENT_A.as_str(), &t1_for_a).await.refused(401, 700024);
}

#[tokio::test]
async fn user_fic_refusals() {
    let h = start().await;
    let t1 = h.t1(AGENT_A.as_str()).await;
    let t2 = h.t2(AGENT_A.as_str(), &t1).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let scope = "api://contoso-api/read openid profile offline_access";
    // One row per refusal: (user identifier, scope, status, AADSTS code).
    let bob = ("username", "bob@contoso.com");
    let rows = [
        (("username", "mallory@contoso.com"), scope, 400, 50034),
        (
            ("user_id", "99999999-aaaa-4bbb-8ccc-000000000009"),
            scope,
            400,
            50034,
        ),
        (bob, "api://contoso-api/read", 400, 70011),
        (bob, "api://contoso-api/admin openid", 400, 70011),
        (bob, "api://unknown/read openid", 400, 500011),
    ];
    for (user, scope, status, code) in rows {
        h.user_fic(AGENT_A.as_str(), &t1, &t2, user, scope)
            .await
            .refused(status, code);
    }
    let common = [
        ("grant_type", "user_fic"),
        ("client_id", AGENT_A.as_str()),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", t1.as_str()),
        ("scope", scope),
    ];
    let mut both = common.to_vec();
    both.extend([
        ("user_federated_identity_credential", t2.as_str()),
        ("username", "bob@contoso.com"),
        ("user_id", BOB.as_str()),
    ]);
    h.post(&both).await.refused(400, 9990011);
    let mut neither = common.to_vec();
    neither.push(("user_federated_identity_credential", t2.as_str()));
    h.post(&neither).await.refused(400, 900144);
    let mut no_t2 = common.to_vec();
    no_t2.push(("username", "bob@contoso.com"));
    h.post(&no_t2).await.refused(400, 900144);
    // T2 presented by another client (agent B with its own T1).
    let t1_b = h.t1(AGENT_B.as_str()).await;
    h.user_fic(
        AGENT_B.as_str(),
        &t1_b,
        &t2,
        ("username", "bob@contoso.com"),
        scope,
    )
    .await
    .refused(400, 9990012);
    // Leg 1's T1 used as the user credential: issued to the blueprint, not agent A.
    h.user_fic(
        AGENT_A.as_str(),
        &t1,
        &t1,
        ("username", "bob@contoso.com"),
        scope,
    )
    .await
    .refused(400, 9990012);
    // Expired T2.
    h.mock.clock().advance(Duration::from_secs(3 * 3600));
    let fresh_t1 = h.t1(AGENT_A.as_str()).await;
    h.user_fic(
        AGENT_A.as_str(),
        &fresh_t1,
        &t2,
        ("username", "bob@contoso.com"),
        scope,
    )
    .await
    .refused(400, 500133);
}

#[tokio::test]
async fn client_authentication_refusals() {
    let h = start().await;
    let cc = |extra: Vec<(&'static str, String)>| {
        let mut f: Vec<(&str, String)> = vec![
            ("grant_type", "client_credentials".into()),
            ("scope", EXCHANGE.into()),
        ];
        f.extend(extra);
        f
    };
    async fn send(h: &Harness, f: Vec<(&str, String)>) -> Reply {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        h.post(&pairs).await
    }
    let assertion = |h: &Harness, o: Value| {
        vec![
            ("client_id", BLUEPRINT.as_str().to_owned()),
            ("client_assertion_type", JWT_BEARER.to_owned()),
            ("client_assertion", h.assertion(Algorithm::PS256, o)),
        ]
    };

    send(
        &h,
        cc(assertion(
            &h,
            json!({"aud": "https://login.microsoftonline.com/x/oauth2/v2.0/token"}),
        )),
    )
    .await
    .refused(401, 700023);
    send(&h, cc(assertion(&h, json!({"iss": AGENT_A}))))
        .await
        .refused(401, 700021);
    send(&h, cc(assertion(&h, json!({"exp": now() - 3600}))))
        .await
        .refused(401, 700024);
    send(&h, cc(assertion(&h, json!({"nbf": now() + 3600}))))
        .await
        .refused(401, 700024);
    send(&h, cc(assertion(&h, json!({"exp": now() + 3 * 86400}))))
        .await
        .refused(401, 9990007);
    send(&h, cc(assertion(&h, json!({"jti": null}))))
        .await
        .refused(401, 9990005);
    send(
        &h,
        cc(assertion(&h, json!({"_header": {"x5t#S256": "AAAA"}}))),
    )
    .await
    .refused(401, 700027);
    send(
        &h,
        cc(assertion(
            &h,
            json!({"_header": {"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]}}),
        )),
    )
    .await
    .refused(401, 700027);

    // jti: an identical re-send is what MSAL Python and msal-node do and is
    // accepted; a different assertion reusing the jti is a replay.
    let jti = uuid::Uuid::new_v4().to_string();
    let first = assertion(&h, json!({"jti": jti}));
    send(&h, cc(first.clone())).await.token();
    send(&h, cc(first)).await.token();
    send(
        &h,
        cc(assertion(&h, json!({"jti": jti, "exp": now() + 500}))),
    )
    .await
    .refused(401, 9990006);
}

/// Every single hostile request of the shared catalogue gets its refusal.
#[tokio::test]
async fn the_hostile_request_catalogue_is_refused_as_listed() {
    let h = start().await;
    for case in mock_entra::hostile::catalogue() {
        let mut request = h.http.request(
            case.method.clone(),
            format!("{}{}", h.mock.base_url(), case.path),
        );
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in &case.headers {
            request = request.header(*name, value);
        }
        let r = reply(request.body(case.body.clone()).send().await.unwrap()).await;
        assert_eq!(
            (r.status, r.aadsts()),
            (case.status, case.code),
            "{}: {}",
            case.name,
            r.body
        );
        r.refused(case.status, case.code);
    }
    // Still serving after all that.
    h.t1("agent-1").await;
}

#[tokio::test]
async fn request_and_grant_refusals() {
    let h = start().await;
    let secret = [
        ("client_id", BLUEPRINT.as_str()),
        ("client_secret", "blueprint-secret"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut f = secret.to_vec();
        f.extend_from_slice(extra);
        f
    };
    for bad in ["", "a b", "agent\u{200b}", "e\u{301}"] {
        h.post(&with(&[
            ("grant_type", "client_credentials"),
            ("scope", EXCHANGE),
            ("fmi_path", bad),
        ]))
        .await
        .refused(400, 9990008);
    }
    // The domain works as the tenant segment.
    let by_domain = h
        .http
        .post(format!(
            "{}/contoso.com/oauth2/v2.0/token",
            h.mock.base_url()
        ))
        .form(&with(&[
            ("grant_type", "client_credentials"),
            ("scope", EXCHANGE),
        ]))
        .send()
        .await
        .unwrap();
    reply(by_domain).await.token();
    // Still serving after all that.
    h.t1("agent-1").await;
}

#[tokio::test]
async fn jwt_pop_and_mtls_pop_need_the_client_certificate() {
    let h = start().await;
    let a = h.assertion(Algorithm::PS256, json!({}));
    let pop = [
        ("grant_type", "client_credentials"),
        ("client_id", BLUEPRINT.as_str()),
        ("client_assertion_type", JWT_POP),
        ("client_assertion", a.as_str()),
        ("scope", EXCHANGE),
    ];
    h.post(&pop).await.refused(401, 9990009);

    let cert = h.mock.issue_client_certificate("agent-binding").unwrap();
    let mtls = client(&h.mock, Some(&cert));
    let bearer = h.post_with(&mtls, &pop).await;
    assert_eq!(bearer.body["token_type"], "Bearer", "{}", bearer.body);
    let mut bound = pop.to_vec();
    let a2 = h.assertion(Algorithm::PS256, json!({}));
    bound[3] = ("client_assertion", a2.as_str());
    bound.push(("token_type", "mtls_pop"));
    let r = h.post_with(&mtls, &bound).await;
    assert_eq!(r.body["token_type"], "mtls_pop");
    assert_eq!(r.token()["cnf"]["x5t#S256"], cert.x5t_s256);
    let last = h.mock.journal().entries().pop().unwrap();
    assert_eq!(
        last.tls_client_cert_x5t_s256.as_deref(),
        Some(cert.x5t_s256.as_str())
    );
    assert_eq!(last.client_auth.as_deref(), Some("jwt_pop"));
}

#[tokio::test]
async fn journal_redacts_and_is_served_over_http() {
    let h = start().await;
    h.t1("agent-1").await;
    let a = h.assertion(Algorithm::PS256, json!({}));
    h.post(&[
        ("grant_type", "client_credentials"),
        ("client_id", BLUEPRINT.as_str()),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &a),
        ("scope", EXCHANGE),
    ])
    .await
    .token();
    let served = h
        .http
        .get(format!("{}/_harness/journal", h.mock.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!served.contains("blueprint-secret"));
    assert!(!served.contains(&a));
    let entries: Vec<mock_entra::JournalEntry> = serde_json::from_str(&served).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].form["fmi_path"], "agent-1");
    assert!(entries[0].form["client_secret"].starts_with("redacted:"));
    assert_eq!(
        entries[1].assertion.as_ref().unwrap().claims["iss"],
        BLUEPRINT.as_str()
    );
    assert_eq!((entries[0].seq, entries[1].seq), (1, 2));
    let deleted = h
        .http
        .delete(format!("{}/_harness/journal", h.mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(h.mock.journal().is_empty());
}

#[tokio::test]
async fn faults_are_queued_over_http() {
    let h = start().await;
    let r = h.http.post(format!("{}/_harness/faults", h.mock.base_url())).json(&json!({"grant_type": "client_credentials", "status": 503, "error": "temporarily_unavailable", "aadsts": 50196, "retry_after": 3})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let faulted = h
        .post(&[
            ("grant_type", "client_credentials"),
            ("client_id", BLUEPRINT.as_str()),
            ("client_secret", "blueprint-secret"),
            ("scope", EXCHANGE),
        ])
        .await;
    faulted.refused(503, 50196);
    assert_eq!(faulted.headers["retry-after"], "3");
    assert!(h.mock.journal().entries()[0].outcome.injected);
    h.t1("agent-1").await;
    let bad = h
        .http
        .post(format!("{}/_harness/faults", h.mock.base_url()))
        .json(&json!({"status": 200}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_full_journal_drops_the_oldest_and_says_how_many() {
    let mock = mock_entra::MockEntra::start_with(mock_entra::MockConfig {
        journal_capacity: 2,
        ..Default::default()
    })
    .await
    .expect("mock starts");
    let h = Harness {
        http: client(&mock, None),
        mock,
    };
    for _ in 0..3 {
        h.post(&[
            ("grant_type", "client_credentials"),
            ("client_id", BLUEPRINT.as_str()),
            ("client_secret", "wrong"),
            ("scope", EXCHANGE),
        ])
        .await
        .refused(401, 7000215);
    }
    let r = h
        .http
        .get(format!("{}/_harness/journal", h.mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-journal-dropped"], "1");
    let seqs: Vec<u64> = r
        .json::<Vec<Value>>()
        .await
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [2, 3]);
}

/// Subject-name/issuer trust: an app without a registered certificate
/// accepts an assertion whose x5c chains to the mock's CA and names a
/// subject it trusts; any other certificate is refused.
#[tokio::test]
async fn subject_name_issuer_trust_accepts_only_the_trusted_subject_from_the_trusted_ca() {
    let h = start().await;
    let aud = h.mock.token_endpoint();
    let signed_with =
        |id: &mock_entra::TlsIdentity, signer: &mock_entra::TlsIdentity, x5c: bool| {
            use rustls_pki_types::pem::PemObject;
            let der = rustls_pki_types::CertificateDer::from_pem_slice(id.cert_pem.as_bytes())
                .unwrap()
                .to_vec();
            let mut header = json!({
                "alg": "RS256", "typ": "JWT",
                "x5t#S256": fic_protocol::thumbprint::x5t_s256(&der),
            });
            if x5c {
                header["x5c"] = json!([base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    &der
                )]);
            }
            let claims = json!({
                "aud": aud, "iss": SNI_SERVICE, "sub": SNI_SERVICE,
                "exp": now() + 600, "nbf": now(), "iat": now(),
                "jti": uuid::Uuid::new_v4().to_string(),
            });
            let key = jsonwebtoken::EncodingKey::from_rsa_pem(signer.key_pem.as_bytes()).unwrap();
            sign_raw(&header, &claims, Algorithm::RS256, &key)
        };
    let assertion_with = |id: &mock_entra::TlsIdentity, x5c: bool| signed_with(id, id, x5c);
    let post = |assertion: String| {
        let h = &h;
        async move {
            h.post(&[
                ("grant_type", "client_credentials"),
                ("client_id", SNI_SERVICE.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
                ("scope", EXCHANGE),
            ])
            .await
        }
    };

    let trusted = h
        .mock
        .issue_rsa_client_certificate("sni-service.contoso.com")
        .unwrap();
    let token = post(assertion_with(&trusted, true)).await.token();
    assert_eq!(token["azp"], SNI_SERVICE.as_str());
    let refused_for = |r: Reply, why: &str| {
        r.refused(401, 700027);
        let description = r.body["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(why), "{description}");
    };
    // Without x5c the certificate cannot be found at all.
    refused_for(
        post(assertion_with(&trusted, false)).await,
        "Key was not found",
    );
    // The trusted CA, but a subject the app does not trust.
    let other = h
        .mock
        .issue_rsa_client_certificate("someone-else.contoso.com")
        .unwrap();
    refused_for(
        post(assertion_with(&other, true)).await,
        "'someone-else.contoso.com' is not a subject name",
    );
    // The trusted subject's certificate in x5c, but the assertion forged:
    // signed with another certificate's key.
    refused_for(
        post(signed_with(&trusted, &other, true)).await,
        "Signature does not verify with the key of the x5c certificate",
    );
    // The trusted subject, but from another authority (a second mock's CA).
    let elsewhere = start().await;
    let forged = elsewhere
        .mock
        .issue_rsa_client_certificate("sni-service.contoso.com")
        .unwrap();
    refused_for(
        post(assertion_with(&forged, true)).await,
        "does not lead to a trusted authority",
    );
    let journal = h.mock.journal().entries();
    assert_eq!(
        journal.iter().filter(|e| e.outcome.status == 200).count(),
        1
    );
}
