//! Mail leaves through a durable queue in the store, never from inside a request.
//!
//! Sending over SMTP inside the request made `/reset` and `/register` slower for an address
//! with an account, which told a caller who has one. Now the component's `send-mail` only hands
//! the message to this queue, and `sesame serve`'s background tasks store it under
//! `mailq/pending/`, send it from whichever node claims it first, retry it with back-off, and
//! after `--mail-max-attempts` failures (or at once when the relay refuses it for good) keep it
//! under `mailq/dead/` for 30 days and log it in full. The queue's mechanics (hand-over,
//! claims, retries, dead letters, graceful stop) are [`crate::queue`]'s, shared with the
//! webhooks; what is particular to mail is here: the stored message, its SMTP delivery, and
//! its log lines. Core's admin API reads and retries these entries (`core/src/admin/mail.rs`),
//! so their JSON keeps its fields.
//!
//! A message is durable a moment after the answer, once the writer stored it; a crash in that
//! moment loses it (the user asks again), and a stop by SIGTERM or SIGINT first waits for the
//! writer. Waiting for the write before answering would make a known address slower again.

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::queue::{Courier, Failure, Layout, Queue, Queued, RetryPolicy, Verdict};
use crate::store::{StoreBackend, duration_ms};

/// Where queued messages wait. Core's keys never start with `mailq/`.
pub(crate) const PENDING_PREFIX: &str = "mailq/pending/";

/// Where messages that could not be delivered are kept.
pub(crate) const DEAD_PREFIX: &str = "mailq/dead/";

/// The default wait before the first retry; each further retry waits twice as long.
pub(crate) const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(10);

/// The default number of delivery attempts before a message becomes a dead letter: with the
/// default base and the longest wait between attempts (30 minutes), about two hours of
/// retrying, which rides out a relay's restart or a short outage.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 12;

/// How long one SMTP delivery may take, connection included.
pub(crate) const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the mail queue keeps its entries; a claim holds longer than a delivery may take, so a
/// live sender never loses its claim.
const LAYOUT: Layout = Layout {
    pending: PENDING_PREFIX,
    dead: DEAD_PREFIX,
    lease: Duration::from_secs(120),
};

/// One message's own fields, as stored beside the queue's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct MailJob {
    /// Recipient.
    pub(crate) to: String,
    /// Subject line.
    pub(crate) subject: String,
    /// Plain-text body.
    pub(crate) text: String,
    /// The same message as HTML, sent beside the text as `multipart/alternative`. Absent in
    /// messages queued by earlier versions, which go out as text alone, as they were written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) html: Option<String>,
    /// The local part of its `Message-ID`, drawn when it was queued, so every attempt sends
    /// the same id and a copy sent twice (the relay took it but its answer was lost) can be
    /// recognised. Absent in messages queued by earlier versions, which get one per attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message_id: Option<String>,
}

impl MailJob {
    /// A message to `to`, with an HTML part when `html` is given, and a fresh message id.
    pub(crate) fn new(to: &str, subject: &str, text: &str, html: Option<&str>) -> Self {
        MailJob {
            to: to.to_owned(),
            subject: subject.to_owned(),
            text: text.to_owned(),
            html: html.map(str::to_owned),
            message_id: Some(random_id()),
        }
    }
}

/// A queued message: the message and the queue's bookkeeping.
pub(crate) type QueuedMail = Queued<MailJob>;

/// The mail queue.
pub(crate) type MailQueue = Queue<SmtpCourier>;

/// A queue sending through `smtp` from `from`, retrying as `policy` says. Nothing moves until
/// [`Queue::start`].
pub(crate) fn mail_queue(
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    policy: RetryPolicy,
) -> MailQueue {
    Queue::new(SmtpCourier { smtp, from }, LAYOUT, policy)
}

/// Delivers queued mail to the SMTP relay.
pub(crate) struct SmtpCourier {
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[async_trait::async_trait]
impl Courier for SmtpCourier {
    type Job = MailJob;

    async fn verdict(&self, _backend: &dyn StoreBackend, _job: &MailJob) -> Verdict {
        Verdict::Take
    }

    async fn attempt(&self, _backend: &dyn StoreBackend, job: &MailJob) -> Result<(), Failure> {
        match tokio::time::timeout(SMTP_TIMEOUT, self.send(job)).await {
            Ok(sent) => sent,
            Err(_) => Err(Failure::Transient(
                "the relay did not answer in time".to_owned(),
            )),
        }
    }

    fn delivered(&self, mail: &QueuedMail) {
        tracing::info!(to = %mail.job.to, subject = %mail.job.subject, attempts = mail.attempts, "mail sent");
    }

    fn will_retry(&self, mail: &QueuedMail, wait: Duration, why: &str) {
        tracing::warn!(
            to = %mail.job.to,
            subject = %mail.job.subject,
            attempts = mail.attempts,
            retry_in_ms = duration_ms(wait),
            error = %why,
            "mail not delivered yet; will retry"
        );
    }

    fn gave_up(&self, mail: &QueuedMail, why: &str) {
        log_dead(mail, why);
    }

    fn depth(&self, pending: i64, dead: i64) {
        crate::metrics::metrics().mail_queue(pending, dead);
    }
}

impl SmtpCourier {
    /// One SMTP delivery.
    ///
    /// `Auto-Submitted: auto-generated` (RFC 3834) keeps vacation responders from answering
    /// an address nobody reads; `Date` is the builder's. With an HTML part the message is
    /// `multipart/alternative`, text first, so clients that show HTML show it and the rest
    /// show the text.
    async fn send(&self, mail: &MailJob) -> Result<(), Failure> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| Failure::Permanent(e.to_string()))?;
        let local = mail.message_id.clone().unwrap_or_else(random_id);
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{local}@{}>", self.from.email.domain())))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        let message = match &mail.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(mail.text.clone()),
        }
        .map_err(|e| Failure::Permanent(e.to_string()))?;
        match self.smtp.send(message).await {
            Ok(_) => Ok(()),
            Err(e)
                if e.status()
                    .is_some_and(|code| refuses_for_good(u16::from(code))) =>
            {
                Err(Failure::Permanent(e.to_string()))
            }
            Err(e) => Err(Failure::Transient(e.to_string())),
        }
    }
}

/// Whether an SMTP reply `code` refuses this message for good: the mailbox does not exist,
/// is not local, is full, or its name is not allowed (550-553). Other 5xx replies are retried
/// like any failure until the attempts run out: a 554 greeting or a 535 during a credential
/// change concerns every message alike, and one forged by an attacker on the path before TLS
/// must not turn mail into dead letters (whose log line holds the whole message) at once.
pub(crate) fn refuses_for_good(code: u16) -> bool {
    (550..=553).contains(&code)
}

/// 128 random bits as hex: a message id's local part. Falls back to the time and process
/// when the system has no randomness to give (ids must be unique, not secret).
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    match getrandom::fill(&mut bytes) {
        Ok(()) => hex::encode(bytes),
        Err(_) => format!("{}.{}", crate::store::now_ms(), std::process::id()),
    }
}

/// A message that will not be delivered: logged in full, as the log is then the only copy an
/// operator can act on (the same as mail without a relay).
pub(crate) fn log_dead(mail: &QueuedMail, why: &str) {
    tracing::error!(to = %mail.job.to, subject = %mail.job.subject, text = %mail.job.text, attempts = mail.attempts, error = %why, "mail not delivered");
}
