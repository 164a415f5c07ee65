//! The component ready to run: loaded and linked in the sandbox with Sesame's imports, and a
//! fresh store for each request or call.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result};
use sesame_sandbox::Sandbox;
use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::bindings::{
    ServicePre, breach_lookup as wit_breach_lookup, hashing as wit_hashing, outbox as wit_outbox,
    routes, store as wit_store,
};
use crate::breach::BreachLookup;
use crate::ctx::{HostState, Sesame, SesameHost, sesame};
use crate::events::EventSink;
use crate::hashing::NativeHashing;
use crate::instances::IdleInstances;
use crate::outbox::Mailer;
use crate::sandbox::SandboxLimits;
use crate::store::StoreBackend;

/// The environment variables (settings) new instances get, and its generation: an instance
/// keeps the settings it read when it started, so one made under an older generation is not
/// reused once the settings change.
pub(crate) struct GuestEnv {
    vars: RwLock<Arc<Vec<(String, String)>>>,
    generation: AtomicU64,
}

impl GuestEnv {
    fn new(vars: Vec<(String, String)>) -> Self {
        GuestEnv {
            vars: RwLock::new(Arc::new(vars)),
            generation: AtomicU64::new(0),
        }
    }

    /// The variables now, and their generation.
    fn current(&self) -> (Arc<Vec<(String, String)>>, u64) {
        // Read the generation first: a change between the two reads then only makes an
        // instance look older than it is, and it is dropped instead of reused.
        let generation = self.generation.load(Ordering::Acquire);
        let vars = match self.vars.read() {
            Ok(vars) => vars.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        (vars, generation)
    }

    /// The generation now.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Sets variable `name` to `value` for instances started from now on.
    fn set(&self, name: &str, value: &str) {
        let mut vars = match self.vars.write() {
            Ok(vars) => vars,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next: Vec<(String, String)> =
            vars.iter().filter(|(n, _)| n != name).cloned().collect();
        next.push((name.to_owned(), value.to_owned()));
        *vars = Arc::new(next);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// What the component's imports reach outside the store: mail delivery, account events and
/// the breached-password lookup.
pub(crate) struct Outside {
    /// Mail delivery.
    pub(crate) mailer: Arc<Mailer>,
    /// Account events.
    pub(crate) events: Arc<EventSink>,
    /// The breached-password lookup.
    pub(crate) breach: Arc<BreachLookup>,
}

/// Everything needed to run the component: the sandbox, the pre-linked component, what its
/// imports use and the environment variables each instance gets.
#[derive(Clone)]
pub(crate) struct Runtime {
    sandbox: Sandbox,
    pre: InstancePre<HostState>,
    routes: Arc<routes::GuestIndices>,
    instances: Arc<IdleInstances>,
    host: SesameHost,
    guest_env: Arc<GuestEnv>,
}

impl Runtime {
    /// Compiles (or loads from `cache_dir`) the component at `component_path` and links it.
    pub(crate) fn new(
        component_path: &Path,
        cache_dir: Option<&Path>,
        backend: Arc<dyn StoreBackend>,
        outside: Outside,
        guest_env: Vec<(String, String)>,
        limits: SandboxLimits,
    ) -> Result<Self> {
        let Outside {
            mailer,
            events,
            breach,
        } = outside;
        let sandbox = Sandbox::new(limits.sandbox())?;
        let component = sandbox.load_component(component_path, "sesame-guest", cache_dir)?;

        // WASI and the wasi:http types from the sandbox (no outgoing requests are linked), and
        // Sesame's store, outbox, hashing and breached-password lookup.
        let mut linker = sandbox.linker::<SesameHost>()?;
        wit_store::add_to_linker::<_, Sesame>(&mut linker, sesame)?;
        wit_outbox::add_to_linker::<_, Sesame>(&mut linker, sesame)?;
        wit_hashing::add_to_linker::<_, Sesame>(&mut linker, sesame)?;
        wit_breach_lookup::add_to_linker::<_, Sesame>(&mut linker, sesame)?;

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
                breach,
            },
            guest_env: Arc::new(GuestEnv::new(guest_env)),
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

    /// Where account events go.
    pub(crate) fn events(&self) -> &Arc<EventSink> {
        &self.host.events
    }

    /// Instances kept for reuse between requests.
    pub(crate) fn instances(&self) -> &Arc<IdleInstances> {
        &self.instances
    }

    /// A fresh store for one instance, with the sandbox's memory, object-count and deadline
    /// limits applied, and the generation of the settings it carries.
    pub(crate) fn new_store(&self) -> (Store<HostState>, u64) {
        let (vars, generation) = self.guest_env.current();
        (self.sandbox.new_store(&vars, self.host.clone()), generation)
    }

    /// The generation of the settings new instances get.
    pub(crate) fn settings_generation(&self) -> u64 {
        self.guest_env.generation()
    }

    /// Changes one setting for every instance started from now on; idle instances, which read
    /// the old value, are dropped.
    pub(crate) fn change_setting(&self, name: &str, value: &str) {
        self.guest_env.set(name, value);
        self.instances.clear();
    }
}
