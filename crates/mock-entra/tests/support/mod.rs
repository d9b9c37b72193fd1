//! Test-side helpers: a reqwest client trusting the mock's CA, assertion
//! signing with the blueprint's fixture key, token decoding.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mock_entra::{Directory, MockEntra, TlsIdentity};
use serde_json::{Value, json};

#[allow(unused_imports)] // each test binary uses some of them
pub use mock_entra::fixtures::{AGENT_A, AGENT_B, BLUEPRINT, DAEMON, TENANT};
pub const EXCHANGE: &str = "api://AzureADTokenExchange/.default";
pub const JWT_BEARER: &str = fic_protocol::AssertionType::JWT_BEARER_URN;
pub const JWT_POP: &str = fic_protocol::AssertionType::JWT_POP_URN;
pub const BLUEPRINT_CERT: &str = include_str!("../../../../fixtures/certs/blueprint.crt");
pub const BLUEPRINT_KEY: &str = include_str!("../../../../fixtures/certs/blueprint.key");

pub struct Harness {
    pub mock: MockEntra,
    pub http: reqwest::Client,
}

pub async fn start() -> Harness {
    let mock = MockEntra::start(Directory::default_directory())
        .await
        .expect("mock starts");
    let http = client(&mock, None);
    Harness { mock, http }
}

/// A client trusting only the mock's CA, optionally presenting a client certificate.
pub fn client(mock: &MockEntra, identity: Option<&TlsIdentity>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(mock.ca_cert_pem().as_bytes()).unwrap()]);
    if let Some(id) = identity {
        let pem = format!("{}\n{}", id.cert_pem, id.key_pem);
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

/// `tid` is the tenant and `iss` is that tenant's issuer.
#[track_caller]
pub fn assert_issued_in_tenant(claims: &Value) {
    let (tid, iss) = (claims["tid"].as_str(), claims["iss"].as_str());
    assert_eq!(tid, Some(TENANT.as_str()), "tid of {claims}");
    assert!(
        iss.is_some_and(|i| i.ends_with(&format!("/{TENANT}/v2.0"))),
        "iss {iss:?} does not name the tenant of tid {tid:?}"
    );
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    pub fn aadsts(&self) -> u32 {
        self.body["error_codes"][0]
            .as_u64()
            .unwrap_or_else(|| panic!("not an error: {}", self.body)) as u32
    }
    /// The access token's claims, after checking it was issued in the
    /// tenant: `tid` is the tenant's and `iss` names the same tenant.
    #[track_caller]
    pub fn token(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.body);
        let c = claims(self.body["access_token"].as_str().unwrap());
        assert_issued_in_tenant(&c);
        c
    }
    #[track_caller]
    pub fn refused(&self, status: u16, code: u32) {
        assert_eq!(
            (self.status, self.aadsts()),
            (status, code),
            "{}",
            self.body
        );
        let description = self.body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!("AADSTS{code}: ")),
            "{description}"
        );
    }
}

impl Harness {
    pub async fn post(&self, form: &[(&str, &str)]) -> Reply {
        self.post_with(&self.http, form).await
    }
    pub async fn post_with(&self, http: &reqwest::Client, form: &[(&str, &str)]) -> Reply {
        let r = http
            .post(self.mock.token_endpoint())
            .form(form)
            .send()
            .await
            .unwrap();
        reply(r).await
    }
    pub async fn post_raw(&self, content_type: &str, body: Vec<u8>) -> Reply {
        let r = self
            .http
            .post(self.mock.token_endpoint())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        reply(r).await
    }
    pub fn assertion(&self, alg: Algorithm, overrides: Value) -> String {
        blueprint_assertion(&self.mock.token_endpoint(), alg, overrides)
    }
    /// Leg 1: T1 for `fmi_path`, with the blueprint's secret.
    pub async fn t1(&self, fmi_path: &str) -> String {
        let r = self
            .post(&[
                ("grant_type", "client_credentials"),
                ("client_id", BLUEPRINT.as_str()),
                ("client_secret", "blueprint-secret"),
                ("scope", EXCHANGE),
                ("fmi_path", fmi_path),
            ])
            .await;
        r.token();
        r.body["access_token"].as_str().unwrap().to_owned()
    }
    /// Leg 2: T2 for `agent`, authenticating with `t1`.
    pub async fn t2(&self, agent: &str, t1: &str) -> Reply {
        self.post(&[
            ("grant_type", "client_credentials"),
            ("client_id", agent),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", t1),
            ("scope", EXCHANGE),
        ])
        .await
    }
    /// Leg 3 for `agent` with `user_field=user_value`.
    pub async fn user_fic(
        &self,
        agent: &str,
        t1: &str,
        t2: &str,
        user: (&str, &str),
        scope: &str,
    ) -> Reply {
        self.post(&[
            ("grant_type", "user_fic"),
            ("client_id", agent),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", t1),
            ("user_federated_identity_credential", t2),
            user,
            ("scope", scope),
            ("client_info", "1"),
        ])
        .await
    }
}

pub async fn reply(r: reqwest::Response) -> Reply {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    Reply {
        status,
        body,
        headers,
    }
}

pub fn claims(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn cert_der() -> Vec<u8> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(BLUEPRINT_CERT.as_bytes())
        .unwrap()
        .to_vec()
}

/// A certificate assertion from the blueprint as MSAL ports make them;
/// `overrides` replaces claims (null removes) and may carry `"_header"`
/// fields to replace in the header.
pub fn blueprint_assertion(aud: &str, alg: Algorithm, overrides: Value) -> String {
    let der = cert_der();
    let mut header = Header::new(alg);
    header.x5t_s256 = Some(fic_protocol::thumbprint::x5t_s256(&der));
    header.x5c = Some(vec![STANDARD.encode(&der)]);
    let mut claims = json!({
        "aud": aud, "iss": BLUEPRINT.as_str(), "sub": BLUEPRINT.as_str(),
        "exp": now() + 600, "nbf": now(), "iat": now(),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let mut header = serde_json::to_value(&header).unwrap();
    for (k, v) in overrides.as_object().unwrap() {
        if k == "_header" {
            for (hk, hv) in v.as_object().unwrap() {
                if hv.is_null() {
                    header.as_object_mut().unwrap().remove(hk);
                } else {
                    header[hk] = hv.clone();
                }
            }
        } else if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    sign_raw(
        &header,
        &claims,
        alg,
        &EncodingKey::from_rsa_pem(BLUEPRINT_KEY.as_bytes()).unwrap(),
    )
}

pub fn sign_raw(header: &Value, claims: &Value, alg: Algorithm, key: &EncodingKey) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap();
    format!("{input}.{sig}")
}

/// Signs `claims` under `header` (as given) with the mock's own token key,
/// read from its state directory: tokens the mock would have issued but
/// for the header.
pub fn sign_with_mock_header(mock: &MockEntra, header: &Value, claims: &Value) -> String {
    let pem = std::fs::read_to_string(mock.state_dir().join("signing.key")).unwrap();
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    sign_raw(header, claims, Algorithm::RS256, &key)
}
