//! sesame-guest: Sesame as a `wasm32-wasip2` component.
//!
//! Glue only. The WIT `store` import becomes core's [`sesame_core::Store`], WASI clocks and
//! random ([`sesame_wasi::env`]) and the WIT outbox become core's [`sesame_core::Env`], `SESAME_*` environment variables become its
//! [`sesame_core::Config`], and each export (typed API and `wasi:http/incoming-handler`) calls
//! into sesame-core. No rule of authentication is written here.
//!
//! Build: `cargo build --target wasm32-wasip2 -p sesame-guest --release`, which yields
//! `sesame_guest.wasm`, the component the `sesame` host runs (world `sesame:auth/service`).
//!
//! The same source, compiled without the `http` feature, is the `sesame:auth/embed` world: the
//! typed exports only, for hosts in other languages. The `sesame-guest-embed` package
//! (`guest-embed/`) builds it as `sesame_guest_embed.wasm`, so both components come out of one
//! `cargo build` without one overwriting the other.

mod admin_exports;
mod bindings;
mod convert;
#[cfg(feature = "http")]
mod host_hash;
#[cfg(feature = "http")]
mod http_adapter;
#[cfg(feature = "http")]
mod oauth_exports;
mod token_exports;
mod two_factor;
mod unified_sign_in;
mod webauthn;
mod wit_store;

use std::sync::OnceLock;

use sesame_core::accounts::{ImportedUser, NewUser};
use sesame_core::sessions::{ClientInfo, SessionInfo};
use sesame_core::{
    AuthError, BreachLookup, Config, Env, Error, EventSink, Mailer, NativeHashing, Sesame,
};

use bindings::exports::sesame::auth::{accounts, roles, sessions};
use bindings::types as wit;
use wit_store::WitStore;

/// The component: one zero-sized type implementing every export.
pub(crate) struct Component;

/// Time and randomness from WASI; mail, events and native hashing through the host's imports.
struct GuestEnv;

impl Env for GuestEnv {
    fn now_ms(&self) -> u64 {
        sesame_wasi::env::now_ms()
    }

    fn fill_random(&self, buf: &mut [u8]) -> sesame_core::Result<()> {
        sesame_wasi::env::fill_random(buf)
    }
}

impl EventSink for GuestEnv {
    fn emit_event(&self, event: &sesame_core::events::Event) {
        if let Some(event) = convert::event(event) {
            bindings::wit_outbox::emit_event(&event);
        }
    }
}

impl NativeHashing for GuestEnv {
    /// The `service` world's host hashes natively (see `sesame:auth/hashing`); the `embed`
    /// world has no such import, and core hashes in the component.
    #[cfg(feature = "http")]
    fn argon2id(
        &self,
        password: &[u8],
        salt: &[u8],
        params: &sesame_core::hashing::Argon2Params,
        out: &mut [u8],
    ) -> Option<sesame_core::Result<()>> {
        host_hash::argon2id(password, salt, params, out)
    }

    /// Imported hashes go to the host too, when it hashes natively.
    #[cfg(feature = "http")]
    fn legacy_hash(
        &self,
        job: &sesame_core::legacy_hash::HostHash<'_>,
        out: &mut [u8],
    ) -> Option<sesame_core::Result<()>> {
        host_hash::legacy(job, out)
    }
}

impl BreachLookup for GuestEnv {
    /// The `service` world's host fetches breached-password ranges (see
    /// `sesame:auth/breach-lookup`); the `embed` world has no such import, and the lookup is
    /// not available there.
    #[cfg(feature = "http")]
    fn breach_range(
        &self,
        prefix: &str,
    ) -> Result<Vec<String>, sesame_core::password::breach::LookupFailure> {
        use bindings::wit_breach_lookup as wit;
        use sesame_core::password::breach::LookupFailure;
        wit::range(prefix).map_err(|e| match e {
            wit::LookupError::NotConfigured => LookupFailure::NotConfigured,
            wit::LookupError::Unavailable(why) => LookupFailure::Unavailable(why),
        })
    }
}

