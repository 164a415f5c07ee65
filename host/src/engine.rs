//! The component ready to run: loaded and linked in the sandbox with Sesame's imports, and a
//! fresh store for each request or call.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use sesame_sandbox::Sandbox;
use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::bindings::{
    ServicePre, hashing as wit_hashing, outbox as wit_outbox, routes, store as wit_store,
};
use crate::ctx::{HostState, Sesame, SesameHost, sesame};
use crate::hashing::NativeHashing;
use crate::instances::IdleInstances;
use crate::outbox::{EventSink, Mailer};
use crate::sandbox::SandboxLimits;
use crate::store::StoreBackend;

/// Everything needed to run the component: the sandbox, the pre-linked component, what its
/// imports use and the environment variables each instance gets.
#[derive(Clone)]
pub(crate) struct Runtime {
    sandbox: Sandbox,
    pre: InstancePre<HostState>,
    routes: Arc<routes::GuestIndices>,
    instances: Arc<IdleInstances>,
    host: SesameHost,
    guest_env: Arc<Vec<(String, String)>>,
}

impl Runtime {
    /// Compiles (or loads from `cache_dir`) the component at `component_path` and links it.
    pub(crate) fn new(
        component_path: &Path,
        cache_dir: Option<&Path>,
        backend: Arc<dyn StoreBackend>,
        mailer: Arc<Mailer>,
        events: Arc<EventSink>,
        guest_env: Vec<(String, String)>,
        limits: SandboxLimits,
    ) -> Result<Self> {
        let sandbox = Sandbox::new(limits.sandbox())?;
        let component = sandbox.load_component(component_path, "sesame-guest", cache_dir)?;

        // WASI and the wasi:http types from the sandbox (no outgoing requests are linked), and
        // Sesame's store, outbox and hashing.
        let mut linker = sandbox.linker::<SesameHost>()?;
        wit_store::add_to_linker::<_, Sesame>(&mut linker, sesame)?;
        wit_outbox::add_to_linker::<_, Sesame>(&mut linker, sesame)?;
        wit_hashing::add_to_linker::<_, Sesame>(&mut linker, sesame)?;

        let pre = linker.instantiate_pre(&component)?;
        // Serving needs only the typed HTTP handler (world `sesame:auth/handler`); the rest of
        // the typed API is checked when an admin command asks for it (see `service`).
        let routes = routes::GuestIndices::new(&pre)
            .map_err(anyhow::Error::from)
            .context("the component does not export sesame:auth/routes")?;
        Ok(Runtime {
            sandbox,
            pre,
            routes: Arc::new(routes),
            instances: Arc::new(IdleInstances::new(&limits)),
            host: SesameHost {
                backend,
                mailer,
                events,
                hashing: Arc::new(NativeHashing::new(limits.native_hashing, limits.hash_queue)),
            },
            guest_env: Arc::new(guest_env),
        })
    }

    /// The pre-instantiated component, seen through Sesame's typed exports; fails if the
    /// component lacks them.
    pub(crate) fn service(&self) -> Result<ServicePre<HostState>> {
        ServicePre::new(self.pre.clone())
            .map_err(anyhow::Error::from)
            .context("the component does not have Sesame's exports")
    }

    /// The pre-linked component, for tests that instantiate it through other exports.
    #[cfg(test)]
    pub(crate) fn instance_pre(&self) -> &InstancePre<HostState> {
        &self.pre
    }

    /// A new instance of the component in `store`, seen through its HTTP handler.
    pub(crate) async fn instantiate_routes(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<routes::Guest> {
        let instance = self.pre.instantiate_async(&mut *store).await?;
        self.routes.load(&mut *store, &instance)
    }

    /// Where the component's mail goes.
    pub(crate) fn mailer(&self) -> &Arc<Mailer> {
        &self.host.mailer
    }

    /// Instances kept for reuse between requests.
    pub(crate) fn instances(&self) -> &Arc<IdleInstances> {
        &self.instances
    }

    /// A fresh store for one instance, with the sandbox's memory, object-count and deadline
    /// limits applied.
    pub(crate) fn new_store(&self) -> Store<HostState> {
        self.sandbox.new_store(&self.guest_env, self.host.clone())
    }
}
