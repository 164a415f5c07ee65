//! Test helpers: a deterministic [`Env`] whose host hashes natively only as a test says, a cheap
//! configuration, and a fixture that keeps a store and that environment on one clock.

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::env::Env;
use crate::error::Result;
use crate::events::{Event, EventSink};
use crate::hashing::{Argon2Params, NativeHashing};
use crate::legacy_hash::HostHash;
use crate::mail::{Mail, Mailer};
use crate::password::breach::{BreachLookup, LookupFailure};
use crate::settings::MasterSecret;

/// A host's answer to a hashing import: `Some` when it hashed (or refused to), `None` to let
/// core hash.
type Answer = Option<Result<()>>;
/// How a test host answers the argon2id import: as [`NativeHashing::argon2id`] does.
type Argon2idAnswer<'h> =
    Box<dyn Fn(&[u8], &[u8], &Argon2Params, &mut [u8]) -> Answer + Send + Sync + 'h>;
/// How a test host answers the legacy hashing import: as [`NativeHashing::legacy_hash`] does.
type LegacyHashAnswer<'h> = Box<dyn Fn(&HostHash<'_>, &mut [u8]) -> Answer + Send + Sync + 'h>;
/// How a test host answers the breached-password lookup: as [`BreachLookup::breach_range`]
/// does.
type BreachAnswer<'h> =
    Box<dyn Fn(&str) -> std::result::Result<Vec<String>, LookupFailure> + Send + Sync + 'h>;

/// A settable clock, a deterministic (never secure) random stream, and a host that hashes
/// natively only where a test says how.
pub(crate) struct FixedEnv<'h> {
    now_ms: AtomicU64,
    counter: AtomicU64,
    /// Every mail sent, in order.
    pub(crate) outbox: std::sync::Mutex<Vec<Mail>>,
    /// Every event emitted, in order.
    pub(crate) events: std::sync::Mutex<Vec<Event>>,
    argon2id: Option<Argon2idAnswer<'h>>,
    legacy_hash: Option<LegacyHashAnswer<'h>>,
    breach: Option<BreachAnswer<'h>>,
    /// Every prefix the breached-password lookup was asked for, in order.
    pub(crate) breach_prefixes: std::sync::Mutex<Vec<String>>,
}

