//! The host's outbound mail queue as an administrator sees it: what waits, what could not be
//! delivered, and putting a dead letter back in line.
//!
//! The host writes these entries (`mailq/pending/`, `mailq/dead/`; see the host's mail queue);
//! core reads only the fields below and never shows a message's body, which may hold a
//! single-use link. Hosts without a queue (the embedding wrappers deliver at once) have none.

use serde::{Deserialize, Serialize};

use super::{Actor, Sesame};
use crate::error::{Error, ErrorCode, Result};
use crate::records::{MAIL_DEAD_PREFIX, MAIL_PENDING_PREFIX};

/// Most entries one page holds.
pub const MAX_MAIL_QUEUE_PAGE: u32 = 500;

/// How long a retried dead letter stays queued at most; the host's own retries move it back
/// to the dead letters long before.
const RETRIED_TTL_MS: u64 = 30 * 24 * 3600 * 1000;

/// Which part of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailQueueState {
    /// Waiting for delivery or a retry.
    Pending,
    /// Given up on.
    Dead,
}

impl MailQueueState {
    fn prefix(self) -> &'static str {
        match self {
            MailQueueState::Pending => MAIL_PENDING_PREFIX,
            MailQueueState::Dead => MAIL_DEAD_PREFIX,
        }
    }

    /// Parses `pending` or `dead`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(MailQueueState::Pending),
            "dead" => Some(MailQueueState::Dead),
            _ => None,
        }
    }
}

/// One queued message, without its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailQueueEntry {
    /// The entry's id within its state.
    pub id: String,
    /// Pending or dead.
    pub state: MailQueueState,
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// When it was handed over, ms since the epoch.
    pub queued_at_ms: u64,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not tried again before this time.
    pub next_attempt_ms: u64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// The fields of the host's record that core reads.
#[derive(Deserialize)]
struct QueuedFields {
    to: String,
    subject: String,
    queued_at_ms: u64,
    #[serde(default)]
    attempts: u32,
    #[serde(default)]
    next_attempt_ms: u64,
    #[serde(default)]
    last_error: Option<String>,
}

impl Sesame<'_> {
    /// One page of the queue's `state` part, oldest first, after the id `after`.
    pub fn admin_list_mail(
        &self,
        state: MailQueueState,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<MailQueueEntry>, Option<String>)> {
        if let Some(after) = after {
            check_id(after)?;
        }
        let limit = limit.clamp(1, MAX_MAIL_QUEUE_PAGE);
        let prefix = state.prefix();
        let after_key = after.map(|a| format!("{prefix}{a}"));
        let page = self.store.scan(prefix, after_key.as_deref(), limit)?;
        let full = page.len() == limit as usize;
        let mut entries = Vec::with_capacity(page.len());
        for (key, entry) in page {
            let Some(id) = key.strip_prefix(prefix) else {
                continue;
            };
            let fields: QueuedFields = crate::records::decode(&key, &entry.value)?;
            entries.push(MailQueueEntry {
                id: id.to_owned(),
                state,
                to: fields.to,
                subject: fields.subject,
                queued_at_ms: fields.queued_at_ms,
                attempts: fields.attempts,
                next_attempt_ms: fields.next_attempt_ms,
                last_error: fields.last_error,
            });
        }
        let next = full.then(|| entries.last().map(|e| e.id.clone())).flatten();
        Ok((entries, next))
    }

    /// Puts the dead letter `id` back in the queue, due now with its attempts reset; the host
    /// delivers it like any other. `not-found` when there is no such dead letter.
    pub fn admin_retry_mail(&self, actor: &Actor, id: &str) -> Result<()> {
        check_id(id)?;
        let dead_key = format!("{MAIL_DEAD_PREFIX}{id}");
        let Some(entry) = self.store.get(&dead_key)? else {
            return Err(no_such_mail());
        };
        let mut value: serde_json::Map<String, serde_json::Value> =
            crate::records::decode(&dead_key, &entry.value)?;
        let now = self.host.now_ms();
        value.insert("attempts".into(), 0.into());
        value.insert("next_attempt_ms".into(), now.into());
        value.insert("claimed_by".into(), serde_json::Value::Null);
        value.insert("claimed_until_ms".into(), 0.into());
        let bytes = serde_json::to_vec(&value).map_err(|e| Error::Corrupt {
            key: dead_key.clone(),
            reason: e.to_string(),
        })?;
        // Queued before the dead letter goes, so a failure between leaves a copy, not none.
        self.store.put(
            &format!("{MAIL_PENDING_PREFIX}{id}"),
            &bytes,
            None,
            Some(RETRIED_TTL_MS),
        )?;
        self.store.delete(&dead_key, Some(entry.version))?;
        self.admin_did(actor, "mail.retry", None);
        Ok(())
    }

    /// Deletes the entry `id` of the queue's `state` part; `not-found` when there is none.
    pub fn admin_delete_mail(&self, actor: &Actor, state: MailQueueState, id: &str) -> Result<()> {
        check_id(id)?;
        if !self
            .store
            .delete(&format!("{}{id}", state.prefix()), None)?
        {
            return Err(no_such_mail());
        }
        self.admin_did(actor, "mail.delete", None);
        Ok(())
    }

    /// Deletes every queued message and dead letter addressed to `email` (ignoring case): for
    /// erasing a user, whose address must not outlive them in the queue.
    pub(crate) fn delete_queued_mail_to(&self, email: &str) -> Result<()> {
        let email = email.to_lowercase();
        for prefix in [MAIL_PENDING_PREFIX, MAIL_DEAD_PREFIX] {
            let mut after: Option<String> = None;
            loop {
                let page = self.store.scan(prefix, after.as_deref(), 500)?;
                let Some((last, _)) = page.last() else { break };
                after = Some(last.clone());
                for (key, entry) in &page {
                    let to = crate::records::decode::<QueuedFields>(key, &entry.value)
                        .map(|f| f.to.to_lowercase());
                    if to.is_ok_and(|to| to == email) {
                        self.store.delete(key, None)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Refuses an id no queue entry could have (the host's ids are its time, node name and a
/// sequence number).
fn check_id(id: &str) -> Result<()> {
    let ok = (1..=200).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok { Ok(()) } else { Err(no_such_mail()) }
}

/// The answer for a queue entry that does not exist.
fn no_such_mail() -> Error {
    Error::rejected(
        ErrorCode::NotFound,
        "There is no such message in the queue.",
    )
}
