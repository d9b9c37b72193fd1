//! `Then` steps about what reached the IdP: the mock's journal is the
//! ground truth, whatever the client says about itself.

use std::collections::BTreeSet;

use cucumber::then;
use mock_entra::JournalEntry;

use super::directory;
use crate::world::{FicWorld, StepError, StepResult, check};

fn entry(w: &FicWorld, n: usize) -> Result<JournalEntry, StepError> {
    let journal = w.journal();
    let len = journal.len();
    journal
        .into_iter()
        .nth(n.wrapping_sub(1))
        .ok_or_else(|| StepError::Check(format!("there is no request {n}: {len} reached the IdP")))
}

fn last(w: &FicWorld) -> Result<JournalEntry, StepError> {
    let n = w.journal().len();
    entry(w, n)
}

#[then(regex = r"^exactly (\d+) requests? reached the IdP$")]
async fn count(w: &mut FicWorld, n: usize) -> StepResult {
    let seen = w.journal().len();
    check(seen == n, || {
        format!("{seen} requests reached the IdP, expected {n}")
    })
}

#[then(regex = r"^no request reached the IdP for it$")]
async fn none_for_last(w: &mut FicWorld) -> StepResult {
    let (before, now) = (w.journal_before_last, w.journal().len());
    check(before == now, || {
        format!("the last command sent {} request(s)", now - before)
    })
}

#[then(
    regex = r#"^(?:request (\d+)|the last request) came from (the blueprint|agent A|agent B|the daemon)(?: with fmi path "([^"]*)")?$"#
)]
async fn request_from(w: &mut FicWorld, n: String, app: String, fmi_path: String) -> StepResult {
    // No number: the last request.
    let n: usize = n.parse().unwrap_or_else(|_| w.journal().len());
    let e = entry(w, n)?;
    let id = directory::client_id(&app)?;
    check(e.client_id.as_deref() == Some(id), || {
        format!(
            "request {n} came from {}, not {app} ({id})",
            super::shown(e.client_id.as_deref())
        )
    })?;
    let sent = e.form.get(fic_protocol::form::FMI_PATH).cloned();
    let want = (!fmi_path.is_empty()).then(|| directory::resolve(&fmi_path));
    check(sent == want, || {
        format!(
            "request {n} had fmi_path {}, expected {}",
            super::shown(sent.as_deref()),
            super::shown(want.as_deref())
        )
    })
}

#[then(regex = r#"^the last request had grant_type "([^"]*)"$"#)]
async fn grant_type(w: &mut FicWorld, grant: String) -> StepResult {
    let e = last(w)?;
    check(e.grant_type.as_deref() == Some(grant.as_str()), || {
        format!(
            "the last request had grant_type {}",
            super::shown(e.grant_type.as_deref())
        )
    })
}

#[then(regex = r#"^the last request's "([^"]+)" was "([^"]*)"$"#)]
async fn form_field(w: &mut FicWorld, field: String, value: String) -> StepResult {
    let e = last(w)?;
    let want = directory::resolve(&value);
    let sent = e.form.get(&field);
    check(sent == Some(&want), || {
        format!(
            "the last request's {field:?} was {}, expected {want:?}",
            super::shown(sent.map(String::as_str))
        )
    })
}

#[then(regex = r#"^the last request had no "([^"]+)"$"#)]
async fn no_form_field(w: &mut FicWorld, field: String) -> StepResult {
    let e = last(w)?;
    check(!e.form.contains_key(&field), || {
        format!("the last request had {field:?} = {:?}", e.form[&field])
    })
}

/// Scopes compared as a set: ports order them differently.
#[then(regex = r#"^the last request's scope was "([^"]*)" in any order$"#)]
async fn scope_set(w: &mut FicWorld, scopes: String) -> StepResult {
    let e = last(w)?;
    let sent: BTreeSet<&str> = e
        .form
        .get(fic_protocol::form::SCOPE)
        .map_or("", String::as_str)
        .split(' ')
        .collect();
    let want: BTreeSet<&str> = scopes.split(' ').collect();
    check(sent == want, || {
        format!("the last request's scope was {sent:?}, expected {want:?}")
    })
}

#[then(regex = r#"^the last request's "([^"]+)" header was "([^"]*)"$"#)]
async fn header(w: &mut FicWorld, name: String, value: String) -> StepResult {
    let e = last(w)?;
    let sent = e.headers.get(&name.to_ascii_lowercase());
    check(sent.map(String::as_str) == Some(value.as_str()), || {
        format!(
            "the last request's {name} header was {}, expected {value:?}",
            super::shown(sent.map(String::as_str))
        )
    })
}

#[then(
    regex = r"^the last request authenticated with (jwt_bearer|jwt_pop|secret_post|secret_basic)$"
)]
async fn client_auth(w: &mut FicWorld, how: String) -> StepResult {
    let e = last(w)?;
    check(e.client_auth.as_deref() == Some(how.as_str()), || {
        format!(
            "the last request authenticated with {} (client_assertion_type {})",
            super::shown(e.client_auth.as_deref()),
            super::shown(
                e.form
                    .get(fic_protocol::form::CLIENT_ASSERTION_TYPE)
                    .map(String::as_str)
            )
        )
    })
}

#[then(
    regex = r"^the last request presented (the token-binding certificate|no client certificate) on TLS$"
)]
async fn tls_certificate(w: &mut FicWorld, which: String) -> StepResult {
    let e = last(w)?;
    let want = match which.as_str() {
        "no client certificate" => None,
        _ => Some(w.binding_x5t()?),
    };
    check(e.tls_client_cert_x5t_s256 == want, || {
        format!(
            "the TLS client certificate was {}, expected {}",
            super::shown(e.tls_client_cert_x5t_s256.as_deref()),
            super::shown(want.as_deref())
        )
    })
}

#[then(regex = r"^every request succeeded$")]
async fn all_ok(w: &mut FicWorld) -> StepResult {
    let failed: Vec<_> = w
        .journal()
        .into_iter()
        .filter(|e| e.outcome.status != 200)
        .map(|e| (e.seq, e.outcome))
        .collect();
    check(failed.is_empty(), || {
        let failed: Vec<String> = failed
            .iter()
            .map(|(seq, o)| format!("#{seq}: {}", super::json_text(o)))
            .collect();
        format!("refused requests: {}", failed.join(", "))
    })
}
