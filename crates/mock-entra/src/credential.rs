//! What a client proved itself with: the grants decide on it (`user_fic`
//! takes only a federated credential), and a refusal may name it.

/// What the client proved itself with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A client secret (body or Basic).
    Secret,
    /// A client assertion signed with a certificate's key.
    Certificate,
    /// A token from this mock or a trusted issuer (T1 for an agent).
    Federated,
}
