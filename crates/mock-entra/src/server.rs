//! The running mock: configuration, the listener (TLS with optional client
//! certificates, or plain HTTP), the router, and the handle tests hold.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::connection::ConnInfo;
use crate::directory::Directory;
use crate::entra_error::EntraError;
pub use crate::error::MockError;
use crate::faults::Faults;
use crate::impersonation;
use crate::journal::Journal;
use crate::pki::{Pki, TlsIdentity};
use crate::refusal::Refusal;
use crate::state::{JtiPolicy, MockState, Timeouts};
use crate::{connection, discovery, harness_api, proxy, token_endpoint};

#[derive(Debug, Clone)]
/// How to start a mock; `Default` gives a TLS mock on a free loopback port
/// with the default directory.
pub struct MockConfig {
    /// Where to listen (default `127.0.0.1:0`, a free port).
    pub addr: SocketAddr,
    /// The host name in URLs, the issuer and the server certificate.
    pub host: String,
    /// Serve TLS (default); false is `--plain-http`.
    pub tls: bool,
    /// Where the CA, server certificate and signing key are kept; reused
    /// when present. `None`: a temporary directory owned by the handle.
    pub state_dir: Option<PathBuf>,
    /// The tenants, apps and users served.
    pub directory: Directory,
    /// How a reused client-assertion `jti` is treated.
    pub jti_policy: JtiPolicy,
    /// The most journal entries kept; the oldest are dropped past it.
    pub journal_capacity: usize,
    /// Where the forward proxy listens (see `proxy`); `None`: the
    /// listener's IP address, a free port.
    pub proxy_addr: Option<SocketAddr>,
    /// Header, body and idle timeouts.
    pub timeouts: Timeouts,
    /// The bearer token `/_harness/*` requires; mandatory when `addr` is
    /// not a loopback address (anyone who can reach the port could
    /// otherwise read the journal, queue refusals and move the clock).
    pub admin_token: Option<String>,
}

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            host: "localhost".into(),
            tls: true,
            state_dir: None,
            directory: Directory::default_directory(),
            jti_policy: JtiPolicy::default(),
            journal_capacity: crate::journal::DEFAULT_CAPACITY,
            proxy_addr: None,
            timeouts: Timeouts::default(),
            admin_token: None,
        }
    }
}

/// The running server; `shutdown()` (or dropping it) stops it.
pub struct MockEntra {
    state: Arc<MockState>,
    url: url::Url,
    proxy_url: url::Url,
    tenant_id: String,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    _temp_dir: Option<tempfile::TempDir>,
}

impl MockEntra {
    /// Starts a TLS mock on a free loopback port serving `directory`.
    pub async fn start(directory: Directory) -> Result<MockEntra, MockError> {
        Self::start_with(MockConfig {
            directory,
            ..MockConfig::default()
        })
        .await
    }

