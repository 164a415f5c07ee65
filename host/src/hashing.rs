//! Native password hashing for the component: the `sesame:auth/hashing` import.
//!
//! The component decides everything about a password hash (salt, costs, the PHC string, which
//! imported hashes are acceptable, the constant-time comparison); the host only does the
//! arithmetic (argon2, bcrypt, PBKDF2), at native speed on a blocking thread. Since the
//! component is not trusted, the host bounds what it will compute, how many hashes run at once
//! (one per core) and how many may wait for a core: past that queue, or past the longest wait,
//! the answer is `busy` at once. A flood of password checks then costs the flood quick 503s
//! instead of every other request a full instance pool (see `docs/security.md`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use hmac::Hmac;
use sha2::{Sha256, Sha512};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::bindings::hashing::{self, Argon2Algorithm, HashError, Pbkdf2Digest};

/// Most memory one hash may ask for, in KiB: the component's own memory limit, so the host
/// never spends on its behalf more memory than the sandbox would let it use itself (Sesame's
/// default is 19 MiB).
pub(crate) const MAX_MEMORY_KIB: u32 = (sesame_sandbox::MAX_INSTANCE_MEMORY / 1024) as u32;
/// Most passes one hash may ask for.
pub(crate) const MAX_ITERATIONS: u32 = 64;
/// Most lanes one hash may ask for.
pub(crate) const MAX_PARALLELISM: u32 = 16;
/// Most output bytes (argon2 and PBKDF2 allow more; no password hash needs them).
pub(crate) const MAX_OUTPUT_BYTES: u32 = 64;
/// Longest password accepted, in bytes (core caps passwords at 128 characters).
pub(crate) const MAX_PASSWORD_BYTES: usize = 4096;
/// Longest salt accepted, in bytes: passlib's largest PBKDF2 salt (the PHC format allows 64).
pub(crate) const MAX_SALT_BYTES: usize = 1024;
/// Highest bcrypt cost computed. Core accepts at most 12; the host's own bound only keeps a
/// misbehaving component from holding a blocking thread for minutes (cost 16 is seconds).
pub(crate) const MAX_BCRYPT_COST: u32 = 16;
/// Most PBKDF2 iterations computed: core accepts at most 1,200,000 (SHA-256); this bound, like
/// [`MAX_BCRYPT_COST`], only limits what a misbehaving component can make one call cost.
pub(crate) const MAX_PBKDF2_ROUNDS: u32 = 2_000_000;
/// bcrypt's key: at most 72 bytes (the password and its NUL), never empty.
pub(crate) const MAX_BCRYPT_KEY_BYTES: usize = 72;
/// bcrypt's salt, exactly.
pub(crate) const BCRYPT_SALT_BYTES: usize = 16;

/// How long the component is told to wait after a `busy` answer, in milliseconds: a hash takes
/// tens of milliseconds, so a second lets the queue drain; it becomes `Retry-After: 1`.
pub(crate) const RETRY_AFTER_MS: u32 = 1000;

/// Hashes that may wait for a core by default, per core: a few hashes' worth of waiting
/// (tens of milliseconds each) is latency worth paying, more is a backlog.
pub(crate) const DEFAULT_QUEUE_PER_CORE: usize = 4;
/// The longest a hash waits for a core by default before the request is answered `busy`.
pub(crate) const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(2);

/// How much hashing may wait: the bounded queue in front of the cores.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QueueLimits {
    /// Hashes that may wait for a core while every core hashes; one more is answered `busy`.
    /// `None`: [`DEFAULT_QUEUE_PER_CORE`] per core.
    pub(crate) waiting: Option<usize>,
    /// The longest a hash waits for a core before it is answered `busy`.
    pub(crate) max_wait: Duration,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits {
            waiting: None,
            max_wait: DEFAULT_MAX_WAIT,
        }
    }
}

/// Whether the host hashes for the component, and how many hashes may run and wait at once.
pub(crate) struct NativeHashing {
    pub(crate) enabled: bool,
    /// One permit per core: more hashes at once would only share the cores and multiply the
    /// memory held (19 MiB each by default).
    pub(crate) slots: Arc<Semaphore>,
    /// One permit per hash admitted (running or waiting for a slot): the slots plus the queue.
    /// A request that finds none left is refused at once.
    queue: Semaphore,
    /// Most hashes admitted at once: the slots plus the queue.
    #[cfg_attr(not(test), expect(dead_code, reason = "the queue's tests read it"))]
    pub(crate) capacity: usize,
    /// The longest wait for a slot.
    max_wait: Duration,
}

