//! The engine: instances from a fixed pool, interruptible at every epoch tick.

use wasmtime::{
    Config, Enabled, Engine, EngineWeak, InstanceAllocationStrategy, PoolingAllocationConfig,
};

use crate::error::SandboxError;
use crate::limits::{EPOCH_TICK, Limits, MAX_CORE_OBJECTS, MAX_INSTANCE_MEMORY};

/// An engine whose instances come from a pool of `limits.max_instances` slots and can be
/// interrupted, with a background thread advancing its epoch for as long as the engine lives.
pub(crate) fn pooled_engine(limits: &Limits) -> Result<Engine, SandboxError> {
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
    let engine = Engine::new(&config).map_err(SandboxError::Engine)?;
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
