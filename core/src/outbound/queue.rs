//! The queue's moves in the store: admitting and storing an item, claiming a due one by
//! compare-and-swap, and settling an attempt (delete, reschedule or give up).

use sha2::{Digest, Sha256};

use crate::env::random_array;
use crate::error::Error;
use crate::events::{Event, EventKind};
use crate::mail::Mail;
use crate::records::{
    self, CAS_ATTEMPTS, OUTBOUND_PENDING_PREFIX, outbound_admitted_key, outbound_dead_key,
    outbound_due_ms, outbound_pending_key,
};
use crate::store::StoreError;

use super::signing::{event_body, message_id};
use super::{Item, Outbound, Payload, QueuedEvent, Transport, bodies};

/// The record schema version of [`Item`].
const SCHEMA: u32 = 1;

/// How long a claim holds: well past the longest batch ([`Batch::budget_ms`]), so a live
/// instance never loses its claim; a dead instance's item is attempted again after it.
pub(crate) const LEASE_MS: u64 = 60_000;

/// How long a dead letter is kept: long enough for an operator to act on it.
pub(crate) const DEAD_LETTER_TTL_MS: u64 = 30 * 24 * 3600 * 1000;

/// The longest wait between two attempts.
pub(crate) const MAX_RETRY_WAIT_MS: u64 = 30 * 60 * 1000;

/// Items read per pass: the due ones come first, and a few claimed by other instances may
/// stand among them.
const SCAN_PAGE: u32 = 32;

/// The window of the admission count.
const HOUR_MS: u64 = 3600 * 1000;

/// Longest failure text kept with an item.
const MAX_ERROR_CHARS: usize = 300;

/// Statuses that say the request itself is wrong (malformed, refused content, the endpoint
/// gone), so repeating it cannot help: the item is given up at once. Every other status,
/// including 401 and 403 (a token an operator may fix), is retried.
const PERMANENT_STATUSES: [u16; 5] = [400, 410, 413, 415, 422];

/// How much one pass may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// Items attempted at most.
    pub max_items: usize,
    /// Total time of the pass at most, in ms: no attempt starts unless it can end within it.
    pub budget_ms: u64,
    /// The longest one attempt takes (the transport's own bound), in ms.
    pub attempt_ms: u64,
}

impl Default for Batch {
    /// Four items, each at most 5 s, all within 12 s.
    fn default() -> Self {
        Batch {
            max_items: 4,
            budget_ms: 12_000,
            attempt_ms: 5_000,
        }
    }
}

/// Why an item was not queued; the caller logs it in full instead.
#[derive(Debug)]
pub enum Refused {
    /// This hour's allowance for the item's recipient or account is used up
    /// ([`super::OutboundSettings::max_per_hour`], [`super::OutboundSettings::events_per_hour`]).
    Full,
    /// The store failed.
    Store(Error),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Full => f.write_str(
                "the outbound queue took its most items this hour for this recipient or account",
            ),
            Refused::Store(e) => write!(f, "the outbound queue could not be written: {e}"),
        }
    }
}

/// What became of one item a pass looked at, for the runtime to log.
#[derive(Debug)]
pub enum Settled {
    /// Accepted with this status; removed from the queue.
    Delivered {
        /// The item's id.
        id: String,
        /// `mail` or `event`.
        kind: &'static str,
        /// The 2xx status.
        status: u16,
    },
    /// Not delivered; attempted again after `wait_ms`.
    Retrying {
        /// The item's id.
        id: String,
        /// `mail` or `event`.
        kind: &'static str,
        /// Attempts so far.
        attempts: u32,
        /// Until the next attempt.
        wait_ms: u64,
        /// Why this attempt failed.
        why: String,
    },
    /// Given up: kept 30 days under `outbound/dead/` and returned whole, so the runtime logs
    /// its content.
    GaveUp {
        /// The item, with its content.
        item: Box<Item>,
        /// Why the last attempt failed.
        why: String,
    },
    /// The store failed; what was claimed is attempted again once its claim runs out.
    Failed(Error),
}

/// A bucket's name in the admission key: a digest, so no address or id shows in store keys
/// and any text fits in one.
fn bucket_hash(subject: &str) -> String {
    hex::encode(&Sha256::digest(subject.as_bytes())[..16])
}

/// What one attempt came to.
enum Outcome {
    Delivered(u16),
    Transient(String),
    Permanent(String),
}

