//! The mock's forward proxy: `CONNECT login.microsoftonline.com:443` (or
//! another public-cloud alias) is answered here, and the tunnel's TLS is
//! terminated by the mock itself, which serves its own router as that host.
//! Every other request is refused with one log line, and nothing is ever
//! forwarded: this module opens no outbound connection. So an unmodified
//! app keeps its production authority and reaches the mock through its
//! usual proxy setting (docs/protocol.md §8).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::connection::{self, ConnInfo, Watched};
use crate::entra_error::EntraError;
use crate::impersonation::{Origin, PublicHost};
use crate::state::Timeouts;

/// The most bytes of a proxy request's head (request line and headers).
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long a client may take to send its request head or ClientHello.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS configurations a tunnel may be served with.
#[derive(Clone)]
pub struct ProxyTls {
    /// The impersonated hosts' certificate.
    pub impersonation: Arc<rustls::ServerConfig>,
    /// No certificate at all: a ClientHello for another name gets an alert.
    pub refusal: Arc<rustls::ServerConfig>,
}

/// What a proxy request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyRequest {
    /// `CONNECT {host}:443` for an impersonated host.
    Tunnel(PublicHost),
    /// Anything else: answered with an error status and closed.
    Refused(Refusal),
}

/// Why a proxy request is not tunnelled; each answers with its own status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("malformed proxy request: {0}")]
    /// Not a readable HTTP request line.
    Malformed(String),
    #[error(
        "CONNECT to {target} refused: the mock impersonates only the public cloud's login hosts on port 443, and forwards nothing"
    )]
    /// `CONNECT` to a host the mock does not impersonate.
    NotImpersonated {
        /// The `host:port` asked for.
        target: String,
    },
    #[error(
        "{method} {target} refused: this proxy only answers CONNECT to the public cloud's login hosts, and forwards nothing"
    )]
    /// A method other than `CONNECT`.
    NotConnect {
        /// The HTTP method used.
        method: String,
        /// The `host:port` asked for.
        target: String,
    },
}

impl Refusal {
    /// The status code and reason phrase this refusal is answered with.
    pub fn status(&self) -> (u16, &'static str) {
        match self {
            Refusal::Malformed(_) => (400, "Bad Request"),
            Refusal::NotImpersonated { .. } | Refusal::NotConnect { .. } => (403, "Forbidden"),
        }
    }
}

/// What a proxy request's line (`CONNECT host:port HTTP/1.1`) asks for.
pub fn parse_request_line(line: &str) -> ProxyRequest {
    let malformed = |why: &str| ProxyRequest::Refused(Refusal::Malformed(why.to_owned()));
    let line = line.trim_end_matches(['\r', '\n']);
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts.as_slice() else {
        return malformed("the request line is not 'METHOD target HTTP/1.x'");
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || target.is_empty() {
        return malformed("the request line is not 'METHOD target HTTP/1.x'");
    }
    if !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return malformed("the method is not a token");
    }
    if *method != "CONNECT" {
        return ProxyRequest::Refused(Refusal::NotConnect {
            method: (*method).to_owned(),
            target: (*target).to_owned(),
        });
    }
    let Some((host, port)) = target.rsplit_once(':') else {
        return malformed("the CONNECT target is not host:port");
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:_".contains(&b));
    let Ok(port) = port.parse::<u16>() else {
        return malformed("the CONNECT target's port is not a number from 0 to 65535");
    };
    if !host_ok {
        return malformed("the CONNECT target's host is not a host name or address");
    }
    match PublicHost::parse(host) {
        Some(public) if port == 443 => ProxyRequest::Tunnel(public),
        _ => ProxyRequest::Refused(Refusal::NotImpersonated {
            target: (*target).to_owned(),
        }),
    }
}

/// `http://IP:PORT` of a proxy listening on `addr` (an unspecified address
/// is reached through the loopback).
pub fn url_of(addr: SocketAddr) -> url::Url {
    let ip = match addr.ip() {
        ip if !ip.is_unspecified() => ip,
        std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
    };
    url::Url::parse(&format!("http://{}", SocketAddr::new(ip, addr.port())))
        .expect("an IP address and port make a valid URL")
}

/// The accept loop; ends when `stopped` changes.
pub async fn serve(
    listener: TcpListener,
    tls: ProxyTls,
    app: Router,
    timeouts: Timeouts,
    stopped: watch::Receiver<bool>,
) {
    let each = stopped.clone();
    connection::accept_until_stopped(listener, stopped, move |tcp, peer| {
        connection(tcp, peer, tls.clone(), app.clone(), timeouts, each.clone())
    })
    .await;
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    tls: ProxyTls,
    app: Router,
    timeouts: Timeouts,
    stopped: watch::Receiver<bool>,
) {
    let (tcp, activity) = connection::watch(tcp);
    let mut io = BufReader::new(tcp);
    let request = match tokio::time::timeout(HANDSHAKE_TIMEOUT, read_head(&mut io)).await {
        Ok(Ok(Some(line))) => parse_request_line(&line),
        Ok(Ok(None)) => return,
        Ok(Err(refusal)) => ProxyRequest::Refused(refusal),
        Err(_) => {
            tracing::info!(%peer, "proxy: no complete request head in time; closed");
            return;
        }
    };
    let host = match request {
        ProxyRequest::Tunnel(host) => host,
        ProxyRequest::Refused(refusal) => {
            let (status, reason) = refusal.status();
            tracing::warn!(%peer, status, "proxy: {refusal}");
            let body = format!("{refusal}\n");
            let response = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = io.get_mut().write_all(response.as_bytes()).await;
            let _ = io.get_mut().shutdown().await;
            return;
        }
    };
    if io
        .get_mut()
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    // Bytes the client sent after the head (an eager ClientHello) are still
    // in the reader's buffer, which the TLS acceptor reads first.
    let acceptor = tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), io);
    let Ok(Ok(start)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor).await else {
        return;
    };
    let sni = start.client_hello().server_name().map(str::to_owned);
    let Some(served_as) = sni.as_deref().and_then(PublicHost::parse) else {
        tracing::warn!(
            %peer,
            tunnel = host.as_str(),
            sni = sni.as_deref().unwrap_or("(none)"),
            "proxy: TLS refused: the ClientHello's server name is not a host the mock impersonates"
        );
        let _ = start.into_stream(tls.refusal).await;
        return;
    };
    let Ok(Ok(stream)) =
        tokio::time::timeout(HANDSHAKE_TIMEOUT, start.into_stream(tls.impersonation)).await
    else {
        return;
    };
    let conn = ConnInfo::of_tls(stream.get_ref().1);
    let app = app
        .layer(axum::middleware::from_fn(public_paths_only))
        .layer(axum::Extension(Origin::Public(served_as)));
    // Tunnels get the own listener's header and idle limits.
    connection::serve(stream, app, conn, timeouts, activity, stopped).await;
}

