use std::process::ExitCode;

#[derive(clap::Args)]
pub struct HashArgs {}

pub fn run(_args: HashArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`fic-harness hash` is not implemented yet")
}