impl Outbound<'_> {
    /// Queues `mail` for the mail API. `Ok(None)` when no mail API is set (the runtime logs
    /// it as before); `Ok(Some(id))` once stored.
    pub fn enqueue_mail(&self, mail: &Mail) -> Result<Option<String>, Refused> {
        if self.settings.mail_api_url.is_none() {
            return Ok(None);
        }
        let bucket = format!(
            "mail/{}",
            bucket_hash(&crate::accounts::identity_key(&mail.to))
        );
        let allowance = self.settings.max_per_hour;
        self.enqueue(Payload::Mail(mail.into()), &bucket, allowance)
            .map(Some)
    }

    /// Queues `event` for the webhook, with the body `sesame serve` would send. `Ok(None)`
    /// when no webhook is set, or for kinds hosts are not handed ([`EventKind::AdminAction`]).
    pub fn enqueue_event(&self, event: &Event) -> Result<Option<String>, Refused> {
        if self.settings.webhook_url.is_none() || event.kind == EventKind::AdminAction {
            return Ok(None);
        }
        let kind = event.kind.as_str();
        let body = event_body(
            kind,
            event.user_id.as_deref(),
            event.address.as_deref(),
            event.at_ms,
        );
        // Events without an account (sign-in failures for unknown names) share one bucket
        // of their own, so whoever fills it holds back only such events.
        let bucket = match event.user_id.as_deref() {
            Some(user_id) => format!("event/{}", bucket_hash(user_id)),
            None => "event/anonymous".to_owned(),
        };
        let allowance = self.settings.events_per_hour;
        self.enqueue(
            Payload::Event(QueuedEvent {
                kind: kind.to_owned(),
                body,
            }),
            &bucket,
            allowance,
        )
        .map(Some)
    }

    /// Counts the item against this hour's allowance for `bucket`, then stores it, due now.
    fn enqueue(&self, payload: Payload, bucket: &str, allowance: u32) -> Result<String, Refused> {
        let now = self.env.now_ms();
        self.admit(bucket, allowance, now)?;
        let id = message_id(random_array::<16>(self.env).map_err(Refused::Store)?);
        let item = Item {
            v: SCHEMA,
            id,
            payload,
            queued_at_ms: now,
            attempts: 0,
            claimed_until_ms: 0,
            last_error: None,
        };
        records::save(
            self.store,
            &outbound_pending_key(now, &item.id),
            &item,
            Some(0),
            None,
        )
        .map_err(Refused::Store)?;
        Ok(item.id)
    }

    /// Counts one more item for `bucket` in this hour (by compare-and-swap, before checking),
    /// and refuses it past `allowance`. Buckets are per recipient and per account, so no one
    /// can use up the allowance of mail or events meant for others.
    fn admit(&self, bucket: &str, allowance: u32, now: u64) -> Result<(), Refused> {
        let key = outbound_admitted_key(bucket, now / HOUR_MS);
        for _ in 0..CAS_ATTEMPTS {
            let (count, version) = records::load::<u32>(self.store, &key)
                .map_err(Refused::Store)?
                .unwrap_or((0, 0));
            let counted = count.saturating_add(1);
            match records::save(self.store, &key, &counted, Some(version), Some(2 * HOUR_MS)) {
                Ok(_) if counted > allowance => return Err(Refused::Full),
                Ok(_) => return Ok(()),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(Refused::Store(e)),
            }
        }
        Err(Refused::Store(Error::Contention("outbound admission")))
    }

    /// Attempts up to `batch.max_items` due items, oldest due first, within `batch`'s time,
    /// and says what became of each. An item another instance holds a claim on is left to it.
    pub fn deliver_due(&self, transport: &dyn Transport, batch: Batch) -> Vec<Settled> {
        let mut settled = Vec::new();
        if !self.settings.enabled() {
            return settled;
        }
        let started = self.env.now_ms();
        let page = match self.store.scan(OUTBOUND_PENDING_PREFIX, None, SCAN_PAGE) {
            Ok(page) => page,
            Err(e) => {
                settled.push(Settled::Failed(e.into()));
                return settled;
            }
        };
        let mut attempted = 0;
        for (key, entry) in page {
            let now = self.env.now_ms();
            if attempted >= batch.max_items
                || now.saturating_sub(started).saturating_add(batch.attempt_ms) > batch.budget_ms
            {
                break;
            }
            match outbound_due_ms(&key) {
                Some(due) if due > now => break,
                Some(_) => {}
                None => continue,
            }
            let item: Item = match records::decode(&key, &entry.value) {
                Ok(item) => item,
                Err(e) => {
                    settled.push(self.set_aside(&key, &entry.value, entry.version, e));
                    continue;
                }
            };
            if item.claimed_until_ms > now {
                continue;
            }
            let mut claimed = item;
            claimed.attempts = claimed.attempts.saturating_add(1);
            claimed.claimed_until_ms = now.saturating_add(LEASE_MS);
            let version = match records::save(self.store, &key, &claimed, Some(entry.version), None)
            {
                Ok(version) => version,
                // Another instance claimed it first.
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => {
                    settled.push(Settled::Failed(e));
                    break;
                }
            };
            attempted += 1;
            let outcome = self.attempt(transport, &claimed, now);
            settled.push(self.settle(&key, version, claimed, outcome));
        }
        settled
    }

    /// Builds the item's request for an attempt at `now` and sends it.
    fn attempt(&self, transport: &dyn Transport, item: &Item, now: u64) -> Outcome {
        let settings = self.settings;
        let request = match &item.payload {
            Payload::Mail(mail) => match &settings.mail_api_url {
                Some(url) => bodies::mail_request(settings, url, &item.id, mail),
                None => return Outcome::Permanent("no mail API is set any more".into()),
            },
            Payload::Event(event) => match (&settings.webhook_url, &settings.webhook_secret) {
                (Some(url), Some(secret)) => {
                    bodies::webhook_request(url, secret, &item.id, &event.body, now)
                }
                _ => return Outcome::Permanent("no webhook is set any more".into()),
            },
        };
        match transport.post(&request) {
            Ok(status) if (200..300).contains(&status) => Outcome::Delivered(status),
            Ok(status) if PERMANENT_STATUSES.contains(&status) => {
                Outcome::Permanent(format!("the receiver answered {status}"))
            }
            Ok(status) => Outcome::Transient(format!("the receiver answered {status}")),
            Err(why) => Outcome::Transient(why),
        }
    }

    /// Ends an attempt on the item claimed at `version` under `key`.
    fn settle(&self, key: &str, version: u64, item: Item, outcome: Outcome) -> Settled {
        let why = match outcome {
            Outcome::Delivered(status) => {
                // A delete that fails leaves the item to come back once its claim runs out:
                // delivered again, which at least once allows.
                let _ = self.store.delete(key, Some(version));
                return Settled::Delivered {
                    id: item.id,
                    kind: item.payload.kind(),
                    status,
                };
            }
            Outcome::Transient(why) if item.attempts < self.settings.max_attempts => {
                return self.reschedule(key, version, item, why);
            }
            Outcome::Transient(why) | Outcome::Permanent(why) => why,
        };
        self.give_up(key, version, item, why)
    }

    /// Moves the item to a later due time: the new copy is written first, then the claimed
    /// one deleted by compare-and-swap, so a failure between the two never loses it.
    fn reschedule(&self, key: &str, version: u64, mut item: Item, why: String) -> Settled {
        let wait_ms = self.wait_after(item.attempts);
        let due = self.env.now_ms().saturating_add(wait_ms);
        item.claimed_until_ms = 0;
        item.last_error = Some(why.chars().take(MAX_ERROR_CHARS).collect());
        let new_key = outbound_pending_key(due, &item.id);
        let new_version = match records::save(self.store, &new_key, &item, Some(0), None) {
            Ok(v) => v,
            Err(e) => return Settled::Failed(e),
        };
        match self.store.delete(key, Some(version)) {
            Ok(_) => Settled::Retrying {
                id: item.id,
                kind: item.payload.kind(),
                attempts: item.attempts,
                wait_ms,
                why,
            },
            Err(e) => {
                // Another instance took the item over after the claim ran out, or the store
                // failed and the claimed copy comes back later: either way one copy stays.
                let _ = self.store.delete(&new_key, Some(new_version));
                Settled::Failed(e.into())
            }
        }
    }

    /// Keeps the item as a dead letter for 30 days and removes it from the queue.
    fn give_up(&self, key: &str, version: u64, mut item: Item, why: String) -> Settled {
        item.claimed_until_ms = 0;
        item.last_error = Some(why.chars().take(MAX_ERROR_CHARS).collect());
        // The runtime logs the item whole, so it survives even if the store keeps neither.
        let _ = records::save(
            self.store,
            &outbound_dead_key(&item.id),
            &item,
            None,
            Some(DEAD_LETTER_TTL_MS),
        );
        let _ = self.store.delete(key, Some(version));
        Settled::GaveUp {
            item: Box::new(item),
            why,
        }
    }

    /// An unreadable record under the pending prefix: kept, as it is, as a dead letter, and
    /// taken out of the queue so it does not stand in every pass's way.
    fn set_aside(&self, key: &str, value: &[u8], version: u64, e: Error) -> Settled {
        let suffix = key.strip_prefix(OUTBOUND_PENDING_PREFIX).unwrap_or(key);
        let dead = outbound_dead_key(&format!("unreadable-{suffix}"));
        if let Err(e) = self.store.put(&dead, value, None, Some(DEAD_LETTER_TTL_MS)) {
            return Settled::Failed(e.into());
        }
        let _ = self.store.delete(key, Some(version));
        Settled::Failed(e)
    }

    /// The wait after the `attempts`-th failed attempt (1-based): base × 2^(attempts-1), at
    /// most [`MAX_RETRY_WAIT_MS`], plus up to a quarter more at random, so items that failed
    /// together are not retried together.
    pub(crate) fn wait_after(&self, attempts: u32) -> u64 {
        let doublings = attempts.saturating_sub(1).min(30);
        let wait = self
            .settings
            .retry_base_ms
            .saturating_mul(1u64 << doublings)
            .min(MAX_RETRY_WAIT_MS);
        let spread = random_array::<2>(self.env)
            .map(|b| u64::from(u16::from_le_bytes(b)))
            .unwrap_or(0);
        wait + wait / 4 * spread / u64::from(u16::MAX)
    }
}
