//! `/admin/users`, `/admin/user` and what hangs off an account: its sessions, token logins,
//! factors and roles.

use serde::{Deserialize, Deserializer, Serialize};

use super::{UserBody, actor, limit, required_query};
use crate::accounts::{NewUser, User};
use crate::admin::{AdminArea, MAX_USERS_PER_PAGE, UserChanges};
use crate::error::Error;
use crate::http::answer::Answer;
use crate::http::bodies::Status;
use crate::http::parse;
use crate::http::router::Call;
use crate::http::webauthn::CredentialBody;
use crate::tokens::TokenLoginSummary;

pub(super) fn list_users(call: &Call<'_>) -> Result<Answer, Error> {
    actor(call, AdminArea::Users)?;
    let query = call.query_value("q")?;
    let after = call.query_value("after")?;
    let limit = limit(call, 100, MAX_USERS_PER_PAGE)?;
    let page = call
        .sesame
        .admin_list_users(query.as_deref(), after.as_deref(), limit)?;
    Ok(Answer::json(200, &page))
}

/// The body of `POST /admin/users`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    email: String,
    password: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

/// One user in an answer.
#[derive(Serialize)]
struct OneUser<'a> {
    user: &'a User,
}

pub(super) fn create_user(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Users)?;
    let body: CreateBody = parse::body(call.req)?;
    let user = call.sesame.admin_create_user(
        &actor,
        &NewUser {
            email: body.email,
            password: body.password,
            username: body.username,
            roles: body.roles,
        },
    )?;
    Ok(Answer::json(201, &OneUser { user: &user }))
}

pub(super) fn show_user(call: &Call<'_>) -> Result<Answer, Error> {
    actor(call, AdminArea::Users)?;
    let user = required_query(call, "user")?;
    Ok(Answer::json(200, &call.sesame.admin_find_user(&user)?))
}

