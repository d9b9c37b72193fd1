//! Why the mock could not start or issue a certificate.

use std::net::SocketAddr;

use crate::pki::PkiError;

#[derive(Debug, thiserror::Error)]
/// Why the mock could not start or issue a certificate.
pub enum MockError {
    #[error("cannot listen on {addr}: {source}")]
    /// The listen address could not be bound.
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    #[error(transparent)]
    /// Keys or certificates could not be made or loaded.
    Pki(#[from] PkiError),
    #[error("cannot create a temporary state directory: {0}")]
    /// The temporary state directory could not be made.
    TempDir(std::io::Error),
    #[error("TLS configuration failed: {0}")]
    /// The TLS configuration could not be built.
    Tls(String),
    #[error(
        "{addr} is reachable from other machines: set an admin token (--admin-token or FIC_ADMIN_TOKEN) so only the harness can use /_harness/*"
    )]
    /// A non-loopback address without an admin token: anyone who can reach
    /// the port could read the journal and inject faults.
    AdminTokenRequired {
        /// The address asked for.
        addr: SocketAddr,
    },
    #[error("the admin token is empty")]
    /// An admin token that is empty.
    EmptyAdminToken,
}
