//! A client secret, sent in the body or an HTTP Basic header.

use fic_protocol::ClientSecret;
use subtle::ConstantTimeEq;

use crate::directory::App;
use crate::refusal::Refusal;

/// Whether `secret` is one of the app's. Every registered secret is
/// compared, in constant time, so the answer's timing says nothing about
/// which one nearly matched.
pub(crate) fn check(app: &App, secret: &ClientSecret) -> Result<(), Refusal> {
    let sent = secret.secret().as_bytes();
    let matched = app.secrets.iter().fold(0u8, |acc, s| {
        acc | u8::from(bool::from(s.as_bytes().ct_eq(sent)))
    });
    if matched == 1 {
        Ok(())
    } else {
        Err(Refusal::InvalidClientSecret {
            client_id: app.client_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Directory;

    #[test]
    fn only_a_registered_secret_passes() {
        let directory = Directory::default_directory();
        let blueprint = directory
            .apps
            .values()
            .find(|a| a.secrets.iter().any(|s| s == "blueprint-secret"))
            .unwrap();
        assert_eq!(check(blueprint, &"blueprint-secret".into()), Ok(()));
        for wrong in ["blueprint-secre", "blueprint-secret ", ""] {
            assert_eq!(
                check(blueprint, &wrong.into()),
                Err(Refusal::InvalidClientSecret {
                    client_id: blueprint.client_id.clone()
                })
            );
        }
    }
}
