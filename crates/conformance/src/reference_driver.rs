//! The reference client (`msal-ref`) as a client under test, in process
//! (port name `rust`). Every [`Command`] becomes the msal-ref call an
//! application would make; nothing here re-implements protocol behaviour,
//! so the features test msal-ref itself, exactly like a port driver tests
//! its port.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use msal_ref::{
    AccountLookupPolicy, AssertionRequestOptions, AssertionResponse, AuthResult, BoxError,
    ClientCertificate, ConfidentialClient, HashAlgorithm, KeyProfile, MsalError, TokenSource,
    UserId,
};
use serde_json::{Map, Value, json};

use crate::client_under_test::{ClientFactory, ClientUnderTest, DriverFailure};
use crate::driver_protocol::{
    self as proto, AccountInfo, Command, DriverError, ErrorKind, FmiPathFrom, Reply, TokenResult,
    capability,
};

/// The port name of the reference client in the matrix and in `snapshots/`.
pub const PORT: &str = "rust";

/// A fresh in-process reference client per scenario.
pub fn reference_factory() -> ClientFactory {
    Arc::new(|| {
        Box::pin(async { Ok(Box::new(ReferenceDriver::default()) as Box<dyn ClientUnderTest>) })
    })
}

/// One configured app: the client and what its assertion callback was told.
struct App {
    client: ConfidentialClient,
    contexts: Arc<Mutex<Vec<Value>>>,
}

#[derive(Default)]
/// The reference client behind the driver protocol: one `msal-ref` client
/// per configured app, in process.
pub struct ReferenceDriver {
    apps: HashMap<String, App>,
}

#[async_trait]
impl ClientUnderTest for ReferenceDriver {
    fn port(&self) -> &str {
        PORT
    }

    async fn send(&mut self, command: Command) -> Result<Reply, DriverFailure> {
        let result = match command {
            Command::Hello => Ok(hello()),
            Command::Configure(c) => self.configure(c),
            Command::AcquireForClient(c) => self.acquire_for_client(c).await,
            Command::AcquireByUserFic(c) => self.acquire_by_user_fic(c).await,
            Command::AcquireSilent(c) => self.acquire_silent(c).await,
            Command::Accounts(a) => self.app(&a.app).map(|app| {
                let accounts: Vec<AccountInfo> =
                    app.client.accounts().iter().map(account_info).collect();
                body(json!({ "accounts": accounts }))
            }),
            Command::Cache(a) => self.app(&a.app).and_then(|app| cache_reply(&app.client)),
            Command::CallbackContexts(a) => self.app(&a.app).map(|app| {
                let contexts = app.contexts.lock().expect("contexts lock").clone();
                body(json!({ "contexts": contexts }))
            }),
            Command::Reset => {
                self.apps.clear();
                Ok(Map::new())
            }
            Command::Shutdown => Ok(Map::new()),
        };
        Ok(match result {
            Ok(body) => Reply {
                id: 0,
                ok: true,
                error: None,
                body,
            },
            Err(error) => Reply {
                id: 0,
                ok: false,
                error: Some(error),
                body: Map::new(),
            },
        })
    }
}

fn hello() -> Map<String, Value> {
    use capability::*;
    let capabilities = [
        SECRET,
        CERTIFICATE,
        FMI_PATH,
        CONTEXT_CALLBACK,
        ASSERTION_RESPONSE,
        JWT_POP,
        MTLS_POP,
        USER_FIC,
        USER_FIC_BY_OID,
        SILENT,
        CACHE,
        HASH_ALGORITHM,
        ACCOUNT_LOOKUP,
        RESET,
    ];
    body(json!({
        "port": PORT,
        "library": "msal-ref",
        "version": env!("CARGO_PKG_VERSION"),
        "capabilities": capabilities,
    }))
}

fn body(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("reply bodies are objects"),
    }
}

fn driver_error(message: impl Into<String>) -> DriverError {
    DriverError {
        kind: ErrorKind::Driver,
        message: message.into(),
        error: None,
        error_codes: vec![],
        status: None,
    }
}

