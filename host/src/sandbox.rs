//! The sandbox around the component: the engine settings that bound what one instance may take
//! (memory, tables, instances, time), the clock that enforces per-request deadlines, and how a
//! failed instance's cause is named in the log.
//!
//! The host treats the component as untrusted code. Whatever one request makes it do (loop for
//! ever, allocate without end, trap), the cost is that request's instance: it is stopped, the
//! request answers 500, the cause is logged, and every other request goes on.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use wasmtime::{
    Config, Enabled, Engine, EngineWeak, InstanceAllocationStrategy, PoolConcurrencyLimitError,
    PoolingAllocationConfig, Store, Trap, UpdateDeadline,
};

use crate::ctx::{HostState, MAX_CORE_OBJECTS, MAX_INSTANCE_MEMORY};

/// How often the engine's epoch advances. A deadline is checked at this granularity, and a
/// running instance yields to other requests' tasks this often, so a busy instance never holds
/// an executor thread for longer than one tick at a time.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Most running time counted between two looks of the deadline: a few ticks, so an instance
/// kept from its core by the operating system is still charged for what it used, while time
/// outside the instance is not.
const MAX_RUN_BETWEEN_LOOKS: Duration = EPOCH_TICK.saturating_mul(4);

/// The default running-time budget of one request inside the component. A login hashes one
/// password (tens of milliseconds) and makes a few store calls; ten seconds leaves room for a
/// loaded machine and a slow store while still ending a runaway loop.
pub(crate) const DEFAULT_REQUEST_DEADLINE: Duration = Duration::from_secs(10);

/// The default number of component instances that may be alive at once (one per request in
/// flight). Further requests wait for no one: their instantiation fails and they answer 503,
/// so a flood cannot make the host reserve unbounded memory.
pub(crate) const DEFAULT_MAX_INSTANCES: u32 = 256;

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
    pub(crate) hash_queue: crate::hashing::QueueLimits,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            request_deadline: DEFAULT_REQUEST_DEADLINE,
            max_instances: DEFAULT_MAX_INSTANCES,
            requests_per_instance: DEFAULT_REQUESTS_PER_INSTANCE,
            idle_instances: DEFAULT_IDLE_INSTANCES,
            native_hashing: true,
            hash_queue: crate::hashing::QueueLimits::default(),
        }
    }
}

/// Why an instance was stopped because it ran out of time.
#[derive(Debug, thiserror::Error)]
#[error("the component ran past its {0:?} request deadline")]
pub(crate) struct DeadlineExceeded(pub(crate) Duration);

