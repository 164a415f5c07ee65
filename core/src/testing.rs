//! Test helpers: a deterministic [`Env`] and a cheap configuration.

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::config::{Argon2Params, Config, MasterSecret};
use crate::env::Env;
use crate::error::Result;

/// A settable clock and a deterministic (never secure) random stream.
#[derive(Debug)]
pub(crate) struct FixedEnv {
    now_ms: AtomicU64,
    counter: AtomicU64,
}

impl FixedEnv {
    /// Clock at 2023-11-14T22:13:20Z.
    pub(crate) fn new() -> Self {
        FixedEnv {
            now_ms: AtomicU64::new(1_700_000_000_000),
            counter: AtomicU64::new(0),
        }
    }

    /// Moves the clock forward.
    pub(crate) fn advance_ms(&self, ms: u64) {
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Env for FixedEnv {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }

    fn fill_random(&self, buf: &mut [u8]) -> Result<()> {
        for chunk in buf.chunks_mut(32) {
            let n = self.counter.fetch_add(1, Ordering::SeqCst);
            let block = Sha256::digest(n.to_le_bytes());
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

/// A configuration with cheap hashing for fast tests.
pub(crate) fn test_config() -> Config {
    let mut config = Config::new(MasterSecret::new(vec![42u8; 32]).expect("32 bytes suffice"));
    config.argon2 = Argon2Params {
        m_kib: 64,
        t: 1,
        p: 1,
    };
    config
}
