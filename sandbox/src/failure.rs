//! Naming why an instance failed, for logs operators can count and alert on.

use wasmtime::{PoolConcurrencyLimitError, Trap};

use crate::clock::DeadlineExceeded;

/// A short, stable name for why an instance failed, for a log's `cause` field.
pub fn cause(error: &wasmtime::Error) -> &'static str {
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
pub fn is_pool_exhausted(error: &wasmtime::Error) -> bool {
    error.chain().any(|e| e.is::<PoolConcurrencyLimitError>())
}
