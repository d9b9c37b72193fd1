//! The JSON-lines protocol between the harness and a client-under-test
//! driver (`ports/*`). One request object per line on the driver's stdin,
//! exactly one reply object per line on its stdout, in order; everything
//! else a driver or its library prints goes to stderr.
//!
//! These types are the single definition of the protocol: the in-process
//! reference-client driver and the process drivers both speak them, and
//! `docs/driver-protocol.md` describes them for port authors.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One line sent to a driver: `{"id": 1, "cmd": "...", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Matches the reply to the request.
    pub id: u64,
    #[serde(flatten)]
    /// What to do.
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
/// The commands a driver understands; `cmd` names them on the wire.
pub enum Command {
    /// Who are you and what can you do.
    Hello,
    /// Create (or replace) a confidential client app named `app`.
    Configure(Configure),
    /// `acquire_token_for_client`, cache first.
    AcquireForClient(AcquireForClient),
    /// `acquire_token_by_user_federated_identity_credential`.
    AcquireByUserFic(AcquireByUserFic),
    /// `acquire_token_silent` for a cached account.
    AcquireSilent(AcquireSilent),
    /// The accounts in the app's user cache.
    Accounts(AppRef),
    /// The app's token cache as the port itself serialized it.
    Cache(AppRef),
    /// The contexts the app's assertion callback received, in call order.
    CallbackContexts(AppRef),
    /// Drop every configured app (its token cache, its recorded callback
    /// contexts) and whatever the port keeps per process, so the driver is
    /// as fresh as a new process; the next `configure` may name another
    /// mock's CA and proxy. Only for drivers announcing [`capability::RESET`].
    Reset,
    /// Reply, then exit 0.
    Shutdown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// The body of a command about one configured app.
pub struct AppRef {
    /// The app's name, as given to `configure`.
    pub app: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// The body of `configure`: one confidential client app.
pub struct Configure {
    /// The name later commands use for it.
    pub app: String,
    /// Its client id.
    pub client_id: String,
    /// `https://login.microsoftonline.com/<tenant id>` with a `proxy`; the
    /// mock's own `https://localhost:PORT/<tenant id>` without one.
    pub authority: String,
    /// PEM file of the mock's CA, to trust for this app's TLS connections.
    pub ca_cert: String,
    /// The forward proxy (`http://127.0.0.1:PORT`) every request of this app
    /// goes through, set with the port's own proxy setting. With it the port
    /// runs with its defaults (authority validation, instance discovery);
    /// without it, the authority is the mock's own listener and the port is
    /// told to take it as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// How it authenticates.
    pub credential: Credential,
    #[serde(default)]
    /// Options only some ports have.
    pub options: ClientOptions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
/// How a configured app authenticates; `type` names the variant on the wire.
pub enum Credential {
    /// A client secret.
    Secret {
        /// The secret.
        secret: String,
    },
    /// A certificate credential; the port signs its own client assertion.
    Certificate {
        /// PEM file of the certificate.
        cert_pem_path: String,
        /// PEM file of its private key.
        key_pem_path: String,
        #[serde(default)]
        /// Send the certificate chain (`x5c`) in the assertion header, for
        /// subject-name/issuer trust.
        send_x5c: bool,
    },
    /// A callback that always returns this assertion. With a token-binding
    /// certificate it returns an `AssertionResponse` carrying it (jwt-pop);
    /// `response_object` makes it return an `AssertionResponse` without one.
    Assertion {
        /// The assertion returned on every call.
        assertion: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// The certificate the assertion is bound to, presented as the TLS
        /// client certificate (jwt-pop).
        token_binding: Option<TlsIdentity>,
        #[serde(default)]
        /// Return an `AssertionResponse` object even without a binding certificate.
        response_object: bool,
    },
    /// A context-aware callback: on every call it records the context it got,
    /// then acquires `api://AzureADTokenExchange/.default` from the app
    /// `via_app` (configured earlier) with `fmi_path` = the context's
    /// `client_id` (`FmiPathFrom::ClientId`, Leg 2) or the context's
    /// `fmi_path`, and returns that token (T1).
    FmiCallback {
        /// The app (configured earlier) that acquires T1.
        via_app: String,
        #[serde(default)]
        /// Where T1's `fmi_path` comes from.
        fmi_path_from: FmiPathFrom,
    },
    /// A callback written before callbacks had a context: it takes no
    /// argument and returns this assertion. A port without such a form
    /// answers `unsupported`.
    LegacyCallback {
        /// The assertion returned.
        assertion: String,
    },
    /// A callback that raises the port's idiomatic error (an exception, a
    /// rejected promise, a Go `error`) carrying `message`, to show whether
    /// the port hands it to the application.
    FailingCallback {
        /// The error's text.
        message: String,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
/// Which field of the callback's context an `FmiCallback` uses as the
/// `fmi_path` of the T1 it acquires.
pub enum FmiPathFrom {
    #[default]
    /// The context's `client_id`: Leg 2, the agent asks T1 for itself.
    ClientId,
    /// The context's `fmi_path`.
    FmiPath,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// A certificate and key as PEM files.
pub struct TlsIdentity {
    /// PEM file of the certificate.
    pub cert_pem_path: String,
    /// PEM file of its private key.
    pub key_pem_path: String,
}

/// Knobs only some drivers have; a driver asked for one it lacks replies
/// with an `unsupported` error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientOptions {
    /// `netstring` or `concat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_algorithm: Option<String>,
    /// `atext` or `msal_node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_profile: Option<String>,
    /// `strict` or `single_account_fallback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_lookup: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// The body of `acquire_for_client` (Legs 1 and 2).
pub struct AcquireForClient {
    /// The configured app.
    pub app: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The `fmi_path` to send, as a string.
    pub fmi_path: Option<String>,
    /// Ask for an mTLS proof-of-possession token (`token_type=mtls_pop`).
    #[serde(default)]
    pub mtls_pop: bool,
    /// An fmi path of any JSON type (`null`, a number), handed to the port
    /// unconverted; when present it replaces `fmi_path`. `null` here means
    /// "the application passed null", unlike an absent field. A port whose
    /// API cannot take that value answers `unsupported`.
    #[serde(
        default,
        deserialize_with = "present_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub fmi_path_value: Option<Value>,
}

/// Keeps an explicit JSON `null` as `Some(Value::Null)`: only an absent
/// field is `None`.
fn present_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// The body of `acquire_by_user_fic` (Leg 3).
pub struct AcquireByUserFic {
    /// The configured app (an agent).
    pub app: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// T2, the `user_federated_identity_credential`.
    pub assertion: String,
    /// Exactly one of `username` / `user_id` is normally set; drivers pass
    /// both or neither through unchanged so client-side refusals are tested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The user's object id.
    pub user_id: Option<String>,
    /// Skip the port's cache lookup (msal4j's `forceRefresh`); a port
    /// without the option answers `unsupported` when it is `true`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_refresh: bool,
    /// A claims request (JSON text) the port sends as `claims`; a port
    /// without a claims option for user_fic answers `unsupported`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
    /// A tenant id replacing the authority's tenant for this request
    /// (msal4j `tenant`, MSAL Go `WithTenantID`, msal-node's per-request
    /// `authority`); a port without one answers `unsupported`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// The body of `acquire_silent`.
pub struct AcquireSilent {
    /// The configured app.
    pub app: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The cached account to acquire for.
    pub home_account_id: String,
}

/// One line from a driver: `{"id": 1, "ok": true, ...}` or
/// `{"id": 1, "ok": false, "error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The request's `id`.
    pub id: u64,
    /// False when `error` says why the command failed.
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Why the command failed.
    pub error: Option<DriverError>,
    /// The command's result fields (see [`Hello`], [`TokenReply`], ...).
    #[serde(flatten)]
    pub body: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// A failed command, as the port reported it.
pub struct DriverError {
    /// Who refused: the client, the IdP, or neither.
    pub kind: ErrorKind,
    /// The port's own error text, verbatim.
    pub message: String,
    /// The OAuth error (`invalid_client`, ...) when the IdP answered one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// The AADSTS codes the IdP answered, when it did.
    pub error_codes: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The HTTP status the IdP answered, when it did.
    pub status: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
/// Where a command's failure came from.
pub enum ErrorKind {
    /// The port refused before sending anything.
    Client,
    /// The identity provider answered with an error.
    Service,
    /// The port has no such feature.
    Unsupported,
    /// The driver itself failed (bad request line, crash in glue code).
    Driver,
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ErrorKind::Client => "a client-side refusal",
            ErrorKind::Service => "the identity provider's refusal",
            ErrorKind::Unsupported => "an unsupported feature",
            ErrorKind::Driver => "a driver failure",
        })
    }
}

/// For people: the kind, the port's message, then what the IdP said.
impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        let mut details = Vec::new();
        if let Some(error) = &self.error {
            details.push(format!("error {error}"));
        }
        if !self.error_codes.is_empty() {
            let codes: Vec<String> = self
                .error_codes
                .iter()
                .map(|c| format!("AADSTS{c}"))
                .collect();
            details.push(codes.join(", "));
        }
        if let Some(status) = self.status {
            details.push(format!("HTTP {status}"));
        }
        if !details.is_empty() {
            write!(f, " ({})", details.join("; "))?;
        }
        Ok(())
    }
}

/// Body of the reply to `hello`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// `rust`, `python`, `node`, `java`, `go`.
    pub port: String,
    /// The package, e.g. `msal` or `@azure/msal-node`.
    pub library: String,
    /// The version actually loaded at run time.
    pub version: String,
    /// From the [`capability`] vocabulary.
    pub capabilities: Vec<String>,
}

/// Capability names a driver may announce; a scenario tagged
/// `@requires-<name>` is reported *not supported* on a port without it.
pub mod capability {
    /// The port takes a client secret.
    pub const SECRET: &str = "secret";
    /// The port signs its own certificate assertion.
    pub const CERTIFICATE: &str = "certificate";
    /// The port sends `fmi_path` (Legs 1 and 2) and caches apart by it.
    pub const FMI_PATH: &str = "fmi_path";
    /// The assertion callback receives a context (client id, token endpoint, fmi path).
    pub const CONTEXT_CALLBACK: &str = "context_callback";
    /// The callback may return an assertion with a token-binding certificate.
    pub const ASSERTION_RESPONSE: &str = "assertion_response";
    /// The port sends `jwt-pop` assertions over mTLS.
    pub const JWT_POP: &str = "jwt_pop";
    /// The port asks for and caches `mtls_pop` tokens.
    pub const MTLS_POP: &str = "mtls_pop";
    /// The port has the `user_fic` grant (Leg 3).
    pub const USER_FIC: &str = "user_fic";
    /// `user_fic` by the user's object id.
    pub const USER_FIC_BY_OID: &str = "user_fic_by_oid";
    /// Silent acquisition for a cached account.
    pub const SILENT: &str = "silent";
    /// The driver can return the port's serialized cache.
    pub const CACHE: &str = "cache";
    /// The ext-key hash algorithm can be chosen.
    pub const HASH_ALGORITHM: &str = "hash_algorithm";
    /// The account lookup policy can be chosen.
    pub const ACCOUNT_LOOKUP: &str = "account_lookup";
    /// The port takes a callback with no context.
    pub const LEGACY_CALLBACK: &str = "legacy_callback";
    /// An application can pass `null` as the fmi path.
    pub const FMI_PATH_NULL: &str = "fmi_path_null";
    /// An application can pass a non-string fmi path.
    pub const FMI_PATH_UNTYPED: &str = "fmi_path_untyped";
    /// `user_fic` can skip the cache.
    pub const USER_FIC_FORCE_REFRESH: &str = "user_fic_force_refresh";
    /// `user_fic` can send a claims request.
    pub const USER_FIC_CLAIMS: &str = "user_fic_claims";
    /// `user_fic` can name another tenant per request.
    pub const USER_FIC_TENANT: &str = "user_fic_tenant";
    /// The driver answers `reset`: one process can serve scenario after
    /// scenario, each as if it were new.
    pub const RESET: &str = "reset";
}

/// Body of the reply to the three acquire commands: `{"token": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenReply {
    /// The token the port returned.
    pub token: TokenResult,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// A token as the port's result describes it.
pub struct TokenResult {
    /// The access token.
    pub access_token: String,
    /// The token type as the port's result states it; absent when the
    /// port's result has no such field (msal4j, MSAL Go).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Where the port says the token came from.
    pub source: TokenSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The account the port attached, for user tokens.
    pub account: Option<AccountInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The id token's claims, when the port exposes them.
    pub id_token_claims: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
/// Where a token came from, as the port says.
pub enum TokenSource {
    /// The port's cache.
    Cache,
    /// The identity provider.
    IdentityProvider,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// An account as the port describes it.
pub struct AccountInfo {
    /// `{oid}.{tid}`: the account's cache identity.
    pub home_account_id: String,
    /// The user's name (`preferred_username`).
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The host of its authority.
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Its tenant.
    pub realm: Option<String>,
}

/// Body of the reply to `accounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountsReply {
    /// The app's cached accounts.
    pub accounts: Vec<AccountInfo>,
}

/// Body of the reply to `cache`: the keys exactly as the port stored them,
/// never recomputed by the harness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheReply {
    /// Full access-token cache keys, in the port's own spelling.
    pub access_token_keys: Vec<String>,
    #[serde(default)]
    /// Account cache keys, in the port's own spelling.
    pub account_keys: Vec<String>,
    #[serde(default)]
    /// Id-token cache keys, in the port's own spelling.
    pub id_token_keys: Vec<String>,
    #[serde(default)]
    /// Refresh-token cache keys, in the port's own spelling.
    pub refresh_token_keys: Vec<String>,
    /// The whole serialized cache as the port wrote it (JSON).
    pub raw: Value,
}

/// Body of the reply to `callback_contexts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackContextsReply {
    /// Normalized to `client_id`, `token_endpoint`, `fmi_path` (absent when
    /// the port gave none); other fields the port passed are kept as given.
    pub contexts: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_have_the_documented_shape() {
        let req = Request {
            id: 7,
            command: Command::AcquireForClient(AcquireForClient {
                app: "blueprint".into(),
                scopes: vec!["api://AzureADTokenExchange/.default".into()],
                fmi_path: Some("agent-1".into()),
                mtls_pop: false,
                fmi_path_value: None,
            }),
        };
        let line = serde_json::to_string(&req).unwrap();
        assert_eq!(
            line,
            r#"{"id":7,"cmd":"acquire_for_client","app":"blueprint","scopes":["api://AzureADTokenExchange/.default"],"fmi_path":"agent-1","mtls_pop":false}"#
        );
        assert_eq!(serde_json::from_str::<Request>(&line).unwrap(), req);
        let hello: Request = serde_json::from_str(r#"{"id":1,"cmd":"hello"}"#).unwrap();
        assert_eq!(hello.command, Command::Hello);
        let reset: Request = serde_json::from_str(r#"{"id":2,"cmd":"reset"}"#).unwrap();
        assert_eq!(reset.command, Command::Reset);
        assert_eq!(
            serde_json::to_string(&reset).unwrap(),
            r#"{"id":2,"cmd":"reset"}"#
        );
    }

    #[test]
    fn an_explicit_null_fmi_path_is_not_an_absent_one() {
        let parse = |line: &str| match serde_json::from_str::<Request>(line).unwrap().command {
            Command::AcquireForClient(a) => a.fmi_path_value,
            other => panic!("parsed as {other:?}"),
        };
        let base = r#"{"id":1,"cmd":"acquire_for_client","app":"a","scopes":[]"#;
        assert_eq!(parse(&format!("{base}}}")), None);
        assert_eq!(
            parse(&format!(r#"{base},"fmi_path_value":null}}"#)),
            Some(Value::Null)
        );
        assert_eq!(
            parse(&format!(r#"{base},"fmi_path_value":42}}"#)),
            Some(Value::from(42))
        );
        let line = serde_json::to_string(&Request {
            id: 1,
            command: Command::AcquireForClient(AcquireForClient {
                app: "a".into(),
                scopes: vec![],
                fmi_path: None,
                mtls_pop: false,
                fmi_path_value: Some(Value::Null),
            }),
        })
        .unwrap();
        assert!(line.ends_with(r#""fmi_path_value":null}"#), "{line}");
    }

    #[test]
    fn replies_parse_success_and_error() {
        let ok: Reply = serde_json::from_str(
            r#"{"id":2,"ok":true,"token":{"access_token":"a","token_type":"Bearer","source":"cache"}}"#,
        )
        .unwrap();
        let token: TokenReply = serde_json::from_value(Value::Object(ok.body)).unwrap();
        assert_eq!(token.token.source, TokenSource::Cache);
        let err: Reply = serde_json::from_str(
            r#"{"id":3,"ok":false,"error":{"kind":"service","message":"AADSTS7000215: bad","error":"invalid_client","error_codes":[7000215],"status":401}}"#,
        )
        .unwrap();
        assert_eq!(err.error.unwrap().error_codes, vec![7000215]);
    }
}
