//! `fic-harness key`: the full access-token cache key for given parts, per
//! key profile, built by the same function the reference client uses.

use std::process::ExitCode;

use msal_ref::cache_key::{
    AccessTokenKeyParts, HashAlgorithm, KeyProfile, access_token_key, ext_cache_key_hash,
};

use super::hash::parse_components;

#[derive(clap::Args)]
pub struct KeyArgs {
    /// atext (.NET/Java/Go/Python) or msal-node.
    #[arg(long, default_value = "atext")]
    pub profile: KeyProfile,
    /// Hash algorithm for the components: netstring or concat.
    #[arg(long, default_value = "netstring")]
    pub algorithm: HashAlgorithm,
    #[arg(long)]
    pub client_id: String,
    /// Authority host without port, e.g. login.microsoftonline.com.
    #[arg(long)]
    pub environment: String,
    /// Tenant.
    #[arg(long)]
    pub realm: String,
    /// Space-separated scopes.
    #[arg(long)]
    pub scopes: String,
    /// `uid.utid` for user tokens; empty (the default) for app tokens.
    #[arg(long, default_value = "")]
    pub home_account_id: String,
    #[arg(long, default_value = "Bearer")]
    pub token_type: String,
    /// Cache key components as key=value (e.g. fmi_path=agent-1); none means no hash.
    #[arg(value_name = "KEY=VALUE")]
    pub components: Vec<String>,
}

pub fn run(args: KeyArgs) -> anyhow::Result<ExitCode> {
    let components = parse_components(&args.components)?;
    let target: Vec<String> = args.scopes.split_whitespace().map(str::to_owned).collect();
    if target.is_empty() {
        anyhow::bail!("--scopes is empty");
    }
    let parts = AccessTokenKeyParts {
        home_account_id: args.home_account_id,
        environment: args.environment,
        client_id: args.client_id,
        realm: args.realm,
        target,
        token_type: args.token_type,
        ext_hash: (!components.is_empty()).then(|| ext_cache_key_hash(&components, args.algorithm)),
    };
    println!("{}", access_token_key(&parts, args.profile));
    Ok(ExitCode::SUCCESS)
}
