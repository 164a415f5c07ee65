//! Recording an event: kept in the store for [`EVENT_RETENTION_MS`], then handed to the host.

use crate::Sesame;
use crate::env::random_array;
use crate::events::{EVENT_RETENTION_MS, Event, EventKind};
use crate::records;

impl Sesame<'_> {
    /// Records `kind` for `user_id` and hands it to the host. Best effort: an event that cannot
    /// be stored is still delivered, and never fails the operation it describes.
    pub(crate) fn emit(&self, kind: EventKind, user_id: Option<&str>, address: Option<&str>) {
        let event = Event {
            kind,
            user_id: user_id.map(str::to_owned),
            address: address.map(str::to_owned),
            at_ms: self.host.now_ms(),
        };
        if let Ok(nonce) = random_array::<6>(self.host) {
            let key = records::event_key(event.at_ms, &nonce);
            let _ = records::save(self.store, &key, &event, Some(0), Some(EVENT_RETENTION_MS));
        }
        self.host.emit_event(&event);
    }
}