/// The mock's control plane (`/_harness/*`) is on its own listener only:
/// the public cloud has no such paths.
async fn public_paths_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !request.uri().path().starts_with("/_harness") {
        return next.run(request).await;
    }
    let base_url = match request.extensions().get::<Origin>() {
        Some(Origin::Public(host)) => host.base_url(),
        _ => String::new(),
    };
    let e = EntraError::from(crate::refusal::Refusal::NoSuchPath {
        path: request.uri().path().to_owned(),
    });
    let body = e.body(&base_url, None, time::OffsetDateTime::now_utc());
    (e.status, axum::Json(body)).into_response()
}

/// The request line, after reading the head through its empty line;
/// `None` when the client closed first.
async fn read_head(io: &mut BufReader<Watched<TcpStream>>) -> Result<Option<String>, Refusal> {
    let mut request_line = None;
    let mut total = 0;
    loop {
        let mut line = Vec::new();
        let n = (&mut *io)
            .take((MAX_HEAD_BYTES - total + 1) as u64)
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| Refusal::Malformed(format!("unreadable request head: {e}")))?;
        if n == 0 {
            return Ok(None);
        }
        total += n;
        if total > MAX_HEAD_BYTES {
            return Err(Refusal::Malformed(format!(
                "the request head is longer than {MAX_HEAD_BYTES} bytes"
            )));
        }
        if !line.ends_with(b"\n") {
            return Ok(None);
        }
        let text = String::from_utf8(line)
            .map_err(|_| Refusal::Malformed("the request head is not UTF-8".into()))?;
        if request_line.is_none() {
            request_line = Some(text);
        } else if text == "\r\n" || text == "\n" {
            return Ok(request_line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(line: &str) -> Refusal {
        match parse_request_line(line) {
            ProxyRequest::Refused(r) => r,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn connect_to_an_impersonated_host_on_443_is_tunnelled() {
        for host in [
            "login.microsoftonline.com",
            "LOGIN.WINDOWS.NET",
            "login.microsoft.com",
            "sts.windows.net",
        ] {
            assert!(matches!(
                parse_request_line(&format!("CONNECT {host}:443 HTTP/1.1\r\n")),
                ProxyRequest::Tunnel(_)
            ));
        }
    }

    #[test]
    fn other_hosts_ports_and_methods_are_forbidden() {
        for line in [
            "CONNECT graph.microsoft.com:443 HTTP/1.1",
            "CONNECT login.microsoftonline.com:80 HTTP/1.1",
            "CONNECT 127.0.0.1:443 HTTP/1.1",
        ] {
            assert_eq!(refusal(line).status().0, 403, "{line}");
        }
        assert!(matches!(
            refusal("GET http://example.com/ HTTP/1.1"),
            Refusal::NotConnect { .. }
        ));
    }

    #[test]
    fn malformed_lines_are_bad_requests() {
        for line in [
            "CONNECT login.microsoftonline.com HTTP/1.1",
            "CONNECT login.microsoftonline.com:https HTTP/1.1",
            "CONNECT login.microsoftonline.com:99999 HTTP/1.1",
            "CONNECT :443 HTTP/1.1",
            "CONNECT login.microsoftonline.com:443",
            "CONNECT login.microsoftonline.com:443 SPDY/3",
            "CONNECT  login.microsoftonline.com:443 HTTP/1.1",
            "CONNECT lo/gin:443 HTTP/1.1",
            "\u{1}\u{2} x HTTP/1.1",
            "",
        ] {
            assert_eq!(refusal(line).status().0, 400, "{line:?}");
        }
    }
}
