//! The admin API under `/admin/`: JSON only, for operators and their tools.
//!
//! Every route names the area it belongs to ([`AdminArea`]) and lets in either an API key
//! whose scopes allow the area, or a signed-in person whose roles grant the permission and who
//! authenticated recently (cookie requests that change something also need the session's CSRF
//! token, as everywhere). What each operation may touch beyond that (no area widens its own
//! reach) is core's rule, in [`crate::admin`]. Accounts are named by id or email in a `user`
//! field or query parameter.
//!
//! The routes are split by what they serve: accounts and their logins and factors
//! (`accounts`), roles, API keys, events and the mail queue (`operations`).

mod accounts;
mod operations;

use serde::Deserialize;

use super::router::{Call, Route};
use crate::admin::{Actor, AdminArea};
use crate::error::{Error, ErrorCode};

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 24] = [
    Route::json("GET", "/admin/users", accounts::list_users),
    Route::json("POST", "/admin/users", accounts::create_user),
    Route::json("GET", "/admin/user", accounts::show_user),
    Route::json("POST", "/admin/user/update", accounts::update_user),
    Route::json("POST", "/admin/user/delete", accounts::delete_user),
    Route::json("GET", "/admin/user/sessions", accounts::sessions),
    Route::json(
        "POST",
        "/admin/user/sessions/revoke",
        accounts::revoke_sessions,
    ),
    Route::json("GET", "/admin/user/token-logins", accounts::token_logins),
    Route::json(
        "POST",
        "/admin/user/token-logins/revoke",
        accounts::revoke_token_login,
    ),
    Route::json("GET", "/admin/user/factors", accounts::factors),
    Route::json(
        "POST",
        "/admin/user/factors/reset-totp",
        accounts::reset_totp,
    ),
    Route::json(
        "POST",
        "/admin/user/factors/remove-passkey",
        accounts::remove_passkey,
    ),
    Route::json("POST", "/admin/user/roles/grant", accounts::grant_role),
    Route::json("POST", "/admin/user/roles/revoke", accounts::revoke_role),
    Route::json("GET", "/admin/roles", operations::list_roles),
    Route::json("POST", "/admin/roles", operations::put_role),
    Route::json("POST", "/admin/roles/delete", operations::delete_role),
    Route::json("GET", "/admin/api-keys", operations::list_api_keys),
    Route::json("POST", "/admin/api-keys", operations::create_api_key),
    Route::json("POST", "/admin/api-keys/revoke", operations::revoke_api_key),
    Route::json("GET", "/admin/events", operations::events),
    Route::json("GET", "/admin/mail", operations::mail),
    Route::json("POST", "/admin/mail/retry", operations::retry_mail),
    Route::json("POST", "/admin/mail/delete", operations::delete_mail),
];

/// Who is calling, if they may use `area`: an API key (`Authorization: Bearer sesame_ak_…`)
/// or a fresh login of a person with the permission.
fn actor(call: &Call<'_>, area: AdminArea) -> Result<Actor, Error> {
    if let Some(key) = call.caller.api_key() {
        return call.sesame.admin_actor_of_api_key(key, area);
    }
    let (login, _) = call.caller.signed_in(call.sesame)?;
    call.sesame.admin_actor_of_login(&login, area)
}

/// A required query parameter.
fn required_query(call: &Call<'_>, name: &str) -> Result<String, Error> {
    call.query_value(name)?.ok_or_else(|| {
        Error::rejected(
            ErrorCode::InvalidRequest,
            format!("The query parameter `{name}` is required."),
        )
    })
}

/// The `limit` query parameter: 1 up to `max`, `default` when absent.
fn limit(call: &Call<'_>, default: u32, max: u32) -> Result<u32, Error> {
    match call.query_value("limit")? {
        None => Ok(default),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                Error::rejected(
                    ErrorCode::InvalidRequest,
                    format!("`limit` is a whole number from 1 to {max}."),
                )
            }),
    }
}

/// A body naming only a user.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    /// The user's id or email.
    user: String,
}

/// The parsers of the admin bodies, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const BODIES: [super::parse::BodyParser; 3] = [
    super::parse::BodyParser::of::<UserBody>("admin-user"),
    accounts::UPDATE_BODY,
    operations::ROLE_BODY,
];

#[cfg(test)]
mod tests;
