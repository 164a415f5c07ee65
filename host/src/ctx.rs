//! Per-instance state kept in `wasmtime::Store<HostState>`, and the views that lend parts of it
//! to the WASI, wasi:http and `sesame:auth/store` implementations.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{HasData, ResourceTable};
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

use crate::hashing::NativeHashing;
use crate::outbox::{EventSink, Mailer};
use crate::sandbox::RunClock;
use crate::store::StoreBackend;

/// Most linear memory one instance may grow to. argon2id at the default 19 MiB plus Sesame's
/// own needs fit comfortably; a runaway guest is stopped here instead of taking the host's RAM.
pub(crate) const MAX_INSTANCE_MEMORY: usize = 128 * 1024 * 1024;

/// Most core instances, tables and memories one component instance may create. A Rust
/// component is a handful of core modules (the program plus WASI shims); the bound stops a
/// hostile component from creating unbounded numbers of them.
pub(crate) const MAX_CORE_OBJECTS: usize = 32;

/// What one instance of the component owns on the host side.
pub(crate) struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    backend: Arc<dyn StoreBackend>,
    mailer: Arc<Mailer>,
    events: Arc<EventSink>,
    hashing: Arc<NativeHashing>,
    hooks: NoOutgoingRequests,
    pub(crate) limits: StoreLimits,
    /// The running time of the request this instance serves, for its deadline. A busy
    /// database is not the component misbehaving, so store waits are recorded here apart.
    pub(crate) clock: RunClock,
}

/// wasi:http behaviour for the component: it answers requests and may not make any. The
/// outgoing handler is not even linked; this refuses at the last line too.
struct NoOutgoingRequests;

/// What an outgoing request would resolve to (the shape `WasiHttpHooks` fixes).
type OutgoingFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for NoOutgoingRequests {
    fn send_request(
        &mut self,
        _request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> OutgoingFuture {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

impl HostState {
    /// State for one instance, with the environment variables the component may see.
    pub(crate) fn new(
        backend: Arc<dyn StoreBackend>,
        mailer: Arc<Mailer>,
        events: Arc<EventSink>,
        hashing: Arc<NativeHashing>,
        env: &[(String, String)],
    ) -> Self {
        // No preopened directories, no network, no inherited environment: the component sees
        // only what is listed here, and its stderr for logging.
        let wasi = WasiCtx::builder()
            .envs(env)
            .inherit_stderr()
            // Already wasmtime's defaults; spelled out so a dependency update cannot open them.
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        HostState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            backend,
            mailer,
            events,
            hashing,
            hooks: NoOutgoingRequests,
            clock: RunClock::default(),
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_INSTANCE_MEMORY)
                .instances(MAX_CORE_OBJECTS)
                .tables(MAX_CORE_OBJECTS)
                .memories(MAX_CORE_OBJECTS)
                // A refused `memory.grow` becomes a trap naming the limit, instead of a guest
                // allocator's generic abort that would hide why the instance died.
                .trap_on_grow_failure(true)
                .build(),
        }
    }

    /// Lends what the `sesame:auth/store` implementation needs.
    pub(crate) fn sesame(&mut self) -> SesameCtxView<'_> {
        SesameCtxView {
            backend: &*self.backend,
            mailer: &self.mailer,
            events: &self.events,
            host_wait: &mut self.clock.host_wait,
            hashing: &self.hashing,
        }
    }
}

/// What the `sesame:auth/store` implementation borrows from [`HostState`].
pub(crate) struct SesameCtxView<'a> {
    /// The store back end.
    pub(crate) backend: &'a dyn StoreBackend,
    /// Mail delivery.
    pub(crate) mailer: &'a Mailer,
    /// Account events.
    pub(crate) events: &'a EventSink,
    /// Where host calls add the time they waited (see [`RunClock`]).
    pub(crate) host_wait: &'a mut Duration,
    /// Native password hashing.
    pub(crate) hashing: &'a NativeHashing,
}

/// Marker tying `sesame:auth` host traits to [`SesameCtxView`] in the linker.
pub(crate) struct Sesame;

impl HasData for Sesame {
    type Data<'a> = SesameCtxView<'a>;
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
