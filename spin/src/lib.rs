//! sesame-spin: Sesame as a Spin HTTP component.
//!
//! Glue only, like `sesame-guest`: Spin's `wasi:http` trigger hands each request to core's
//! router ([`sesame_core::http::handle`]), records live in the Spin SQLite database named
//! `default` (see [`sqlite_store`] for why not Spin's key-value store) or in PostgreSQL shared
//! with `sesame serve` nodes ([`postgres_store`]), as the `store` variable says
//! ([`store`]), settings and the master
//! secret come from Spin variables ([`variables`]), and time and randomness come from WASI
//! ([`sesame_wasi::env::QueueingEnv`]). No rule of authentication is written here.
//!
//! Mail and account events: with `mail_api_url` (and `webhook_url`) set, a request queues
//! them in the database (core's [`sesame_core::outbound`]) and, after its answer is written,
//! the instance delivers a few due items over `wasi:http/outgoing-handler`
//! ([`sesame_wasi::outgoing`]); the provider's host must be in the component's
//! `allowed_outbound_hosts`. Without them, mail (confirmation and reset links) and account
//! events are written to the component's log (Spin's stderr), never dropped; account events
//! are also kept in the store, as under `sesame serve`.
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

use sesame_core::{Error, Sesame, Store};
use sesame_wasi::env::{Held, QueueingEnv};

use store::{SpinStore, StoreChoice};

/// Runs `f` with Sesame over the chosen store, configured from the Spin variables. Spin makes
/// a fresh instance for every request, so both are read per request and nothing outlives it.
/// The mail and events `f` caused are put in `held`, for queueing after the answer.
fn with_sesame<T>(
    held: &mut Held,
    f: impl FnOnce(&Sesame<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    let settings = variables::settings()?;
    with_store(&settings.store, |store| {
        let env = QueueingEnv::holding(store, &settings.config.outbound);
        let outcome = Sesame::new(store, &env, &settings.config).and_then(|sesame| f(&sesame));
        *held = env.take_held();
        outcome
    })
}

/// Runs `f` with this request's store, the one the `store` variable chooses.
fn with_store<T>(
    choice: &StoreChoice,
    f: impl FnOnce(&dyn Store) -> Result<T, Error>,
) -> Result<T, Error> {
    let store = SpinStore::open(choice)?;
    f(&store)
}