/// msal-ref's error as the protocol reports it. An fmi_callback whose inner
/// acquisition failed reports the inner error (driver-protocol.md).
fn msal_error(err: &MsalError) -> DriverError {
    if let MsalError::AssertionCallback(inner) = err
        && let Some(inner) = inner.downcast_ref::<MsalError>()
    {
        return msal_error(inner);
    }
    match err {
        MsalError::Service { status, body } => DriverError {
            kind: ErrorKind::Service,
            message: body.error_description.clone(),
            error: Some(body.error.clone()),
            error_codes: body.error_codes.clone(),
            status: Some(*status),
        },
        e => DriverError {
            kind: if e.is_client_side() {
                ErrorKind::Client
            } else {
                ErrorKind::Service
            },
            message: e.to_string(),
            error: None,
            error_codes: vec![],
            status: match e {
                MsalError::UnexpectedResponse { status, .. } => Some(*status),
                _ => None,
            },
        },
    }
}

/// Paths in commands are absolute or relative to the repository root (the
/// working directory a port driver is started in).
fn read(path: &str) -> Result<String, DriverError> {
    let p = Path::new(path);
    let full: PathBuf = if p.is_absolute() || p.exists() {
        p.to_path_buf()
    } else {
        crate::port_driver::repo_root().join(p)
    };
    std::fs::read_to_string(&full).map_err(|e| driver_error(format!("{}: {e}", full.display())))
}

fn account_info(a: &msal_ref::Account) -> AccountInfo {
    AccountInfo {
        home_account_id: a.home_account_id.clone(),
        username: a.username.clone(),
        environment: Some(a.environment.clone()),
        realm: Some(a.realm.clone()),
    }
}

fn token_reply(r: AuthResult) -> Map<String, Value> {
    let token = TokenResult {
        access_token: r.access_token,
        token_type: Some(r.token_type),
        source: match r.source {
            TokenSource::Cache => proto::TokenSource::Cache,
            TokenSource::IdentityProvider => proto::TokenSource::IdentityProvider,
        },
        account: r.account.as_ref().map(account_info),
        id_token_claims: r.id_token_claims,
    };
    body(json!({ "token": token }))
}

