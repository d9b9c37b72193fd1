//! The reference confidential client: the behaviour of SPEC §2–§5 as a
//! small MSAL-style client every port is compared to. It can also
//! reproduce known port behaviours on purpose (the legacy concat hash, the
//! msal-node key layout, the single-account fallback of MSAL Java PR #1026)
//! so review findings can be replayed.

pub mod account_lookup;
pub mod assertion;
pub mod cache;
pub mod cache_key;
pub mod client;
pub mod clock;
pub mod credential;
pub mod error;
mod http;
pub mod token_request;

#[cfg(test)]
pub(crate) mod test_support;

pub use account_lookup::{AccountLookupPolicy, UserId};
pub use cache::{Account, TokenCache};
pub use cache_key::{
    AccessTokenKeyParts, CacheKey, HashAlgorithm, KeyProfile, access_token_key, ext_cache_key_hash,
    ext_components,
};
pub use client::{
    AuthResult, Authority, ConfidentialClient, ConfidentialClientBuilder, TokenSource,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use credential::{
    AssertionCallback, AssertionRequestOptions, AssertionResponse, Certificate, ClientCertificate,
    Credential,
};
pub use error::{BoxError, CacheError, MsalError};
pub use token_request::{AcquireTokenByUserFic, AcquireTokenForClient};
