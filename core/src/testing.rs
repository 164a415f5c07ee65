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
    /// Every mail sent, in order.
    pub(crate) outbox: std::sync::Mutex<Vec<crate::links::Mail>>,
    /// Every event emitted, in order.
    pub(crate) events: std::sync::Mutex<Vec<crate::events::Event>>,
}

impl FixedEnv {
    /// Clock at 2023-11-14T22:13:20Z.
    pub(crate) fn new() -> Self {
        FixedEnv {
            now_ms: AtomicU64::new(1_700_000_000_000),
            counter: AtomicU64::new(0),
            outbox: std::sync::Mutex::new(Vec::new()),
            events: std::sync::Mutex::new(Vec::new()),
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

    fn send_mail(&self, mail: &crate::links::Mail) {
        self.outbox.lock().expect("outbox").push(mail.clone());
    }

    fn emit_event(&self, event: &crate::events::Event) {
        self.events.lock().expect("events").push(event.clone());
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

/// A store, an environment and a configuration for one test, with their clocks kept together.
pub(crate) struct Fixture {
    pub(crate) store: crate::store::MemStore,
    pub(crate) env: FixedEnv,
    pub(crate) config: Config,
}

impl Fixture {
    /// An empty store, the fixed clock and the cheap test configuration.
    pub(crate) fn new() -> Self {
        let f = Fixture {
            store: crate::store::MemStore::new(),
            env: FixedEnv::new(),
            config: test_config(),
        };
        f.store.set_now_ms(f.env.now_ms());
        f
    }

    /// Sesame over this fixture.
    pub(crate) fn sesame(&self) -> crate::Sesame<'_> {
        crate::Sesame::new(&self.store, &self.env, &self.config).expect("test configuration")
    }

    /// A login of `user` that authenticated just now (not stored: for operations that only
    /// ask who is signed in and how recently).
    #[cfg(test)]
    pub(crate) fn fresh_login(&self, user: &crate::accounts::User) -> crate::sessions::SessionInfo {
        let now = self.env.now_ms();
        crate::sessions::SessionInfo {
            id: format!("test-login-{}-{now}", user.id),
            user: user.clone(),
            csrf_token: String::new(),
            created_at_ms: now,
            expires_at_ms: now + self.config.session_absolute_ms,
            authenticated_at_ms: now,
            second_factor: false,
        }
    }

    /// A fixture where ada has registered with [`ADA_EMAIL`] and [`ADA_PASSWORD`].
    #[cfg(test)]
    pub(crate) fn registered() -> Self {
        let f = Fixture::new();
        f.sesame()
            .register(ADA_EMAIL, ADA_PASSWORD, None)
            .expect("ada registers");
        f
    }

    /// Moves both clocks (core's and the store's expiry clock) forward.
    pub(crate) fn advance(&self, ms: u64) {
        self.env.advance_ms(ms);
        self.store.set_now_ms(self.env.now_ms());
    }
}

/// The email address of ada, the user most tests sign in as.
#[cfg(test)]
pub(crate) const ADA_EMAIL: &str = "ada@example.com";

/// ada's password.
#[cfg(test)]
pub(crate) const ADA_PASSWORD: &str = "analytical engine";

/// The public error code of a result that must be an error (a success fails the test).
#[cfg(test)]
pub(crate) fn error_code<T: std::fmt::Debug>(result: Result<T>) -> crate::ErrorCode {
    let error = result.expect_err("an error");
    crate::AuthError::from(&error).code
}

/// RFC 4648 base32 (no padding), for the TOTP secret the enrolment shows.
#[cfg(test)]
pub(crate) fn base32_decode(text: &str) -> Vec<u8> {
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => continue,
        };
        bits = (bits << 5) | u64::from(v);
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// What a test host answers to the hashing imports (see [`Env::argon2id`] and
/// [`Env::legacy_hash`]); each answer defaults to "no host hashing".
#[cfg(test)]
pub(crate) trait TestHashing {
    /// The host's answer to an argon2id request.
    fn argon2id(
        &self,
        password: &[u8],
        salt: &[u8],
        params: &Argon2Params,
        out: &mut [u8],
    ) -> Option<Result<()>> {
        let _ = (password, salt, params, out);
        None
    }

    /// The host's answer to an imported-hash request.
    fn legacy_hash(
        &self,
        job: &crate::legacy_hash::HostHash<'_>,
        out: &mut [u8],
    ) -> Option<Result<()>> {
        let _ = (job, out);
        None
    }
}

/// A [`FixedEnv`] whose hashing imports answer as `hashing` says: the one wrapper for tests
/// about what core does with a host's hashing.
#[cfg(test)]
pub(crate) struct HashingHost<H> {
    /// Clock, randomness, outbox and events.
    pub(crate) env: FixedEnv,
    /// The hashing answers.
    pub(crate) hashing: H,
}

#[cfg(test)]
impl<H: TestHashing> HashingHost<H> {
    /// `hashing` over a new [`FixedEnv`].
    pub(crate) fn new(hashing: H) -> Self {
        HashingHost {
            env: FixedEnv::new(),
            hashing,
        }
    }
}

#[cfg(test)]
impl<H: TestHashing> Env for HashingHost<H> {
    fn now_ms(&self) -> u64 {
        self.env.now_ms()
    }
    fn fill_random(&self, buf: &mut [u8]) -> Result<()> {
        self.env.fill_random(buf)
    }
    fn send_mail(&self, mail: &crate::links::Mail) {
        self.env.send_mail(mail);
    }
    fn emit_event(&self, event: &crate::events::Event) {
        self.env.emit_event(event);
    }
    fn argon2id(
        &self,
        password: &[u8],
        salt: &[u8],
        params: &Argon2Params,
        out: &mut [u8],
    ) -> Option<Result<()>> {
        self.hashing.argon2id(password, salt, params, out)
    }
    fn legacy_hash(
        &self,
        job: &crate::legacy_hash::HostHash<'_>,
        out: &mut [u8],
    ) -> Option<Result<()>> {
        self.hashing.legacy_hash(job, out)
    }
}
