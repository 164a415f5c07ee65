//! Native argon2id for the component: the `sesame:auth/hashing` import.
//!
//! The component decides everything about a password hash (salt, costs, the PHC string, the
//! constant-time comparison); the host only does the memory-hard arithmetic, at native speed
//! on a blocking thread. Since the component is not trusted, the host bounds what it will
//! compute and how many hashes run at once.

use std::time::Instant;

use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::bindings::hashing;
use crate::ctx::SesameCtxView;

/// Most memory one hash may ask for, in KiB: the component's own memory limit, so the host
/// never spends on its behalf more memory than the sandbox would let it use itself (Sesame's
/// default is 19 MiB).
const MAX_MEMORY_KIB: u32 = (crate::ctx::MAX_INSTANCE_MEMORY / 1024) as u32;
/// Most passes one hash may ask for.
const MAX_ITERATIONS: u32 = 64;
/// Most lanes one hash may ask for.
const MAX_PARALLELISM: u32 = 16;
/// Most output bytes (argon2 allows more; no password hash needs them).
const MAX_OUTPUT_BYTES: u32 = 64;
/// Longest password accepted, in bytes (core caps passwords at 128 characters).
const MAX_PASSWORD_BYTES: usize = 4096;
/// Longest salt accepted, in bytes (the PHC format's limit).
const MAX_SALT_BYTES: usize = 64;

/// Whether the host hashes for the component, and how many hashes may run at once.
pub(crate) struct NativeHashing {
    enabled: bool,
    /// One permit per core: more hashes at once would only share the cores and multiply the
    /// memory held (19 MiB each by default).
    slots: Semaphore,
}

impl NativeHashing {
    /// Native hashing if `enabled`, else the component is told to hash itself.
    pub(crate) fn new(enabled: bool) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        NativeHashing {
            enabled,
            slots: Semaphore::new(cores),
        }
    }
}

impl hashing::Host for SesameCtxView<'_> {
    async fn argon2id(
        &mut self,
        password: Vec<u8>,
        salt: Vec<u8>,
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        output_len: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, String>> {
        let password = Zeroizing::new(password);
        if !self.hashing.enabled {
            return Ok(Ok(None));
        }
        let params = match checked_params(
            password.len(),
            salt.len(),
            memory_kib,
            iterations,
            parallelism,
            output_len,
        ) {
            Ok(params) => params,
            Err(why) => return Ok(Err(why)),
        };
        let queued = Instant::now();
        let _slot = self.hashing.slots.acquire().await?;
        // Waiting for a core is not the component's running time (see `sandbox::RunClock`).
        *self.host_wait += queued.elapsed();
        let hashed = tokio::task::spawn_blocking(move || {
            let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password_into(&password, &salt, &mut out)
                .map(|()| out)
                .map_err(|e| e.to_string())
        })
        .await?;
        Ok(hashed.map(Some))
    }
}

/// The argon2 parameters for a request within the host's limits, or why not.
fn checked_params(
    password_len: usize,
    salt_len: usize,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    output_len: u32,
) -> Result<Params, String> {
    if password_len > MAX_PASSWORD_BYTES {
        return Err(format!("password longer than {MAX_PASSWORD_BYTES} bytes"));
    }
    if salt_len > MAX_SALT_BYTES {
        return Err(format!("salt longer than {MAX_SALT_BYTES} bytes"));
    }
    if memory_kib > MAX_MEMORY_KIB || iterations > MAX_ITERATIONS || parallelism > MAX_PARALLELISM {
        return Err(format!(
            "costs m={memory_kib} t={iterations} p={parallelism} exceed the host's limits \
             (m<={MAX_MEMORY_KIB}, t<={MAX_ITERATIONS}, p<={MAX_PARALLELISM})"
        ));
    }
    if output_len > MAX_OUTPUT_BYTES {
        return Err(format!("output longer than {MAX_OUTPUT_BYTES} bytes"));
    }
    let output_len = usize::try_from(output_len).map_err(|e| e.to_string())?;
    Params::new(memory_kib, iterations, parallelism, Some(output_len)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_beyond_the_limits_are_refused() {
        assert!(checked_params(10, 16, 19_456, 2, 1, 32).is_ok());
        assert_eq!(MAX_MEMORY_KIB, 128 * 1024);
        assert!(checked_params(10, 16, MAX_MEMORY_KIB + 1, 2, 1, 32).is_err());
        assert!(checked_params(10, 16, 19_456, MAX_ITERATIONS + 1, 1, 32).is_err());
        assert!(checked_params(10, 16, 19_456, 2, MAX_PARALLELISM + 1, 32).is_err());
        assert!(checked_params(10, 16, 19_456, 2, 1, MAX_OUTPUT_BYTES + 1).is_err());
        assert!(checked_params(MAX_PASSWORD_BYTES + 1, 16, 19_456, 2, 1, 32).is_err());
        assert!(checked_params(10, MAX_SALT_BYTES + 1, 19_456, 2, 1, 32).is_err());
        // argon2's own rules still apply: a too-short output is an error, not a panic.
        assert!(checked_params(10, 16, 19_456, 2, 1, 1).is_err());
    }
}
