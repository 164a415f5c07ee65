//! `sesame webhook ...`: the endpoints that receive account events as signed webhooks. A new
//! endpoint's secret (and a rotated one) is printed once, when it is made; no command shows it
//! again.

use anyhow::{Result, anyhow, bail};
use clap::Subcommand;

use super::Common;
use crate::store::{self, StoreBackend};
use crate::webhooks::WebhookUrl;
use crate::webhooks::endpoints::{self, Endpoint, EventFilter};
use crate::webhooks::signing::Secret;

/// `sesame webhook`.
#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Register an endpoint and print its signing secret (whsec_...), shown this once only.
    /// A running `sesame serve` starts delivering to it within seconds.
    Add {
        /// Where to POST events: http:// or https:// (checked against the system's CAs and
        /// `serve --webhook-ca-file`).
        url: WebhookUrl,
        /// The event kinds to deliver, comma separated (like login-failed,locked); every kind
        /// when left out.
        #[arg(long, value_name = "KIND,KIND")]
        events: Option<EventFilter>,
    },
    /// List the endpoints: id, URL, event kinds, state. Never their secrets.
    List {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove an endpoint; deliveries still queued for it are dropped.
    Remove {
        /// The endpoint's id (from `sesame webhook list`).
        id: String,
    },
    /// Give an endpoint a new secret and print it (shown this once only). Deliveries from
    /// now on, retries included, are signed with it.
    Rotate {
        /// The endpoint's id.
        id: String,
    },
    /// Deliver to an endpoint again after its receiver answered 410 Gone.
    Enable {
        /// The endpoint's id.
        id: String,
    },
    /// Print a fresh random whsec_... secret, for --webhook-secret; stores nothing.
    NewSecret,
}

/// Runs a `sesame webhook` command.
pub(crate) async fn run(common: &Common, command: &WebhookCommand) -> Result<()> {
    if let WebhookCommand::NewSecret = command {
        let secret = Secret::generate().map_err(|e| anyhow!("no secure random source: {e}"))?;
        println!("{}", secret.expose());
        return Ok(());
    }
    let backend = store::open(&common.store)
        .await
        .map_err(|e| anyhow!("cannot open the store {}: {e}", common.store))?;
    let result = execute(&*backend, command).await;
    // A short-lived command: what it wrote reaches the store's files before it exits.
    if let Err(e) = backend.settle().await {
        tracing::warn!(error = %e, "the store could not be settled");
    }
    result
}

async fn execute(backend: &dyn StoreBackend, command: &WebhookCommand) -> Result<()> {
    match command {
        WebhookCommand::Add { url, events } => {
            let filter = events.clone().unwrap_or_else(EventFilter::all);
            if url.is_clear_text_off_host() {
                eprintln!(
                    "warning: {url} is plain HTTP to another host: events (user ids, email and \
                     client addresses) cross the network readable by anyone on the path; \
                     prefer https://"
                );
            }
            let (endpoint, secret) = endpoints::add(backend, url, &filter).await?;
            println!("id: {}", endpoint.id);
            println!("url: {}", endpoint.url);
            println!("events: {filter}");
            println!("secret: {}", secret.expose());
            eprintln!(
                "The secret is shown only now: give it to the receiver, which checks every \
                 delivery's webhook-signature with it (sesame webhook rotate makes a new one)."
            );
        }
        WebhookCommand::List { json } => {
            let listed = endpoints::list(backend).await?;
            if !json {
                println!("{:<19}  {:<8}  {:<40}  url", "id", "state", "events");
            }
            for endpoint in &listed {
                print_endpoint(endpoint, *json);
            }
        }
        WebhookCommand::Remove { id } => {
            if !endpoints::remove(backend, id).await? {
                bail!("there is no webhook endpoint '{id}'");
            }
            println!("webhook endpoint {id} removed");
        }
        WebhookCommand::Rotate { id } => {
            let secret = endpoints::rotate(backend, id).await?;
            println!("secret: {}", secret.expose());
            eprintln!(
                "The new secret is shown only now. Deliveries are signed with it from now on: \
                 give it to the receiver (a receiver may accept the old and the new one for a \
                 while)."
            );
        }
        WebhookCommand::Enable { id } => {
            endpoints::set_disabled(backend, id, None).await?;
            println!("webhook endpoint {id} enabled");
        }
        WebhookCommand::NewSecret => bail!("internal error: new-secret needs no store"),
    }
    Ok(())
}

fn print_endpoint(endpoint: &Endpoint, json: bool) {
    let filter = EventFilter::of(endpoint);
    if json {
        let line = serde_json::json!({
            "id": endpoint.id,
            "url": endpoint.url,
            "events": filter.to_string(),
            "created_ms": endpoint.created_ms,
            "disabled": endpoint.disabled.as_ref().map(|d| serde_json::json!({
                "at_ms": d.at_ms,
                "reason": d.reason,
            })),
        });
        println!("{line}");
    } else {
        let state = if endpoint.disabled.is_some() {
            "disabled"
        } else {
            "enabled"
        };
        println!(
            "{:<19}  {:<8}  {:<40}  {}",
            endpoint.id,
            state,
            filter.to_string(),
            endpoint.url
        );
    }
}
