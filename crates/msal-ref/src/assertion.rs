//! Turning the credential into the client-authentication part of a token
//! request: the signed certificate assertion, or whatever the callback
//! returned, and the TLS client certificate that goes with jwt-pop.

use fic_protocol::{AssertionType, ClientAssertion, ClientSecret, form};
use jsonwebtoken::Header;
use serde::Serialize;

use crate::credential::{AssertionRequestOptions, Certificate, ClientCertificate, Credential};
use crate::error::MsalError;

/// Certificate assertions live 10 minutes, like MSAL .NET's; Entra advises
/// 5–10 (`docs/protocol.md` §7).
pub const ASSERTION_LIFETIME_SECS: u64 = 600;

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

/// The jwt-bearer assertion a certificate credential sends: `aud` = the
/// token endpoint, `iss` = `sub` = client id, a fresh `jti`, integer times.
pub fn sign_certificate_assertion(
    certificate: &Certificate,
    client_id: &str,
    token_endpoint: &str,
    now: u64,
) -> Result<String, MsalError> {
    let mut header = Header::new(certificate.algorithm());
    header.typ = Some("JWT".into());
    header.x5t_s256 = Some(certificate.x5t_s256().to_owned());
    header.x5c = certificate.x5c();
    let claims = AssertionClaims {
        aud: token_endpoint,
        iss: client_id,
        sub: client_id,
        jti: uuid::Uuid::new_v4().to_string(),
        nbf: now,
        iat: now,
        exp: now + ASSERTION_LIFETIME_SECS,
    };
    Ok(jsonwebtoken::encode(&header, &claims, certificate.key())?)
}

/// The client-authentication fields of one request.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// `client_secret`.
    Secret(ClientSecret),
    /// `client_assertion_type` + `client_assertion`.
    Assertion {
        /// The signed JWT (or T1).
        assertion: ClientAssertion,
        /// jwt-bearer, or jwt-pop when a token-binding certificate came with it.
        assertion_type: AssertionType,
        /// Presented as the TLS client certificate; present exactly for jwt-pop.
        tls_certificate: Option<ClientCertificate>,
    },
}

impl ClientAuth {
    /// Resolves the credential for one request. The callback is called per
    /// request (its assertion may be short-lived) and learns the fmi path.
    pub async fn resolve(
        credential: &Credential,
        options: AssertionRequestOptions,
        now: u64,
    ) -> Result<ClientAuth, MsalError> {
        match credential {
            Credential::Secret(s) => Ok(ClientAuth::Secret(s.clone())),
            Credential::Certificate(c) => Ok(ClientAuth::Assertion {
                assertion: ClientAssertion::new(sign_certificate_assertion(
                    c,
                    &options.client_id,
                    &options.token_endpoint,
                    now,
                )?),
                assertion_type: AssertionType::JwtBearer,
                tls_certificate: None,
            }),
            Credential::Assertion(callback) => {
                let response = callback(options)
                    .await
                    .map_err(MsalError::AssertionCallback)?;
                if response.assertion.secret().trim().is_empty() {
                    return Err(MsalError::EmptyAssertion);
                }
                let assertion_type = if response.token_binding_certificate.is_some() {
                    AssertionType::JwtPop
                } else {
                    AssertionType::JwtBearer
                };
                Ok(ClientAuth::Assertion {
                    assertion: response.assertion,
                    assertion_type,
                    tls_certificate: response.token_binding_certificate,
                })
            }
        }
    }

    /// The certificate to present on the TLS connection: the jwt-pop
    /// token-binding certificate, if any.
    pub fn tls_certificate(&self) -> Option<&ClientCertificate> {
        match self {
            ClientAuth::Assertion {
                tls_certificate, ..
            } => tls_certificate.as_ref(),
            ClientAuth::Secret(_) => None,
        }
    }

    /// Appends `client_secret` or `client_assertion_type` + `client_assertion`.
    pub fn append_to(&self, body: &mut Vec<(String, String)>) {
        match self {
            ClientAuth::Secret(s) => {
                body.push((form::CLIENT_SECRET.into(), s.secret().to_owned()));
            }
            ClientAuth::Assertion {
                assertion,
                assertion_type,
                ..
            } => {
                body.push((
                    form::CLIENT_ASSERTION_TYPE.into(),
                    assertion_type.urn().to_owned(),
                ));
                body.push((form::CLIENT_ASSERTION.into(), assertion.secret().to_owned()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::AssertionResponse;
    use crate::error::BoxError;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn options(fmi_path: Option<&str>) -> AssertionRequestOptions {
        AssertionRequestOptions {
            client_id: "c".into(),
            token_endpoint: "https://localhost/t/oauth2/v2.0/token".into(),
            fmi_path: fmi_path.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn string_callback_is_jwt_bearer_and_sees_the_fmi_path() {
        let cred = Credential::assertion_callback(|o: AssertionRequestOptions| async move {
            Ok::<_, BoxError>(format!("for:{}", o.fmi_path.unwrap_or_default()))
        });
        let auth = ClientAuth::resolve(&cred, options(Some("agent")), 0)
            .await
            .unwrap();
        let mut body = vec![];
        auth.append_to(&mut body);
        assert_eq!(
            body,
            vec![
                (
                    form::CLIENT_ASSERTION_TYPE.to_string(),
                    AssertionType::JWT_BEARER_URN.to_string()
                ),
                (form::CLIENT_ASSERTION.to_string(), "for:agent".to_string())
            ]
        );
        assert!(auth.tls_certificate().is_none());
    }

    #[tokio::test]
    async fn certificate_in_the_response_selects_jwt_pop() {
        let cred = Credential::assertion_callback(|_| async {
            Ok::<_, BoxError>(AssertionResponse {
                assertion: "a".into(),
                token_binding_certificate: Some(ClientCertificate::new("c", "k")),
            })
        });
        let auth = ClientAuth::resolve(&cred, options(None), 0).await.unwrap();
        assert!(matches!(
            auth,
            ClientAuth::Assertion {
                assertion_type: AssertionType::JwtPop,
                tls_certificate: Some(_),
                ..
            }
        ));
    }

    #[tokio::test]
    async fn empty_assertion_is_refused() {
        let cred = Credential::assertion(" ");
        let err = ClientAuth::resolve(&cred, options(None), 0)
            .await
            .unwrap_err();
        assert!(matches!(err, MsalError::EmptyAssertion));
        let failing = Credential::assertion_callback(|_| async {
            Err::<String, BoxError>("no T1 today".into())
        });
        let err = ClientAuth::resolve(&failing, options(None), 0)
            .await
            .unwrap_err();
        assert!(matches!(err, MsalError::AssertionCallback(_)));
    }

    #[test]
    fn certificate_assertion_has_the_documented_shape() {
        let (cert_pem, key_pem) = crate::test_support::rsa_certificate("blueprint");
        let cert = Certificate::from_pem(&cert_pem, &key_pem)
            .unwrap()
            .send_x5c(true);
        let jwt = sign_certificate_assertion(&cert, "client", "https://aud", 1_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["x5t#S256"], cert.x5t_s256());
        assert_eq!(header["x5c"].as_array().unwrap().len(), 1);
        assert_eq!(claims["aud"], "https://aud");
        assert_eq!(claims["iss"], "client");
        assert_eq!(claims["sub"], "client");
        assert_eq!(claims["nbf"], 1_000);
        assert_eq!(claims["exp"], 1_600);
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    }
}
