//! A token request read once: the body strictly (size, time, content type,
//! form encoding), the `Authorization: Basic` header, and the connection's
//! TLS facts, into one [`TokenRequest`] that client authentication, the
//! grants, the fault queue and the journal all read. Nothing here judges
//! the values; that is `client_auth` and `grants`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, Method, Uri};

use fic_protocol::{
    ClientAssertion, ClientSecret, GrantType, RefreshToken, UserFederatedCredential, form,
};

use crate::connection::ConnInfo;
use crate::form::{MAX_BODY_BYTES, is_form_content_type, parse_form, parse_query, read_body};
use crate::impersonation::Origin;
use crate::refusal::Refusal;

/// What arrived before the body: the request line, headers and where the
/// request came from.
#[derive(Debug)]
pub struct RequestHead {
    /// The HTTP method.
    pub method: Method,
    /// The request path.
    pub path: String,
    /// The query string's parameters (first value wins).
    pub query: BTreeMap<String, String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The tenant segment of the path as sent (an id, a domain, `common`...).
    pub tenant_segment: String,
    /// Which listener the request arrived on: the own host or an
    /// impersonated public-cloud host.
    pub origin: Origin,
    /// The connection's TLS facts.
    pub tls: ConnInfo,
}

impl RequestHead {
    /// The head of a request to the token endpoint.
    pub fn new(
        method: Method,
        uri: &Uri,
        headers: HeaderMap,
        tenant_segment: String,
        origin: Origin,
        tls: ConnInfo,
    ) -> RequestHead {
        RequestHead {
            method,
            path: uri.path().to_owned(),
            query: parse_query(uri.query()),
            headers,
            tenant_segment,
            origin,
            tls,
        }
    }

    /// The `client-request-id` the client sent (header, else query), which
    /// the answer echoes as its correlation id.
    pub fn correlation_id(&self) -> Option<&str> {
        self.headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .or_else(|| self.query.get("client-request-id").map(String::as_str))
    }
}

/// `Authorization: Basic base64(client_id:secret)`.
#[derive(Debug, Clone)]
pub struct BasicCredentials {
    /// The client id, percent-decoded.
    pub client_id: String,
    /// The secret, percent-decoded.
    pub secret: ClientSecret,
}

/// The fields with which a client says who it is and proves it, as sent.
#[derive(Debug, Clone, Default)]
pub struct ClientAuthFields {
    /// `client_id` in the body.
    pub client_id: Option<String>,
    /// Credentials in an `Authorization: Basic` header.
    pub basic: Option<BasicCredentials>,
    /// `client_secret` in the body.
    pub client_secret: Option<ClientSecret>,
    /// `client_assertion`.
    pub client_assertion: Option<ClientAssertion>,
    /// `client_assertion_type`: a URN naming jwt-bearer or jwt-pop.
    pub client_assertion_type: Option<String>,
}

impl ClientAuthFields {
    /// The client id the request names for the journal and the fault
    /// queue: the body's (even empty), else Basic's; unchecked.
    pub fn named_client_id(&self) -> Option<String> {
        self.client_id
            .clone()
            .or_else(|| self.basic.as_ref().map(|b| b.client_id.clone()))
    }
}

/// The `user_fic` grant's own fields.
#[derive(Debug, Clone, Default)]
pub struct UserFicFields {
    /// `user_federated_identity_credential`: T2.
    pub credential: Option<UserFederatedCredential>,
    /// `username`: the user's UPN.
    pub username: Option<String>,
    /// `user_id`: the user's object id.
    pub user_id: Option<String>,
}

/// A token request, parsed once. Values are as sent: empty strings stay
/// empty, so each rule decides what blank means for its field.
#[derive(Debug)]
pub struct TokenRequest {
    /// The tenant segment of the path as sent.
    pub tenant_segment: String,
    /// Which listener the request arrived on.
    pub origin: Origin,
    /// The connection's TLS facts (the client certificate).
    pub tls: ConnInfo,
    /// `grant_type`.
    pub grant_type: Option<GrantType>,
    /// Who the client says it is and its credential.
    pub client: ClientAuthFields,
    /// `scope`, space-separated.
    pub scope: Option<String>,
    /// `fmi_path`.
    pub fmi_path: Option<String>,
    /// `token_type` (`bearer`, `mtls_pop`...).
    pub token_type: Option<String>,
    /// The `user_fic` grant's fields.
    pub user: UserFicFields,
    /// `refresh_token`.
    pub refresh_token: Option<RefreshToken>,
    /// `client_info`.
    pub client_info: Option<String>,
}

/// Everything read of one request, however far reading got: the journal
/// records it whether or not the request could be parsed.
#[derive(Debug)]
pub struct Received {
    /// The request line, headers and connection.
    pub head: RequestHead,
    /// The form fields as sent, once the body was read as a form.
    pub form: Option<BTreeMap<String, String>>,
    /// The parsed request, or why the body or headers could not be read.
    pub request: Result<TokenRequest, Refusal>,
}

