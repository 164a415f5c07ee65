//! Mail leaves through a durable queue in the store, never from inside a request.
//!
//! Sending over SMTP inside the request made `/reset` and `/register` slower for an address
//! with an account, which told a caller who has one. Now the component's `send-mail` only hands
//! the message to this queue (a bounded in-memory channel, so the request never waits on a
//! disk or the network), and two background tasks of `sesame serve` do the rest:
//!
//! 1. the writer stores each message under `mailq/pending/` in the store (a key prefix core
//!    never uses), where it survives restarts and is seen by every node on a shared store;
//! 2. the deliverer scans that prefix, claims a due message with a compare-and-swap (so two
//!    nodes never both send it), sends it, and deletes it; a failure puts the message back with
//!    an exponentially later time, and after `--mail-max-attempts` failures (or at once when
//!    the relay refuses it for good) it moves to `mailq/dead/`, kept for 30 days and logged.
//!
//! A claim is a lease: a node that dies while sending leaves the message to be claimed again
//! when the lease runs out, so delivery is at least once. A message is durable a moment after
//! the answer, once the writer stored it; a crash in that moment loses it (the user asks
//! again), and a stop by SIGTERM or SIGINT first waits for the writer (see [`MailQueue::flush`]).
//! Waiting for the write before answering would make a known address slower again.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::{Notify, mpsc};

use crate::store::{BackendError, Entry, StoreBackend, duration_ms, now_ms};

/// Where queued messages wait. Core's keys never start with `mailq/`.
pub(crate) const PENDING_PREFIX: &str = "mailq/pending/";

/// Where messages that could not be delivered are kept.
pub(crate) const DEAD_PREFIX: &str = "mailq/dead/";

/// How long a dead letter is kept: long enough for an operator to act on it; the links in it
/// have expired long before.
const DEAD_LETTER_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// The default wait before the first retry; each further retry waits twice as long.
pub(crate) const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(10);

/// The default number of delivery attempts before a message becomes a dead letter: with the
/// default base and [`MAX_RETRY_WAIT`], about two hours of retrying, which rides out a relay's
/// restart or a short outage.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 12;

/// The longest wait between two attempts.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30 * 60);

/// How long one SMTP delivery may take, connection included.
pub(crate) const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a claim holds: longer than a delivery may take, so a live sender never loses its
/// claim; a dead sender's message is claimable again after it.
const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// How often the deliverer looks at the queue without being woken: for messages queued by
/// other nodes, and for retries.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Messages waiting to be stored, at most. Past it (the store has been unreachable for a
/// while) a message is logged in full as not delivered rather than held without bound.
const HANDOFF_CAPACITY: usize = 10_000;

/// Entries read per scan of the queue.
const SCAN_PAGE: u32 = 200;

/// Longest error text kept with a queued message.
const MAX_ERROR_CHARS: usize = 300;

/// How the deliverer retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Wait before the first retry.
    pub(crate) base: Duration,
    /// Attempts before a message becomes a dead letter.
    pub(crate) max_attempts: u32,
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (1-based): base × 2^(attempts-1), at
    /// most [`MAX_RETRY_WAIT`], plus up to a quarter more at random so nodes and messages that
    /// failed together do not retry together.
    pub(crate) fn wait_after(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let wait = self
            .base
            .saturating_mul(1u32 << doublings)
            .min(MAX_RETRY_WAIT);
        let mut random = [0u8; 2];
        let spread = match getrandom::fill(&mut random) {
            Ok(()) => u32::from(u16::from_le_bytes(random)),
            Err(_) => 0,
        };
        wait + wait / 4 * spread / u32::from(u16::MAX)
    }
}

/// One queued message as stored (JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct QueuedMail {
    /// Recipient.
    pub(crate) to: String,
    /// Subject line.
    pub(crate) subject: String,
    /// Plain-text body.
    pub(crate) text: String,
    /// When it was handed over (ms since the epoch).
    pub(crate) queued_at_ms: u64,
    /// Delivery attempts started so far.
    #[serde(default)]
    pub(crate) attempts: u32,
    /// Not to be tried before this time.
    #[serde(default)]
    pub(crate) next_attempt_ms: u64,
    /// The node sending it now, if any.
    #[serde(default)]
    pub(crate) claimed_by: Option<String>,
    /// Its claim holds until this time.
    #[serde(default)]
    pub(crate) claimed_until_ms: u64,
    /// Why the last attempt failed.
    #[serde(default)]
    pub(crate) last_error: Option<String>,
}

