//! What one instance may take, and how many instances may be alive at once.

use std::time::Duration;

/// Most linear memory one instance may grow to. argon2id at the default 19 MiB plus Sesame's
/// own needs fit comfortably; a runaway guest is stopped here instead of taking the host's RAM.
pub const MAX_INSTANCE_MEMORY: usize = 128 * 1024 * 1024;

/// Most core instances, tables and memories one component instance may create. A Rust
/// component is a handful of core modules (the program plus WASI shims); the bound stops a
/// hostile component from creating unbounded numbers of them.
pub const MAX_CORE_OBJECTS: usize = 32;

/// How often the engine's epoch advances. A deadline is checked at this granularity, and a
/// running instance yields to other tasks this often, so a busy instance never holds an
/// executor thread for longer than one tick at a time.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The default running-time budget of one request inside the component. A login hashes one
/// password (tens of milliseconds) and makes a few store calls; ten seconds leaves room for a
/// loaded machine and a slow store while still ending a runaway loop.
pub const DEFAULT_REQUEST_DEADLINE: Duration = Duration::from_secs(10);

/// The default number of component instances that may be alive at once (one per request in
/// flight). Further requests wait for no one: their instantiation fails (see
/// [`is_pool_exhausted`](crate::is_pool_exhausted)), so a flood cannot make the host reserve
/// unbounded memory.
pub const DEFAULT_MAX_INSTANCES: u32 = 256;

/// The limits a host may choose; the per-instance bounds above are fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time one instance may spend running (not waiting for a core or for the host) on one
    /// request before it is stopped.
    pub request_deadline: Duration,
    /// Component instances alive at once, busy or idle (the pooling allocator's size); at
    /// least one is always allowed.
    pub max_instances: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request_deadline: DEFAULT_REQUEST_DEADLINE,
            max_instances: DEFAULT_MAX_INSTANCES,
        }
    }
}