/// Why the host did not hash.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    /// The queue is full, or the wait ran out.
    #[error("busy: too many password hashes running and waiting")]
    Busy,
    /// The inputs are beyond the host's limits or malformed.
    #[error("{0}")]
    Inputs(String),
}

impl From<Refusal> for HashError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Busy => HashError::Busy(RETRY_AFTER_MS),
            Refusal::Inputs(why) => HashError::Refused(why),
        }
    }
}

impl NativeHashing {
    /// Native hashing if `enabled`, else the component is told to hash itself.
    pub(crate) fn new(enabled: bool, queue: QueueLimits) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let waiting = queue
            .waiting
            .unwrap_or(cores.saturating_mul(DEFAULT_QUEUE_PER_CORE));
        NativeHashing {
            enabled,
            slots: Arc::new(Semaphore::new(cores)),
            queue: Semaphore::new(cores.saturating_add(waiting)),
            capacity: cores.saturating_add(waiting),
            max_wait: queue.max_wait,
        }
    }

    /// Hashes admitted now (running or waiting for a slot).
    #[cfg(test)]
    pub(crate) fn admitted(&self) -> usize {
        self.capacity - self.queue.available_permits()
    }

    /// Runs `work` on a blocking thread once a core is free, or refuses at once when the queue
    /// is full and after [`QueueLimits::max_wait`] when no core came free. The time spent
    /// waiting is added to `host_wait`, as it is not the component's running time (see
    /// `sesame_sandbox::RunClock`).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        host_wait: &mut Duration,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> wasmtime::Result<Result<T, Refusal>> {
        // The place is given back when dropped, also when the request is abandoned.
        let Ok(_admission) = self.queue.try_acquire() else {
            return Ok(Err(Refusal::Busy));
        };
        let queued = Instant::now();
        let slot = tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await;
        *host_wait += queued.elapsed();
        let Ok(slot) = slot else {
            return Ok(Err(Refusal::Busy));
        };
        let slot = slot?;
        // The slot travels with the work: should this request be abandoned mid-hash, the core
        // stays counted as busy until the hash really ends.
        Ok(Ok(tokio::task::spawn_blocking(move || {
            let done = work();
            drop(slot);
            done
        })
        .await?))
    }
}