    /// Starts a mock as configured; returns once it accepts connections.
    pub async fn start_with(config: MockConfig) -> Result<MockEntra, MockError> {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        match &config.admin_token {
            Some(t) if t.trim().is_empty() => return Err(MockError::EmptyAdminToken),
            None if !config.addr.ip().is_loopback() => {
                return Err(MockError::AdminTokenRequired { addr: config.addr });
            }
            _ => {}
        }
        let (dir, temp_dir) = match &config.state_dir {
            Some(d) => (d.clone(), None),
            None => {
                let mut builder = tempfile::Builder::new();
                builder.prefix("mock-entra-");
                // A fresh, randomly named directory only this user can enter.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    builder.permissions(std::fs::Permissions::from_mode(0o700));
                }
                let t = builder.tempdir().map_err(MockError::TempDir)?;
                (t.path().to_owned(), Some(t))
            }
        };
        let host = config.host.clone();
        let pki = tokio::task::spawn_blocking(move || Pki::load_or_generate(&dir, &host))
            .await
            .map_err(|e| MockError::Tls(format!("key generation task failed: {e}")))??;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| MockError::Bind {
                addr: config.addr,
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| MockError::Bind {
                addr: config.addr,
                source,
            })?
            .port();
        let proxy_bind = config
            .proxy_addr
            .unwrap_or_else(|| SocketAddr::new(config.addr.ip(), 0));
        let proxy_listener =
            TcpListener::bind(proxy_bind)
                .await
                .map_err(|source| MockError::Bind {
                    addr: proxy_bind,
                    source,
                })?;
        let proxy_url = proxy_listener
            .local_addr()
            .map(proxy::url_of)
            .map_err(|source| MockError::Bind {
                addr: proxy_bind,
                source,
            })?;
        let proxy_tls = proxy::ProxyTls {
            impersonation: impersonation::tls_config(&pki)?,
            refusal: impersonation::refusing_tls_config()?,
        };
        let scheme = if config.tls { "https" } else { "http" };
        let base_url = format!("{scheme}://{}:{port}", config.host);
        let acceptor = if config.tls {
            Some(tls_acceptor(&pki)?)
        } else {
            None
        };
        let tenant_id = config.directory.default_tenant().id.clone();
        let state = Arc::new(MockState {
            directory: config.directory,
            pki,
            base_url: base_url.clone(),
            host: config.host,
            port,
            journal: Journal::with_capacity(config.journal_capacity),
            faults: Faults::default(),
            clock: Clock::default(),
            jti_policy: config.jti_policy,
            seen_jti: Mutex::default(),
            refresh_tokens: Mutex::default(),
            timeouts: config.timeouts,
            admin_token: config.admin_token,
        });
        let (stop, stopped) = watch::channel(false);
        let app = router(state.clone());
        let task = tokio::spawn({
            let proxied = proxy::serve(
                proxy_listener,
                proxy_tls,
                app.clone(),
                config.timeouts,
                stopped.clone(),
            );
            async move {
                tokio::join!(
                    serve(listener, acceptor, app, config.timeouts, stopped),
                    proxied
                );
            }
        });
        Ok(MockEntra {
            url: url::Url::parse(&base_url).expect("the base URL is built from valid parts"),
            proxy_url,
            state,
            tenant_id,
            stop,
            task: Mutex::new(Some(task)),
            _temp_dir: temp_dir,
        })
    }

    /// The mock's base URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }
    /// The base URL as a string, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }
    /// The listening port.
    pub fn port(&self) -> u16 {
        self.state.port
    }
    /// The default tenant's id.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    /// The default tenant's authority on the mock's own host.
    pub fn authority(&self) -> String {
        format!("{}/{}", self.state.base_url, self.tenant_id)
    }
    /// The default tenant's token endpoint on the mock's own host.
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth2/v2.0/token", self.authority())
    }
    /// The issuer of the default tenant's tokens on the mock's own host.
    pub fn issuer(&self) -> String {
        self.state.issuer(&self.tenant_id)
    }
    /// The forward proxy (`http://127.0.0.1:PORT`) through which clients
    /// reach the mock as the public cloud.
    pub fn proxy_url(&self) -> url::Url {
        self.proxy_url.clone()
    }
    /// `https://login.microsoftonline.com/{tenant id}`: the production
    /// authority, served through `proxy_url`.
    pub fn public_authority(&self) -> String {
        format!(
            "https://{}/{}",
            impersonation::PREFERRED_NETWORK,
            self.tenant_id
        )
    }
    /// The default tenant's token endpoint as the public cloud's (through the proxy).
    pub fn public_token_endpoint(&self) -> String {
        format!("{}/oauth2/v2.0/token", self.public_authority())
    }
    /// The issuer of tokens minted through the proxy.
    pub fn public_issuer(&self) -> String {
        impersonation::public_issuer(&self.tenant_id)
    }
    /// The CA certificate clients must trust, PEM.
    pub fn ca_cert_pem(&self) -> &str {
        &self.state.pki.ca_cert_pem
    }
    /// Where the CA certificate is written.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.state.pki.ca_cert_path()
    }
    /// The state directory (keys and certificates).
    pub fn state_dir(&self) -> &Path {
        &self.state.pki.dir
    }
    /// The directory served.
    pub fn directory(&self) -> &Directory {
        &self.state.directory
    }
    /// The journal (shared, cheap to clone).
    pub fn journal(&self) -> Journal {
        self.state.journal.clone()
    }
    /// The fault queue (shared, cheap to clone).
    pub fn faults(&self) -> Faults {
        self.state.faults.clone()
    }
    /// The mock's clock (shared, cheap to clone).
    pub fn clock(&self) -> Clock {
        self.state.clock.clone()
    }

    /// Signs arbitrary claims with the mock's token key, so tests can forge
    /// (expired, mis-addressed, user-typed...) tokens the mock will verify.
    pub fn sign_token(&self, claims: &serde_json::Value) -> String {
        crate::token_issuer::sign(&self.state, claims)
    }

    /// A client certificate the TLS listener accepts (for mTLS and jwt-pop).
    pub fn issue_client_certificate(&self, common_name: &str) -> Result<TlsIdentity, MockError> {
        Ok(self.state.pki.issue_client_certificate(common_name)?)
    }

    /// An RSA certificate signed by the mock's CA, for certificate
    /// assertions under subject-name/issuer trust (`trusted_subject_names`).
    pub fn issue_rsa_client_certificate(
        &self,
        common_name: &str,
    ) -> Result<TlsIdentity, MockError> {
        Ok(self.state.pki.issue_rsa_client_certificate(common_name)?)
    }

    /// Stops accepting and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for MockEntra {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

