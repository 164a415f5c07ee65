//! Time and randomness from WASI (`wasi:clocks/wall-clock` and `wasi:random`, through std and
//! getrandom), and the [`Env`]s of a component: one that delivers mail and events to its log,
//! and one that queues them for delivery over HTTP where the deployment names a mail API or a
//! webhook.

use sesame_core::events::Event;
use sesame_core::mail::Mail;
use sesame_core::outbound::{Outbound, OutboundSettings};
use sesame_core::{BreachLookup, Env, Error, EventSink, Mailer, NativeHashing, Store};

/// Wall-clock milliseconds since the Unix epoch; 0 if the clock reads before it.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Fills `buf` from the runtime's cryptographically secure generator.
///
/// # Errors
///
/// [`Error::Random`] when the runtime gives no random bytes.
pub fn fill_random(buf: &mut [u8]) -> sesame_core::Result<()> {
    getrandom::fill(buf).map_err(|_| Error::Random)
}

/// Time and randomness from WASI; mail and account events written to the log
/// ([`crate::log`]), never dropped. Hashing stays in the component.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoggingEnv;

impl Env for LoggingEnv {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn fill_random(&self, buf: &mut [u8]) -> sesame_core::Result<()> {
        fill_random(buf)
    }
}

impl EventSink for LoggingEnv {
    fn emit_event(&self, event: &Event) {
        crate::log::event(event);
    }
}

impl Mailer for LoggingEnv {
    fn send_mail(&self, mail: &Mail) {
        crate::log::mail(mail);
    }
}

/// No native hashing: core hashes inside the component.
impl NativeHashing for LoggingEnv {}

/// No network: a runtime logging its mail has no breached-password lookup either, so with
/// `SESAME_PWNED_URL` set a check counts as failed (let through, or refused when failing
/// closed).
impl BreachLookup for LoggingEnv {}

/// Time and randomness from WASI; mail and account events queued in `store` for delivery over
/// HTTP ([`sesame_core::outbound`]) where the settings name a mail API or a webhook, and
/// otherwise written to the log as [`LoggingEnv`] does. Events are logged either way. A mail
/// the queue refuses (its hourly allowance used up, the store failing) is logged in full, so
/// none is lost.
pub struct QueueingEnv<'a> {
    store: &'a dyn Store,
    settings: &'a OutboundSettings,
}

impl<'a> QueueingEnv<'a> {
    /// Queues into `store` as `settings` say.
    pub fn new(store: &'a dyn Store, settings: &'a OutboundSettings) -> Self {
        QueueingEnv { store, settings }
    }

    /// The queue over this store and clock.
    pub fn outbound(&self) -> Outbound<'_> {
        Outbound::new(self.store, self, self.settings)
    }
}

impl Env for QueueingEnv<'_> {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn fill_random(&self, buf: &mut [u8]) -> sesame_core::Result<()> {
        fill_random(buf)
    }
}

impl EventSink for QueueingEnv<'_> {
    fn emit_event(&self, event: &Event) {
        crate::log::event(event);
        if let Err(refused) = self.outbound().enqueue_event(event) {
            crate::log::unqueued("event", &refused);
        }
    }
}

impl Mailer for QueueingEnv<'_> {
    fn send_mail(&self, mail: &Mail) {
        match self.outbound().enqueue_mail(mail) {
            Ok(Some(id)) => crate::log::queued("mail", &id),
            Ok(None) => crate::log::mail(mail),
            Err(refused) => {
                crate::log::unqueued("mail", &refused);
                crate::log::mail(mail);
            }
        }
    }
}

/// No native hashing: core hashes inside the component.
impl NativeHashing for QueueingEnv<'_> {}

/// The breached-password lookup is not made over the outgoing handler: as with [`LoggingEnv`],
/// a check with `SESAME_PWNED_URL` set counts as failed.
impl BreachLookup for QueueingEnv<'_> {}
