//! The limits `sesame serve` and the admin commands run the component under: the sandbox's
//! own (see `sesame_sandbox`), the reuse of instances between requests, and native hashing.

use std::time::Duration;

use crate::hashing::QueueLimits;

/// The default number of component instances alive at once; the sandbox's.
pub(crate) use sesame_sandbox::DEFAULT_MAX_INSTANCES;

/// The default number of requests one instance serves before it is retired. Reuse is what
/// makes a session check cheap (no instantiation per request); the bound keeps one instance's
/// heap from fragmenting for ever.
pub(crate) const DEFAULT_REQUESTS_PER_INSTANCE: u32 = 1000;

/// The default number of instances kept idle between requests, ready for reuse.
pub(crate) const DEFAULT_IDLE_INSTANCES: u32 = 16;

/// Limits applied to every instance of the component.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SandboxLimits {
    /// Time one instance may spend running (not waiting for a core or the store) on one
    /// request before it is stopped.
    pub(crate) request_deadline: Duration,
    /// Component instances alive at once, busy or idle (the pooling allocator's size).
    pub(crate) max_instances: u32,
    /// Requests one instance serves, one after another, before it is dropped; 1 gives every
    /// request a fresh instance.
    pub(crate) requests_per_instance: u32,
    /// Instances kept idle for reuse; the rest are dropped when their request ends.
    pub(crate) idle_instances: u32,
    /// Whether the host computes argon2id for the component (`sesame:auth/hashing`), at native
    /// speed, or leaves it to the component.
    pub(crate) native_hashing: bool,
    /// How many native hashes may wait for a core, and for how long (see `hashing`).
    pub(crate) hash_queue: QueueLimits,
}

impl SandboxLimits {
    /// The part the sandbox itself enforces.
    pub(crate) fn sandbox(&self) -> sesame_sandbox::Limits {
        sesame_sandbox::Limits {
            request_deadline: self.request_deadline,
            max_instances: self.max_instances,
        }
    }
}

impl Default for SandboxLimits {
    fn default() -> Self {
        let sandbox = sesame_sandbox::Limits::default();
        SandboxLimits {
            request_deadline: sandbox.request_deadline,
            max_instances: sandbox.max_instances,
            requests_per_instance: DEFAULT_REQUESTS_PER_INSTANCE,
            idle_instances: DEFAULT_IDLE_INSTANCES,
            native_hashing: true,
            hash_queue: QueueLimits::default(),
        }
    }
}
