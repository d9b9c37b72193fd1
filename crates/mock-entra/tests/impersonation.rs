//! The mock as Entra's public cloud, reached through its own forward proxy:
//! every alias answers discovery, instance discovery and the token endpoint
//! with URLs and issuers that carry no port; tokens minted there are the
//! mock's own when presented back; and the proxy refuses everything else
//! while it keeps serving.

mod support;

use std::sync::Arc;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ALIASES: [&str; 4] = [
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
];

/// A client that reaches every https URL through the mock's proxy and
/// trusts only the mock's CA.
fn proxied(mock: &mock_entra::MockEntra) -> reqwest::Client {
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::https(mock.proxy_url().as_str()).unwrap())
        .tls_certs_only([reqwest::Certificate::from_pem(mock.ca_cert_pem().as_bytes()).unwrap()])
        .build()
        .unwrap()
}

async fn get(http: &reqwest::Client, url: &str) -> Reply {
    reply(http.get(url).send().await.unwrap()).await
}

async fn post(http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Reply {
    reply(http.post(url).form(form).send().await.unwrap()).await
}

/// Every `https://` URL in `value` names a public alias with no port.
fn assert_portless(value: &Value) {
    match value {
        Value::String(s) if s.starts_with("https://") => {
            let url = url::Url::parse(s).unwrap();
            assert_eq!(url.port(), None, "{s}");
            assert!(!s.contains(":443"), "{s}");
        }
        Value::Array(items) => items.iter().for_each(assert_portless),
        Value::Object(map) => map.values().for_each(assert_portless),
        _ => {}
    }
}

#[tokio::test]
async fn the_public_authority_and_issuer_carry_no_port() {
    let h = start().await;
    assert_eq!(
        h.mock.public_authority(),
        format!("https://login.microsoftonline.com/{TENANT}")
    );
    assert_eq!(
        h.mock.public_issuer(),
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    let proxy = h.mock.proxy_url();
    assert_eq!(
        (proxy.scheme(), proxy.host_str()),
        ("http", Some("127.0.0.1"))
    );
    // The own listener is unchanged.
    assert!(h.mock.issuer().starts_with("https://localhost:"));
}

#[tokio::test]
async fn every_alias_answers_tenant_discovery_with_its_own_urls() {
    let h = start().await;
    let http = proxied(&h.mock);
    for alias in ALIASES {
        for segment in [TENANT.as_str(), "contoso.com"] {
            let doc = get(
                &http,
                &format!("https://{alias}/{segment}/v2.0/.well-known/openid-configuration"),
            )
            .await;
            assert_eq!(doc.status, 200, "{alias}: {}", doc.body);
            assert_eq!(doc.body["issuer"], h.mock.public_issuer(), "{alias}");
            assert_eq!(
                doc.body["token_endpoint"],
                format!("https://{alias}/{TENANT}/oauth2/v2.0/token")
            );
            assert_eq!(
                doc.body["authorization_endpoint"],
                format!("https://{alias}/{TENANT}/oauth2/v2.0/authorize")
            );
            assert_eq!(doc.body["cloud_instance_name"], "microsoftonline.com");
            assert_portless(&doc.body);
        }
        let common = get(
            &http,
            &format!("https://{alias}/common/v2.0/.well-known/openid-configuration"),
        )
        .await;
        assert_eq!(
            common.body["issuer"],
            "https://login.microsoftonline.com/{tenantid}/v2.0"
        );
        let keys = get(
            &http,
            &format!("https://{alias}/{TENANT}/discovery/v2.0/keys"),
        )
        .await;
        assert_eq!(keys.body["keys"].as_array().map(Vec::len), Some(1));
        let unknown = get(
            &http,
            &format!("https://{alias}/nope.example/v2.0/.well-known/openid-configuration"),
        )
        .await;
        unknown.refused(400, 90002);
        assert_eq!(
            unknown.body["error_uri"],
            format!("https://{alias}/error?code=90002")
        );
    }
}

#[tokio::test]
async fn the_harness_api_is_the_own_listeners_only() {
    let h = start().await;
    let http = proxied(&h.mock);
    for path in ["/_harness/journal", "/_harness/faults"] {
        let r = get(&http, &format!("https://login.microsoftonline.com{path}")).await;
        r.refused(404, 9990014);
        assert_eq!(
            r.body["error_uri"],
            "https://login.microsoftonline.com/error?code=9990014"
        );
    }
    let cleared = http
        .delete("https://login.windows.net/_harness/journal")
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 404);
    let own = h
        .http
        .get(format!("{}/_harness/journal", h.mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn every_alias_answers_instance_discovery_for_the_public_cloud() {
    let h = start().await;
    let http = proxied(&h.mock);
    for alias in ALIASES {
        for named in ALIASES {
            let authorize = format!("https://{named}/{TENANT}/oauth2/v2.0/authorize");
            let r = reply(
                http.get(format!("https://{alias}/common/discovery/instance"))
                    .query(&[
                        ("api-version", "1.1"),
                        ("authorization_endpoint", &authorize),
                    ])
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(r.status, 200, "{alias} {named}: {}", r.body);
            assert_eq!(
                r.body,
                json!({
                    "tenant_discovery_endpoint": format!("https://{named}/{TENANT}/v2.0/.well-known/openid-configuration"),
                    "api-version": "1.1",
                    "metadata": [{
                        "preferred_network": "login.microsoftonline.com",
                        "preferred_cache": "login.windows.net",
                        "aliases": ALIASES,
                    }],
                })
            );
        }
        // An instance that is not the public cloud's (the own listener's
        // included) is unknown here.
        for other in [
            format!("{}/common/oauth2/v2.0/authorize", h.mock.base_url()),
            "https://login.microsoftonline.com:8443/common/oauth2/v2.0/authorize".to_owned(),
            "https://login.example.com/common/oauth2/v2.0/authorize".to_owned(),
        ] {
            let r = reply(
                http.get(format!("https://{alias}/common/discovery/instance"))
                    .query(&[("api-version", "1.1"), ("authorization_endpoint", &other)])
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            r.refused(400, 50049);
        }
    }
}

#[tokio::test]
async fn every_alias_issues_leg1_and_trusts_its_t1_back() {
    let h = start().await;
    let http = proxied(&h.mock);
    for alias in ALIASES {
        let endpoint = format!("https://{alias}/{TENANT}/oauth2/v2.0/token");
        let leg1 = post(
            &http,
            &endpoint,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", BLUEPRINT.as_str()),
                ("client_secret", "blueprint-secret"),
                ("scope", EXCHANGE),
                ("fmi_path", AGENT_A.as_str()),
            ],
        )
        .await;
        let t1 = leg1.token();
        assert_eq!(t1["iss"], h.mock.public_issuer(), "{alias}");
        assert_eq!(t1["xms_fmi_path"], AGENT_A.as_str());
        let t1_raw = leg1.body["access_token"].as_str().unwrap().to_owned();

        // T1 trust: the agent authenticates with it, on the same alias.
        let leg2 = post(
            &http,
            &endpoint,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", AGENT_A.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &t1_raw),
                ("scope", EXCHANGE),
            ],
        )
        .await;
        let t2 = leg2.token();
        assert_eq!(t2["iss"], h.mock.public_issuer());
        let t2_raw = leg2.body["access_token"].as_str().unwrap().to_owned();

        // Leg 3 takes both.
        let leg3 = post(
            &http,
            &endpoint,
            &[
                ("grant_type", "user_fic"),
                ("client_id", AGENT_A.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &t1_raw),
                ("user_federated_identity_credential", &t2_raw),
                ("username", "bob@contoso.com"),
                (
                    "scope",
                    "api://contoso-api/read openid profile offline_access",
                ),
                ("client_info", "1"),
            ],
        )
        .await;
        assert_eq!(leg3.token()["iss"], h.mock.public_issuer());
        assert_eq!(
            claims(leg3.body["id_token"].as_str().unwrap())["iss"],
            h.mock.public_issuer()
        );
    }
    // A T1 minted as the public cloud is the mock's own on its own listener too.
    let t1 = post(
        &http,
        &h.mock.public_token_endpoint(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", BLUEPRINT.as_str()),
            ("client_secret", "blueprint-secret"),
            ("scope", EXCHANGE),
            ("fmi_path", AGENT_A.as_str()),
        ],
    )
    .await
    .body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    h.t2(AGENT_A.as_str(), &t1).await.token();
    // ...and a T1 for another agent still is not this agent's credential.
    h.t2(AGENT_B.as_str(), &t1).await.refused(401, 700213);
    // The public issuer is compared exactly, as every issuer is.
    let mut upper = claims(&t1);
    upper["iss"] = format!(
        "https://login.microsoftonline.com/{}/v2.0",
        TENANT.as_str().to_uppercase()
    )
    .into();
    let upper = h.mock.sign_token(&upper);
    post(
        &http,
        &h.mock.public_token_endpoint(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", AGENT_A.as_str()),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &upper),
            ("scope", EXCHANGE),
        ],
    )
    .await
    .refused(401, 700211);
}

#[tokio::test]
async fn assertion_audience_is_any_public_alias_token_endpoint_not_the_own_listener() {
    let h = start().await;
    let http = proxied(&h.mock);
    let endpoint = h.mock.public_token_endpoint();
    let with_aud = |aud: &str| blueprint_assertion(aud, Algorithm::PS256, json!({}));
    let leg1 = |assertion: String| {
        let http = http.clone();
        let endpoint = endpoint.clone();
        async move {
            post(
                &http,
                &endpoint,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", BLUEPRINT.as_str()),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                    ("scope", EXCHANGE),
                    ("fmi_path", AGENT_A.as_str()),
                ],
            )
            .await
        }
    };
    for alias in ALIASES {
        leg1(with_aud(&format!(
            "https://{alias}/{TENANT}/oauth2/v2.0/token"
        )))
        .await
        .token();
        leg1(with_aud(&format!(
            "https://{alias}/contoso.com/oauth2/v2.0/token"
        )))
        .await
        .token();
    }
    leg1(with_aud(&h.mock.public_issuer())).await.token();
    for wrong in [
        h.mock.token_endpoint(),
        format!("https://login.microsoftonline.com:443/{TENANT}/oauth2/v2.0/token"),
        format!("https://login.microsoftonline.com:8443/{TENANT}/oauth2/v2.0/token"),
        format!("https://login.example.com/{TENANT}/oauth2/v2.0/token"),
        "https://login.microsoftonline.com/common/oauth2/v2.0/token".to_owned(),
    ] {
        // Compared exactly, as ports send the token endpoint verbatim: even
        // the default port written out is another audience.
        leg1(with_aud(&wrong)).await.refused(401, 700023);
    }
    // The own listener still wants its own endpoint.
    let public_aud = with_aud(&endpoint);
    h.post(&[
        ("grant_type", "client_credentials"),
        ("client_id", BLUEPRINT.as_str()),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &public_aud),
        ("scope", EXCHANGE),
    ])
    .await
    .refused(401, 700023);
}

/// Sends `request` to the proxy and returns its status line and body.
async fn raw(mock: &mock_entra::MockEntra, request: &[u8]) -> (String, String) {
    let addr = mock.proxy_url().socket_addrs(|| None).unwrap()[0];
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// The proxy still tunnels and serves after a refusal.
async fn still_serving(mock: &mock_entra::MockEntra) {
    let doc = get(
        &proxied(mock),
        &format!(
            "https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration"
        ),
    )
    .await;
    assert_eq!(doc.body["issuer"], mock.public_issuer());
}

#[tokio::test]
async fn connect_to_any_other_host_is_forbidden_and_never_forwarded() {
    let h = start().await;
    // The own listener is a local host the proxy could reach: still refused.
    let own = format!("127.0.0.1:{}", h.mock.port());
    for target in [
        "graph.microsoft.com:443",
        "login.microsoftonline.com:80",
        own.as_str(),
    ] {
        let (status, body) = raw(
            &h.mock,
            format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes(),
        )
        .await;
        assert_eq!(status, "HTTP/1.1 403 Forbidden", "{target}");
        assert!(body.contains("forwards nothing"), "{body}");
        still_serving(&h.mock).await;
    }
    assert!(
        h.mock.journal().entries().is_empty(),
        "nothing reached the token endpoint"
    );
}

#[tokio::test]
async fn plain_http_proxy_requests_are_forbidden() {
    let h = start().await;
    for request in [
        "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "POST http://login.microsoftonline.com/common/oauth2/v2.0/token HTTP/1.1\r\nHost: login.microsoftonline.com\r\nContent-Length: 0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ] {
        let (status, body) = raw(&h.mock, request.as_bytes()).await;
        assert_eq!(status, "HTTP/1.1 403 Forbidden", "{request}");
        assert!(body.contains("only answers CONNECT"), "{body}");
        still_serving(&h.mock).await;
    }
}

#[tokio::test]
async fn malformed_connect_lines_are_bad_requests() {
    let h = start().await;
    for request in [
        "CONNECT login.microsoftonline.com HTTP/1.1\r\n\r\n",
        "CONNECT login.microsoftonline.com:https HTTP/1.1\r\n\r\n",
        "CONNECT login.microsoftonline.com:443\r\n\r\n",
        "\u{16}\u{3}\u{1} garbage\r\n\r\n",
    ] {
        let (status, body) = raw(&h.mock, request.as_bytes()).await;
        assert_eq!(status, "HTTP/1.1 400 Bad Request", "{request:?}");
        assert!(body.starts_with("malformed proxy request"), "{body}");
        still_serving(&h.mock).await;
    }
    // Not UTF-8, and a head that never ends within the limit.
    let (status, _) = raw(&h.mock, b"CONNECT \xff\xfe:443 HTTP/1.1\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    let mut endless = b"CONNECT login.microsoftonline.com:443 HTTP/1.1\r\n".to_vec();
    endless.extend(std::iter::repeat_n(b"X-Filler: 0123456789\r\n".to_vec(), 2000).flatten());
    let (status, _) = raw(&h.mock, &endless).await;
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    still_serving(&h.mock).await;
}

#[tokio::test]
async fn a_client_hello_for_a_name_not_impersonated_gets_a_tls_alert() {
    let h = start().await;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(
            rustls_pemfile::certs(&mut h.mock.ca_cert_pem().as_bytes())
                .next()
                .unwrap()
                .unwrap(),
        )
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    for sni in ["graph.microsoft.com", "localhost"] {
        let addr = h.mock.proxy_url().socket_addrs(|| None).unwrap()[0];
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(b"CONNECT login.microsoftonline.com:443 HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let mut established = [0u8; 39];
        tcp.read_exact(&mut established).await.unwrap();
        assert_eq!(&established, b"HTTP/1.1 200 Connection Established\r\n\r\n");
        let name = rustls_pki_types::ServerName::try_from(sni.to_owned()).unwrap();
        let refused = connector.connect(name, tcp).await.unwrap_err();
        assert!(
            refused.to_string().contains("received fatal alert"),
            "{sni}: {refused}"
        );
        still_serving(&h.mock).await;
    }
}
