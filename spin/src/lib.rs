//! sesame-spin: Sesame as a Spin HTTP component.
//!
//! Glue only, like `sesame-guest`: Spin's `wasi:http` trigger hands each request to core's
//! router ([`sesame_core::http::handle`]), records live in the Spin SQLite database named
//! `default` (see [`sqlite_store`] for why not Spin's key-value store), settings and the master
//! secret come from Spin variables ([`variables`]), and time and randomness come from WASI
//! ([`sesame_wasi::env::LoggingEnv`]). No rule of authentication is written here.
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
pub mod postgres_store;
pub mod sqlite_store;
pub mod store;
pub mod variables;

use sesame_core::{Error, Sesame};
use sesame_wasi::env::LoggingEnv;

use store::SpinStore;

/// Runs `f` with Sesame over the chosen store, configured from the Spin variables. Spin makes
/// a fresh instance for every request, so both are read per request and nothing outlives it.
fn with_sesame<T>(f: impl FnOnce(&Sesame<'_>) -> Result<T, Error>) -> Result<T, Error> {
    let settings = variables::settings()?;
    let store = SpinStore::open(&settings.store)?;
    let sesame = Sesame::new(&store, &LoggingEnv, &settings.config)?;
    f(&sesame)
}
