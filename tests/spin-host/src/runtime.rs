//! The wasmtime side: compiling (once, then from a cache) and linking the component, and a
//! fresh store for each request.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::bindings::{config, sqlite};
use crate::ctx::{HostState, Spin, SpinResources};

/// The pre-linked component and what its instances share.
pub(crate) struct Runtime {
    proxy: ProxyPre<HostState>,
    resources: Arc<SpinResources>,
}

impl Runtime {
    /// Compiles (or loads from `cache_dir`) the component and links WASI, wasi:http types and
    /// the Spin interfaces. Fails if the component imports anything else, as Spin would.
    pub(crate) fn new(
        path: &Path,
        cache_dir: Option<&Path>,
        resources: Arc<SpinResources>,
    ) -> Result<Self> {
        let engine = Engine::new(wasmtime::Config::new().wasm_component_model(true))?;
        let component = load(&engine, path, cache_dir)?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        let http_options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
        wasmtime_wasi_http::p2::bindings::http::types::add_to_linker::<
            _,
            wasmtime_wasi_http::WasiHttp,
        >(&mut linker, &(&http_options).into(), |s: &mut HostState| {
            wasmtime_wasi_http::WasiHttpView::http(s)
        })?;
        sqlite::add_to_linker::<_, Spin>(&mut linker, HostState::spin)?;
        config::add_to_linker::<_, Spin>(&mut linker, HostState::spin)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component imports something Spin's HTTP trigger does not provide here")?;
        let proxy = ProxyPre::new(pre)
            .map_err(anyhow::Error::from)
            .context("the component does not export wasi:http/incoming-handler")?;
        Ok(Runtime { proxy, resources })
    }

    /// The component, seen as a wasi:http handler.
    pub(crate) fn proxy(&self) -> &ProxyPre<HostState> {
        &self.proxy
    }

    /// A fresh store for one instance.
    pub(crate) fn new_store(&self) -> Store<HostState> {
        Store::new(self.proxy.engine(), HostState::new(self.resources.clone()))
    }
}

/// Loads the compiled component from the cache, or compiles it and fills the cache. The file
/// name hashes the component and the engine's compatibility hash, so nothing stale is loaded.
fn load(engine: &Engine, path: &Path, cache_dir: Option<&Path>) -> Result<Component> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "cannot read the component {} (build it with `cargo build --release --target wasm32-wasip2 -p sesame-spin`)",
            path.display()
        )
    })?;
    let Some(cache_dir) = cache_dir else {
        return Ok(Component::new(engine, &bytes)?);
    };
    let cached = cache_file(engine, &bytes, cache_dir);
    if cached.exists() {
        // SAFETY: the file was written by `Component::serialize` with this engine configuration
        // (its name includes the engine's compatibility hash) into the tests' own cache
        // directory; wasmtime additionally checks its header before use.
        #[allow(unsafe_code, reason = "loading our own precompiled artifact")]
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &cached) } {
            return Ok(component);
        }
    }
    let component = Component::new(engine, &bytes)?;
    std::fs::create_dir_all(cache_dir)?;
    let tmp = cached.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, component.serialize()?)?;
    std::fs::rename(&tmp, &cached)?;
    Ok(component)
}

fn cache_file(engine: &Engine, bytes: &[u8], dir: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let digest = Sha256::digest(bytes);
    dir.join(format!(
        "spin-{}-{:016x}.cwasm",
        hex::encode(&digest[..16]),
        engine_hash.finish()
    ))
}