impl QueuedMail {
    /// A message handed over now, due at once, never tried.
    pub(crate) fn new(to: &str, subject: &str, text: &str) -> Self {
        let now = now_ms();
        QueuedMail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            text: text.to_owned(),
            queued_at_ms: now,
            attempts: 0,
            next_attempt_ms: now,
            claimed_by: None,
            claimed_until_ms: 0,
            last_error: None,
        }
    }
}

/// The queue: the hand-over channel, and what its background tasks need.
pub(crate) struct MailQueue {
    handoff: mpsc::Sender<QueuedMail>,
    waiting: Mutex<Option<mpsc::Receiver<QueuedMail>>>,
    /// Messages handed over but not yet stored.
    unstored: AtomicUsize,
    started: AtomicBool,
    wake: Notify,
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    policy: RetryPolicy,
    /// This process's name in claims and message ids (random).
    node: String,
    /// Messages this process queued, for unique ids.
    sequence: AtomicU64,
}

/// What became of one look at a queued message.
enum Looked {
    /// Gone from the queue (sent, or a dead letter now).
    Done,
    /// Still queued; worth another look at this time (ms since the epoch).
    Again(u64),
    /// Another node has it, or the store failed: the next regular scan will see it.
    Later,
}

impl MailQueue {
    /// A queue sending through `smtp` from `from`. Nothing moves until [`MailQueue::start`].
    pub(crate) fn new(
        smtp: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        policy: RetryPolicy,
    ) -> Self {
        let (handoff, waiting) = mpsc::channel(HANDOFF_CAPACITY);
        let mut id = [0u8; 8];
        let node = match getrandom::fill(&mut id) {
            Ok(()) => hex::encode(id),
            Err(_) => format!("pid-{}", std::process::id()),
        };
        MailQueue {
            handoff,
            waiting: Mutex::new(Some(waiting)),
            unstored: AtomicUsize::new(0),
            started: AtomicBool::new(false),
            wake: Notify::new(),
            smtp,
            from,
            policy,
            node,
            sequence: AtomicU64::new(0),
        }
    }

    /// Hands a message over without waiting. Returns it back when it cannot be queued (the
    /// queue is not running, as in admin commands, or is full), for the caller to log.
    pub(crate) fn submit(
        &self,
        to: &str,
        subject: &str,
        text: &str,
    ) -> Result<(), Box<QueuedMail>> {
        let mail = QueuedMail::new(to, subject, text);
        if !self.started.load(Ordering::Acquire) {
            return Err(Box::new(mail));
        }
        self.unstored.fetch_add(1, Ordering::AcqRel);
        self.handoff.try_send(mail).map_err(|e| {
            self.unstored.fetch_sub(1, Ordering::AcqRel);
            match e {
                mpsc::error::TrySendError::Full(mail) | mpsc::error::TrySendError::Closed(mail) => {
                    Box::new(mail)
                }
            }
        })
    }

    /// Starts the writer and the deliverer over `backend` (once; later calls do nothing). The
    /// deliverer first sends whatever earlier runs left queued.
    pub(crate) fn start(self: &Arc<Self>, backend: Arc<dyn StoreBackend>) {
        let waiting = self
            .waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let Some(waiting) = waiting else {
            return;
        };
        self.started.store(true, Ordering::Release);
        tokio::spawn(self.clone().write_loop(waiting, backend.clone()));
        tokio::spawn(self.clone().deliver_loop(backend));
    }

