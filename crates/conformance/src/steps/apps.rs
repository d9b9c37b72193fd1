//! `Given` steps: configuring the apps of a scenario on the client under test.

use cucumber::given;

use super::directory::{self, BLUEPRINT_SECRET, DAEMON_SECRET};
use crate::driver_protocol::{
    ClientOptions, Command, Configure, Credential, FmiPathFrom, TlsIdentity,
};
use crate::world::{FicWorld, StepError, StepResult};

/// Configures `app` on the client under test against this scenario's mock.
pub async fn configure(
    w: &mut FicWorld,
    app: &str,
    credential: Credential,
    options: ClientOptions,
) -> StepResult {
    let name = directory::app_name(app)?;
    let target = w.target().await?;
    let mock = w.mock().await?;
    let command = Command::Configure(Configure {
        app: name.to_owned(),
        client_id: directory::client_id(name)?.to_owned(),
        authority: target.authority,
        proxy: target.proxy,
        ca_cert: mock.ca_cert_path().display().to_string(),
        credential,
        options,
    });
    w.expect_ok(command).await.map(|_| ())
}

fn fixture(name: &str) -> String {
    crate::port_driver::repo_root()
        .join("fixtures/certs")
        .join(name)
        .display()
        .to_string()
}

fn own_credential(app: &str, kind: &str) -> Result<Credential, StepError> {
    let app = directory::app_name(app)?;
    match (app, kind) {
        ("blueprint", "secret") => Ok(Credential::Secret {
            secret: BLUEPRINT_SECRET.into(),
        }),
        ("daemon", "secret") => Ok(Credential::Secret {
            secret: DAEMON_SECRET.into(),
        }),
        ("blueprint", "certificate") => Ok(Credential::Certificate {
            cert_pem_path: fixture("blueprint.crt"),
            key_pem_path: fixture("blueprint.key"),
            send_x5c: true,
        }),
        _ => Err(StepError::Check(format!(
            "the directory has no {kind} credential for {app}"
        ))),
    }
}

#[given(regex = r"^(the blueprint|the daemon) app with (?:a|its) (secret|certificate) credential$")]
async fn app_with_credential(w: &mut FicWorld, app: String, kind: String) -> StepResult {
    let credential = own_credential(&app, &kind)?;
    configure(w, &app, credential, ClientOptions::default()).await
}

/// Knobs only the reference client has (docs/protocol.md §4 layouts of other ports);
/// a port without them answers `unsupported` and the scenario is reported
/// as not supported there.
#[given(
    regex = r#"^the blueprint app with a (secret|certificate) credential and the "([a-z_]+)" (hash algorithm|key profile)$"#
)]
async fn app_with_knob(w: &mut FicWorld, kind: String, value: String, knob: String) -> StepResult {
    let credential = own_credential("blueprint", &kind)?;
    let options = if knob == "hash algorithm" {
        ClientOptions {
            hash_algorithm: Some(value),
            ..ClientOptions::default()
        }
    } else {
        ClientOptions {
            key_profile: Some(value),
            ..ClientOptions::default()
        }
    };
    configure(w, "blueprint", credential, options).await
}

/// Leg 2's client: the callback acquires T1 from the blueprint for the
/// agent's own id (or for the fmi path of the request it signs for).
#[given(
    regex = r#"^(agent [AB])(?: with the "(strict|single_account_fallback)" account lookup)? whose assertion callback gets T1 from the blueprint( for the request's fmi path)?$"#
)]
async fn agent_with_fmi_callback(
    w: &mut FicWorld,
    agent: String,
    lookup: String,
    for_fmi_path: String,
) -> StepResult {
    let credential = Credential::FmiCallback {
        via_app: "blueprint".into(),
        fmi_path_from: if for_fmi_path.is_empty() {
            FmiPathFrom::ClientId
        } else {
            FmiPathFrom::FmiPath
        },
    };
    let options = ClientOptions {
        account_lookup: (!lookup.is_empty()).then_some(lookup),
        ..ClientOptions::default()
    };
    configure(w, &agent, credential, options).await
}

/// An app whose callback returns a token the scenario remembered, as a bare
/// string, as the port's assertion-response object, or as one carrying a
/// token-binding certificate (jwt-pop over mTLS).
#[given(
    regex = r"^(agent [AB]|the daemon) whose assertion callback returns (T\d+) (as a string|as an assertion response|with a token-binding certificate)$"
)]
async fn app_with_fixed_assertion(
    w: &mut FicWorld,
    app: String,
    token: String,
    how: String,
) -> StepResult {
    let assertion = w.token(&token)?;
    let token_binding = if how == "with a token-binding certificate" {
        Some(new_binding_certificate(w).await?)
    } else {
        None
    };
    let credential = Credential::Assertion {
        assertion,
        response_object: how != "as a string",
        token_binding,
    };
    configure(w, &app, credential, ClientOptions::default()).await
}

/// A client certificate signed by the mock's CA, written to the scenario's
/// files (always the same paths, so a rotation replaces it in place); its
/// thumbprint is remembered for the TLS checks.
pub async fn new_binding_certificate(w: &mut FicWorld) -> Result<TlsIdentity, StepError> {
    w.bindings_issued += 1;
    let n = w.bindings_issued;
    let env = w.env().await?;
    let identity = env.mock.issue_client_certificate(&format!("binding-{n}"))?;
    let dir = env.files.path();
    let (cert, key) = (dir.join("binding.crt"), dir.join("binding.key"));
    std::fs::write(&cert, &identity.cert_pem)?;
    std::fs::write(&key, &identity.key_pem)?;
    w.binding_x5t = Some(identity.x5t_s256);
    Ok(TlsIdentity {
        cert_pem_path: cert.display().to_string(),
        key_pem_path: key.display().to_string(),
    })
}
