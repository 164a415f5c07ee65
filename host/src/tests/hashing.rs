//! Native hashing's limits and its bounded queue in front of the cores.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use crate::bindings::hashing::{self, Argon2Algorithm, HashError};
use crate::hashing::*;

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

#[test]
fn bcrypt_and_pbkdf2_inputs_beyond_the_limits_are_refused() {
    // What would make the bcrypt crate panic is refused before it runs.
    assert!(checked_bcrypt(29, &[0; 16], 12).is_ok());
    assert!(checked_bcrypt(0, &[0; 16], 12).is_err());
    assert!(checked_bcrypt(73, &[0; 16], 12).is_err());
    assert!(checked_bcrypt(29, &[0; 15], 12).is_err());
    assert!(checked_bcrypt(29, &[0; 16], 3).is_err());
    assert!(checked_bcrypt(29, &[0; 16], MAX_BCRYPT_COST + 1).is_err());
    assert!(checked_bcrypt(29, &[0; 16], 31).is_err());
    assert_eq!(checked_pbkdf2(29, 16, 1_200_000, 32), Ok(32));
    assert!(checked_pbkdf2(29, 16, 0, 32).is_err());
    assert!(checked_pbkdf2(29, 16, MAX_PBKDF2_ROUNDS + 1, 32).is_err());
    assert!(checked_pbkdf2(29, 16, 1000, 0).is_err());
    assert!(checked_pbkdf2(29, 16, 1000, MAX_OUTPUT_BYTES + 1).is_err());
    assert!(checked_pbkdf2(29, MAX_SALT_BYTES + 1, 1000, 32).is_err());
    // argon2 knows versions 0x10 and 0x13 only.
    for (version, known) in [(0x10, true), (0x12, false), (0x13, true)] {
        let params = hashing::Argon2Params {
            algorithm: Argon2Algorithm::Argon2i,
            version,
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        assert_eq!(
            argon2_variant(&params).is_ok(),
            known,
            "version {version:#x}"
        );
    }
}

/// Occupies every place the queue has (the cores and the waiting room) with work that ends
/// when the returned senders are dropped or sent to.
async fn fill(
    hashing: &Arc<NativeHashing>,
) -> (Vec<mpsc::Sender<()>>, Vec<tokio::task::JoinHandle<bool>>) {
    let mut releases = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..hashing.capacity {
        let (release, wait) = mpsc::channel::<()>();
        releases.push(release);
        let hashing = hashing.clone();
        tasks.push(tokio::spawn(async move {
            let mut waited = Duration::ZERO;
            let done = hashing
                .run(&mut waited, move || {
                    let _ = wait.recv();
                })
                .await;
            matches!(done, Ok(Ok(())))
        }));
    }
    // Every task has been admitted once the admitted count reaches capacity.
    while hashing.admitted() < hashing.capacity {
        tokio::task::yield_now().await;
    }
    (releases, tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_busy_at_once_and_drains_afterwards() {
    let hashing = Arc::new(NativeHashing::new(
        true,
        QueueLimits {
            waiting: Some(1),
            max_wait: Duration::from_secs(600),
        },
    ));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(hashing.capacity, cores + 1);
    let (releases, tasks) = fill(&hashing).await;
    // The next hash finds no place: busy, without waiting for the 600-second limit.
    let mut waited = Duration::ZERO;
    let refused = hashing.run(&mut waited, || ()).await.unwrap();
    assert!(matches!(refused, Err(Refusal::Busy)));
    assert!(matches!(
        HashError::from(Refusal::Busy),
        HashError::Busy(RETRY_AFTER_MS)
    ));
    drop(releases);
    for task in tasks {
        assert!(task.await.unwrap(), "an admitted hash ran");
    }
    // Once the burst is over, hashes run again.
    assert_eq!(hashing.admitted(), 0);
    let again = hashing.run(&mut waited, || 7).await.unwrap();
    assert!(matches!(again, Ok(7)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_waits_no_longer_than_the_limit() {
    let hashing = Arc::new(NativeHashing::new(
        true,
        QueueLimits {
            waiting: Some(2),
            max_wait: Duration::from_millis(50),
        },
    ));
    // Hold every core (but not the waiting room).
    let cores = hashing.capacity - 2;
    let mut releases = Vec::new();
    for _ in 0..cores {
        let (release, wait) = mpsc::channel::<()>();
        releases.push(release);
        let hashing = hashing.clone();
        tokio::spawn(async move {
            let mut waited = Duration::ZERO;
            let _ = hashing
                .run(&mut waited, move || {
                    let _ = wait.recv();
                })
                .await;
        });
    }
    while hashing.slots.available_permits() > 0 {
        tokio::task::yield_now().await;
    }
    // Admitted to the waiting room, but no core comes free in time: busy, and the wait is
    // recorded as the host's, not the component's.
    let mut waited = Duration::ZERO;
    let refused = hashing.run(&mut waited, || ()).await.unwrap();
    assert!(matches!(refused, Err(Refusal::Busy)));
    assert!(waited >= Duration::from_millis(50));
    drop(releases);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashing_off_leaves_every_hash_to_the_component() {
    let hashing = NativeHashing::new(false, QueueLimits::default());
    assert!(!hashing.enabled);
    // The component computes itself when told `none`; with hashing on, the same inputs
    // are computed here and match the crates the component uses.
    let on = NativeHashing::new(true, QueueLimits::default());
    let mut waited = Duration::ZERO;
    let key = b"correct horse battery staple\0".to_vec();
    let salt = [7u8; 16];
    let out = on
        .run(&mut waited, move || bcrypt::bcrypt(4, salt, &key))
        .await
        .unwrap();
    assert!(
        matches!(out, Ok(bytes) if bytes == bcrypt::bcrypt(4, salt, b"correct horse battery staple\0"))
    );
}