impl Mailer for GuestEnv {
    fn send_mail(&self, mail: &sesame_core::mail::Mail) {
        bindings::wit_outbox::send_mail(&bindings::wit_outbox::Mail {
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
        });
    }
}

/// The configuration, read once per instance from the environment the host gives.
fn config() -> Result<&'static Config, Error> {
    static CONFIG: OnceLock<Result<Config, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let vars: Vec<(String, String)> = std::env::vars().collect();
            Config::from_vars(vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|e| {
                match e {
                    Error::Config(why) => why,
                    other => other.to_string(),
                }
            })
        })
        .as_ref()
        .map_err(|why| Error::Config(why.clone()))
}

/// Runs `f` with Sesame over the host's store.
fn with_sesame<T>(f: impl FnOnce(&Sesame<'_>) -> Result<T, Error>) -> Result<T, Error> {
    let config = config()?;
    let sesame = Sesame::new(&WitStore, &GuestEnv, config)?;
    f(&sesame)
}

/// Runs a typed export, logging the detailed error to stderr (the host's log) and returning the
/// public one.
fn call<T>(
    name: &str,
    f: impl FnOnce(&Sesame<'_>) -> Result<T, Error>,
) -> Result<T, wit::AuthError> {
    with_sesame(f).map_err(|e| {
        sesame_wasi::log::error(name, &e);
        convert::error(AuthError::from(&e))
    })
}

/// Runs a typed export for the user signed in with the session `token`; an invalid session
/// is the export's error.
fn call_in_session<T>(
    name: &str,
    token: &str,
    f: impl FnOnce(&Sesame<'_>, &SessionInfo) -> Result<T, Error>,
) -> Result<T, wit::AuthError> {
    call(name, |s| {
        let info = s.validate_session(token)?;
        f(s, &info)
    })
}

/// Runs a typed export on behalf of the client the host describes.
fn call_for_client<T>(
    name: &str,
    client: wit::ClientInfo,
    f: impl FnOnce(&Sesame<'_>, &ClientInfo) -> Result<T, Error>,
) -> Result<T, wit::AuthError> {
    let client = convert::client(client);
    call(name, |s| f(s, &client))
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

    fn confirm_email(token: String) -> Result<wit::User, wit::AuthError> {
        call("confirm-email", |s| s.confirm_email(&token)).map(convert::user)
    }

    fn request_reset(email: String) -> Result<(), wit::AuthError> {
        call("request-reset", |s| s.request_reset(&email))
    }

    fn reset_password(token: String, new_password: String) -> Result<wit::User, wit::AuthError> {
        call("reset-password", |s| {
            s.reset_password(&token, &new_password)
        })
        .map(convert::user)
    }

    fn import_user(
        user: accounts::ImportedUser,
        flask_security_salt: Option<String>,
    ) -> Result<wit::User, wit::AuthError> {
        let imported = ImportedUser {
            email: user.email,
            username: user.username,
            password_hash: user.password_hash,
            roles: user.roles,
            active: user.active,
            confirmed: user.confirmed,
        };
        call("import-user", |s| {
            s.import_user(&imported, flask_security_salt.as_deref())
        })
        .map(convert::user)
    }

    fn get_user(id: String) -> Result<Option<wit::User>, wit::AuthError> {
        call("get-user", |s| s.get_user(&id)).map(|u| u.map(convert::user))
    }

    fn list_users(after: Option<String>, limit: u32) -> Result<Vec<wit::User>, wit::AuthError> {
        call("list-users", |s| s.list_users(after.as_deref(), limit))
            .map(|users| users.into_iter().map(convert::user).collect())
    }

    fn change_password(
        token: String,
        current: String,
        new: String,
        client: wit::ClientInfo,
    ) -> Result<wit::IssuedSession, wit::AuthError> {
        call_for_client("change-password", client, |s, client| {
            s.change_password(&token, &current, &new, client)
        })
        .map(convert::issued)
    }

    fn request_email_change(
        token: String,
        new_email: String,
        client: wit::ClientInfo,
    ) -> Result<(), wit::AuthError> {
        call_for_client("request-email-change", client, |s, client| {
            let info = s.validate_session(&token)?;
            s.request_email_change(&info, &new_email, client)
        })
    }

    fn confirm_email_change(link_token: String) -> Result<wit::User, wit::AuthError> {
        call("confirm-email-change", |s| {
            s.confirm_email_change(&link_token)
        })
        .map(convert::user)
    }

    fn restore_email(link_token: String) -> Result<(), wit::AuthError> {
        call("restore-email", |s| s.restore_email(&link_token))
    }

    fn change_username(
        token: String,
        new_username: String,
        client: wit::ClientInfo,
    ) -> Result<wit::User, wit::AuthError> {
        call_for_client("change-username", client, |s, client| {
            let info = s.validate_session(&token)?;
            s.change_username(&info, &new_username, client)
        })
        .map(convert::user)
    }

    fn recover_username(email: String) -> Result<(), wit::AuthError> {
        call("recover-username", |s| s.recover_username(&email))
    }

    fn verify_password(
        token: String,
        password: String,
        client: wit::ClientInfo,
    ) -> Result<u64, wit::AuthError> {
        call_for_client("verify-password", client, |s, client| {
            let login = s.validate_credential(&token)?;
            s.verify_password(&login, &password, client)
        })
    }

    fn set_active(email: String, active: bool) -> Result<wit::User, wit::AuthError> {
        call("set-active", |s| s.set_active(&email, active)).map(convert::user)
    }
}

impl sessions::Guest for Component {
    fn login(
        identity: String,
        password: String,
        client: wit::ClientInfo,
    ) -> Result<wit::IssuedSession, wit::AuthError> {
        call_for_client("login", client, |s, client| {
            s.login(&identity, &password, client)
        })
        .map(convert::issued)
    }

    fn validate(token: String) -> Result<wit::SessionInfo, wit::AuthError> {
        call("validate", |s| s.validate_session(&token)).map(|info| wit::SessionInfo {
            user: convert::user(info.user),
            csrf_token: info.csrf_token,
            created_at_ms: info.created_at_ms,
            expires_at_ms: info.expires_at_ms,
        })
    }

    fn logout(token: String) -> Result<(), wit::AuthError> {
        call("logout", |s| s.logout(&token))
    }

    fn list_sessions(token: String) -> Result<Vec<wit::SessionSummary>, wit::AuthError> {
        call_in_session("list-sessions", &token, |s, info| {
            s.list_sessions(&info.user.id)
        })
        .map(|list| list.into_iter().map(convert::session_summary).collect())
    }

    fn revoke(token: String, id: String) -> Result<(), wit::AuthError> {
        call_in_session("revoke", &token, |s, info| {
            s.revoke_session(&info.user.id, &id)
        })
    }

    fn revoke_all(token: String) -> Result<u32, wit::AuthError> {
        call_in_session("revoke-all", &token, |s, info| {
            s.revoke_all_sessions(&info.user.id)
        })
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }
}

impl roles::Guest for Component {
    fn put_role(role: roles::Role) -> Result<roles::Role, wit::AuthError> {
        let role = convert::role_in(role);
        call("put-role", |s| s.put_role(&role)).map(convert::role_out)
    }

    fn delete_role(name: String) -> Result<bool, wit::AuthError> {
        call("delete-role", |s| s.delete_role(&name))
    }

    fn list_roles() -> Result<Vec<roles::Role>, wit::AuthError> {
        call("list-roles", |s| s.list_roles())
            .map(|list| list.into_iter().map(convert::role_out).collect())
    }

    fn grant_role(email: String, role: String) -> Result<wit::User, wit::AuthError> {
        call("grant-role", |s| s.grant_role(&email, &role)).map(convert::user)
    }

    fn revoke_role(email: String, role: String) -> Result<wit::User, wit::AuthError> {
        call("revoke-role", |s| s.revoke_role(&email, &role)).map(convert::user)
    }
}