/// The body of `POST /admin/user/update`. An absent field stays as it is; `username: null`
/// removes the username.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    user: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default, deserialize_with = "present")]
    username: Option<Option<String>>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    confirmed: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`, by `default`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The parser of [`UpdateBody`], for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(super) const UPDATE_BODY: crate::http::parse::BodyParser =
    crate::http::parse::BodyParser::of::<UpdateBody>("admin-user-update");

pub(super) fn update_user(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Users)?;
    let body: UpdateBody = parse::body(call.req)?;
    let changes = UserChanges {
        email: body.email,
        username: body.username,
        active: body.active,
        confirmed: body.confirmed,
    };
    let user = call
        .sesame
        .admin_update_user(&actor, &body.user, &changes)?;
    Ok(Answer::json(200, &OneUser { user: &user }))
}

/// The answer of `POST /admin/user/delete`.
#[derive(Serialize)]
struct Deleted<'a> {
    status: &'static str,
    /// The id the user's events now carry.
    anonymous_id: &'a str,
}

pub(super) fn delete_user(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Users)?;
    let body: UserBody = parse::body(call.req)?;
    let anonymous = call.sesame.admin_delete_user(&actor, &body.user)?;
    Ok(Answer::json(
        200,
        &Deleted {
            status: "deleted",
            anonymous_id: &anonymous,
        },
    ))
}

/// One session in `GET /admin/user/sessions`.
#[derive(Serialize)]
struct SessionBody<'a> {
    id: &'a str,
    created_at_ms: u64,
    last_seen_at_ms: u64,
    expires_at_ms: u64,
    address: &'a Option<String>,
    user_agent: &'a Option<String>,
}

/// The answer of `GET /admin/user/sessions`.
#[derive(Serialize)]
struct SessionList<'a> {
    sessions: Vec<SessionBody<'a>>,
}

pub(super) fn sessions(call: &Call<'_>) -> Result<Answer, Error> {
    actor(call, AdminArea::Users)?;
    let user = required_query(call, "user")?;
    let list = call.sesame.admin_list_sessions(&user)?;
    let body = SessionList {
        sessions: list
            .iter()
            .map(|s| SessionBody {
                id: &s.id,
                created_at_ms: s.created_at_ms,
                last_seen_at_ms: s.last_seen_at_ms,
                expires_at_ms: s.expires_at_ms,
                address: &s.address,
                user_agent: &s.user_agent,
            })
            .collect(),
    };
    Ok(Answer::json(200, &body))
}

/// The body of `POST /admin/user/sessions/revoke`: one session by `id`, or all of them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeSessionsBody {
    user: String,
    #[serde(default)]
    id: Option<String>,
}

/// How many logins a revocation ended.
#[derive(Serialize)]
struct Ended {
    ended: u32,
    status: &'static str,
}

pub(super) fn revoke_sessions(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Users)?;
    let body: RevokeSessionsBody = parse::body(call.req)?;
    let ended = call
        .sesame
        .admin_revoke_sessions(&actor, &body.user, body.id.as_deref())?;
    Ok(Answer::json(
        200,
        &Ended {
            ended,
            status: "revoked",
        },
    ))
}

/// The answer of `GET /admin/user/token-logins`.
#[derive(Serialize)]
struct TokenLoginList {
    token_logins: Vec<TokenLoginSummary>,
}

pub(super) fn token_logins(call: &Call<'_>) -> Result<Answer, Error> {
    actor(call, AdminArea::Users)?;
    let user = required_query(call, "user")?;
    let token_logins = call.sesame.admin_list_token_logins(&user)?;
    Ok(Answer::json(200, &TokenLoginList { token_logins }))
}

/// The body of `POST /admin/user/token-logins/revoke`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeLoginBody {
    user: String,
    id: String,
}

pub(super) fn revoke_token_login(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Users)?;
    let body: RevokeLoginBody = parse::body(call.req)?;
    call.sesame
        .admin_revoke_token_login(&actor, &body.user, &body.id)?;
    Ok(Answer::json(200, &Status { status: "revoked" }))
}

/// The answer of `GET /admin/user/factors`.
#[derive(Serialize)]
struct FactorsBody<'a> {
    totp_enabled: bool,
    totp_enrolment_pending: bool,
    recovery_codes_left: u32,
    passkeys: Vec<CredentialBody<'a>>,
}

pub(super) fn factors(call: &Call<'_>) -> Result<Answer, Error> {
    actor(call, AdminArea::Users)?;
    let user = required_query(call, "user")?;
    let factors = call.sesame.admin_list_factors(&user)?;
    Ok(Answer::json(
        200,
        &FactorsBody {
            totp_enabled: factors.totp_enabled,
            totp_enrolment_pending: factors.totp_enrolment_pending,
            recovery_codes_left: factors.recovery_codes_left,
            passkeys: factors.passkeys.iter().map(CredentialBody::from).collect(),
        },
    ))
}

/// The answer of `POST /admin/user/factors/reset-totp`.
#[derive(Serialize)]
struct TotpReset {
    status: &'static str,
    /// Whether TOTP had been on.
    was_enabled: bool,
}

pub(super) fn reset_totp(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Users)?;
    let body: UserBody = parse::body(call.req)?;
    let was_enabled = call.sesame.admin_reset_totp(&actor, &body.user)?;
    Ok(Answer::json(
        200,
        &TotpReset {
            status: "reset",
            was_enabled,
        },
    ))
}

/// The body of `POST /admin/user/factors/remove-passkey`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemovePasskeyBody {
    user: String,
    /// Credential ID or name.
    credential: String,
}

/// The answer of `POST /admin/user/factors/remove-passkey`.
#[derive(Serialize)]
struct PasskeyRemoved<'a> {
    credential: CredentialBody<'a>,
    status: &'static str,
}

pub(super) fn remove_passkey(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Users)?;
    let body: RemovePasskeyBody = parse::body(call.req)?;
    let removed = call
        .sesame
        .admin_remove_passkey(&actor, &body.user, &body.credential)?;
    Ok(Answer::json(
        200,
        &PasskeyRemoved {
            credential: CredentialBody::from(&removed),
            status: "removed",
        },
    ))
}

/// The body of `POST /admin/user/roles/grant` and `/revoke`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleGrantBody {
    user: String,
    role: String,
}

pub(super) fn grant_role(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Roles)?;
    let body: RoleGrantBody = parse::body(call.req)?;
    let user = call
        .sesame
        .admin_grant_role(&actor, &body.user, &body.role)?;
    Ok(Answer::json(200, &OneUser { user: &user }))
}

pub(super) fn revoke_role(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Roles)?;
    let body: RoleGrantBody = parse::body(call.req)?;
    let user = call
        .sesame
        .admin_revoke_role(&actor, &body.user, &body.role)?;
    Ok(Answer::json(200, &OneUser { user: &user }))
}