/// An engine whose instances come from a fixed pool and can be interrupted, with a background
/// thread advancing its epoch for as long as the engine lives.
pub(crate) fn engine(limits: &SandboxLimits) -> Result<Engine> {
    let mut pool = PoolingAllocationConfig::new();
    let instances = limits.max_instances.max(1);
    // A Rust component is one program module plus a few small shim modules; each bound below
    // is per component instance, the totals scale with the number of instances in flight.
    let per_component = u32::try_from(MAX_CORE_OBJECTS).unwrap_or(u32::MAX);
    pool.total_component_instances(instances)
        .max_core_instances_per_component(per_component)
        .max_memories_per_component(per_component)
        .max_tables_per_component(per_component)
        .total_core_instances(instances.saturating_mul(per_component))
        .total_memories(instances.saturating_mul(2))
        .total_tables(instances.saturating_mul(4))
        .total_stacks(instances)
        .max_memory_size(MAX_INSTANCE_MEMORY)
        // Keeping the first pages of a recycled slot mapped and merely resetting them is
        // cheaper than unmapping and faulting them in again for the next instance. Where the
        // kernel has PAGEMAP_SCAN (Linux 6.7+), only the pages the instance dirtied are reset,
        // instead of the whole resident megabyte.
        .linear_memory_keep_resident(1 << 20)
        .pagemap_scan(Enabled::Auto)
        .table_keep_resident(64 << 10)
        .async_stack_keep_resident(64 << 10);

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Engine::new(&config)?;
    spawn_epoch_ticker(engine.weak());
    Ok(engine)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn spawn_epoch_ticker(engine: EngineWeak) {
    let spawned = std::thread::Builder::new()
        .name("sesame-epoch".to_owned())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(e) = spawned {
        // Without the ticker no deadline fires; say so loudly rather than fail every request.
        tracing::error!(error = %e, "cannot start the epoch thread; request deadlines are off");
    }
}

/// How much of its deadline the request an instance is serving has used. It lives in the
/// instance's store, and [`begin_request`] restarts it, so an instance reused for many requests
/// gives each one the whole deadline.
#[derive(Debug)]
pub(crate) struct RunClock {
    /// Running time counted so far.
    used: Duration,
    /// When the instance last resumed after yielding; shared with the yield's future, which
    /// cannot reach the store.
    resumed: Arc<Mutex<Instant>>,
    /// Time spent waiting on the host since the deadline last looked: for the store back end
    /// (see `store_impl`) or a hashing slot (see `hashing`).
    pub(crate) host_wait: Duration,
}

impl Default for RunClock {
    fn default() -> Self {
        RunClock {
            used: Duration::ZERO,
            resumed: Arc::new(Mutex::new(Instant::now())),
            host_wait: Duration::ZERO,
        }
    }
}

/// Arms the request deadline on a fresh store: at every epoch tick the instance yields to other
/// tasks, and once it has *run* for `deadline` in total it is stopped with [`DeadlineExceeded`].
///
/// Time spent queued behind other requests after a yield is not counted: under a burst of
/// logins every instance gets its fair share of the cores, so a wall-clock limit would stop
/// them all together instead of the one that misbehaves. Time spent waiting on the store back
/// end (a pool connection, a slow database) is not counted either, for the same reason.
pub(crate) fn arm_deadline(store: &mut Store<HostState>, deadline: Duration) {
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut cx| {
        let now = Instant::now();
        let clock = &mut cx.data_mut().clock;
        let since = clock.resumed.lock().map(|r| *r).unwrap_or(now);
        let waited = std::mem::take(&mut clock.host_wait);
        // The epoch ticks every EPOCH_TICK while the instance runs, so a longer gap since the
        // last look was spent outside it: between two calls of the typed exports (an admin
        // command or a test makes many on one instance), or in a host call. Counting such a
        // gap whole would stop a well-behaved instance for time it never ran.
        let ran = now
            .saturating_duration_since(since)
            .saturating_sub(waited)
            .min(MAX_RUN_BETWEEN_LOOKS);
        clock.used += ran;
        if clock.used >= deadline {
            return Err(DeadlineExceeded(deadline).into());
        }
        let resumed = clock.resumed.clone();
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(async move {
                tokio::task::yield_now().await;
                if let Ok(mut at) = resumed.lock() {
                    *at = Instant::now();
                }
            }),
        ))
    });
}

/// Starts a request on an instance, new or reused: its deadline starts from zero now.
pub(crate) fn begin_request(store: &mut Store<HostState>) {
    let clock = &mut store.data_mut().clock;
    clock.used = Duration::ZERO;
    clock.host_wait = Duration::ZERO;
    if let Ok(mut at) = clock.resumed.lock() {
        *at = Instant::now();
    }
    // The epoch moved on while the instance sat idle; count ticks from now.
    store.set_epoch_deadline(1);
}

/// A short, stable name for why an instance failed, for the log's `cause` field (so operators
/// can count and alert on each kind).
pub(crate) fn cause(error: &wasmtime::Error) -> &'static str {
    if is_pool_exhausted(error) {
        return "instance-pool-exhausted";
    }
    if error.chain().any(|e| e.is::<DeadlineExceeded>()) {
        return "deadline-exceeded";
    }
    let memory_limit = error.chain().any(|e| {
        let text = e.to_string();
        text.contains("growing memory") || text.contains("memory growth failure")
    });
    if memory_limit {
        return "memory-limit";
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel | Trap::Interrupt) => "deadline-exceeded",
        Some(Trap::StackOverflow) => "stack-overflow",
        Some(Trap::UnreachableCodeReached) => "trap-unreachable",
        Some(_) => "trap",
        None => "host-error",
    }
}

/// Whether the instance could not even be created because every pool slot is in use: the host
/// is busy, not faulty, and the client may retry.
pub(crate) fn is_pool_exhausted(error: &wasmtime::Error) -> bool {
    error.chain().any(|e| e.is::<PoolConcurrencyLimitError>())
}
