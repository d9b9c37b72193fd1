use std::process::ExitCode;

#[derive(clap::Args)]
pub struct KeyArgs {}

pub fn run(_args: KeyArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`fic-harness key` is not implemented yet")
}
