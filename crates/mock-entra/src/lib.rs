//! A strict, offline mock of Microsoft Entra ID for the agent identity
//! protocol: discovery, JWKS and a token endpoint for `client_credentials`
//! (with `fmi_path`), `user_fic` and `refresh_token`, with real client
//! authentication (secrets, certificate assertions, federated credentials,
//! jwt-pop over mTLS) and Entra-shaped errors. See `docs/ARCHITECTURE.md`.
//!
//! The public surface is [`MockEntra`] (start one with a [`MockConfig`]),
//! the [`directory`] it serves (the default one's ids by name in
//! [`fixtures`]), the [`journal`] of what it was asked, the [`faults`] it
//! can be told to answer with, and the [`aadsts`] catalogue of its refusals
//! ([`Refusal`]).

#![warn(missing_docs)]

pub mod aadsts;
mod client_auth;
mod clock;
mod connection;
mod credential;
pub mod directory;
mod discovery;
mod entra_error;
mod error;
pub mod faults;
pub mod fixtures;
mod form;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod grants;
mod harness_api;
#[cfg(feature = "test-support")]
pub mod hostile;
mod impersonation;
pub mod journal;
mod jwt;
mod pki;
mod proxy;
mod redaction;
mod refusal;
mod server;
mod state;
mod state_dir;
mod token_endpoint;
mod token_issuer;
mod token_request;

pub use aadsts::Aadsts;
pub use client_auth::ClientAuthMethod;
pub use clock::Clock;
pub use credential::Credential;
pub use directory::{Directory, DirectoryError};
pub use entra_error::EntraError;
pub use error::MockError;
pub use faults::{FaultRule, Faults};
pub use journal::{DecodedJwt, Journal, JournalEntry, Outcome};
pub use jwt::JwtError;
pub use pki::{PkiError, TlsIdentity};
pub use refusal::Refusal;
pub use server::{MockConfig, MockEntra};
pub use state::{JtiPolicy, Timeouts};
