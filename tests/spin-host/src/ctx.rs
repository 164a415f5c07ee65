//! Per-instance state kept in `wasmtime::Store<HostState>`, and the view that lends the Spin
//! resources to the `spin:sqlite` and `wasi:config` implementations.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use wasmtime::component::{HasData, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

/// What every instance shares: the databases the manifest grants and the resolved component
/// variables.
pub(crate) struct SpinResources {
    /// Open databases by the name the component passes to `connection.open`.
    pub(crate) databases: BTreeMap<String, Arc<Mutex<rusqlite::Connection>>>,
    /// The component's variables, templates already resolved.
    pub(crate) variables: Vec<(String, String)>,
}

/// What one instance owns on the host side.
pub(crate) struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: NoOutgoingRequests,
    spin: Arc<SpinResources>,
}

impl HostState {
    /// State for one instance: no environment, no files, no network; stderr is inherited so
    /// the component's log reaches the test's output, as Spin shows it.
    pub(crate) fn new(spin: Arc<SpinResources>) -> Self {
        HostState {
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: NoOutgoingRequests,
            spin,
        }
    }

    /// Lends what the Spin interface implementations need.
    pub(crate) fn spin(&mut self) -> SpinView<'_> {
        SpinView {
            table: &mut self.table,
            resources: &self.spin,
        }
    }
}

/// What the `spin:sqlite` and `wasi:config` implementations borrow from [`HostState`].
pub(crate) struct SpinView<'a> {
    /// Open connections (resources handed to the component).
    pub(crate) table: &'a mut ResourceTable,
    /// Databases and variables.
    pub(crate) resources: &'a SpinResources,
}

/// Marker tying the Spin host traits to [`SpinView`] in the linker.
pub(crate) struct Spin;

impl HasData for Spin {
    type Data<'a> = SpinView<'a>;
}

/// The component answers requests and makes none (`spin.toml` allows no outbound hosts); the
/// outgoing handler is not even linked, and this refuses at the last line too.
struct NoOutgoingRequests;

/// What an outgoing request would resolve to (the shape `WasiHttpHooks` fixes).
type OutgoingFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                hyper::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for NoOutgoingRequests {
    fn send_request(
        &mut self,
        _request: hyper::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> OutgoingFuture {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
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
