//! The component in the sandbox `sesame serve` uses (the same engine, limits and deadline),
//! linked with the Spin interfaces, and a fresh store for each request.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use sesame_sandbox::{Limits, Sandbox};
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::bindings::{config, sqlite};
use crate::ctx::{HostState, Spin, SpinResources, spin};
use crate::outbound::SpinOutbound;

/// The component sees no environment variables: Spin hands it its variables through
/// `wasi:config/store` instead.
const NO_ENVIRONMENT: [(&str, &str); 0] = [];

/// The pre-linked component and what its instances share.
pub(crate) struct Runtime {
    sandbox: Sandbox,
    proxy: ProxyPre<HostState>,
    resources: Arc<SpinResources>,
}

impl Runtime {
    /// Compiles (or loads from `cache_dir`) the component and links WASI, wasi:http (types and
    /// the outgoing handler) and the Spin interfaces. Fails if the component imports anything else, as Spin would.
    pub(crate) fn new(
        path: &Path,
        cache_dir: Option<&Path>,
        resources: Arc<SpinResources>,
    ) -> Result<Self> {
        let sandbox = Sandbox::new(Limits::default())?;
        let component = sandbox.load_component(path, "sesame-spin", cache_dir)?;
        let mut linker = sandbox.linker::<Arc<SpinResources>>()?;
        sqlite::add_to_linker::<_, Spin>(&mut linker, spin)?;
        config::add_to_linker::<_, Spin>(&mut linker, spin)?;
        Sandbox::link_outgoing_http(&mut linker)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component imports something Spin's HTTP trigger does not provide here")?;
        let proxy = ProxyPre::new(pre)
            .map_err(anyhow::Error::from)
            .context("the component does not export wasi:http/incoming-handler")?;
        Ok(Runtime {
            sandbox,
            proxy,
            resources,
        })
    }

    /// The component, seen as a wasi:http handler.
    pub(crate) fn proxy(&self) -> &ProxyPre<HostState> {
        &self.proxy
    }

    /// A fresh store for one instance, under the sandbox's limits and request deadline.
    pub(crate) fn new_store(&self) -> Store<HostState> {
        let mut store = self
            .sandbox
            .new_store(&NO_ENVIRONMENT, self.resources.clone());
        let allowed = self.resources.allowed_outbound_hosts.clone();
        store
            .data_mut()
            .allow_outgoing_requests(Box::new(SpinOutbound::new(allowed)));
        store
    }
}
