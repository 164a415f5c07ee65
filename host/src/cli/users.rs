//! `sesame user show|delete|sessions|revoke`, `sesame events list` and `sesame export`: the
//! component's `admin` export, called as the operator. Users are named by id or email.

use anyhow::{Result, bail};
use clap::Subcommand;
use serde_json::{Value, json};

use super::{Admin, auth_error};
use crate::bindings::admin::{Caller, EventFilter};
use crate::bindings::{admin, types};

/// `sesame events`.
#[derive(Debug, Subcommand)]
pub(crate) enum EventsCommand {
    /// List journal events, oldest first, one JSON object per line.
    List {
        /// Only this user's (id or email).
        #[arg(long)]
        user: Option<String>,
        /// Only this kind (`login-failed`, `admin-action`, ...).
        #[arg(long)]
        kind: Option<String>,
        /// Only at or after this time, ms since the epoch.
        #[arg(long)]
        since_ms: Option<u64>,
        /// Only at or before this time, ms since the epoch.
        #[arg(long)]
        until_ms: Option<u64>,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
}

/// The operator: the CLI runs with the store and the secret in hand.
const OPERATOR: Caller = Caller::Operator;

fn user_json(user: &types::User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "roles": user.roles,
        "active": user.active,
        "created_at_ms": user.created_at_ms,
        "confirmed_at_ms": user.confirmed_at_ms,
        "login_count": user.tracking.login_count,
        "current_login_at_ms": user.tracking.current_login_at_ms,
        "current_login_ip": user.tracking.current_login_ip,
        "last_login_at_ms": user.tracking.last_login_at_ms,
        "last_login_ip": user.tracking.last_login_ip,
    })
}

fn factors_json(f: &admin::Factors) -> Value {
    json!({
        "totp_enabled": f.totp_enabled,
        "totp_enrolment_pending": f.totp_enrolment_pending,
        "recovery_codes_left": f.recovery_codes_left,
        "passkeys": f.passkeys.iter().map(|p| json!({
            "id": p.id,
            "name": p.name,
            "algorithm": p.algorithm,
            "created_at_ms": p.created_at_ms,
            "last_used_at_ms": p.last_used_at_ms,
            "backed_up": p.backed_up,
        })).collect::<Vec<_>>(),
    })
}

/// A session without its id (the hash of its token).
fn session_json(s: &types::SessionSummary) -> Value {
    json!({
        "created_at_ms": s.created_at_ms,
        "last_seen_at_ms": s.last_seen_at_ms,
        "expires_at_ms": s.expires_at_ms,
        "address": s.address,
        "user_agent": s.user_agent,
    })
}

/// A token login without its id.
fn token_login_json(t: &admin::TokenLogin) -> Value {
    json!({
        "created_at_ms": t.created_at_ms,
        "refreshed_at_ms": t.refreshed_at_ms,
        "expires_at_ms": t.expires_at_ms,
        "address": t.address,
        "user_agent": t.user_agent,
        "client_id": t.client_id,
        "scope": t.scope,
    })
}

/// Adds `name` to the JSON object `value`.
fn insert(value: &mut Value, name: &str, field: Value) {
    if let Some(object) = value.as_object_mut() {
        object.insert(name.to_owned(), field);
    }
}

fn event_json(e: &admin::Event) -> Value {
    json!({
        "id": e.id,
        "kind": e.kind,
        "user_id": e.user_id,
        "address": e.address,
        "at_ms": e.at_ms,
        "actor": e.actor,
        "action": e.action,
    })
}

/// `sesame user show`: the account, its lockout and permissions, and its factors, as JSON.
pub(crate) async fn show(mut admin: Admin, user: &str) -> Result<()> {
    let api = admin.service.sesame_auth_admin();
    let details = api
        .call_show_user(&mut admin.store, &OPERATOR, user)
        .await?
        .map_err(auth_error)?;
    let factors = api
        .call_list_factors(&mut admin.store, &OPERATOR, user)
        .await?
        .map_err(auth_error)?;
    let mut shown = user_json(&details.user);
    insert(
        &mut shown,
        "failed_sign_ins",
        details.failed_sign_ins.into(),
    );
    insert(
        &mut shown,
        "locked_until_ms",
        json!(details.locked_until_ms),
    );
    insert(&mut shown, "permissions", json!(details.permissions));
    insert(&mut shown, "has_password", details.has_password.into());
    insert(&mut shown, "factors", factors_json(&factors));
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(())
}

