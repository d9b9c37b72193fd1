//! One connection's life: hyper serving it with a header read timeout
//! (hyper's is inert without a timer), and an idle timeout measured on the
//! socket itself, so a client that trickles bytes or goes silent cannot
//! hold a connection forever. The body timeout is the handlers' (see
//! `form::read_body`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::state::Timeouts;

/// Accepts connections until `stopped` changes, and hands each one (Nagle
/// off) to `handle` on a task of its own. Both listeners, the mock's own and
/// the proxy, share it.
pub(crate) async fn accept_until_stopped<F, Fut>(
    listener: TcpListener,
    mut stopped: watch::Receiver<bool>,
    handle: F,
) where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped.changed() => return,
        };
        let Ok((tcp, peer)) = accepted else {
            // Out of file descriptors and the like: back off, keep serving.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(handle(tcp, peer));
    }
}

/// Wraps a fresh socket so its activity is recorded.
pub(crate) fn watch<T>(inner: T) -> (Watched<T>, Activity) {
    let activity = Activity::new();
    (
        Watched {
            inner,
            activity: activity.clone(),
        },
        activity,
    )
}

/// Serves one connection until it ends, the mock stops, or it has been
/// idle (no byte either way) for `timeouts.idle`: then it is shut down
/// gracefully (the request in progress is answered), and dropped if it
/// stays idle for another period.
pub(crate) async fn serve<I>(
    io: I,
    app: Router,
    conn: ConnInfo,
    timeouts: Timeouts,
    activity: Activity,
    mut stopped: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    // hyper's header timeout only runs with a timer.
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(timeouts.header);
    builder.http2().timer(hyper_util::rt::TokioTimer::new());
    let service = hyper_util::service::TowerToHyperService::new(app.layer(axum::Extension(conn)));
    let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
    tokio::pin!(connection);
    let mut shutting_down = false;
    loop {
        let idle_until = activity.last() + timeouts.idle;
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = stopped.changed() => return,
            _ = tokio::time::sleep_until(idle_until) => {
                if activity.last() + timeouts.idle > tokio::time::Instant::now() {
                    continue;
                }
                if shutting_down {
                    return;
                }
                connection.as_mut().graceful_shutdown();
                shutting_down = true;
                activity.touch();
            }
        }
    }
}

/// When a connection last moved a byte.
#[derive(Clone)]
pub(crate) struct Activity {
    start: tokio::time::Instant,
    /// Milliseconds after `start`.
    last_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: tokio::time::Instant::now(),
            last_ms: Arc::default(),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    fn last(&self) -> tokio::time::Instant {
        self.start
            + std::time::Duration::from_millis(
                self.last_ms.load(std::sync::atomic::Ordering::Relaxed),
            )
    }
}

/// A socket that records when it last read or wrote a byte.
pub(crate) struct Watched<T> {
    inner: T,
    activity: Activity,
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Watched<T> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What the token endpoint learns from the connection rather than the
/// request: the TLS client certificate (jwt-pop and `mtls_pop` bind to it).
/// Plain HTTP connections have none.
#[derive(Debug, Clone, Default)]
pub struct ConnInfo {
    /// x5t#S256 of the TLS client certificate, when one was presented.
    pub client_cert_x5t_s256: Option<String>,
}

impl ConnInfo {
    /// The facts of an accepted TLS connection.
    pub(crate) fn of_tls(tls: &rustls::ServerConnection) -> ConnInfo {
        ConnInfo {
            client_cert_x5t_s256: tls
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| fic_protocol::thumbprint::x5t_s256(c)),
        }
    }
}
