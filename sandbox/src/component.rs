//! Loading a component: compiled once, then loaded from a cache of compiled code.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::SandboxError;

/// Loads the compiled component from `cache_dir`, or compiles the component at `path` (built by
/// the Cargo package `built_by`) and fills the cache; without a cache directory it is compiled
/// every time.
///
/// The cache file name hashes the component bytes and the engine's compatibility hash, so a
/// new component or a new wasmtime never loads stale machine code. A cache that cannot be read
/// or written only costs a compilation, never the load.
pub(crate) fn load(
    engine: &Engine,
    path: &Path,
    built_by: &'static str,
    cache_dir: Option<&Path>,
) -> Result<Component, SandboxError> {
    let bytes = std::fs::read(path).map_err(|error| SandboxError::ReadComponent {
        path: path.to_owned(),
        built_by,
        error,
    })?;
    let compile = |bytes: &[u8]| {
        Component::new(engine, bytes).map_err(|error| SandboxError::Compile {
            path: path.to_owned(),
            error,
        })
    };
    let Some(cache_dir) = cache_dir else {
        return compile(&bytes);
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
    let component = compile(&bytes)?;
    if let Err(e) = write_cache(&component, &cached) {
        tracing::warn!(error = %e, "could not cache the compiled component");
    }
    Ok(component)
}

/// The cache file for `bytes` compiled by `engine`.
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

/// Writes the compiled component under a temporary name and renames it into place, so a
/// reader never sees half a file.
fn write_cache(component: &Component, path: &Path) -> wasmtime::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, component.serialize()?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
