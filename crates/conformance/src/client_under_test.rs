//! The seam between the protocol-level steps and whatever client is being
//! tested. Steps speak only [`Command`]s and read only [`Reply`]s, so the
//! in-process reference client and a real MSAL port behind a JSON-lines
//! driver process are interchangeable.

use async_trait::async_trait;

use crate::driver_protocol::{Command, Reply};

/// A client under test: the reference client (`rust`) or a port driver
/// (`python`, `node`, `java`, `go`).
#[async_trait]
pub trait ClientUnderTest: Send {
    /// The port name as it appears in the matrix (`rust`, `python`, ...).
    fn port(&self) -> &str;

    /// Sends one command and returns the driver's reply, successful or not.
    /// `Err` means the driver itself broke (crashed, spoke something that is
    /// not the protocol, timed out): a failure of the run, never of the port's
    /// protocol behaviour.
    async fn send(&mut self, command: Command) -> Result<Reply, DriverFailure>;
}

#[derive(Debug, thiserror::Error)]
/// Why a driver could not do what it was asked, as opposed to the port
/// refusing it: the harness, not the client, failed.
pub enum DriverFailure {
    #[error("cannot start the {port} driver ({program}): {source}")]
    /// The driver process did not start.
    Spawn {
        /// The port.
        port: String,
        /// The program run.
        program: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    #[error("the {port} driver's pipe failed: {source}")]
    /// Writing to or reading from the driver failed.
    Io {
        /// The port.
        port: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    #[error("the {port} driver exited before replying (stderr tail: {stderr_tail})")]
    /// The driver exited before replying.
    Exited {
        /// The port.
        port: String,
        /// The end of the driver's stderr.
        stderr_tail: String,
    },
    #[error(
        "the {port} driver replied with something that is not the protocol: {line:?}: {reason}"
    )]
    /// The driver wrote a line that is not a protocol reply.
    BadReply {
        /// The port.
        port: String,
        /// The line as read.
        line: String,
        /// Why it is not a reply.
        reason: String,
    },
    #[error("the {port} driver did not reply within {seconds} s to {command}")]
    /// The driver did not reply in time.
    Timeout {
        /// The port.
        port: String,
        /// The command sent.
        command: String,
        /// The time allowed.
        seconds: u64,
    },
    #[error("the {port} client failed inside the harness: {message}")]
    /// The in-process client failed in a way no port reply describes.
    Internal {
        /// The port.
        port: String,
        /// What went wrong.
        message: String,
    },
}

/// Makes a fresh client under test for one scenario (a new driver process
/// for a port, a new in-process driver for the reference client), so
/// scenarios never share caches.
pub type ClientFactory = std::sync::Arc<
    dyn Fn() -> futures::future::BoxFuture<'static, Result<Box<dyn ClientUnderTest>, DriverFailure>>
        + Send
        + Sync,
>;
