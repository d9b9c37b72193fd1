//! `fic-harness key`: the full access-token cache key for given parts, per
//! key profile, built by the same function the reference client uses.

use std::process::ExitCode;

use msal_ref::cache_key::{
    AccessTokenKeyParts, HashAlgorithm, KeyProfile, access_token_key, ext_cache_key_hash,
};

use super::hash::parse_components;

#[derive(clap::Args)]
#[command(
    after_help = "The key is the cache's lookup key: <home_account_id>-<environment>-<credential type>-<client_id>-<realm>-<scopes>[-<token type>][-<hash>], lower-cased. \"atext\" is the credential type the .NET, Java, Go and Python MSALs write for an access token whose key carries extra components (fmi_path, ...; hashed into the last field); with no components it is \"AccessToken\". msal-node keeps \"AccessToken\" and always has a token-type slot.\n\nExample: fic-harness key --client-id 3bf56293-fbb5-42bd-a407-248ba7431a8c --environment localhost --realm 10c419d4-4a50-45b2-aa4e-919fb84df24f --scopes api://AzureADTokenExchange/.default fmi_path=agent-1"
)]
pub struct KeyArgs {
    /// Key layout: atext (.NET, Java, Go, Python: credential type "atext"
    /// when the key has components, scopes sorted) or msal-node.
    #[arg(long, default_value = "atext")]
    pub profile: KeyProfile,
    /// Hash algorithm for the components: netstring or concat.
    #[arg(long, default_value = "netstring")]
    pub algorithm: HashAlgorithm,
    /// The application (client) id that requested the token.
    #[arg(long)]
    pub client_id: String,
    /// Authority host without port, e.g. login.microsoftonline.com.
    #[arg(long)]
    pub environment: String,
    /// The tenant id the token was issued in (the key's realm).
    #[arg(long)]
    pub realm: String,
    /// Space-separated scopes.
    #[arg(long)]
    pub scopes: String,
    /// `uid.utid` for user tokens; empty (the default) for app tokens.
    #[arg(long, default_value = "")]
    pub home_account_id: String,
    /// The token type: Bearer (not written into the key) or another, e.g.
    /// pop or mtls_pop, which is.
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