/// `sesame user delete`: erases the user.
pub(crate) async fn delete(mut admin: Admin, user: &str, confirmed: bool) -> Result<()> {
    if !confirmed {
        bail!("erasing {user} cannot be undone; run again with --yes");
    }
    let anonymous = admin
        .service
        .sesame_auth_admin()
        .call_delete_user(&mut admin.store, &OPERATOR, user)
        .await?
        .map_err(auth_error)?;
    println!("erased {user}; their events now name {anonymous}");
    Ok(())
}

/// `sesame user sessions`: sessions and token logins, newest first, one JSON line each.
pub(crate) async fn sessions(mut admin: Admin, user: &str) -> Result<()> {
    let api = admin.service.sesame_auth_admin();
    let sessions = api
        .call_list_sessions(&mut admin.store, &OPERATOR, user)
        .await?
        .map_err(auth_error)?;
    for s in &sessions {
        let mut line = session_json(s);
        insert(&mut line, "kind", "session".into());
        insert(&mut line, "id", s.id.clone().into());
        println!("{line}");
    }
    let logins = api
        .call_list_token_logins(&mut admin.store, &OPERATOR, user)
        .await?
        .map_err(auth_error)?;
    for t in &logins {
        let mut line = token_login_json(t);
        insert(&mut line, "kind", "token-login".into());
        insert(&mut line, "id", t.id.clone().into());
        println!("{line}");
    }
    Ok(())
}

/// `sesame user revoke`: one session, or every session and token login.
pub(crate) async fn revoke(mut admin: Admin, user: &str, session: Option<String>) -> Result<()> {
    let ended = admin
        .service
        .sesame_auth_admin()
        .call_revoke_sessions(&mut admin.store, &OPERATOR, user, session.as_deref())
        .await?
        .map_err(auth_error)?;
    println!("ended {ended} login(s) of {user}");
    Ok(())
}

/// Every event matching `filter` (up to `most`), all pages.
async fn all_events(
    admin: &mut Admin,
    mut filter: EventFilter,
    most: usize,
) -> Result<Vec<admin::Event>> {
    let api = admin.service.sesame_auth_admin();
    let mut events = Vec::new();
    loop {
        let page = api
            .call_list_events(&mut admin.store, &OPERATOR, &filter)
            .await?
            .map_err(auth_error)?;
        events.extend(page.events);
        if events.len() >= most {
            events.truncate(most);
            return Ok(events);
        }
        match page.next {
            Some(next) => filter.after = Some(next),
            None => return Ok(events),
        }
    }
}

/// `sesame events list`.
pub(crate) async fn events(mut admin: Admin, command: EventsCommand) -> Result<()> {
    let EventsCommand::List {
        user,
        kind,
        since_ms,
        until_ms,
        limit,
    } = command;
    let filter = EventFilter {
        user,
        kind,
        since_ms,
        until_ms,
        after: None,
        limit: 500,
    };
    for event in all_events(&mut admin, filter, limit).await? {
        println!("{}", event_json(&event));
    }
    Ok(())
}

/// `sesame export --user`: the account, its sessions and token logins (without their ids,
/// which are token hashes), factors (no key material) and events, as one JSON document.
pub(crate) async fn export(mut admin: Admin, user: &str) -> Result<()> {
    let api = admin.service.sesame_auth_admin();
    let details = api
        .call_show_user(&mut admin.store, &OPERATOR, user)
        .await?
        .map_err(auth_error)?;
    let id = details.user.id.clone();
    let sessions = api
        .call_list_sessions(&mut admin.store, &OPERATOR, &id)
        .await?
        .map_err(auth_error)?;
    let logins = api
        .call_list_token_logins(&mut admin.store, &OPERATOR, &id)
        .await?
        .map_err(auth_error)?;
    let factors = api
        .call_list_factors(&mut admin.store, &OPERATOR, &id)
        .await?
        .map_err(auth_error)?;
    let filter = EventFilter {
        user: Some(id.clone()),
        kind: None,
        since_ms: None,
        until_ms: None,
        after: None,
        limit: 500,
    };
    let events = all_events(&mut admin, filter, usize::MAX).await?;
    let document = json!({
        "user": user_json(&details.user),
        "permissions": details.permissions,
        "sessions": sessions.iter().map(session_json).collect::<Vec<_>>(),
        "token_logins": logins.iter().map(token_login_json).collect::<Vec<_>>(),
        "factors": factors_json(&factors),
        "events": events.iter().map(event_json).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&document)?);
    Ok(())
}
