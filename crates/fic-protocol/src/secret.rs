//! Values that authenticate whoever holds them. Each is its own type so
//! it cannot be confused with another string, and its `Debug` is
//! redacted so it cannot end up in a log by accident:
//!
//! ```
//! use fic_protocol::ClientSecret;
//! let s = ClientSecret::new("hunter2");
//! assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
//! assert_eq!(s.secret(), "hunter2");
//! ```

secret_newtype! {
    /// The `client_secret` form field: an application password.
    ClientSecret
}

secret_newtype! {
    /// The `client_assertion` form field: a signed JWT that proves the
    /// client's identity. It is either signed by the client's own
    /// certificate (Leg 1) or a token issued earlier and handed over, as T1
    /// is in Leg 2 (`docs/protocol.md` §1).
    ClientAssertion
}

secret_newtype! {
    /// The `user_federated_identity_credential` form field of the
    /// `user_fic` grant: T2, the agent's token that stands in for the
    /// user's credential in Leg 3 (`docs/protocol.md` §1–§2).
    UserFederatedCredential
}

secret_newtype! {
    /// The `refresh_token` form field (and response field): redeemed for a
    /// new user token when the cached access token has expired.
    RefreshToken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let printed = format!(
            "{:?} {:?} {:?}",
            ClientAssertion::new("eyJ.a.b"),
            UserFederatedCredential::new("eyJ.c.d"),
            RefreshToken::new("rt")
        );
        assert!(
            !printed.contains("eyJ") && !printed.contains("rt)"),
            "{printed}"
        );
        assert_eq!(ClientAssertion::from("x").into_secret(), "x");
    }
}
