//! Admin commands for token signing keys, API keys and disabling accounts. Each calls the
//! component's typed exports, so the same rules apply as for any other caller.

use anyhow::Result;
use clap::Subcommand;

use super::{Admin, auth_error};

/// `sesame keys ...`
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Start a new key generation for access tokens and links. Tokens and links signed by
    /// older generations keep verifying until they expire.
    Rotate,
    /// List the key generations held.
    List,
}

/// `sesame api-key ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create a key; it is printed once and only its hash is kept.
    Create {
        /// What the key is for (1 to 64 printable characters).
        #[arg(long)]
        name: String,
        /// A scope the key holds (repeatable; a-z 0-9 : . _ -).
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id.
    Revoke {
        /// The key's id, as `list` shows it.
        id: String,
    },
}

/// Runs `sesame keys ...`.
pub(crate) async fn keys(mut admin: Admin, command: KeysCommand) -> Result<()> {
    let tokens = admin.service.sesame_auth_tokens();
    let generations = match command {
        KeysCommand::Rotate => tokens.call_rotate_keys(&mut admin.store).await?,
        KeysCommand::List => tokens.call_list_keys(&mut admin.store).await?,
    }
    .map_err(auth_error)?;
    for g in generations {
        let state = match g.retired_at_ms {
            None => "signing".to_owned(),
            Some(at) => format!("retired at {at} ms, verifying until expiry"),
        };
        println!(
            "generation {:<4} created at {} ms  {state}",
            g.number, g.created_at_ms
        );
    }
    Ok(())
}

/// Runs `sesame api-key ...`.
pub(crate) async fn api_keys(mut admin: Admin, command: ApiKeyCommand) -> Result<()> {
    let api_keys = admin.service.sesame_auth_api_keys();
    match command {
        ApiKeyCommand::Create { name, scopes } => {
            let created = api_keys
                .call_create(&mut admin.store, &name, &scopes)
                .await?
                .map_err(auth_error)?;
            eprintln!(
                "created API key {} ({}); it is shown once, store it now:",
                created.info.id, created.info.name
            );
            println!("{}", created.key);
        }
        ApiKeyCommand::List => {
            for key in api_keys
                .call_list(&mut admin.store)
                .await?
                .map_err(auth_error)?
            {
                println!("{}  {:<24}  {}", key.id, key.name, key.scopes.join(","));
            }
        }
        ApiKeyCommand::Revoke { id } => {
            api_keys
                .call_revoke(&mut admin.store, &id)
                .await?
                .map_err(auth_error)?;
            println!("API key {id} revoked");
        }
    }
    Ok(())
}

/// Runs `sesame user disable|enable`.
pub(crate) async fn set_active(mut admin: Admin, email: &str, active: bool) -> Result<()> {
    let accounts = admin.service.sesame_auth_accounts();
    let user = accounts
        .call_set_active(&mut admin.store, email, active)
        .await?
        .map_err(auth_error)?;
    let state = if active { "enabled" } else { "disabled" };
    println!("{} <{}> is {state}", user.id, user.email);
    Ok(())
}
