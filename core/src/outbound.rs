//! Mail and account events delivered over HTTP through a queue in the store, for runtimes with
//! neither an SMTP relay nor a background task (the Spin component).
//!
//! A request only queues ([`Outbound::enqueue_mail`], [`Outbound::enqueue_event`]): the item
//! is stored under `outbound/pending/{due}-{id}`, so a scan of that prefix reads the items in
//! the order they are due. After its answer is written, the runtime lets the instance deliver
//! a small batch ([`Outbound::deliver_due`]) through a [`Transport`]:
//!
//! 1. a due item is **claimed** by a compare-and-swap that stamps a lease on it, so of two
//!    requests draining at once only one attempts it; a claim whose instance died runs out
//!    and the item is attempted again (delivery is at least once: receivers drop repeats by
//!    the item's id, the `webhook-id` or `Idempotency-Key`);
//! 2. a 2xx answer deletes it; no answer, or an answer worth retrying, moves it to a later
//!    due time (exponential back-off with jitter, [`OutboundSettings::retry_base_ms`]);
//! 3. after [`OutboundSettings::max_attempts`], or at once on an answer that says the request
//!    itself is wrong, it moves to `outbound/dead/{id}` for 30 days and is returned whole in
//!    [`Settled::GaveUp`], for the runtime to log: mail content is never lost.
//!
//! Growth is bounded: at most [`OutboundSettings::max_per_hour`] mails per recipient and
//! [`OutboundSettings::events_per_hour`] events per account (events naming no account share
//! one allowance) are queued per hour, counted before they are checked ([`Refused::Full`]
//! past it, and the runtime logs the item instead), so flooding one address or one account
//! holds back no one else's; every item has a bounded number of attempts, and dead letters
//! expire. Mail reaches the queue only after core's own mail throttles (per account,
//! per recipient, per client address) let it be written at all.
//!
//! Nothing here knows HTTP beyond building bodies ([`bodies`]) and reading a status: the
//! transport is the runtime's (`wasi:http/outgoing-handler` in the Spin component), with its
//! own time and size bounds.

#[cfg(test)]
mod admission_tests;
mod bodies;
mod queue;
pub mod settings;
pub mod signing;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::mail::Mail;
use crate::store::Store;

pub use queue::{Batch, Refused, Settled};
pub use settings::{ApiToken, MailFormat, OutboundSettings};
pub use signing::WebhookSecret;

/// One HTTP POST to make. Its `Debug` form names the URL and the header names only: header
/// values carry the provider's token and the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// Where to (`http://` or `https://`).
    pub url: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for OutboundRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundRequest")
            .field("url", &self.url)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// Sends the requests [`Outbound::deliver_due`] builds.
pub trait Transport {
    /// POSTs `request` and returns the answer's status, or why there was none (no connection,
    /// a timeout, the runtime refusing the host). Bounded in time and in bytes read by the
    /// transport; the description must not repeat a header value.
    fn post(&self, request: &OutboundRequest) -> Result<u16, String>;
}

/// A mail as it waits in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedMail {
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

impl From<&Mail> for QueuedMail {
    fn from(mail: &Mail) -> Self {
        QueuedMail {
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
        }
    }
}

/// An account event as it waits in the queue: its kind and the webhook body, written once so
/// every attempt sends the same bytes (only the timestamp and signature are per attempt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedEvent {
    /// The event's kind (`registered`, `login-failed`, ...).
    pub kind: String,
    /// The request body ([`signing::event_body`]).
    pub body: String,
}

/// What a queued item delivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payload {
    /// A mail, to the mail API.
    Mail(QueuedMail),
    /// An account event, to the webhook.
    Event(QueuedEvent),
}

impl Payload {
    /// `mail` or `event`, for counting and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Mail(_) => "mail",
            Payload::Event(_) => "event",
        }
    }
}

/// A queued item as stored (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Record schema version.
    pub v: u32,
    /// `msg_` and 32 hex digits: the `webhook-id`, the `Idempotency-Key` of mail APIs that
    /// take one, and the key of its dead letter.
    pub id: String,
    /// What it delivers.
    pub payload: Payload,
    /// When it was queued (ms since the epoch).
    pub queued_at_ms: u64,
    /// Attempts started so far.
    pub attempts: u32,
    /// While later than now, an instance is attempting it and no other may.
    pub claimed_until_ms: u64,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The queue over one store, clock and settings; cheap to create per request.
pub struct Outbound<'a> {
    store: &'a dyn Store,
    env: &'a dyn Env,
    settings: &'a OutboundSettings,
}

impl<'a> Outbound<'a> {
    /// The queue in `store`, on `env`'s clock and randomness, delivering as `settings` say.
    pub fn new(store: &'a dyn Store, env: &'a dyn Env, settings: &'a OutboundSettings) -> Self {
        Outbound {
            store,
            env,
            settings,
        }
    }
}
