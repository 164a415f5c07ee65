//! `sesame client ...`: the OAuth clients of Sesame's OpenID provider, through the
//! component's `oauth-clients` export, so the same rules apply as for any other caller.

use anyhow::{Result, bail};
use clap::Subcommand;

use super::{Admin, auth_error};
use crate::bindings::oauth_clients::{NewOauthClient, OauthClient};

/// `sesame client ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ClientCommand {
    /// Register a client. A confidential client's secret is printed once.
    Add {
        /// What the consent page calls it (1 to 64 printable characters).
        #[arg(long)]
        name: String,
        /// A redirect URI (repeatable): https, http on loopback, or a private-use scheme.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// A post-logout redirect URI (repeatable).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A public client (single-page or native app): no secret, PKCE required.
        #[arg(long)]
        public: bool,
        /// An allowed scope (repeatable; default openid, profile, email, offline_access).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// How ID tokens are signed: RS256 (default), ES256 or EdDSA.
        #[arg(long, default_value = "RS256")]
        id_token_alg: String,
        /// A first-party app: its users are not asked for consent.
        #[arg(long)]
        first_party: bool,
    },
    /// List clients.
    List,
    /// Show one client.
    Show {
        /// The client id.
        id: String,
    },
    /// Remove a client; its tokens stop working at Sesame's endpoints.
    Remove {
        /// The client id.
        id: String,
    },
    /// Give a confidential client a new secret (printed once); the old one stops working.
    RotateSecret {
        /// The client id.
        id: String,
    },
}

/// Runs `sesame client ...`.
pub(crate) async fn clients(mut admin: Admin, command: ClientCommand) -> Result<()> {
    let clients = admin.service.sesame_auth_oauth_clients();
    match command {
        ClientCommand::Add {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            public,
            scopes,
            id_token_alg,
            first_party,
        } => {
            let spec = NewOauthClient {
                name,
                confidential: !public,
                redirect_uris,
                post_logout_redirect_uris,
                scopes,
                id_token_alg,
                first_party,
            };
            let created = clients
                .call_add(&mut admin.store, &spec)
                .await?
                .map_err(auth_error)?;
            print_client(&created.client);
            if let Some(secret) = created.secret {
                eprintln!("client secret (shown once, store it now):");
                println!("client_secret: {secret}");
            }
        }
        ClientCommand::List => {
            for client in clients
                .call_list(&mut admin.store)
                .await?
                .map_err(auth_error)?
            {
                println!(
                    "{}  {:<24}  {}  {}",
                    client.id,
                    client.name,
                    if client.confidential {
                        "confidential"
                    } else {
                        "public"
                    },
                    client.redirect_uris.join(" ")
                );
            }
        }
        ClientCommand::Show { id } => {
            match clients
                .call_get(&mut admin.store, &id)
                .await?
                .map_err(auth_error)?
            {
                Some(client) => print_client(&client),
                None => bail!("there is no client {id}"),
            }
        }
        ClientCommand::Remove { id } => {
            clients
                .call_remove(&mut admin.store, &id)
                .await?
                .map_err(auth_error)?;
            println!("client {id} removed");
        }
        ClientCommand::RotateSecret { id } => {
            let secret = clients
                .call_rotate_secret(&mut admin.store, &id)
                .await?
                .map_err(auth_error)?;
            eprintln!("new client secret (shown once, store it now):");
            println!("client_secret: {secret}");
        }
    }
    Ok(())
}

fn print_client(client: &OauthClient) {
    println!("client_id: {}", client.id);
    println!("name: {}", client.name);
    println!(
        "type: {}",
        if client.confidential {
            "confidential"
        } else {
            "public"
        }
    );
    println!("redirect_uris: {}", client.redirect_uris.join(" "));
    if !client.post_logout_redirect_uris.is_empty() {
        println!(
            "post_logout_redirect_uris: {}",
            client.post_logout_redirect_uris.join(" ")
        );
    }
    println!("scopes: {}", client.scopes.join(" "));
    println!("id_token_alg: {}", client.id_token_alg);
    println!("first_party: {}", client.first_party);
}
