//! Component instances kept between requests for reuse.
//!
//! Instantiating is most of what a cheap request (a session check) costs, so an instance that
//! answered its request cleanly goes back to an idle list and serves the next one. The
//! component keeps no per-user state between requests (only its parsed configuration), every
//! request restarts the instance's deadline, an instance that failed in any way is dropped, and
//! `--requests-per-instance 1` turns reuse off for operators who want a fresh instance per
//! request.

use std::sync::Mutex;

use wasmtime::Store;

use crate::bindings::routes::Guest as Routes;
use crate::ctx::HostState;
use crate::metrics::metrics;
use crate::sandbox::SandboxLimits;

/// An instance between two requests, with its store.
pub(crate) struct IdleInstance {
    /// The instance's store (memory, tables, WASI and wasi:http contexts).
    pub(crate) store: Store<HostState>,
    /// The instance's `sesame:auth/routes` export.
    pub(crate) routes: Routes,
    /// Requests it has served so far.
    pub(crate) served: u32,
    /// The generation of the settings it started with (see `engine::GuestEnv`).
    pub(crate) generation: u64,
}

/// The idle instances, most recently used last.
pub(crate) struct IdleInstances {
    idle: Mutex<Vec<IdleInstance>>,
    max_idle: usize,
    requests_per_instance: u32,
}

impl IdleInstances {
    /// An empty list sized by `limits`.
    pub(crate) fn new(limits: &SandboxLimits) -> Self {
        IdleInstances {
            idle: Mutex::new(Vec::new()),
            max_idle: usize::try_from(limits.idle_instances).unwrap_or(usize::MAX),
            requests_per_instance: limits.requests_per_instance,
        }
    }

    /// The most recently used idle instance (its memory is the likeliest to be in cache)
    /// started with settings of `generation`, if any; older ones are dropped.
    pub(crate) fn take(&self, generation: u64) -> Option<IdleInstance> {
        let mut idle = self.idle.lock().ok()?;
        let mut found = None;
        while let Some(instance) = idle.pop() {
            if instance.generation == generation {
                found = Some(instance);
                break;
            }
        }
        metrics().idle_instances(idle.len());
        found
    }

    /// Drops every idle instance (the settings changed).
    pub(crate) fn clear(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
            metrics().idle_instances(0);
        }
    }

    /// Offers back an instance whose request ended without any fault. It is kept if it has
    /// requests left and the idle list has room; otherwise it is dropped, which frees its
    /// slot in the instance pool.
    pub(crate) fn give_back(&self, instance: IdleInstance) {
        if instance.served >= self.requests_per_instance {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push(instance);
            metrics().idle_instances(idle.len());
        }
    }
}