/// The keys exactly as msal-ref stored them, and its serialized cache.
fn cache_reply(client: &ConfidentialClient) -> Result<Map<String, Value>, DriverError> {
    let cache = client.cache();
    let raw = cache
        .serialize_json()
        .map_err(|e| driver_error(e.to_string()))?;
    let raw: Value = serde_json::from_str(&raw).map_err(|e| driver_error(e.to_string()))?;
    let keys_of = |section: &str| -> Vec<String> {
        raw.get(section)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let reply = proto::CacheReply {
        access_token_keys: cache
            .access_token_keys()
            .into_iter()
            .map(|k| k.into_string())
            .collect(),
        account_keys: keys_of(msal_ref::cache::SECTION_ACCOUNT),
        id_token_keys: keys_of(msal_ref::cache::SECTION_ID_TOKEN),
        refresh_token_keys: keys_of(msal_ref::cache::SECTION_REFRESH_TOKEN),
        raw,
    };
    Ok(body(
        serde_json::to_value(reply).expect("cache reply serializes"),
    ))
}

/// The context as the protocol normalizes it (`fmi_path` absent when none).
fn context_json(o: &AssertionRequestOptions) -> Value {
    let mut v = json!({ "client_id": o.client_id, "token_endpoint": o.token_endpoint });
    if let Some(p) = &o.fmi_path {
        v["fmi_path"] = json!(p);
    }
    v
}

impl ReferenceDriver {
    fn app(&self, name: &str) -> Result<&App, DriverError> {
        self.apps
            .get(name)
            .ok_or_else(|| driver_error(format!("unknown app `{name}`")))
    }

    fn configure(&mut self, c: proto::Configure) -> Result<Map<String, Value>, DriverError> {
        let contexts = Arc::new(Mutex::new(Vec::new()));
        let credential = self.credential(&c.credential, &contexts)?;
        let mut builder = msal_ref::ConfidentialClient::builder(&c.client_id, &c.authority)
            .credential(credential)
            .ca_certificate_pem(read(&c.ca_cert)?);
        if let Some(proxy) = &c.proxy {
            let url = proxy
                .parse::<url::Url>()
                .map_err(|e| driver_error(format!("proxy {proxy}: {e}")))?;
            builder = builder.proxy(url);
        }
        let bad_option = |e: String| driver_error(format!("options: {e}"));
        if let Some(h) = &c.options.hash_algorithm {
            builder = builder.hash_algorithm(h.parse::<HashAlgorithm>().map_err(bad_option)?);
        }
        if let Some(p) = &c.options.key_profile {
            builder = builder.key_profile(p.parse::<KeyProfile>().map_err(bad_option)?);
        }
        if let Some(l) = &c.options.account_lookup {
            // The protocol spells it `single_account_fallback`; msal-ref
            // parses `single-account-fallback`.
            let policy = l
                .replace('_', "-")
                .parse::<AccountLookupPolicy>()
                .map_err(|e| bad_option(e.to_string()))?;
            builder = builder.account_lookup(policy);
        }
        let client = builder.build().map_err(|e| msal_error(&e))?;
        self.apps.insert(c.app, App { client, contexts });
        Ok(Map::new())
    }

    fn credential(
        &self,
        credential: &proto::Credential,
        contexts: &Arc<Mutex<Vec<Value>>>,
    ) -> Result<msal_ref::Credential, DriverError> {
        Ok(match credential {
            proto::Credential::Secret { secret } => msal_ref::Credential::secret(secret),
            proto::Credential::Certificate {
                cert_pem_path,
                key_pem_path,
                send_x5c,
            } => {
                let cert =
                    msal_ref::Certificate::from_pem(&read(cert_pem_path)?, &read(key_pem_path)?)
                        .map_err(|e| msal_error(&e))?;
                msal_ref::Credential::Certificate(cert.send_x5c(*send_x5c))
            }
            proto::Credential::Assertion {
                assertion,
                token_binding,
                response_object: _,
            } => {
                // A plain string and a response object without certificate
                // are the same thing to msal-ref (both jwt-bearer). The
                // binding certificate is read on every call, so a scenario
                // can rotate it on disk between acquisitions.
                let (assertion, binding, contexts) =
                    (assertion.clone(), token_binding.clone(), contexts.clone());
                msal_ref::Credential::assertion_callback(move |ctx: AssertionRequestOptions| {
                    contexts
                        .lock()
                        .expect("contexts lock")
                        .push(context_json(&ctx));
                    let (assertion, binding) = (assertion.clone(), binding.clone());
                    async move {
                        let token_binding_certificate = match binding {
                            Some(b) => Some(ClientCertificate::new(
                                read(&b.cert_pem_path).map_err(|e| e.message)?,
                                read(&b.key_pem_path).map_err(|e| e.message)?,
                            )),
                            None => None,
                        };
                        Ok::<_, BoxError>(AssertionResponse {
                            assertion: assertion.into(),
                            token_binding_certificate,
                        })
                    }
                })
            }
            proto::Credential::FmiCallback {
                via_app,
                fmi_path_from,
            } => {
                let via = self.app(via_app)?.client.clone();
                let (from, contexts) = (*fmi_path_from, contexts.clone());
                msal_ref::Credential::assertion_callback(move |ctx: AssertionRequestOptions| {
                    contexts
                        .lock()
                        .expect("contexts lock")
                        .push(context_json(&ctx));
                    let via = via.clone();
                    async move {
                        let path = match from {
                            FmiPathFrom::ClientId => ctx.client_id,
                            FmiPathFrom::FmiPath => ctx.fmi_path.unwrap_or_default(),
                        };
                        let t1 = via
                            .acquire_token_for_client([fic_protocol::TOKEN_EXCHANGE_SCOPE])
                            .fmi_path(path)
                            .execute()
                            .await?;
                        Ok::<_, BoxError>(t1.access_token)
                    }
                })
            }
            proto::Credential::LegacyCallback { .. } => {
                return Err(unsupported(
                    "zero-argument assertion callback: its callbacks always take the context",
                ));
            }
            proto::Credential::FailingCallback { message } => failing_callback(message, contexts),
        })
    }

    async fn acquire_for_client(
        &self,
        c: proto::AcquireForClient,
    ) -> Result<Map<String, Value>, DriverError> {
        if c.fmi_path_value.is_some() {
            return Err(unsupported(
                "untyped fmi path: `fmi_path` takes a string, never null or a number",
            ));
        }
        let client = self.app(&c.app)?.client.clone();
        let mut request = client.acquire_token_for_client(c.scopes);
        if let Some(p) = c.fmi_path {
            request = request.fmi_path(p);
        }
        if c.mtls_pop {
            request = request.mtls_pop();
        }
        request
            .execute()
            .await
            .map(token_reply)
            .map_err(|e| msal_error(&e))
    }

    async fn acquire_by_user_fic(
        &self,
        c: proto::AcquireByUserFic,
    ) -> Result<Map<String, Value>, DriverError> {
        if c.force_refresh {
            return Err(unsupported("force-refresh option on user_fic"));
        }
        if c.claims.is_some() {
            return Err(unsupported("claims option on user_fic"));
        }
        if c.tenant.is_some() {
            return Err(unsupported("tenant override on user_fic"));
        }
        let client = self.app(&c.app)?.client.clone();
        // `UserId` holds exactly one identifier: an application cannot make
        // this call with both or neither, so there is no answer to report.
        let user = match (c.username, c.user_id) {
            (Some(upn), None) => UserId::Upn(upn),
            (None, Some(oid)) => UserId::Oid(oid),
            (Some(_), Some(_)) => {
                return Err(unsupported(
                    "call with both username and user_id: UserId holds exactly one",
                ));
            }
            (None, None) => {
                return Err(unsupported(
                    "call without username or user_id: UserId holds exactly one",
                ));
            }
        };
        client
            .acquire_token_by_user_fic(c.scopes, c.assertion, user)
            .execute()
            .await
            .map(token_reply)
            .map_err(|e| msal_error(&e))
    }

    async fn acquire_silent(
        &self,
        c: proto::AcquireSilent,
    ) -> Result<Map<String, Value>, DriverError> {
        let client = self.app(&c.app)?.client.clone();
        let account = client
            .accounts()
            .into_iter()
            .find(|a| a.home_account_id == c.home_account_id)
            .ok_or_else(|| client_refusal("no cached account with that home_account_id"))?;
        client
            .acquire_token_silent(c.scopes, &account)
            .await
            .map(token_reply)
            .map_err(|e| msal_error(&e))
    }
}

fn unsupported(what: &str) -> DriverError {
    DriverError {
        kind: ErrorKind::Unsupported,
        message: format!("msal-ref has no {what}"),
        error: None,
        error_codes: vec![],
        status: None,
    }
}

/// A callback that records its context and fails with `message`.
fn failing_callback(message: &str, contexts: &Arc<Mutex<Vec<Value>>>) -> msal_ref::Credential {
    let (message, contexts) = (message.to_owned(), contexts.clone());
    msal_ref::Credential::assertion_callback(move |ctx: AssertionRequestOptions| {
        contexts
            .lock()
            .expect("contexts lock")
            .push(context_json(&ctx));
        let message = message.clone();
        async move { Err::<String, BoxError>(message.into()) }
    })
}

fn client_refusal(message: &str) -> DriverError {
    DriverError {
        kind: ErrorKind::Client,
        message: message.to_owned(),
        error: None,
        error_codes: vec![],
        status: None,
    }
}
