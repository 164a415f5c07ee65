//! sesame-core: every rule of Sesame's authentication, as a plain Rust library.
//!
//! Core holds the logic: account registration and lookup, argon2id password hashing with
//! enumeration-resistant verification, server-side sessions, and the HTTP routes (parsing,
//! routing, JSON and HTML answers). It is compiled into the Sesame WebAssembly components, whose
//! adapters only translate WIT calls and HTTP requests into calls on [`Sesame`].
//!
//! What core does **not** do: no I/O, no wasm, no clock or random generator of its own. Storage
//! is the [`Store`] trait, time and randomness the [`Env`] trait, mail, events and native
//! hashing traits of their own (together: [`Host`]), settings the [`Config`].
//!
//! # Usage
//!
//! 1. Provide a [`Store`] (the component maps the WIT `store` import onto it; tests use
//!    [`MemStore`]) and a [`Host`].
//! 2. Build a [`Config`] (the component reads it from `SESAME_*` variables).
//! 3. Create a [`Sesame`] and call its operations, or hand requests to [`http::handle`].
//!
//! ```
//! use sesame_core::{BreachLookup, Config, Env, EventSink, Mailer, MemStore, NativeHashing, Sesame};
//! use sesame_core::config::{Argon2Params, MasterSecret};
//! use sesame_core::sessions::ClientInfo;
//!
//! struct Clock;
//! impl Env for Clock {
//!     fn now_ms(&self) -> u64 { 1_700_000_000_000 }
//!     fn fill_random(&self, buf: &mut [u8]) -> sesame_core::Result<()> {
//!         static N: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);
//!         buf.fill(N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)); // tests only!
//!         Ok(())
//!     }
//! }
//! impl Mailer for Clock {
//!     fn send_mail(&self, _mail: &sesame_core::mail::Mail) {}
//! }
//! impl EventSink for Clock {
//!     fn emit_event(&self, _event: &sesame_core::events::Event) {}
//! }
//! impl NativeHashing for Clock {} // core hashes passwords itself
//! impl BreachLookup for Clock {} // no breached-password corpus to ask
//! let mut config = Config::new(MasterSecret::new(vec![7; 32])?);
//! config.argon2 = Argon2Params { m_kib: 64, t: 1, p: 1 }; // cheap, for the example
//! let store = MemStore::new();
//! let sesame = Sesame::new(&store, &Clock, &config)?;
//! sesame.register("ada@example.com", "correct horse battery", None)?;
//! let session = sesame.login("ada@example.com", "correct horse battery", &ClientInfo::default())?;
//! let info = sesame.validate_session(session.token.expose())?;
//! assert_eq!(info.user.email, "ada@example.com");
//! # Ok::<(), sesame_core::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod access;
pub mod account_changes;
pub mod accounts;
pub mod admin;
pub mod api_keys;
pub mod branding;
pub mod client_addr;
pub mod config;
pub mod env;
pub mod error;
pub mod events;
pub mod freshness;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod hashing;
mod html;
pub mod http;
pub mod i18n;
pub mod keyring;
pub mod legacy_hash;
pub mod links;
pub mod mail;
pub mod notices;
pub mod oauth;
pub mod outbound;
pub mod password;
mod records;
pub mod roles;
mod sealed;
pub mod secret;
pub mod sessions;
pub mod settings;
pub mod signer;
pub mod store;
#[cfg(any(test, feature = "fuzzing"))]
#[allow(
    clippy::expect_used,
    reason = "test support: a failure here is a test failure"
)]
mod testing;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
pub mod unified_sign_in;
pub mod webauthn;

pub use config::Config;
pub use env::Env;
pub use error::{AuthError, Error, ErrorCode, Result};
pub use events::EventSink;
pub use hashing::NativeHashing;
pub use mail::Mailer;
pub use password::breach::BreachLookup;
pub use store::{MemStore, Store};

use password::Hasher;

/// Everything core needs from the host besides storage: clock and randomness ([`Env`]), mail
/// delivery ([`Mailer`]), event delivery ([`EventSink`]) and, optionally, native password
/// hashing ([`NativeHashing`], whose methods all have defaults) and the breached-password
/// lookup ([`BreachLookup`], whose default has none). Implemented for every type that
/// implements those five.
pub trait Host: hashing::HashingHost + Mailer + EventSink + BreachLookup {}

impl<T: Env + NativeHashing + Mailer + EventSink + BreachLookup + ?Sized> Host for T {}

/// Sesame's operations over one store, host and configuration.
///
/// Cheap to create: build one per request or call. Holds no state of its own beyond the
/// references and the prepared password hasher, so nothing leaks between users.
pub struct Sesame<'a> {
    store: &'a dyn Store,
    host: &'a dyn Host,
    config: &'a Config,
    hasher: Hasher,
    /// The language of mail this request causes (the HTTP layer sets the request's).
    language: std::cell::Cell<i18n::Language>,
}

impl<'a> Sesame<'a> {
    /// Prepares the operations; fails only on an unusable configuration.
    pub fn new(store: &'a dyn Store, host: &'a dyn Host, config: &'a Config) -> Result<Self> {
        Ok(Sesame {
            store,
            host,
            config,
            hasher: Hasher::new(config.argon2)?,
            language: std::cell::Cell::new(config.languages.default),
        })
    }

    /// The language of mail sent while this value serves one request: the deployment's
    /// default until the HTTP layer sets the request's.
    pub fn language(&self) -> i18n::Language {
        self.language.get()
    }

    /// Sets the language mail is written in for the rest of this request.
    pub fn set_language(&self, language: i18n::Language) {
        self.language.set(language);
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        self.config
    }

    /// The host's clock, ms since the epoch.
    pub fn now_ms(&self) -> u64 {
        self.host.now_ms()
    }

    /// Reads one key that never exists, to learn whether the store answers at all.
    pub fn probe_store(&self) -> Result<()> {
        self.store.get(store::PROBE_KEY)?;
        Ok(())
    }
}
