//! Recording an event: kept in the store for [`EVENT_RETENTION_MS`], listed under its user, then
//! handed to the host.

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
            actor: None,
            action: None,
        };
        self.journal(&event);
        self.host.emit_event(&event);
    }

    /// Records what an administrator (`actor`, see [`crate::admin::Actor`]) did (`action`, a
    /// dotted name like `user.delete`) to `user_id`'s account, if it concerns one. Kept in the
    /// journal only (see [`EventKind::AdminAction`]).
    pub(crate) fn record_admin_action(&self, actor: &str, action: &str, user_id: Option<&str>) {
        let event = Event {
            kind: EventKind::AdminAction,
            user_id: user_id.map(str::to_owned),
            address: None,
            at_ms: self.host.now_ms(),
            actor: Some(actor.to_owned()),
            action: Some(action.to_owned()),
        };
        self.journal(&event);
    }

    /// Stores `event` and the entries listing it under the users it names (what the admin API
    /// filters by user with, and what erasing a user rewrites).
    fn journal(&self, event: &Event) {
        let Ok(nonce) = random_array::<6>(self.host) else {
            return;
        };
        let suffix = records::event_suffix(event.at_ms, &nonce);
        let stored = records::save(
            self.store,
            &records::event_key(&suffix),
            event,
            Some(0),
            Some(EVENT_RETENTION_MS),
        );
        if stored.is_err() {
            return;
        }
        // Listed under its subject, and under the person who acted when an administrator did,
        // so erasing either finds it.
        let acting = event
            .actor
            .as_deref()
            .and_then(|actor| actor.strip_prefix("user:"))
            .filter(|acting| Some(*acting) != event.user_id.as_deref());
        for user_id in event.user_id.as_deref().into_iter().chain(acting) {
            let _ = self.store.put(
                &records::user_event_key(user_id, &suffix),
                &[],
                Some(0),
                Some(EVENT_RETENTION_MS),
            );
        }
    }
}
