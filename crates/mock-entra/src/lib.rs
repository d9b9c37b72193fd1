//! A strict, offline mock of Microsoft Entra ID for the agent identity
//! protocol: discovery, JWKS and a token endpoint for `client_credentials`
//! (with `fmi_path`), `user_fic` and `refresh_token`, with real client
//! authentication (secrets, certificate assertions, federated credentials,
//! jwt-pop over mTLS) and Entra-shaped errors. See `docs/ARCHITECTURE.md`.

#![warn(missing_docs)]

pub mod aadsts;
pub mod client_auth;
pub mod clock;
mod connection;
pub mod directory;
pub mod discovery;
pub mod entra_error;
pub mod faults;
pub mod form;
pub mod grants;
pub mod harness_api;
pub mod impersonation;
pub mod journal;
pub mod jwt;
pub mod pki;
pub mod proxy;
pub mod redaction;
pub mod server;
pub mod state;
pub mod state_dir;
pub mod token_endpoint;
pub mod token_issuer;

pub use aadsts::Aadsts;
pub use clock::Clock;
pub use directory::{Directory, DirectoryError};
pub use entra_error::EntraError;
pub use faults::{FaultRule, Faults};
pub use journal::{DecodedJwt, Journal, JournalEntry, Outcome};
pub use pki::TlsIdentity;
pub use server::{MockConfig, MockEntra, MockError};
pub use state::{JtiPolicy, Timeouts};
