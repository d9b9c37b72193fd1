//! Who is asking and where: the application (client) id and the tenant.

string_newtype! {
    /// An application (client) id: the `client_id` form field, the `iss`
    /// and `sub` of its certificate assertions, the `appid`/`azp` of the
    /// tokens it receives. In the agent protocol the blueprint, each agent
    /// identity and each daemon have one.
    ///
    /// ```
    /// use fic_protocol::ClientId;
    /// let agent = ClientId::new("7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b");
    /// assert_eq!(agent, "7a3b9c2d-1111-4e5f-8a9b-0c1d2e3f4a5b");
    /// ```
    ClientId
}

string_newtype! {
    /// A tenant (directory) id or name: the first path segment of the
    /// authority (`https://host/<tenant>`), the cache's `realm`, and the
    /// `@{tenant}` of an object-id anchor mailbox.
    TenantId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_newtypes_print_and_serialize_as_their_string() {
        let id = ClientId::new("app");
        assert_eq!(format!("{id} {id:?}"), "app ClientId(\"app\")");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"app\"");
        let back: TenantId = serde_json::from_str("\"t\"").unwrap();
        assert_eq!(back.as_str(), "t");
    }
}
