//! A component in the sandbox `sesame serve` uses (the same engine, limits and deadline),
//! linked with the Spin interfaces, and a fresh store for each request.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use sesame_sandbox::Sandbox;
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::bindings::{config, postgres, sqlite};
use crate::ctx::{HostState, Instance, Spin, SpinResources, spin};

/// The component sees no environment variables: Spin hands it its variables through
/// `wasi:config/store` instead.
const NO_ENVIRONMENT: [(&str, &str); 0] = [];

/// A pre-linked component and what its instances share.
pub(crate) struct Runtime {
    sandbox: Sandbox,
    proxy: ProxyPre<HostState>,
    resources: Arc<SpinResources>,
}

impl Runtime {
    /// Compiles (or loads from `cache_dir`) the component and links WASI, wasi:http types and
    /// the Spin interfaces on `sandbox` (one for all the app's components), and
    /// wasi:http's outgoing handler for local service chaining. Fails if the component imports
    /// anything else, as Spin would. `built_by` names what builds it, for a missing file.
    pub(crate) fn new(
        sandbox: &Sandbox,
        path: &Path,
        built_by: &'static str,
        cache_dir: Option<&Path>,
        resources: Arc<SpinResources>,
    ) -> Result<Self> {
        let sandbox = sandbox.clone();
        let component = sandbox.load_component(path, built_by, cache_dir)?;
        let mut linker = sandbox.linker::<Instance>()?;
        sqlite::add_to_linker::<_, Spin>(&mut linker, spin)?;
        postgres::add_to_linker::<_, Spin>(&mut linker, spin)?;
        config::add_to_linker::<_, Spin>(&mut linker, spin)?;
        crate::chaining::add_to_linker(&mut linker)?;
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

    /// A fresh store for one instance, under the sandbox's limits and request deadline, whose
    /// outgoing requests go through `outgoing`.
    pub(crate) fn new_store(&self, outgoing: crate::chaining::Outgoing) -> Store<HostState> {
        let instance = Instance {
            resources: self.resources.clone(),
            outgoing,
        };
        self.sandbox.new_store(&NO_ENVIRONMENT, instance)
    }
}