    /// Waits, at most `limit`, until every handed-over message is stored; says whether they
    /// all were.
    pub(crate) async fn flush(&self, limit: Duration) -> bool {
        let give_up = tokio::time::Instant::now() + limit;
        while self.unstored.load(Ordering::Acquire) > 0 {
            if tokio::time::Instant::now() >= give_up {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    /// Stores handed-over messages, one by one, retrying while the store is unavailable.
    async fn write_loop(
        self: Arc<Self>,
        mut waiting: mpsc::Receiver<QueuedMail>,
        backend: Arc<dyn StoreBackend>,
    ) {
        while let Some(mail) = waiting.recv().await {
            let value = encode(&mail);
            loop {
                let key = self.new_key(mail.queued_at_ms);
                match backend.put(&key, value.clone(), Some(0), None).await {
                    Ok(_) => break,
                    // Only if two nodes drew the same random name: take the next number.
                    Err(BackendError::Conflict) => {}
                    Err(BackendError::TooLarge) => {
                        log_dead(&mail, "too large for the store");
                        break;
                    }
                    Err(BackendError::Unavailable(why)) => {
                        tracing::warn!(error = %why, "cannot queue mail yet: the store is unavailable; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
            self.unstored.fetch_sub(1, Ordering::AcqRel);
            self.wake.notify_one();
        }
    }

    /// Delivers due messages, then sleeps until the next is due, new mail is queued here, or
    /// [`POLL_INTERVAL`] passed.
    async fn deliver_loop(self: Arc<Self>, backend: Arc<dyn StoreBackend>) {
        loop {
            let next_due = self.deliver_due(&*backend).await;
            let now = now_ms();
            let wait = next_due
                .map(|due| Duration::from_millis(due.saturating_sub(now)))
                .unwrap_or(POLL_INTERVAL)
                .min(POLL_INTERVAL);
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One pass over the queue; returns when the earliest message it left is due.
    pub(crate) async fn deliver_due(&self, backend: &dyn StoreBackend) -> Option<u64> {
        let mut after: Option<String> = None;
        let mut earliest: Option<u64> = None;
        let mut pending = 0i64;
        loop {
            let page = match backend
                .scan(PENDING_PREFIX, after.as_deref(), SCAN_PAGE)
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the mail queue");
                    return earliest;
                }
            };
            let full = page.len() >= SCAN_PAGE as usize;
            after = page.last().map(|(key, _)| key.clone());
            for (key, entry) in page {
                match self.look_at(backend, &key, entry).await {
                    Looked::Again(due) => {
                        pending += 1;
                        earliest = Some(earliest.map_or(due, |e| e.min(due)));
                    }
                    Looked::Later => pending += 1,
                    Looked::Done => {}
                }
            }
            if !full {
                let dead = count_dead(backend).await;
                crate::metrics::metrics().mail_queue(pending, dead);
                return earliest;
            }
        }
    }

    /// Claims, sends and settles one queued message if it is due and free.
    async fn look_at(&self, backend: &dyn StoreBackend, key: &str, entry: Entry) -> Looked {
        let Ok(mut mail) = serde_json::from_slice::<QueuedMail>(&entry.value) else {
            tracing::error!(
                key,
                "unreadable entry in the mail queue: kept as a dead letter"
            );
            let _ = bury(backend, key, entry.value, entry.version).await;
            return Looked::Done;
        };
        let now = now_ms();
        let free_at = mail.next_attempt_ms.max(mail.claimed_until_ms);
        if free_at > now {
            return Looked::Again(free_at);
        }
        // The claim: only one node's compare-and-swap from this version succeeds.
        mail.attempts = mail.attempts.saturating_add(1);
        mail.claimed_by = Some(self.node.clone());
        mail.claimed_until_ms = now.saturating_add(duration_ms(CLAIM_LEASE));
        let claimed = match backend
            .put(key, encode(&mail), Some(entry.version), None)
            .await
        {
            Ok(version) => version,
            Err(BackendError::Conflict) => return Looked::Later,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim queued mail");
                return Looked::Later;
            }
        };
        let sent = match tokio::time::timeout(SMTP_TIMEOUT, self.send(key, &mail)).await {
            Ok(sent) => sent,
            Err(_) => Err(Failure::Transient(
                "the relay did not answer in time".to_owned(),
            )),
        };
        match sent {
            Ok(()) => {
                tracing::info!(to = %mail.to, subject = %mail.subject, attempts = mail.attempts, "mail sent");
                match backend.delete(key, Some(claimed)).await {
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(key, error = %e, "sent mail could not be taken off the queue; it may be sent again")
                    }
                }
                Looked::Done
            }
            Err(failure) => {
                self.settle_failure(backend, key, claimed, mail, failure)
                    .await
            }
        }
    }

    /// Puts a message that failed back for a later attempt, or makes it a dead letter.
    async fn settle_failure(
        &self,
        backend: &dyn StoreBackend,
        key: &str,
        claimed: u64,
        mut mail: QueuedMail,
        failure: Failure,
    ) -> Looked {
        let (why, permanent) = match failure {
            Failure::Transient(why) => (why, false),
            Failure::Permanent(why) => (why, true),
        };
        mail.last_error = Some(why.chars().take(MAX_ERROR_CHARS).collect());
        mail.claimed_by = None;
        mail.claimed_until_ms = 0;
        if permanent || mail.attempts >= self.policy.max_attempts {
            if let Err(e) = bury(backend, key, encode(&mail), claimed).await {
                tracing::warn!(error = %e, "cannot store a dead letter; it stays queued");
                return Looked::Later;
            }
            log_dead(&mail, &why);
            return Looked::Done;
        }
        let wait = self.policy.wait_after(mail.attempts);
        mail.next_attempt_ms = now_ms().saturating_add(duration_ms(wait));
        tracing::warn!(
            to = %mail.to,
            subject = %mail.subject,
            attempts = mail.attempts,
            retry_in_ms = duration_ms(wait),
            error = %why,
            "mail not delivered yet; will retry"
        );
        match backend.put(key, encode(&mail), Some(claimed), None).await {
            Ok(_) => Looked::Again(mail.next_attempt_ms),
            Err(e) => {
                // The claim runs out and the message is tried again then.
                tracing::warn!(error = %e, "cannot reschedule queued mail");
                Looked::Later
            }
        }
    }

    /// A fresh queue key: queued time first, so a scan sees older mail first, then this
    /// node's name and a sequence number, so no two messages share a key.
    pub(crate) fn new_key(&self, queued_at_ms: u64) -> String {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        format!("{PENDING_PREFIX}{queued_at_ms:013}-{}-{n}", self.node)
    }

    /// One SMTP delivery of the message queued under `key`.
    ///
    /// Its `Message-ID` comes from the key, so a retry after an unclear failure (the relay
    /// took it but the answer was lost) carries the same id and the recipient's server can
    /// drop the copy. `Auto-Submitted: auto-generated` (RFC 3834) keeps vacation responders
    /// from answering an address nobody reads. `Date` is the builder's.
    async fn send(&self, key: &str, mail: &QueuedMail) -> Result<(), Failure> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| Failure::Permanent(e.to_string()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(message_id(key, &self.from)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        match self.smtp.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
            Err(e) => Err(Failure::Transient(e.to_string())),
        }
    }
}

/// The `Message-ID` of the message queued under `key`: a digest of the key (unique per
/// message, the same for every attempt) at the sender's domain.
fn message_id(key: &str, from: &Mailbox) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let local: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("<{local}@{}>", from.email.domain())
}

/// How many dead letters there are, counted up to a bound (a gauge, not an inventory: the
/// admin API lists them).
async fn count_dead(backend: &dyn StoreBackend) -> i64 {
    const MOST: u32 = 10_000;
    let mut after: Option<String> = None;
    let mut count = 0i64;
    loop {
        let Ok(page) = backend.scan(DEAD_PREFIX, after.as_deref(), SCAN_PAGE).await else {
            return count;
        };
        count += i64::try_from(page.len()).unwrap_or(0);
        let full = page.len() >= SCAN_PAGE as usize;
        after = page.last().map(|(key, _)| key.clone());
        if !full || count >= i64::from(MOST) {
            return count;
        }
    }
}

/// Why a delivery failed.
enum Failure {
    /// Worth retrying: no connection, a timeout, a 4xx reply.
    Transient(String),
    /// Never going to work: a bad address, a 5xx reply.
    Permanent(String),
}

/// Moves the pending message at `key` (at `version`) under [`DEAD_PREFIX`] as `value`, kept for
/// [`DEAD_LETTER_TTL`]: the dead letter is stored first, and only then is the pending entry
/// deleted, so a failure in between leaves a message queued rather than lost.
async fn bury(
    backend: &dyn StoreBackend,
    key: &str,
    value: Vec<u8>,
    version: u64,
) -> Result<(), BackendError> {
    let dead = key.replacen(PENDING_PREFIX, DEAD_PREFIX, 1);
    backend
        .put(&dead, value, None, Some(duration_ms(DEAD_LETTER_TTL)))
        .await?;
    let _ = backend.delete(key, Some(version)).await;
    Ok(())
}

/// A message that will not be delivered: logged in full, as the log is then the only copy an
/// operator can act on (the same as mail without a relay).
pub(crate) fn log_dead(mail: &QueuedMail, why: &str) {
    tracing::error!(to = %mail.to, subject = %mail.subject, text = %mail.text, attempts = mail.attempts, error = %why, "mail not delivered");
}

/// The stored form of a message.
pub(crate) fn encode(mail: &QueuedMail) -> Vec<u8> {
    // Strings and integers only: serialising cannot fail.
    serde_json::to_vec(mail).unwrap_or_default()
}