pub(crate) fn router(state: Arc<MockState>) -> Router {
    Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(
            "/common/discovery/instance",
            get(discovery::instance_discovery),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::jwks))
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(token_endpoint::token).fallback(method_not_allowed),
        )
        .merge(harness_routes(state.clone()))
        .fallback(not_found)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .with_state(state)
}

fn harness_routes(state: Arc<MockState>) -> Router<Arc<MockState>> {
    Router::new()
        .route(
            "/_harness/journal",
            get(harness_api::get_journal).delete(harness_api::clear_journal),
        )
        .route(
            "/_harness/faults",
            get(harness_api::get_faults)
                .post(harness_api::post_faults)
                .delete(harness_api::clear_faults),
        )
        .route("/_harness/clock/advance", post(harness_api::advance_clock))
        .route("/_harness/clock/reset", post(harness_api::reset_clock))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            harness_api::guard,
        ))
}

async fn not_found(uri: http::Uri) -> Response {
    let e = EntraError::from(Refusal::NoSuchPath {
        path: uri.path().to_owned(),
    });
    let status = e.status;
    (
        status,
        axum::Json(e.body("", None, time::OffsetDateTime::now_utc())),
    )
        .into_response()
}

/// The token endpoint only takes POST; say so in Entra's shape.
async fn method_not_allowed(method: http::Method, uri: http::Uri) -> Response {
    let e = EntraError::from(Refusal::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    });
    (
        http::StatusCode::METHOD_NOT_ALLOWED,
        [(http::header::ALLOW, "POST")],
        axum::Json(e.body("", None, time::OffsetDateTime::now_utc())),
    )
        .into_response()
}

/// A bug must cost one request, never the server: answer 500 in Entra's shape.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked; answered 500");
    let body = serde_json::json!({
        "error": "server_error",
        "error_description": "[fic-harness] The mock failed internally; this is a bug in the mock.",
        "error_codes": [9999999],
    });
    (http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

fn tls_acceptor(pki: &Pki) -> Result<tokio_rustls::TlsAcceptor, MockError> {
    let tls = |e: &dyn std::fmt::Display| MockError::Tls(e.to_string());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = pki.chain_verifier().map_err(|e| tls(&e))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![
                CertificateDer::from_pem_slice(pki.server_cert_pem.as_bytes())
                    .map_err(|e| tls(&e))?,
            ],
            PrivateKeyDer::from_pem_slice(pki.server_key_pem.as_bytes()).map_err(|e| tls(&e))?,
        )
        .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    timeouts: Timeouts,
    stopped: watch::Receiver<bool>,
) {
    let each = stopped.clone();
    connection::accept_until_stopped(listener, stopped, move |tcp, _peer| {
        let acceptor = acceptor.clone();
        let app = app.clone();
        let stopped = each.clone();
        async move {
            let (tcp, activity) = connection::watch(tcp);
            match acceptor {
                Some(acceptor) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(timeouts.header, acceptor.accept(tcp)).await
                    else {
                        return;
                    };
                    let conn = ConnInfo::of_tls(tls.get_ref().1);
                    connection::serve(tls, app, conn, timeouts, activity, stopped).await;
                }
                None => {
                    connection::serve(tcp, app, ConnInfo::default(), timeouts, activity, stopped)
                        .await;
                }
            }
        }
    })
    .await;
}
