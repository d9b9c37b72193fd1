//! App-only tokens carry only the app roles assigned to the calling app
//! (`[[apps.app_role_assignments]]` in the directory).

mod support;

use support::*;

async fn roles(h: &Harness, client_id: &str, secret: &str, scope: &str) -> serde_json::Value {
    h.post(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", scope),
    ])
    .await
    .token()["roles"]
        .clone()
}

#[tokio::test]
async fn a_token_carries_only_the_roles_assigned_to_its_client() {
    let h = start().await;
    let graph = "https://graph.microsoft.com/.default";
    let api = "api://contoso-api/.default";
    assert_eq!(
        roles(&h, DAEMON.as_str(), "daemon-secret", graph).await,
        serde_json::json!(["User.Read.All"])
    );
    assert_eq!(
        roles(&h, DAEMON.as_str(), "daemon-secret", api).await,
        serde_json::json!(["Data.Read.All"])
    );
    // The blueprint is assigned a role of the Contoso API only: its Graph
    // token has no `roles` claim at all, as Entra issues it.
    assert!(
        roles(&h, BLUEPRINT.as_str(), "blueprint-secret", graph)
            .await
            .is_null()
    );
}
