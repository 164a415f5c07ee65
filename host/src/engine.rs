//! The wasmtime side: engine settings, compiling (once, then from a cache) and linking the
//! component, and making a fresh store for each request or call.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Engine, Store};

use crate::bindings::{
    ServicePre, hashing as wit_hashing, outbox as wit_outbox, routes, store as wit_store,
};
use crate::ctx::{HostState, Sesame};
use crate::hashing::NativeHashing;
use crate::instances::IdleInstances;
use crate::outbox::{EventSink, Mailer};
use crate::sandbox::SandboxLimits;
use crate::store::StoreBackend;

/// Everything needed to run the component: the pre-linked component, the store back end and
/// the environment variables each instance gets.
#[derive(Clone)]
pub(crate) struct Runtime {
    pre: InstancePre<HostState>,
    routes: Arc<routes::GuestIndices>,
    limits: SandboxLimits,
    instances: Arc<IdleInstances>,
    backend: Arc<dyn StoreBackend>,
    mailer: Arc<Mailer>,
    events: Arc<EventSink>,
    hashing: Arc<NativeHashing>,
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
        let engine = crate::sandbox::engine(&limits)?;
        let component = load_component(&engine, component_path, cache_dir)?;

        let mut linker = Linker::<HostState>::new(&engine);
        // WASI without sockets or filesystem access (the context grants none), wasi:http types
        // for the incoming handler (no outgoing requests are linked), and Sesame's store.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        let http_options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
        wasmtime_wasi_http::p2::bindings::http::types::add_to_linker::<
            _,
            wasmtime_wasi_http::WasiHttp,
        >(&mut linker, &(&http_options).into(), |s: &mut HostState| {
            wasmtime_wasi_http::WasiHttpView::http(s)
        })?;
        wit_store::add_to_linker::<_, Sesame>(&mut linker, HostState::sesame)?;
        wit_outbox::add_to_linker::<_, Sesame>(&mut linker, HostState::sesame)?;
        wit_hashing::add_to_linker::<_, Sesame>(&mut linker, HostState::sesame)?;

        let pre = linker.instantiate_pre(&component)?;
        // Serving needs only the typed HTTP handler (world `sesame:auth/handler`); the rest of
        // the typed API is checked when an admin command asks for it (see `service`).
        let routes = routes::GuestIndices::new(&pre)
            .map_err(anyhow::Error::from)
            .context("the component does not export sesame:auth/routes")?;
        Ok(Runtime {
            pre,
            routes: Arc::new(routes),
            instances: Arc::new(IdleInstances::new(&limits)),
            limits,
            backend,
            mailer,
            events,
            hashing: Arc::new(NativeHashing::new(limits.native_hashing, limits.hash_queue)),
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
        &self.mailer
    }

    /// Instances kept for reuse between requests.
    pub(crate) fn instances(&self) -> &Arc<IdleInstances> {
        &self.instances
    }

    /// A fresh store for one instance, with the memory, object-count and deadline limits
    /// applied.
    pub(crate) fn new_store(&self) -> Store<HostState> {
        let mut store = Store::new(
            self.pre.engine(),
            HostState::new(
                self.backend.clone(),
                self.mailer.clone(),
                self.events.clone(),
                self.hashing.clone(),
                &self.guest_env,
            ),
        );
        store.limiter(|state| &mut state.limits);
        crate::sandbox::arm_deadline(&mut store, self.limits.request_deadline);
        store
    }
}

/// Loads the compiled component from the cache, or compiles it and fills the cache.
///
/// The cache file name hashes the component bytes and the engine's compatibility hash, so a
/// new component or a new wasmtime never loads stale machine code.
fn load_component(engine: &Engine, path: &Path, cache_dir: Option<&Path>) -> Result<Component> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "cannot read the component {} (build it with `cargo build --release --target wasm32-wasip2 -p sesame-guest`)",
            path.display()
        )
    })?;
    let Some(cache_dir) = cache_dir else {
        return Ok(Component::new(engine, &bytes)?);
    };
    let cached = cache_file(engine, &bytes, cache_dir);
    if cached.exists() {
        // SAFETY: the file was written by `Component::serialize` of this same engine
        // configuration (its name includes the engine's compatibility hash) into a directory
        // only this user writes; wasmtime additionally checks its header before use.
        #[allow(unsafe_code, reason = "loading our own precompiled artifact")]
        let loaded = unsafe { Component::deserialize_file(engine, &cached) };
        match loaded {
            Ok(component) => return Ok(component),
            Err(e) => {
                tracing::warn!(error = %e, path = %cached.display(), "ignoring unusable compiled cache")
            }
        }
    }
    let component = Component::new(engine, &bytes)?;
    if let Err(e) = write_cache(&component, &cached) {
        tracing::warn!(error = %e, "could not cache the compiled component");
    }
    Ok(component)
}

fn cache_file(engine: &Engine, bytes: &[u8], dir: &Path) -> PathBuf {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let digest = Sha256::digest(bytes);
    dir.join(format!(
        "{}-{:016x}.cwasm",
        hex::encode(&digest[..16]),
        engine_hash.finish()
    ))
}

fn write_cache(component: &Component, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, component.serialize()?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
