//! Reading the journal back: events filtered by user, kind and time, a page at a time, for the
//! admin API and the host's `sesame events list`.

use serde::Serialize;

use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::records::{self, EVENT_PREFIX, user_events_prefix};

/// Most events one page holds.
pub const MAX_EVENTS_PER_PAGE: u32 = 500;

/// Most journal entries one call reads before it answers with what it found and a cursor, so a
/// filter that matches rarely costs a bounded amount of work per call.
const SCAN_BUDGET: usize = 5_000;

/// Entries read per store scan.
const SCAN_PAGE: u32 = 500;

/// Which events to list. Every field narrows; none lists everything, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events of this user.
    pub user_id: Option<String>,
    /// Only events of this kind.
    pub kind: Option<EventKind>,
    /// Only events at or after this time (ms since the epoch).
    pub since_ms: Option<u64>,
    /// Only events at or before this time.
    pub until_ms: Option<u64>,
    /// Continue after this cursor (a previous page's `next`).
    pub after: Option<String>,
    /// At most this many events (capped at [`MAX_EVENTS_PER_PAGE`]).
    pub limit: u32,
}

/// One page of events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventPage {
    /// Matching events, oldest first, each with its id (`{time}-{nonce}`).
    pub events: Vec<ListedEvent>,
    /// The cursor for the next page, when there may be more.
    pub next: Option<String>,
}

/// An event and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedEvent {
    /// Stable id: the event's time and a random nonce.
    pub id: String,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

impl Sesame<'_> {
    /// Lists journal events matching `filter`, oldest first.
    ///
    /// A page may hold fewer than `limit` events and still carry a `next` cursor when a filter
    /// matched rarely: each call reads a bounded number of entries.
    pub fn list_events(&self, filter: &EventFilter) -> Result<EventPage> {
        let limit = filter.limit.clamp(1, MAX_EVENTS_PER_PAGE) as usize;
        if let Some(after) = &filter.after
            && !valid_cursor(after)
        {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "The cursor is not one a previous page gave.",
            ));
        }
        // The index lists a user's events under the same suffixes as the journal, so both
        // are read the same way: by suffix, from the later of the cursor and `since`.
        let prefix = match &filter.user_id {
            Some(user) => user_events_prefix(user),
            None => EVENT_PREFIX.to_owned(),
        };
        let since_start = filter.since_ms.map(|ms| format!("{ms:016}-"));
        let mut start = match (&filter.after, since_start) {
            (Some(a), Some(s)) => Some(a.clone().max(s)),
            (a, s) => a.clone().or(s),
        };
        let mut events = Vec::new();
        let mut read = 0;
        loop {
            let after_key = start.as_ref().map(|s| format!("{prefix}{s}"));
            let page = self.store.scan(&prefix, after_key.as_deref(), SCAN_PAGE)?;
            let exhausted = page.len() < SCAN_PAGE as usize;
            for (key, entry) in page {
                let Some(suffix) = key.strip_prefix(&prefix) else {
                    continue;
                };
                read += 1;
                start = Some(suffix.to_owned());
                if let Some(until) = filter.until_ms
                    && suffix_time(suffix).is_some_and(|t| t > until)
                {
                    return Ok(EventPage { events, next: None });
                }
                let event: Option<Event> = if filter.user_id.is_some() {
                    records::load(self.store, &records::event_key(suffix))?.map(|(e, _)| e)
                } else {
                    Some(records::decode(&key, &entry.value)?)
                };
                if let Some(event) = event
                    && filter.kind.is_none_or(|k| k == event.kind)
                {
                    events.push(ListedEvent {
                        id: suffix.to_owned(),
                        event,
                    });
                    if events.len() == limit {
                        return Ok(EventPage {
                            events,
                            next: start,
                        });
                    }
                }
                if read >= SCAN_BUDGET {
                    return Ok(EventPage {
                        events,
                        next: start,
                    });
                }
            }
            if exhausted {
                return Ok(EventPage { events, next: None });
            }
        }
    }
}

/// The time in an event suffix.
fn suffix_time(suffix: &str) -> Option<u64> {
    suffix.get(..16)?.parse().ok()
}

/// Whether `cursor` has the shape of an event suffix (`{16 digits}-{12 hex}`).
fn valid_cursor(cursor: &str) -> bool {
    cursor.len() <= 64
        && cursor.split_once('-').is_some_and(|(t, n)| {
            t.len() == 16
                && t.bytes().all(|b| b.is_ascii_digit())
                && n.bytes().all(|b| b.is_ascii_hexdigit())
        })
}
