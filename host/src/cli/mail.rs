//! `sesame mail`: the outgoing mail queue and its dead letters, through the component's admin
//! interface as the operator (the same rules and journal as `/admin/mail` over HTTP).

use anyhow::Result;
use clap::Subcommand;
use serde_json::json;

use super::{Admin, auth_error};
use crate::bindings::admin::{Caller, MailState, QueuedMail};

/// `sesame mail`.
#[derive(Debug, Subcommand)]
pub(crate) enum MailCommand {
    /// List queued messages (or, with --dead, those given up), oldest first, one JSON object
    /// per line: id, recipient, subject, attempts and the last error, never the body.
    List {
        /// The dead letters instead of the pending messages.
        #[arg(long)]
        dead: bool,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// Put a dead letter back in the queue, due now with its attempts reset.
    Retry {
        /// The dead letter's id, as `sesame mail list --dead` shows it.
        id: String,
    },
}

/// The operator: the CLI runs with the store and the secret in hand.
const OPERATOR: Caller = Caller::Operator;

/// Runs one `sesame mail` command.
pub(crate) async fn run(mut admin: Admin, command: MailCommand) -> Result<()> {
    let api = admin.service.sesame_auth_admin();
    match command {
        MailCommand::List { dead, limit } => {
            let state = if dead {
                MailState::Dead
            } else {
                MailState::Pending
            };
            let mut after: Option<String> = None;
            let mut shown = 0;
            while shown < limit {
                let page = api
                    .call_list_mail(&mut admin.store, &OPERATOR, state, after.as_deref(), 500)
                    .await?
                    .map_err(auth_error)?;
                for message in page.messages.iter().take(limit - shown) {
                    println!("{}", mail_json(message));
                    shown += 1;
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        MailCommand::Retry { id } => {
            api.call_retry_mail(&mut admin.store, &OPERATOR, &id)
                .await?
                .map_err(auth_error)?;
            println!("{id} is queued again; `sesame serve` sends it");
        }
    }
    Ok(())
}

fn mail_json(message: &QueuedMail) -> serde_json::Value {
    json!({
        "id": message.id,
        "state": match message.state {
            MailState::Pending => "pending",
            MailState::Dead => "dead",
        },
        "to": message.to,
        "subject": message.subject,
        "queued_at_ms": message.queued_at_ms,
        "attempts": message.attempts,
        "next_attempt_ms": message.next_attempt_ms,
        "last_error": message.last_error,
    })
}