impl Received {
    /// Reads the body (at most [`MAX_BODY_BYTES`], within `body_timeout`)
    /// and parses the request.
    pub async fn read(head: RequestHead, body: Body, body_timeout: Duration) -> Received {
        let form = match read_form(&head, body, body_timeout).await {
            Ok(form) => form,
            Err(refusal) => {
                return Received {
                    head,
                    form: None,
                    request: Err(refusal),
                };
            }
        };
        let request = TokenRequest::parse(&head, &form);
        Received {
            head,
            form: Some(form),
            request,
        }
    }

    /// The `grant_type` as sent, once the form was read.
    pub fn grant_type(&self) -> Option<&str> {
        self.form
            .as_ref()
            .and_then(|f| f.get(form::GRANT_TYPE))
            .map(String::as_str)
    }
}

async fn read_form(
    head: &RequestHead,
    body: Body,
    body_timeout: Duration,
) -> Result<BTreeMap<String, String>, Refusal> {
    let bytes = read_body(body, MAX_BODY_BYTES, body_timeout).await?;
    let content_type = head
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !is_form_content_type(content_type) {
        return Err(Refusal::UnsupportedContentType {
            content_type: content_type.map(str::to_owned),
        });
    }
    parse_form(&bytes)
}

impl TokenRequest {
    /// The request a form and its headers make; refused only when the
    /// `Authorization` header is not Basic credentials.
    pub fn parse(
        head: &RequestHead,
        fields: &BTreeMap<String, String>,
    ) -> Result<TokenRequest, Refusal> {
        let field = |name: &str| fields.get(name).cloned();
        Ok(TokenRequest {
            tenant_segment: head.tenant_segment.clone(),
            origin: head.origin,
            tls: head.tls.clone(),
            grant_type: fields.get(form::GRANT_TYPE).map(|g| GrantType::parse(g)),
            client: ClientAuthFields {
                client_id: field(form::CLIENT_ID),
                basic: basic_credentials(&head.headers)?,
                client_secret: field(form::CLIENT_SECRET).map(ClientSecret::new),
                client_assertion: field(form::CLIENT_ASSERTION).map(ClientAssertion::new),
                client_assertion_type: field(form::CLIENT_ASSERTION_TYPE),
            },
            scope: field(form::SCOPE),
            fmi_path: field(form::FMI_PATH),
            token_type: field(form::TOKEN_TYPE),
            user: UserFicFields {
                credential: field(form::USER_FEDERATED_IDENTITY_CREDENTIAL)
                    .map(UserFederatedCredential::new),
                username: field(form::USERNAME),
                user_id: field(form::USER_ID),
            },
            refresh_token: field(form::REFRESH_TOKEN).map(RefreshToken::new),
            client_info: field(form::CLIENT_INFO),
        })
    }

    /// x5t#S256 of the TLS client certificate, when one was presented.
    pub fn tls_client_x5t(&self) -> Option<&str> {
        self.tls.client_cert_x5t_s256.as_deref()
    }
}

/// `Authorization: Basic base64(client_id:secret)`, both parts
/// percent-decoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<BasicCredentials>, Refusal> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || Refusal::InvalidBasicCredentials;
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Err(bad());
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some(BasicCredentials {
        client_id: unescape(id),
        secret: ClientSecret::new(unescape(secret)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(headers: &[(&str, &str)]) -> RequestHead {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        RequestHead::new(
            Method::POST,
            &"/t/oauth2/v2.0/token?client-request-id=q".parse().unwrap(),
            map,
            "t".into(),
            Origin::Local,
            ConnInfo::default(),
        )
    }

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn fields_are_read_as_sent() {
        let r = TokenRequest::parse(
            &head(&[]),
            &fields(&[
                (form::GRANT_TYPE, "client_credentials"),
                (form::CLIENT_ID, ""),
                (form::FMI_PATH, "agent/one"),
                (form::USERNAME, "alice@contoso.com"),
            ]),
        )
        .unwrap();
        assert_eq!(r.grant_type, Some(GrantType::ClientCredentials));
        assert_eq!(r.client.client_id.as_deref(), Some(""));
        assert_eq!(r.fmi_path.as_deref(), Some("agent/one"));
        assert_eq!(r.user.username.as_deref(), Some("alice@contoso.com"));
        assert!(r.scope.is_none() && r.client.basic.is_none());
    }

    #[test]
    fn basic_credentials_are_percent_decoded() {
        // base64("my%3Aapp:s%26cret")
        let encoded = STANDARD.encode("my%3Aapp:s%26cret");
        let h = head(&[("authorization", &format!("Basic {encoded}"))]);
        let r = TokenRequest::parse(&h, &fields(&[])).unwrap();
        let basic = r.client.basic.as_ref().unwrap();
        assert_eq!(basic.client_id, "my:app");
        assert_eq!(basic.secret.secret(), "s&cret");
        assert_eq!(r.client.named_client_id().as_deref(), Some("my:app"));
        for bad in [
            "Bearer x",
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("no-colon")),
        ] {
            assert!(matches!(
                TokenRequest::parse(&head(&[("authorization", bad)]), &fields(&[])),
                Err(Refusal::InvalidBasicCredentials)
            ));
        }
    }

    #[test]
    fn the_correlation_id_comes_from_the_header_else_the_query() {
        assert_eq!(head(&[]).correlation_id(), Some("q"));
        assert_eq!(
            head(&[("client-request-id", "h")]).correlation_id(),
            Some("h")
        );
    }
}
