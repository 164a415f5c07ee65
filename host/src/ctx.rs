//! What one instance of the component has on the host side besides the sandbox's own state,
//! and the view that lends it to the `sesame:auth` import implementations (`imports`).

use std::sync::Arc;
use std::time::Duration;

use sesame_sandbox::InstanceState;
use wasmtime::component::HasData;

use crate::breach::BreachLookup;
use crate::events::EventSink;
use crate::hashing::NativeHashing;
use crate::outbox::Mailer;
use crate::store::StoreBackend;

/// The data of one instance's store: the sandbox's WASI state with Sesame's imports.
pub(crate) type HostState = InstanceState<SesameHost>;

/// What Sesame's own imports (store, outbox, hashing) use, shared by every instance.
#[derive(Clone)]
pub(crate) struct SesameHost {
    /// The store back end.
    pub(crate) backend: Arc<dyn StoreBackend>,
    /// Mail delivery.
    pub(crate) mailer: Arc<Mailer>,
    /// Account events.
    pub(crate) events: Arc<EventSink>,
    /// Native password hashing.
    pub(crate) hashing: Arc<NativeHashing>,
    /// The breached-password lookup.
    pub(crate) breach: Arc<BreachLookup>,
}

/// What the `sesame:auth` import implementations borrow from [`HostState`].
pub(crate) struct SesameCtxView<'a> {
    /// The store back end.
    pub(crate) backend: &'a dyn StoreBackend,
    /// Mail delivery.
    pub(crate) mailer: &'a Mailer,
    /// Account events.
    pub(crate) events: &'a EventSink,
    /// Where host calls add the time they waited, so the request's deadline does not charge it
    /// to the component.
    pub(crate) host_wait: &'a mut Duration,
    /// Native password hashing.
    pub(crate) hashing: &'a NativeHashing,
    /// The breached-password lookup.
    pub(crate) breach: &'a BreachLookup,
}

/// Lends what the `sesame:auth` import implementations need.
pub(crate) fn sesame(state: &mut HostState) -> SesameCtxView<'_> {
    let parts = state.host_parts();
    let host: &SesameHost = parts.host;
    SesameCtxView {
        backend: &*host.backend,
        mailer: &host.mailer,
        events: &host.events,
        host_wait: parts.host_wait,
        hashing: &host.hashing,
        breach: &host.breach,
    }
}

/// Marker tying `sesame:auth` host traits to [`SesameCtxView`] in the linker.
pub(crate) struct Sesame;

impl HasData for Sesame {
    type Data<'a> = SesameCtxView<'a>;
}
