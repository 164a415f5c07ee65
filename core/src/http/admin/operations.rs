//! `/admin/roles`, `/admin/api-keys`, `/admin/events` and `/admin/mail`: what an operator
//! runs besides accounts.

use serde::{Deserialize, Serialize};

use super::{actor, limit};
use crate::admin::{AdminArea, MAX_MAIL_QUEUE_PAGE, MailQueueEntry, MailQueueState};
use crate::api_keys::ApiKeyInfo;
use crate::error::{Error, ErrorCode};
use crate::events::{EventFilter, EventKind, MAX_EVENTS_PER_PAGE};
use crate::http::answer::Answer;
use crate::http::bodies::Status;
use crate::http::parse;
use crate::http::router::Call;
use crate::roles::Role;

/// The answer of `GET /admin/roles`.
#[derive(Serialize)]
struct RoleList {
    roles: Vec<Role>,
}

pub(super) fn list_roles(call: &Call<'_>) -> Result<Answer, Error> {
    actor(call, AdminArea::Roles)?;
    let roles = call.sesame.list_roles()?;
    Ok(Answer::json(200, &RoleList { roles }))
}

/// The body of `POST /admin/roles`: a role, created or replaced whole.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    permissions: Vec<String>,
}

/// The parser of [`RoleBody`], for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(super) const ROLE_BODY: crate::http::parse::BodyParser =
    crate::http::parse::BodyParser::of::<RoleBody>("admin-role");

/// One role in an answer.
#[derive(Serialize)]
struct OneRole {
    role: Role,
}

pub(super) fn put_role(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Roles)?;
    let body: RoleBody = parse::body(call.req)?;
    let role = call.sesame.admin_put_role(
        &actor,
        &Role {
            name: body.name,
            description: body.description,
            permissions: body.permissions,
        },
    )?;
    Ok(Answer::json(200, &OneRole { role }))
}

/// A body naming one thing by `name`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

pub(super) fn delete_role(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Roles)?;
    let body: NameBody = parse::body(call.req)?;
    if !call.sesame.admin_delete_role(&actor, &body.name)? {
        return Err(Error::rejected(
            ErrorCode::NotFound,
            "There is no such role.",
        ));
    }
    Ok(Answer::json(200, &Status { status: "deleted" }))
}

/// The answer of `GET /admin/api-keys`.
#[derive(Serialize)]
struct ApiKeyList {
    api_keys: Vec<ApiKeyInfo>,
}

pub(super) fn list_api_keys(call: &Call<'_>) -> Result<Answer, Error> {
    actor(call, AdminArea::ApiKeys)?;
    let api_keys = call.sesame.admin_list_api_keys()?;
    Ok(Answer::json(200, &ApiKeyList { api_keys }))
}

/// The body of `POST /admin/api-keys`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKeyBody {
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
}

/// A new key: the only time its secret is shown.
#[derive(Serialize)]
struct CreatedKey<'a> {
    api_key: &'a ApiKeyInfo,
    key: &'a str,
}

pub(super) fn create_api_key(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::ApiKeys)?;
    let body: NewKeyBody = parse::body(call.req)?;
    let created = call
        .sesame
        .admin_create_api_key(&actor, &body.name, &body.scopes)?;
    Ok(Answer::json(
        201,
        &CreatedKey {
            api_key: &created.info,
            key: &created.key,
        },
    ))
}

/// A body naming one thing by `id`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdBody {
    id: String,
}

pub(super) fn revoke_api_key(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::ApiKeys)?;
    let body: IdBody = parse::body(call.req)?;
    call.sesame.admin_revoke_api_key(&actor, &body.id)?;
    Ok(Answer::json(200, &Status { status: "revoked" }))
}

pub(super) fn events(call: &Call<'_>) -> Result<Answer, Error> {
    actor(call, AdminArea::Events)?;
    let user_id = match call.query_value("user")? {
        Some(user) => Some(call.sesame.admin_user_id(&user)?),
        None => None,
    };
    let kind = match call.query_value("kind")? {
        Some(raw) => Some(EventKind::parse(&raw).ok_or_else(|| {
            Error::rejected(ErrorCode::InvalidRequest, "`kind` is not an event kind.")
        })?),
        None => None,
    };
    let filter = EventFilter {
        user_id,
        kind,
        since_ms: time_query(call, "since_ms")?,
        until_ms: time_query(call, "until_ms")?,
        after: call.query_value("after")?,
        limit: limit(call, 100, MAX_EVENTS_PER_PAGE)?,
    };
    Ok(Answer::json(200, &call.sesame.list_events(&filter)?))
}

/// A time in ms since the epoch from the query.
fn time_query(call: &Call<'_>, name: &str) -> Result<Option<u64>, Error> {
    call.query_value(name)?
        .map(|raw| {
            raw.parse::<u64>().map_err(|_| {
                Error::rejected(
                    ErrorCode::InvalidRequest,
                    format!("`{name}` is a time in milliseconds since the epoch."),
                )
            })
        })
        .transpose()
}

/// The answer of `GET /admin/mail`.
#[derive(Serialize)]
struct MailList {
    messages: Vec<MailQueueEntry>,
    next: Option<String>,
}

/// The queue state a query or body names (`pending` when absent).
fn state(raw: Option<&str>) -> Result<MailQueueState, Error> {
    MailQueueState::parse(raw.unwrap_or("pending")).ok_or_else(|| {
        Error::rejected(ErrorCode::InvalidRequest, "`state` is `pending` or `dead`.")
    })
}

pub(super) fn mail(call: &Call<'_>) -> Result<Answer, Error> {
    actor(call, AdminArea::Mail)?;
    let state = state(call.query_value("state")?.as_deref())?;
    let after = call.query_value("after")?;
    let limit = limit(call, 100, MAX_MAIL_QUEUE_PAGE)?;
    let (messages, next) = call
        .sesame
        .admin_list_mail(state, after.as_deref(), limit)?;
    Ok(Answer::json(200, &MailList { messages, next }))
}

pub(super) fn retry_mail(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Mail)?;
    let body: IdBody = parse::body(call.req)?;
    call.sesame.admin_retry_mail(&actor, &body.id)?;
    Ok(Answer::json(200, &Status { status: "queued" }))
}

/// The body of `POST /admin/mail/delete`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteMailBody {
    id: String,
    #[serde(default)]
    state: Option<String>,
}

pub(super) fn delete_mail(call: &Call<'_>) -> Result<Answer, Error> {
    let actor = actor(call, AdminArea::Mail)?;
    let body: DeleteMailBody = parse::body(call.req)?;
    let state = state(body.state.as_deref())?;
    call.sesame.admin_delete_mail(&actor, state, &body.id)?;
    Ok(Answer::json(200, &Status { status: "deleted" }))
}
