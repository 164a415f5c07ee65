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
///
/// Made with [`QueueingEnv::holding`], it keeps a request's mail and events until the answer is
/// written ([`QueueingEnv::take_held`], then [`queue_held`]): queueing is store writes that only
/// a request for an existing account makes, and made before the answer they would tell by its
/// timing which accounts exist.
pub struct QueueingEnv<'a> {
    store: &'a dyn Store,
    settings: &'a OutboundSettings,
    /// `Some` when mail and events wait for [`QueueingEnv::take_held`].
    held: Option<std::cell::RefCell<Held>>,
}

/// Mail and events a request caused, in order, not yet queued.
#[derive(Debug, Default)]
pub struct Held(Vec<HeldItem>);

#[derive(Debug)]
enum HeldItem {
    Mail(Mail),
    Event(Event),
}

impl<'a> QueueingEnv<'a> {
    /// Queues into `store` as `settings` say, at once.
    pub fn new(store: &'a dyn Store, settings: &'a OutboundSettings) -> Self {
        QueueingEnv {
            store,
            settings,
            held: None,
        }
    }

    /// Keeps mail and events (events are logged at once) for [`queue_held`] after the answer.
    pub fn holding(store: &'a dyn Store, settings: &'a OutboundSettings) -> Self {
        QueueingEnv {
            store,
            settings,
            held: Some(std::cell::RefCell::default()),
        }
    }

    /// The mail and events held so far, leaving none.
    pub fn take_held(&self) -> Held {
        self.held
            .as_ref()
            .map(|held| std::mem::take(&mut *held.borrow_mut()))
            .unwrap_or_default()
    }

    /// Queues one event, logging it in full when the queue refuses it.
    fn queue_event(&self, event: &Event) {
        if let Err(refused) = self.outbound().enqueue_event(event) {
            crate::log::unqueued("event", &refused);
        }
    }

    /// Queues one mail, or logs it in full (no mail API, or the queue refused it).
    fn queue_mail(&self, mail: &Mail) {
        match self.outbound().enqueue_mail(mail) {
            Ok(Some(id)) => crate::log::queued("mail", &id),
            Ok(None) => crate::log::mail(mail),
            Err(refused) => {
                crate::log::unqueued("mail", &refused);
                crate::log::mail(mail);
            }
        }
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
        match &self.held {
            Some(held) => held.borrow_mut().0.push(HeldItem::Event(event.clone())),
            None => self.queue_event(event),
        }
    }
}

impl Mailer for QueueingEnv<'_> {
    fn send_mail(&self, mail: &Mail) {
        match &self.held {
            Some(held) => held.borrow_mut().0.push(HeldItem::Mail(mail.clone())),
            None => self.queue_mail(mail),
        }
    }
}

/// Queues `held` into `store` as `settings` say: what [`QueueingEnv::holding`] kept of a request,
/// once its answer is written. A store that fails now leaves each mail in the log in full.
pub fn queue_held(store: &dyn Store, settings: &OutboundSettings, held: Held) {
    let env = QueueingEnv::new(store, settings);
    for item in held.0 {
        match item {
            HeldItem::Mail(mail) => env.queue_mail(&mail),
            HeldItem::Event(event) => env.queue_event(&event),
        }
    }
}

impl Held {
    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes every held mail to the log in full: what is left when the store cannot be
    /// opened after the answer.
    pub fn log_mail(self) {
        for item in self.0 {
            if let HeldItem::Mail(mail) = item {
                crate::log::mail(&mail);
            }
        }
    }
}

/// No native hashing: core hashes inside the component.
impl NativeHashing for QueueingEnv<'_> {}

/// The breached-password lookup is not made over the outgoing handler: as with [`LoggingEnv`],
/// a check with `SESAME_PWNED_URL` set counts as failed.
impl BreachLookup for QueueingEnv<'_> {}
