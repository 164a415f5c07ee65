//! What one instance owns on the host side: the base WASI and wasi:http state every host
//! grants alike, its limits and run clock, and the host's own data for its own imports.

use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

use crate::clock::RunClock;
use crate::limits::{MAX_CORE_OBJECTS, MAX_INSTANCE_MEMORY};

/// The data of one instance's `wasmtime::Store`: WASI, wasi:http, the instance's limits and
/// run clock, and `D`, what the host adds for the imports it implements itself.
pub struct InstanceState<D> {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    /// Decides and sends outgoing requests: [`NoOutgoingRequests`] unless the host allows
    /// them ([`InstanceState::allow_outgoing_requests`]).
    hooks: Box<dyn WasiHttpHooks>,
    pub(crate) limits: StoreLimits,
    pub(crate) clock: RunClock,
    host: D,
}

/// What a host's own import implementations may borrow from [`InstanceState`] at once.
pub struct HostParts<'a, D> {
    /// The host's data.
    pub host: &'a mut D,
    /// The instance's resource table (for resources the host hands the component).
    pub table: &'a mut ResourceTable,
    /// Where host calls add the time they waited (a store, a hashing slot), so the request's
    /// deadline does not charge it to the component.
    pub host_wait: &'a mut Duration,
}

impl<D> InstanceState<D> {
    /// State for one instance, with `env` as the only environment variables the component
    /// sees, and `host` for the host's own imports.
    pub(crate) fn new(env: &[(impl AsRef<str>, impl AsRef<str>)], host: D) -> Self {
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
        InstanceState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: Box::new(NoOutgoingRequests),
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
            host,
        }
    }

    /// The host's data.
    pub fn host(&mut self) -> &mut D {
        &mut self.host
    }

    /// Lets this instance make outgoing requests, each one decided and sent by `hooks`. Only a
    /// host that also links the outgoing handler ([`crate::Sandbox::link_outgoing_http`])
    /// needs it (the Spin test host, for the hosts a manifest allows); every other instance
    /// refuses all of them.
    pub fn allow_outgoing_requests(&mut self, hooks: Box<dyn WasiHttpHooks>) {
        self.hooks = hooks;
    }

    /// The host's data with the parts of the instance its imports may use alongside.
    pub fn host_parts(&mut self) -> HostParts<'_, D> {
        HostParts {
            host: &mut self.host,
            table: &mut self.table,
            host_wait: self.clock.host_wait(),
        }
    }
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

impl<D: Send> WasiView for InstanceState<D> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl<D: Send> WasiHttpView for InstanceState<D> {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut *self.hooks,
        }
    }
}
