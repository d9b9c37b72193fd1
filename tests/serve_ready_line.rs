//! `fic-harness serve`'s ready line says what a client needs for either
//! way to the mock: its own listener, and the public-cloud authority through
//! its proxy; both answer.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Stops the server when the test ends, whatever happens.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ready_line_names_the_proxy_and_the_public_authority() {
    let proxy_port = free_port();
    let state_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fic-harness"))
        .args(["serve", "--proxy-addr", &format!("127.0.0.1:{proxy_port}")])
        .arg("--state-dir")
        .arg(state_dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let field = |name: &str| {
        ready[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name}: {ready}"))
            .to_owned()
    };
    let tenant = field("tenant_id");
    assert_eq!(field("proxy"), format!("http://127.0.0.1:{proxy_port}"));
    assert_eq!(
        field("authority"),
        format!("https://login.microsoftonline.com/{tenant}")
    );
    assert_eq!(
        field("issuer"),
        format!("https://login.microsoftonline.com/{tenant}/v2.0")
    );
    assert_eq!(
        field("local_authority"),
        format!("{}/{tenant}", field("url"))
    );
    let ca = std::fs::read(field("ca_cert")).unwrap();
    let ca = reqwest::Certificate::from_pem(&ca).unwrap();

    // The public authority through the proxy, trusting the one CA.
    let proxied = reqwest::Client::builder()
        .proxy(reqwest::Proxy::https(field("proxy")).unwrap())
        .tls_certs_only([ca.clone()])
        .build()
        .unwrap();
    let doc: Value = proxied
        .get(format!(
            "{}/v2.0/.well-known/openid-configuration",
            field("authority")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], field("issuer").as_str());
    assert_eq!(doc["token_endpoint"], field("token_endpoint").as_str());

    // The own listener, unchanged.
    let direct = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    let doc: Value = direct
        .get(format!(
            "{}/v2.0/.well-known/openid-configuration",
            field("local_authority")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], format!("{}/v2.0", field("local_authority")));
}
