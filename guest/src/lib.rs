//! sesame-guest: Sesame as a `wasm32-wasip2` component.
//!
//! Glue only. The WIT `store` import becomes core's [`sesame_core::Store`], WASI clocks and
//! random become core's [`sesame_core::Env`], `SESAME_*` environment variables become its
//! [`sesame_core::Config`], and each export (typed API and `wasi:http/incoming-handler`) calls
//! into sesame-core. No rule of authentication is written here.
//!
//! Build: `cargo build --target wasm32-wasip2 -p sesame-guest --release`, which yields
//! `sesame_guest.wasm`, the component the `sesame` host runs.

mod bindings;
mod convert;
mod http_adapter;
mod wit_store;

use std::sync::OnceLock;

use sesame_core::accounts::NewUser;
use sesame_core::sessions::ClientInfo;
use sesame_core::{AuthError, Config, Env, Error, Sesame};

use bindings::exports::sesame::auth::{accounts, sessions};
use bindings::types as wit;
use wit_store::WitStore;

/// The component: one zero-sized type implementing every export.
pub(crate) struct Component;

/// Time and randomness from WASI.
struct WasiEnv;

impl Env for WasiEnv {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    fn fill_random(&self, buf: &mut [u8]) -> sesame_core::Result<()> {
        getrandom::fill(buf).map_err(|_| Error::Random)
    }
}

/// The configuration, read once per instance from the environment the host gives.
fn config() -> Result<&'static Config, Error> {
    static CONFIG: OnceLock<Result<Config, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let vars: Vec<(String, String)> = std::env::vars().collect();
            Config::from_vars(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|why| Error::Config(why.clone()))
}

/// Runs `f` with Sesame over the host's store.
fn with_sesame<T>(f: impl FnOnce(&Sesame<'_>) -> Result<T, Error>) -> Result<T, Error> {
    let config = config()?;
    let sesame = Sesame::new(&WitStore, &WasiEnv, config)?;
    f(&sesame)
}

/// Runs a typed export, logging the detailed error to stderr (the host's log) and returning the
/// public one.
fn call<T>(
    name: &str,
    f: impl FnOnce(&Sesame<'_>) -> Result<T, Error>,
) -> Result<T, wit::AuthError> {
    with_sesame(f).map_err(|e| {
        log_error(name, &e);
        convert::error(AuthError::from(&e))
    })
}

/// Writes an internal error to the host's log. Never includes secrets: `Error`'s messages carry
/// none by construction.
fn log_error(context: &str, e: &Error) {
    if matches!(
        AuthError::from(e).code,
        sesame_core::ErrorCode::Internal | sesame_core::ErrorCode::StoreUnavailable
    ) {
        eprintln!("sesame: {context}: {e}");
    }
}

impl accounts::Guest for Component {
    fn register(
        email: String,
        password: String,
        username: Option<String>,
    ) -> Result<(), wit::AuthError> {
        call("register", |s| {
            s.register(&email, &password, username.as_deref())
        })
    }

    fn create_user(user: accounts::NewUser) -> Result<wit::User, wit::AuthError> {
        let new = NewUser {
            email: user.email,
            password: user.password,
            username: user.username,
            roles: user.roles,
        };
        call("create-user", |s| s.create_user(&new)).map(convert::user)
    }

    fn get_user(id: String) -> Result<Option<wit::User>, wit::AuthError> {
        call("get-user", |s| s.get_user(&id)).map(|u| u.map(convert::user))
    }

    fn list_users(after: Option<String>, limit: u32) -> Result<Vec<wit::User>, wit::AuthError> {
        call("list-users", |s| s.list_users(after.as_deref(), limit))
            .map(|users| users.into_iter().map(convert::user).collect())
    }
}

impl sessions::Guest for Component {
    fn login(
        identity: String,
        password: String,
        client: wit::ClientInfo,
    ) -> Result<sessions::IssuedSession, wit::AuthError> {
        let client = ClientInfo {
            address: client.address,
            user_agent: client.user_agent,
        };
        call("login", |s| s.login(&identity, &password, &client)).map(|issued| {
            sessions::IssuedSession {
                token: issued.token.expose().to_owned(),
                user: convert::user(issued.user),
                csrf_token: issued.csrf_token,
                expires_at_ms: issued.expires_at_ms,
            }
        })
    }

    fn validate(token: String) -> Result<sessions::SessionInfo, wit::AuthError> {
        call("validate", |s| s.validate_session(&token)).map(|info| sessions::SessionInfo {
            user: convert::user(info.user),
            csrf_token: info.csrf_token,
            created_at_ms: info.created_at_ms,
            expires_at_ms: info.expires_at_ms,
        })
    }

    fn logout(token: String) -> Result<(), wit::AuthError> {
        call("logout", |s| s.logout(&token))
    }
}
