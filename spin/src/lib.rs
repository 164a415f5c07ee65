//! sesame-spin: Sesame as a Spin HTTP component.
//!
//! Glue only, like `sesame-guest`: Spin's `wasi:http` trigger hands each request to core's
//! router ([`sesame_core::http::handle`]), records live in the Spin SQLite database named
//! `default` (see [`sqlite_store`] for why not Spin's key-value store), settings and the master
//! secret come from Spin variables ([`variables`]), and time and randomness come from WASI. No
//! rule of authentication is written here.
//!
//! What it does not do: it sends no mail and calls no webhook. Mail (confirmation and reset
//! links) and account events are written to the component's log (Spin's stderr), never
//! dropped; account events are also kept in the store, as under `sesame serve`.
//!
//! # Usage
//!
//! 1. `spin build` (runs `cargo build --release --target wasm32-wasip2 -p sesame-spin`).
//! 2. `spin up --variable secret=...` with `spin.toml` at the repository root.

mod http_adapter;
pub mod sqlite_store;
pub mod variables;

use sesame_core::{
    AuthError, Config, Env, Error, ErrorCode, EventSink, Mailer, NativeHashing, Sesame,
};

use sqlite_store::SqliteStore;

/// Time and randomness from WASI; mail and events to the log.
struct SpinEnv;

impl Env for SpinEnv {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn fill_random(&self, buf: &mut [u8]) -> sesame_core::Result<()> {
        getrandom::fill(buf).map_err(|_| Error::Random)
    }
}

impl EventSink for SpinEnv {
    fn emit_event(&self, event: &sesame_core::events::Event) {
        eprintln!(
            "sesame: event {} user={} address={} at_ms={}",
            event.kind.as_str(),
            event.user_id.as_deref().unwrap_or("-"),
            event.address.as_deref().unwrap_or("-"),
            event.at_ms
        );
    }
}

impl Mailer for SpinEnv {
    fn send_mail(&self, mail: &sesame_core::mail::Mail) {
        // Spin components have no mail relay; the operator reads (or ships) the log, exactly as
        // `sesame serve` logs mail when no SMTP relay is configured.
        eprintln!(
            "sesame: mail to={} subject={:?}\n{}",
            mail.to, mail.subject, mail.text
        );
    }
}

/// Spin offers no native hashing: core hashes in the component.
impl NativeHashing for SpinEnv {}

/// Wall-clock milliseconds since the Unix epoch, from `wasi:clocks`.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Runs `f` with Sesame over the Spin database, configured from the Spin variables. Spin makes
/// a fresh instance for every request, so both are read per request and nothing outlives it.
fn with_sesame<T>(f: impl FnOnce(&Sesame<'_>) -> Result<T, Error>) -> Result<T, Error> {
    let config: Config = variables::config()?;
    let store = SqliteStore::open()?;
    let sesame = Sesame::new(&store, &SpinEnv, &config)?;
    f(&sesame)
}

/// Writes an internal error to Spin's log. Never includes secrets: `Error`'s messages carry
/// none by construction.
fn log_error(context: &str, e: &Error) {
    if matches!(
        AuthError::from(e).code,
        ErrorCode::Internal | ErrorCode::StoreUnavailable
    ) {
        eprintln!("sesame: {context}: {e}");
    }
}