impl NativeHashing {
    /// argon2 at `params` within the host's limits, in the queue; `Ok(None)` when the host does
    /// not hash.
    pub(crate) async fn argon2(
        &self,
        host_wait: &mut Duration,
        params: hashing::Argon2Params,
        password: Vec<u8>,
        salt: Vec<u8>,
        output_len: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Refusal>> {
        let salt_len = salt.len();
        let checked = |password_len| {
            let (algorithm, version) = argon2_variant(&params)?;
            let costs = checked_params(
                password_len,
                salt_len,
                params.memory_kib,
                params.iterations,
                params.parallelism,
                output_len,
            )?;
            Ok((algorithm, version, costs))
        };
        self.hash(
            host_wait,
            password,
            checked,
            move |password, (algorithm, version, costs)| {
                let mut out = vec![0u8; costs.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
                Argon2::new(algorithm, version, costs)
                    .hash_password_into(password, &salt, &mut out)
                    .map(|()| out)
                    .map_err(|e| e.to_string())
            },
        )
        .await
    }

    /// bcrypt within the host's limits, in the queue; `Ok(None)` when the host does not hash.
    pub(crate) async fn bcrypt(
        &self,
        host_wait: &mut Duration,
        key: Vec<u8>,
        salt: Vec<u8>,
        cost: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Refusal>> {
        let checked = |key_len| checked_bcrypt(key_len, &salt, cost);
        self.hash(host_wait, key, checked, move |key, salt| {
            Ok(bcrypt::bcrypt(cost, salt, key).to_vec())
        })
        .await
    }

    /// PBKDF2 within the host's limits, in the queue; `Ok(None)` when the host does not hash.
    pub(crate) async fn pbkdf2(
        &self,
        host_wait: &mut Duration,
        digest: Pbkdf2Digest,
        password: Vec<u8>,
        salt: Vec<u8>,
        rounds: u32,
        output_len: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Refusal>> {
        let salt_len = salt.len();
        let checked = |password_len| checked_pbkdf2(password_len, salt_len, rounds, output_len);
        self.hash(host_wait, password, checked, move |password, output_len| {
            let mut out = vec![0u8; output_len];
            match digest {
                Pbkdf2Digest::Sha256 => {
                    pbkdf2::pbkdf2::<Hmac<Sha256>>(password, &salt, rounds, &mut out)
                }
                Pbkdf2Digest::Sha512 => {
                    pbkdf2::pbkdf2::<Hmac<Sha512>>(password, &salt, rounds, &mut out)
                }
            }
            .map(|()| out)
            .map_err(|e| e.to_string())
        })
        .await
    }

    /// The outline every hash follows: the secret is wiped when done whatever happens; nothing
    /// is computed when the host does not hash (`Ok(None)`); inputs `checked` refuses (given
    /// the secret's length) are refused; the rest is computed in the queue.
    async fn hash<P: Send + 'static>(
        &self,
        host_wait: &mut Duration,
        secret: Vec<u8>,
        checked: impl FnOnce(usize) -> Result<P, String>,
        compute: impl FnOnce(&[u8], P) -> Result<Vec<u8>, String> + Send + 'static,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, Refusal>> {
        let secret = Zeroizing::new(secret);
        if !self.enabled {
            return Ok(Ok(None));
        }
        let checked = match checked(secret.len()) {
            Ok(checked) => checked,
            Err(why) => return Ok(Err(Refusal::Inputs(why))),
        };
        let hashed = self
            .run(host_wait, move || {
                compute(&secret, checked).map_err(Refusal::Inputs)
            })
            .await?;
        Ok(hashed.and_then(|r| r).map(Some))
    }
}

/// The argon2 crate's algorithm and version for a request, or why not.
pub(crate) fn argon2_variant(
    params: &hashing::Argon2Params,
) -> Result<(Algorithm, Version), String> {
    let algorithm = match params.algorithm {
        Argon2Algorithm::Argon2d => Algorithm::Argon2d,
        Argon2Algorithm::Argon2i => Algorithm::Argon2i,
        Argon2Algorithm::Argon2id => Algorithm::Argon2id,
    };
    let version = Version::try_from(params.version)
        .map_err(|_| format!("argon2 version {} is neither 16 nor 19", params.version))?;
    Ok((algorithm, version))
}

/// Whether a password and salt are within the host's limits for every algorithm, or why not.
fn checked_lengths(password_len: usize, salt_len: usize) -> Result<(), String> {
    if password_len > MAX_PASSWORD_BYTES {
        return Err(format!("password longer than {MAX_PASSWORD_BYTES} bytes"));
    }
    if salt_len > MAX_SALT_BYTES {
        return Err(format!("salt longer than {MAX_SALT_BYTES} bytes"));
    }
    Ok(())
}

/// The argon2 parameters for a request within the host's limits, or why not.
pub(crate) fn checked_params(
    password_len: usize,
    salt_len: usize,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    output_len: u32,
) -> Result<Params, String> {
    checked_lengths(password_len, salt_len)?;
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

/// The bcrypt salt for a request within the host's limits (which also keep the bcrypt crate
/// from panicking), or why not.
pub(crate) fn checked_bcrypt(
    key_len: usize,
    salt: &[u8],
    cost: u32,
) -> Result<[u8; BCRYPT_SALT_BYTES], String> {
    if key_len == 0 || key_len > MAX_BCRYPT_KEY_BYTES {
        return Err(format!(
            "bcrypt key must be 1 to {MAX_BCRYPT_KEY_BYTES} bytes"
        ));
    }
    if !(4..=MAX_BCRYPT_COST).contains(&cost) {
        return Err(format!(
            "bcrypt cost {cost} is outside the host's limits (4 to {MAX_BCRYPT_COST})"
        ));
    }
    <[u8; BCRYPT_SALT_BYTES]>::try_from(salt)
        .map_err(|_| format!("bcrypt salt must be {BCRYPT_SALT_BYTES} bytes"))
}

/// The output length for a PBKDF2 request within the host's limits, or why not.
pub(crate) fn checked_pbkdf2(
    password_len: usize,
    salt_len: usize,
    rounds: u32,
    output_len: u32,
) -> Result<usize, String> {
    checked_lengths(password_len, salt_len)?;
    if !(1..=MAX_PBKDF2_ROUNDS).contains(&rounds) {
        return Err(format!(
            "pbkdf2 rounds {rounds} are outside the host's limits (1 to {MAX_PBKDF2_ROUNDS})"
        ));
    }
    if output_len == 0 || output_len > MAX_OUTPUT_BYTES {
        return Err(format!("output must be 1 to {MAX_OUTPUT_BYTES} bytes"));
    }
    usize::try_from(output_len).map_err(|e| e.to_string())
}