impl<'h> FixedEnv<'h> {
    /// Clock at 2023-11-14T22:13:20Z; core hashes passwords itself.
    pub(crate) fn new() -> Self {
        FixedEnv {
            now_ms: AtomicU64::new(1_700_000_000_000),
            counter: AtomicU64::new(0),
            outbox: std::sync::Mutex::new(Vec::new()),
            events: std::sync::Mutex::new(Vec::new()),
            argon2id: None,
            legacy_hash: None,
            breach: None,
            breach_prefixes: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// This environment, its host answering the breached-password lookup with `answer`.
    #[cfg(test)]
    pub(crate) fn with_breach_range(
        mut self,
        answer: impl Fn(&str) -> std::result::Result<Vec<String>, LookupFailure> + Send + Sync + 'h,
    ) -> Self {
        self.breach = Some(Box::new(answer));
        self
    }

    /// This environment, its host answering the argon2id import with `answer`.
    #[cfg(test)]
    pub(crate) fn with_argon2id(
        mut self,
        answer: impl Fn(&[u8], &[u8], &Argon2Params, &mut [u8]) -> Answer + Send + Sync + 'h,
    ) -> Self {
        self.argon2id = Some(Box::new(answer));
        self
    }

    /// This environment, its host answering the legacy hashing import with `answer`.
    #[cfg(test)]
    pub(crate) fn with_legacy_hash(
        mut self,
        answer: impl Fn(&HostHash<'_>, &mut [u8]) -> Answer + Send + Sync + 'h,
    ) -> Self {
        self.legacy_hash = Some(Box::new(answer));
        self
    }

    /// Moves the clock forward.
    pub(crate) fn advance_ms(&self, ms: u64) {
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Env for FixedEnv<'_> {
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

impl Mailer for FixedEnv<'_> {
    fn send_mail(&self, mail: &Mail) {
        self.outbox.lock().expect("outbox").push(mail.clone());
    }
}

impl EventSink for FixedEnv<'_> {
    fn emit_event(&self, event: &Event) {
        self.events.lock().expect("events").push(event.clone());
    }
}

/// Each import answers as the test said, and core hashes itself where it said nothing.
impl NativeHashing for FixedEnv<'_> {
    fn argon2id(&self, pw: &[u8], salt: &[u8], params: &Argon2Params, out: &mut [u8]) -> Answer {
        let answer = self.argon2id.as_ref()?;
        answer(pw, salt, params, out)
    }

    fn legacy_hash(&self, job: &HostHash<'_>, out: &mut [u8]) -> Answer {
        let answer = self.legacy_hash.as_ref()?;
        answer(job, out)
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

/// The address ada registers with in [`Fixture::registered`].
#[cfg(test)]
pub(crate) const ADA_EMAIL: &str = "ada@example.com";
/// The password ada registers with in [`Fixture::registered`].
#[cfg(test)]
pub(crate) const ADA_PASSWORD: &str = "analytical engine";

/// A store, an environment and a configuration for one test, with their clocks kept together.
pub(crate) struct Fixture {
    pub(crate) store: crate::store::MemStore,
    pub(crate) env: FixedEnv<'static>,
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

    /// A fixture where ada ([`ADA_EMAIL`], [`ADA_PASSWORD`]) has registered.
    #[cfg(test)]
    pub(crate) fn registered() -> Self {
        let f = Fixture::new();
        f.sesame()
            .register(ADA_EMAIL, ADA_PASSWORD, None)
            .expect("ada registers");
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
            expires_at_ms: now + self.config.sessions.absolute_ms,
            authenticated_at_ms: now,
            second_factor: false,
            two_factor_at_ms: 0,
            proof: crate::sessions::SignInProof::PASSWORD,
        }
    }

    /// Moves both clocks (core's and the store's expiry clock) forward.
    pub(crate) fn advance(&self, ms: u64) {
        self.env.advance_ms(ms);
        self.store.set_now_ms(self.env.now_ms());
    }
}

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

/// The breached-password lookup answers as the test said, and is not configured otherwise;
/// every prefix asked for is kept.
impl BreachLookup for FixedEnv<'_> {
    fn breach_range(&self, prefix: &str) -> std::result::Result<Vec<String>, LookupFailure> {
        self.breach_prefixes
            .lock()
            .expect("prefixes")
            .push(prefix.to_owned());
        match &self.breach {
            Some(answer) => answer(prefix),
            None => Err(LookupFailure::NotConfigured),
        }
    }
}

/// The first 8-digit code in the text of the last mail `env` was asked to send (mailed sign-in
/// and second-factor codes).
#[cfg(test)]
pub(crate) fn last_mailed_code(env: &FixedEnv<'_>) -> String {
    let outbox = env.outbox.lock().expect("outbox");
    let text = &outbox.last().expect("a mail").text;
    text.split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 8)
        .expect("an 8-digit code")
        .to_owned()
}

/// A different code of the same length as `code` (each digit moved on by one).
#[cfg(test)]
pub(crate) fn another_code(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                ((c as u8) + 1) as char
            }
        })
        .collect()
}

/// A store over a [`MemStore`] that works for a set number of writes (puts and deletes) and
/// then fails every call, as a store whose connection dies part-way through a request: what
/// a request leaves behind when any of its writes is its last.
#[cfg(test)]
pub(crate) struct CutStore<'s> {
    inner: &'s crate::store::MemStore,
    writes_left: std::sync::atomic::AtomicUsize,
    cut: std::sync::atomic::AtomicBool,
}

#[cfg(test)]
impl<'s> CutStore<'s> {
    /// `inner`, cut after `writes` more writes.
    pub(crate) fn new(inner: &'s crate::store::MemStore, writes: usize) -> Self {
        CutStore {
            inner,
            writes_left: std::sync::atomic::AtomicUsize::new(writes),
            cut: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Whether the store was cut (some call failed).
    pub(crate) fn was_cut(&self) -> bool {
        self.cut.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn gone(&self) -> crate::store::StoreError {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        crate::store::StoreError::Unavailable("the connection is gone".into())
    }

    fn spend_write(&self) -> Result<(), crate::store::StoreError> {
        use std::sync::atomic::Ordering;
        if self.was_cut()
            || self
                .writes_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_err()
        {
            return Err(self.gone());
        }
        Ok(())
    }
}

#[cfg(test)]
impl crate::store::Store for CutStore<'_> {
    fn get(&self, key: &str) -> Result<Option<crate::store::Entry>, crate::store::StoreError> {
        if self.was_cut() {
            return Err(self.gone());
        }
        self.inner.get(key)
    }

    fn write(&self, write: crate::store::Write<'_>) -> Result<u64, crate::store::StoreError> {
        self.spend_write()?;
        self.inner.write(write)
    }

    fn delete(
        &self,
        key: &str,
        expect_version: Option<u64>,
    ) -> Result<bool, crate::store::StoreError> {
        self.spend_write()?;
        self.inner.delete(key, expect_version)
    }

    fn list(
        &self,
        page: crate::store::Page<'_>,
    ) -> Result<Vec<(String, crate::store::Entry)>, crate::store::StoreError> {
        if self.was_cut() {
            return Err(self.gone());
        }
        self.inner.list(page)
    }
}
