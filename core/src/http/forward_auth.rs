//! Forward-auth for reverse proxies (nginx `auth_request`, Traefik `forwardAuth`, Envoy
//! `ext_authz`): `GET /auth/check?role=R&permission=P&scope=S`.

use super::answer::Answer;
use super::bodies::Status;
use super::parse;
use super::router::{Call, Route, sanitize_to};
use crate::error::{Error, ErrorCode};

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 1] = [Route::json("GET", "/auth/check", auth_check)];

/// The longest role, permission or scope name echoed back in a refusal.
const NAME_LIMIT: usize = 64;

/// 200 with identity headers when signed in and holding every `role` and `permission` asked
/// for in the query, 401 when not signed in, 403 when something is missing.
///
/// An API key counts only where the caller asks for at least one `scope`: a route guarded by
/// roles, permissions or nothing at all is for users, and a service's key must not pass it.
fn auth_check(call: &Call<'_>) -> Result<Answer, Error> {
    let query = parse::query_pairs(call.req)?;
    if let Some(key) = call.caller.api_key() {
        if !query.iter().any(|(name, _)| name == "scope") {
            return Err(Error::rejected(
                ErrorCode::Unauthenticated,
                "An API key passes only a check that asks for a scope (?scope=...).",
            ));
        }
        return service_check(call, key, &query);
    }
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let permissions = call.sesame.permissions_of(&info.user)?;
    for (name, value) in &query {
        let held = match name.as_str() {
            "role" => info.user.roles.contains(value),
            "permission" => permissions.contains(value),
            // Scopes belong to API keys; a user never holds one.
            "scope" => false,
            _ => {
                return Err(Error::rejected(
                    ErrorCode::InvalidRequest,
                    "Only 'role', 'permission' and 'scope' may be asked for.",
                ));
            }
        };
        if !held {
            return Err(missing(name, value));
        }
    }
    Ok(Answer::json(200, &Status { status: "ok" })
        .with_header("x-sesame-user", info.user.id.clone())
        .with_header("x-sesame-email", info.user.email.clone())
        .with_header("x-sesame-roles", info.user.roles.join(",")))
}

/// `/auth/check` for a service presenting an API key: 200 when the key is live and holds every
/// `scope` asked for.
fn service_check(call: &Call<'_>, key: &str, query: &[(String, String)]) -> Result<Answer, Error> {
    let info = call.sesame.verify_api_key(key)?;
    for (name, value) in query {
        if name != "scope" {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "An API key is checked for 'scope' only.",
            ));
        }
        if !info.scopes.contains(value) {
            return Err(missing(name, value));
        }
    }
    Ok(Answer::json(200, &Status { status: "ok" })
        .with_header("x-sesame-api-key", info.id.clone())
        .with_header("x-sesame-api-key-name", sanitize_to(&info.name, NAME_LIMIT))
        .with_header("x-sesame-scopes", info.scopes.join(",")))
}

/// The refusal of a caller that lacks the `kind` (role, permission, scope) named `value`.
fn missing(kind: &str, value: &str) -> Error {
    Error::rejected(
        ErrorCode::Forbidden,
        format!(
            "This needs the {kind} '{}'.",
            sanitize_to(value, NAME_LIMIT)
        ),
    )
}
