//! `fic-harness hash`: the ext cache key hash of key=value components, so
//! port maintainers can check their own values.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::bail;
use msal_ref::cache_key::{HashAlgorithm, ext_cache_key_hash, parse_component};

#[derive(clap::Args)]
pub struct HashArgs {
    /// netstring (current ports) or concat (legacy, collides).
    #[arg(long, default_value = "netstring")]
    pub algorithm: HashAlgorithm,
    /// Components as key=value (the first `=` splits), e.g. fmi_path=agent-1.
    #[arg(required = true, value_name = "KEY=VALUE")]
    pub components: Vec<String>,
}

/// Parses `key=value` arguments into the component map; a repeated key is
/// an error rather than a silent overwrite.
pub fn parse_components(args: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut components = BTreeMap::new();
    for arg in args {
        let (k, v) = parse_component(arg).map_err(anyhow::Error::msg)?;
        if components.insert(k.clone(), v).is_some() {
            bail!("component `{k}` is given twice");
        }
    }
    Ok(components)
}

pub fn run(args: HashArgs) -> anyhow::Result<ExitCode> {
    let components = parse_components(&args.components)?;
    println!("{}", ext_cache_key_hash(&components, args.algorithm));
    Ok(ExitCode::SUCCESS)
}
