//! The app's components together: which one answers a request from outside (by route, see
//! `routes.rs`), and Spin's local service chaining: a request a component sends to
//! `http://<component id>.spin.internal/...` is answered in-process by that component, when
//! the sender's `allowed_outbound_hosts` lists that host (or `http://*.spin.internal`), and
//! refused with `HttpRequestDenied` otherwise, as Spin refuses it. Requests to any other host
//! are refused here too.
//!
//! Spin's `spin-*` headers are set as Spin sets them (a client's copies are dropped): the
//! client's address in `spin-client-addr` (`0.0.0.0:0` on a chained request, as in Spin),
//! `spin-full-url`, `spin-path-info`, `spin-matched-route`, `spin-component-route` and
//! `spin-base-path`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Result;
use hyper::header::{HOST, HeaderMap, HeaderValue};
use wasmtime::component::Linker;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{
    Error, RequestOptions, WasiBody, WasiHttp, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
};

use crate::allowed_hosts::{self, AllowedHosts};
use crate::ctx::HostState;
use crate::outbound;
use crate::routes::Routes;
use crate::runtime::Runtime;
use crate::server;

/// The host name suffix of local service chaining.
const INTERNAL: &str = ".spin.internal";

/// The client address a chained request carries, as Spin's (no client: another component).
const CHAINED_CLIENT_ADDR: &str = "0.0.0.0:0";

/// How many chained requests deep one request from outside may go: a component that calls
/// itself is stopped with `LoopDetected` instead of filling the instance pool.
const MAX_DEPTH: u8 = 8;

/// One component of the app.
pub(crate) struct Part {
    /// Its ID, its host name under `spin.internal`.
    pub(crate) id: String,
    /// The compiled component.
    pub(crate) runtime: Runtime,
    /// Where it may send requests (`allowed_outbound_hosts`).
    pub(crate) allowed_outbound_hosts: Arc<AllowedHosts>,
}

/// Every component of the app and its public routes.
pub(crate) struct Components {
    parts: Vec<Part>,
    routes: Routes,
}

impl Components {
    /// The app of `parts`, answering from outside by `routes`.
    pub(crate) fn new(parts: Vec<Part>, routes: Routes) -> Arc<Self> {
        Arc::new(Components { parts, routes })
    }

    /// Answers a request from a client at `peer`: by the component whose route matches its
    /// path, or 404 when none does (a private component is never one).
    pub(crate) async fn from_outside(
        self: &Arc<Self>,
        mut req: hyper::Request<hyper::body::Incoming>,
        peer: SocketAddr,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        let Some(matched) = self.routes.find(req.uri().path()) else {
            return Ok(server::error(404, "Not Found"));
        };
        let host = req
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_owned();
        let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let full_url = format!("http://{host}{path}");
        let headers = req.headers_mut();
        set_spin_headers(
            headers,
            &peer.to_string(),
            &full_url,
            &matched.path_info,
            &matched.route,
        );
        let outgoing = Outgoing::new(self.clone(), matched.component, 0);
        server::handle(&self.parts[matched.component].runtime, outgoing, req).await
    }

    /// Answers a request the component `caller` sent, `depth` chained requests deep.
    async fn chained(
        self: Arc<Self>,
        caller: usize,
        depth: u8,
        mut req: hyper::Request<WasiBody>,
    ) -> Result<hyper::Response<WasiBody>, Error> {
        let uri = req.uri().clone();
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let Some(id) = host.strip_suffix(INTERNAL) else {
            // `send_request` sends every other host out (`outbound.rs`).
            return Err(Error::HttpRequestDenied);
        };
        let scheme = uri.scheme_str().unwrap_or("http");
        let port = uri
            .port_u16()
            .or_else(|| allowed_hosts::default_port(scheme))
            .unwrap_or(80);
        let listed = self.parts[caller]
            .allowed_outbound_hosts
            .allows(scheme, &host, port);
        if !listed {
            eprintln!(
                "spin-test-host: component `{}` may not send requests to {scheme}://{host} \
                 (not in its allowed_outbound_hosts)",
                self.parts[caller].id
            );
            return Err(Error::HttpRequestDenied);
        }
        let Some(target) = self.parts.iter().position(|p| p.id == id) else {
            return Err(Error::DestinationNotFound);
        };
        if depth >= MAX_DEPTH {
            return Err(Error::LoopDetected);
        }
        let path = uri.path().to_owned();
        set_spin_headers(
            req.headers_mut(),
            CHAINED_CLIENT_ADDR,
            &uri.to_string(),
            &path,
            "/...",
        );
        let outgoing = Outgoing::new(self.clone(), target, depth + 1);
        server::handle(&self.parts[target].runtime, outgoing, req)
            .await
            .map_err(|e| Error::InternalError(Some(format!("{e:#}"))))
    }
}

/// Replaces whatever `spin-*` headers the sender put in `headers` by Spin's own.
fn set_spin_headers(
    headers: &mut HeaderMap,
    client_addr: &str,
    full_url: &str,
    path_info: &str,
    route: &str,
) {
    let theirs: Vec<_> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("spin-"))
        .cloned()
        .collect();
    for name in theirs {
        headers.remove(name);
    }
    let component_route = route.strip_suffix("/...").unwrap_or(route);
    for (name, value) in [
        ("spin-client-addr", client_addr),
        ("spin-full-url", full_url),
        ("spin-path-info", path_info),
        ("spin-matched-route", route),
        ("spin-component-route", component_route),
        ("spin-base-path", "/"),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
}

/// What an instance's outgoing requests go through: the component that sends them and how
/// deep in a chain it is.
pub(crate) struct Outgoing {
    http: WasiHttpCtx,
    hooks: Chaining,
}

impl Outgoing {
    /// Outgoing requests of an instance of component `caller`, `depth` chained requests deep.
    pub(crate) fn new(app: Arc<Components>, caller: usize, depth: u8) -> Self {
        Outgoing {
            http: WasiHttpCtx::new(),
            hooks: Chaining { app, caller, depth },
        }
    }
}

struct Chaining {
    app: Arc<Components>,
    caller: usize,
    depth: u8,
}

/// What an outgoing request resolves to (the shape `WasiHttpHooks` fixes).
type Sent = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                hyper::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for Chaining {
    fn send_request(
        &mut self,
        request: hyper::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Sent {
        let internal = request
            .uri()
            .host()
            .is_some_and(|h| h.to_ascii_lowercase().ends_with(INTERNAL));
        if !internal {
            // Any other host: out over the network, if the manifest allows it.
            let allowed = self.app.parts[self.caller].allowed_outbound_hosts.clone();
            return Box::new(async move { outbound::send(&allowed, request, options).await });
        }
        let app = self.app.clone();
        let (caller, depth) = (self.caller, self.depth);
        Box::new(async move {
            let response = app.chained(caller, depth, request).await?;
            let done: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send> =
                Box::new(async { Ok(()) });
            Ok((response, done))
        })
    }
}

/// Links `wasi:http/outgoing-handler` to each instance's [`Outgoing`]. The sandbox links the
/// wasi:http types (whose own hooks refuse every request); only `handle` comes here.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> Result<()> {
    wasmtime_wasi_http::p2::bindings::http::outgoing_handler::add_to_linker::<_, WasiHttp>(
        linker,
        |state: &mut HostState| {
            let parts = state.host_parts();
            let outgoing = &mut parts.host.outgoing;
            WasiHttpCtxView {
                ctx: &mut outgoing.http,
                table: parts.table,
                hooks: &mut outgoing.hooks,
            }
        },
    )?;
    Ok(())
}
