//! The reference confidential client: the client behaviour of
//! `docs/protocol.md` §2–§5 as a small MSAL-style client every port is
//! compared to. It can also reproduce known port behaviours on purpose (the
//! legacy concat hash, the msal-node key layout, the single-account
//! fallback of MSAL Java PR #1026) so review findings can be replayed.
//!
//! The [`guide`] walks through the three legs of the agent protocol with
//! it; in short:
//!
//! ```no_run
//! use msal_ref::{ConfidentialClient, Credential};
//!
//! # async fn leg1(cert_pem: &str, key_pem: &str) -> Result<(), msal_ref::MsalError> {
//! let blueprint = ConfidentialClient::builder(
//!     "3bf56293-fbb5-42bd-a407-248ba7431a8c",
//!     "https://login.microsoftonline.com/contoso.onmicrosoft.com",
//! )
//! .credential(Credential::certificate(cert_pem, key_pem)?)
//! .build()?;
//! // Leg 1: T1 for one agent; a second call is served from the cache.
//! let t1 = blueprint
//!     .acquire_token_for_client([fic_protocol::TOKEN_EXCHANGE_SCOPE])
//!     .fmi_path("7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b")
//!     .execute()
//!     .await?;
//! println!("T1 cached under {}", t1.cache_key);
//! # Ok(())
//! # }
//! ```
//!
//! # Where things are
//!
//! - [`client`]: [`ConfidentialClient`] and its builder, the entry points.
//! - [`token_request`]: the two grant-specific requests; each checks its
//!   inputs, looks in the cache, and only then builds the wire request.
//! - `context` (private): what every request of a client shares: client
//!   authentication, the POST, cache reads, turning entries into an
//!   [`AuthResult`] ([`AuthResult::from_entry`]).
//! - [`cache`]: MSAL's unified cache schema, lookups, and which entries a
//!   response becomes ([`TokenCache::store_app_response`],
//!   [`TokenCache::store_user_response`]).
//! - [`cache_key`]: the ext cache key hash and the full key, the two
//!   functions every reader and writer goes through.
//! - [`account_lookup`]: which cached account `user_fic` takes for a user.
//! - [`credential`] and [`assertion`]: the client credential and the
//!   client-authentication fields it becomes.
//!
//! Protocol vocabulary (form field names, grant and token types, scopes,
//! secrets) comes from [`fic_protocol`], shared with the mock IdP.

#![warn(missing_docs)]

pub mod account_lookup;
pub mod assertion;
pub mod authority;
pub mod cache;
pub mod cache_key;
pub mod client;
pub mod clock;
mod context;
pub mod credential;
pub mod error;
mod http;
pub mod result;
pub mod token_request;

#[cfg(test)]
pub(crate) mod test_support;

#[doc = include_str!("../../../docs/reference-client.md")]
pub mod guide {}

pub use account_lookup::{AccountLookupPolicy, UserId};
pub use authority::Authority;
pub use cache::{Account, TokenCache};
pub use cache_key::{
    AccessTokenKeyParts, CacheKey, HashAlgorithm, KeyProfile, access_token_key, ext_cache_key_hash,
    ext_components,
};
pub use client::{ConfidentialClient, ConfidentialClientBuilder};
pub use clock::{Clock, ManualClock, SystemClock};
pub use credential::{
    AssertionCallback, AssertionRequestOptions, AssertionResponse, Certificate, ClientCertificate,
    Credential,
};
pub use error::{BoxError, CacheError, MsalError};
pub use result::{AuthResult, TokenSource};
pub use token_request::{AcquireTokenByUserFic, AcquireTokenForClient};
