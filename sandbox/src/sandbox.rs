//! The sandbox a host builds once and makes every instance's store from.

use std::path::Path;

use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

use crate::component;
use crate::deadline;
use crate::engine::pooled_engine;
use crate::error::SandboxError;
use crate::limits::Limits;
use crate::state::InstanceState;

/// An engine configured with the sandbox's limits, and the stores made on it. Cloning is cheap
/// and shares the engine.
#[derive(Clone)]
pub struct Sandbox {
    engine: Engine,
    limits: Limits,
}

impl Sandbox {
    /// The engine for `limits`: instances from a fixed pool, interruptible, with a background
    /// thread ticking its epoch for as long as the engine lives.
    pub fn new(limits: Limits) -> Result<Self, SandboxError> {
        Ok(Sandbox {
            engine: pooled_engine(&limits)?,
            limits,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The limits it was made with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The component at `path`, compiled for this engine, or loaded compiled from `cache_dir`
    /// (which it fills on a miss). `built_by` is the Cargo package that builds the component,
    /// named in the error when the file cannot be read.
    pub fn load_component(
        &self,
        path: &Path,
        built_by: &'static str,
        cache_dir: Option<&Path>,
    ) -> Result<Component, SandboxError> {
        component::load(&self.engine, path, built_by, cache_dir)
    }

    /// A linker with what every world of Sesame's components imports from the host: WASI
    /// (which grants no sockets or files: see [`InstanceState`]) and the wasi:http types. The
    /// outgoing handler is not linked, so a component that imports it fails to link. The host
    /// adds its own imports to it.
    pub fn linker<D: Send + 'static>(&self) -> Result<Linker<InstanceState<D>>, SandboxError> {
        let mut linker = Linker::new(&self.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(SandboxError::Link)?;
        let http_options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
        wasmtime_wasi_http::p2::bindings::http::types::add_to_linker::<
            _,
            wasmtime_wasi_http::WasiHttp,
        >(
            &mut linker,
            &(&http_options).into(),
            |s: &mut InstanceState<D>| wasmtime_wasi_http::WasiHttpView::http(s),
        )
        .map_err(SandboxError::Link)?;
        Ok(linker)
    }

    /// Adds `wasi:http/outgoing-handler` to `linker`, for a host whose instances may make
    /// requests. An instance still refuses every one unless its host gives it hooks that send
    /// them ([`InstanceState::allow_outgoing_requests`]); `sesame serve` links none.
    pub fn link_outgoing_http<D: Send + 'static>(
        linker: &mut Linker<InstanceState<D>>,
    ) -> Result<(), SandboxError> {
        wasmtime_wasi_http::p2::bindings::http::outgoing_handler::add_to_linker::<
            _,
            wasmtime_wasi_http::WasiHttp,
        >(linker, |s: &mut InstanceState<D>| {
            wasmtime_wasi_http::WasiHttpView::http(s)
        })
        .map_err(SandboxError::Link)
    }

    /// A fresh store for one instance: `env` is all the environment the component sees, `host`
    /// the host's data for its own imports; the memory and object limits and the request
    /// deadline are applied.
    pub fn new_store<D: 'static>(
        &self,
        env: &[(impl AsRef<str>, impl AsRef<str>)],
        host: D,
    ) -> Store<InstanceState<D>> {
        let mut store = Store::new(&self.engine, InstanceState::new(env, host));
        store.limiter(|state| &mut state.limits);
        deadline::arm(&mut store, self.limits.request_deadline);
        store
    }

    /// Starts a request on an instance, new or reused: its deadline starts from zero now.
    pub fn begin_request<D>(store: &mut Store<InstanceState<D>>) {
        deadline::restart(store);
    }
}
