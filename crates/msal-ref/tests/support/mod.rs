//! A tiny in-process fake token endpoint (plain HTTP) for tests that need
//! to see the wire without the real mock IdP.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fic_protocol::ClientInfo;
use serde_json::{Value, json};

pub use mock_entra::fixtures::{BLUEPRINT as APP, TENANT};
pub const EXCHANGE: &str = "api://AzureADTokenExchange/.default";

#[derive(Debug, Clone)]
pub struct Seen {
    pub tenant: String,
    /// x5t#S256 of the TLS client certificate, when TLS and one was presented.
    pub tls_client_x5t: Option<String>,
    pub form: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
}

pub type Responder = Arc<dyn Fn(&Seen, usize) -> (u16, Value) + Send + Sync>;

#[derive(Clone)]
pub struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    respond: Responder,
}

impl Fake {
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
    pub fn last(&self) -> Seen {
        self.seen.lock().unwrap().last().cloned().unwrap()
    }
}

async fn token(
    State(fake): State<Fake>,
    Path(tenant): Path<String>,
    peer: Option<axum::Extension<PeerCert>>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> impl IntoResponse {
    let seen = Seen {
        tenant,
        tls_client_x5t: peer.and_then(|p| p.0.0),
        form,
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
    };
    let n = {
        let mut all = fake.seen.lock().unwrap();
        all.push(seen.clone());
        all.len()
    };
    let (status, body) = (fake.respond)(&seen, n);
    (StatusCode::from_u16(status).unwrap(), Json(body))
}

#[derive(Debug, Clone)]
pub struct PeerCert(Option<String>);

fn router(respond: Responder) -> (Router, Fake) {
    let fake = Fake {
        seen: Arc::default(),
        respond,
    };
    let app = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .with_state(fake.clone());
    (app, fake)
}

/// Starts the fake over plain HTTP; returns its authority and handle.
pub async fn start(respond: Responder) -> (String, Fake) {
    let (app, fake) = router(respond);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://localhost:{port}/{TENANT}"), fake)
}

pub fn unsigned_jwt(claims: Value) -> String {
    format!(
        "{}.{}.sig",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// App tokens name their request; user tokens come with the user's
/// id_token, client_info and a refresh token.
pub fn entra_like() -> Responder {
    Arc::new(|seen, n| {
        let f = &seen.form;
        match f.get("grant_type").map(String::as_str) {
            Some("client_credentials") => {
                let token_type = if f.get("token_type").map(String::as_str) == Some("mtls_pop") {
                    "mtls_pop"
                } else {
                    "Bearer"
                };
                (
                    200,
                    json!({"token_type": token_type, "expires_in": 3600, "ext_expires_in": 3600,
                        "access_token": format!("app-{}-{n}", f.get("fmi_path").map_or("none", String::as_str))}),
                )
            }
            Some("user_fic") | Some("refresh_token") => {
                let (oid, upn) = match (f.get("username"), f.get("user_id")) {
                    (Some(u), _) if u.to_lowercase().starts_with("bob") => {
                        ("bbbb", "bob@contoso.com")
                    }
                    (_, Some(o)) if o == "bbbb" => ("bbbb", "bob@contoso.com"),
                    _ if f
                        .get("refresh_token")
                        .is_some_and(|r| r.starts_with("rt-bbbb")) =>
                    {
                        ("bbbb", "bob@contoso.com")
                    }
                    _ => ("aaaa", "alice@contoso.com"),
                };
                (
                    200,
                    json!({"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600,
                        "access_token": format!("user-{oid}-{n}"),
                        "scope": "api://resource/Read openid profile offline_access",
                        "refresh_token": format!("rt-{oid}-{n}"),
                        "id_token": unsigned_jwt(json!({"aud": APP.as_str(), "oid": oid, "sub": "s",
                            "tid": TENANT.as_str(), "preferred_username": upn})),
                        "client_info": ClientInfo { uid: oid.into(), utid: TENANT.as_str().into() }.encode()}),
                )
            }
            _ => (400, json!({"error": "unsupported_grant_type"})),
        }
    })
}

/// A CA that signs the TLS fake's server certificate and client certificates.
pub struct TestCa {
    pub cert_pem: String,
    key: rcgen::KeyPair,
    params: rcgen::CertificateParams,
}

impl TestCa {
    pub fn new() -> TestCa {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "msal-ref test CA");
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            cert_pem: cert.pem(),
            key,
            params,
        }
    }

    /// (certificate PEM, key PEM) for `name` (a DNS SAN), signed by this CA.
    pub fn issue(&self, name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
        let issuer = rcgen::Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// Starts the fake over TLS with a server certificate for `localhost`
/// signed by `ca`; client certificates signed by `ca` are accepted (not
/// required) and their x5t#S256 recorded.
pub async fn start_tls(respond: Responder, ca: &TestCa) -> (String, Fake) {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let (cert_pem, key_pem) = ca.issue("localhost");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.cert_pem.as_bytes()).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap(),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (app, fake) = router(respond);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let app = app.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let peer = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| fic_protocol::thumbprint::x5t_s256(c));
                let app = app.layer(axum::Extension(PeerCert(peer)));
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
            });
        }
    });
    (format!("https://localhost:{port}/{TENANT}"), fake)
}
