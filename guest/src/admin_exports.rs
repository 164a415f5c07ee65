//! The `admin` export. Glue only: who the caller is and what they may do is decided in
//! sesame-core's `admin` module.

use sesame_core::accounts::NewUser;
use sesame_core::admin::{
    Actor, AdminArea, AdminCaller, MailQueueEntry, MailQueueState, UserChanges,
};
use sesame_core::events::{EventFilter, EventKind, ListedEvent};
use sesame_core::tokens::TokenLoginSummary;
use sesame_core::{Error, ErrorCode, Sesame};

use crate::bindings::exports::sesame::auth::admin;
use crate::bindings::exports::sesame::auth::api_keys;
use crate::bindings::types as wit;
use crate::{Component, call, convert};

/// Runs an admin export for `caller`, if they may use `area`.
fn as_caller<T>(
    name: &str,
    caller: &admin::Caller,
    area: AdminArea,
    f: impl FnOnce(&Sesame<'_>, &Actor) -> Result<T, Error>,
) -> Result<T, wit::AuthError> {
    call(name, |s| {
        let caller = match caller {
            admin::Caller::Operator => AdminCaller::Operator,
            admin::Caller::ApiKey(key) => AdminCaller::ApiKey(key),
            admin::Caller::Login(token) => AdminCaller::Login(token),
        };
        let actor = s.admin_actor(caller, area)?;
        f(s, &actor)
    })
}

fn state_in(state: admin::MailState) -> MailQueueState {
    match state {
        admin::MailState::Pending => MailQueueState::Pending,
        admin::MailState::Dead => MailQueueState::Dead,
    }
}

fn mail_out(m: MailQueueEntry) -> admin::QueuedMail {
    admin::QueuedMail {
        id: m.id,
        state: match m.state {
            MailQueueState::Pending => admin::MailState::Pending,
            MailQueueState::Dead => admin::MailState::Dead,
        },
        to: m.to,
        subject: m.subject,
        queued_at_ms: m.queued_at_ms,
        attempts: m.attempts,
        next_attempt_ms: m.next_attempt_ms,
        last_error: m.last_error,
    }
}

fn event_out(e: ListedEvent) -> admin::Event {
    admin::Event {
        id: e.id,
        kind: e.event.kind.as_str().to_owned(),
        user_id: e.event.user_id,
        address: e.event.address,
        at_ms: e.event.at_ms,
        actor: e.event.actor,
        action: e.event.action,
    }
}

fn token_login_out(l: TokenLoginSummary) -> admin::TokenLogin {
    admin::TokenLogin {
        id: l.id,
        created_at_ms: l.created_at_ms,
        refreshed_at_ms: l.refreshed_at_ms,
        expires_at_ms: l.expires_at_ms,
        address: l.address,
        user_agent: l.user_agent,
        client_id: l.client_id,
        scope: l.scope,
    }
}

impl admin::Guest for Component {
    fn list_users(
        caller: admin::Caller,
        query: Option<String>,
        after: Option<String>,
        limit: u32,
    ) -> Result<admin::UserPage, wit::AuthError> {
        as_caller("admin.list-users", &caller, AdminArea::Users, |s, _| {
            s.admin_list_users(query.as_deref(), after.as_deref(), limit)
        })
        .map(|page| admin::UserPage {
            users: page.users.into_iter().map(convert::user).collect(),
            next: page.next,
        })
    }

    fn show_user(
        caller: admin::Caller,
        user: String,
    ) -> Result<admin::UserDetails, wit::AuthError> {
        as_caller("admin.show-user", &caller, AdminArea::Users, |s, _| {
            s.admin_find_user(&user)
        })
        .map(|d| admin::UserDetails {
            user: convert::user(d.user),
            failed_sign_ins: d.failed_sign_ins,
            locked_until_ms: d.locked_until_ms,
            permissions: d.permissions,
            has_password: d.has_password,
        })
    }

    fn create_user(
        caller: admin::Caller,
        user: admin::NewUser,
    ) -> Result<wit::User, wit::AuthError> {
        let new = NewUser {
            email: user.email,
            password: user.password,
            username: user.username,
            roles: user.roles,
        };
        as_caller(
            "admin.create-user",
            &caller,
            AdminArea::Users,
            |s, actor| s.admin_create_user(actor, &new),
        )
        .map(convert::user)
    }

    fn update_user(
        caller: admin::Caller,
        user: String,
        changes: admin::UserChanges,
    ) -> Result<wit::User, wit::AuthError> {
        as_caller(
            "admin.update-user",
            &caller,
            AdminArea::Users,
            |s, actor| {
                let username = match (changes.username, changes.remove_username) {
                    (Some(_), true) => {
                        return Err(Error::rejected(
                            ErrorCode::InvalidRequest,
                            "Give a new username or remove it, not both.",
                        ));
                    }
                    (Some(name), false) => Some(Some(name)),
                    (None, true) => Some(None),
                    (None, false) => None,
                };
                let changes = UserChanges {
                    email: changes.email,
                    username,
                    active: changes.active,
                    confirmed: changes.confirmed,
                };
                s.admin_update_user(actor, &user, &changes)
            },
        )
        .map(convert::user)
    }

    fn delete_user(caller: admin::Caller, user: String) -> Result<String, wit::AuthError> {
        as_caller(
            "admin.delete-user",
            &caller,
            AdminArea::Users,
            |s, actor| s.admin_delete_user(actor, &user),
        )
    }

    fn list_sessions(
        caller: admin::Caller,
        user: String,
    ) -> Result<Vec<wit::SessionSummary>, wit::AuthError> {
        as_caller("admin.list-sessions", &caller, AdminArea::Users, |s, _| {
            s.admin_list_sessions(&user)
        })
        .map(|list| list.into_iter().map(convert::session_summary).collect())
    }

    fn revoke_sessions(
        caller: admin::Caller,
        user: String,
        id: Option<String>,
    ) -> Result<u32, wit::AuthError> {
        as_caller(
            "admin.revoke-sessions",
            &caller,
            AdminArea::Users,
            |s, actor| s.admin_revoke_sessions(actor, &user, id.as_deref()),
        )
    }

    fn list_token_logins(
        caller: admin::Caller,
        user: String,
    ) -> Result<Vec<admin::TokenLogin>, wit::AuthError> {
        as_caller(
            "admin.list-token-logins",
            &caller,
            AdminArea::Users,
            |s, _| s.admin_list_token_logins(&user),
        )
        .map(|list| list.into_iter().map(token_login_out).collect())
    }

    fn revoke_token_login(
        caller: admin::Caller,
        user: String,
        id: String,
    ) -> Result<(), wit::AuthError> {
        as_caller(
            "admin.revoke-token-login",
            &caller,
            AdminArea::Users,
            |s, actor| s.admin_revoke_token_login(actor, &user, &id),
        )
    }

    fn list_factors(caller: admin::Caller, user: String) -> Result<admin::Factors, wit::AuthError> {
        as_caller("admin.list-factors", &caller, AdminArea::Users, |s, _| {
            s.admin_list_factors(&user)
        })
        .map(|f| admin::Factors {
            totp_enabled: f.totp_enabled,
            totp_enrolment_pending: f.totp_enrolment_pending,
            recovery_codes_left: f.recovery_codes_left,
            passkeys: f
                .passkeys
                .into_iter()
                .map(crate::webauthn::credential)
                .collect(),
        })
    }

    fn reset_totp(caller: admin::Caller, user: String) -> Result<bool, wit::AuthError> {
        as_caller("admin.reset-totp", &caller, AdminArea::Users, |s, actor| {
            s.admin_reset_totp(actor, &user)
        })
    }

    fn remove_passkey(
        caller: admin::Caller,
        user: String,
        credential: String,
    ) -> Result<admin::CredentialInfo, wit::AuthError> {
        as_caller(
            "admin.remove-passkey",
            &caller,
            AdminArea::Users,
            |s, actor| s.admin_remove_passkey(actor, &user, &credential),
        )
        .map(crate::webauthn::credential)
    }

    fn grant_role(
        caller: admin::Caller,
        user: String,
        role: String,
    ) -> Result<wit::User, wit::AuthError> {
        as_caller("admin.grant-role", &caller, AdminArea::Roles, |s, actor| {
            s.admin_grant_role(actor, &user, &role)
        })
        .map(convert::user)
    }

    fn revoke_role(
        caller: admin::Caller,
        user: String,
        role: String,
    ) -> Result<wit::User, wit::AuthError> {
        as_caller(
            "admin.revoke-role",
            &caller,
            AdminArea::Roles,
            |s, actor| s.admin_revoke_role(actor, &user, &role),
        )
        .map(convert::user)
    }

    fn list_roles(caller: admin::Caller) -> Result<Vec<admin::Role>, wit::AuthError> {
        as_caller("admin.list-roles", &caller, AdminArea::Roles, |s, _| {
            s.list_roles()
        })
        .map(|list| list.into_iter().map(convert::role_out).collect())
    }

    fn put_role(caller: admin::Caller, role: admin::Role) -> Result<admin::Role, wit::AuthError> {
        let role = convert::role_in(role);
        as_caller("admin.put-role", &caller, AdminArea::Roles, |s, actor| {
            s.admin_put_role(actor, &role)
        })
        .map(convert::role_out)
    }

    fn delete_role(caller: admin::Caller, name: String) -> Result<bool, wit::AuthError> {
        as_caller(
            "admin.delete-role",
            &caller,
            AdminArea::Roles,
            |s, actor| s.admin_delete_role(actor, &name),
        )
    }

    fn list_api_keys(caller: admin::Caller) -> Result<Vec<admin::ApiKeyInfo>, wit::AuthError> {
        as_caller(
            "admin.list-api-keys",
            &caller,
            AdminArea::ApiKeys,
            |s, _| s.admin_list_api_keys(),
        )
        .map(|list| {
            list.into_iter()
                .map(crate::token_exports::key_info)
                .collect()
        })
    }

    fn create_api_key(
        caller: admin::Caller,
        name: String,
        scopes: Vec<String>,
    ) -> Result<admin::CreatedApiKey, wit::AuthError> {
        as_caller(
            "admin.create-api-key",
            &caller,
            AdminArea::ApiKeys,
            |s, actor| s.admin_create_api_key(actor, &name, &scopes),
        )
        .map(|created| api_keys::CreatedApiKey {
            info: crate::token_exports::key_info(created.info),
            key: created.key.to_string(),
        })
    }

    fn revoke_api_key(caller: admin::Caller, id: String) -> Result<(), wit::AuthError> {
        as_caller(
            "admin.revoke-api-key",
            &caller,
            AdminArea::ApiKeys,
            |s, actor| s.admin_revoke_api_key(actor, &id),
        )
    }

    fn list_events(
        caller: admin::Caller,
        filter: admin::EventFilter,
    ) -> Result<admin::EventPage, wit::AuthError> {
        as_caller("admin.list-events", &caller, AdminArea::Events, |s, _| {
            let kind = filter
                .kind
                .as_deref()
                .map(|k| {
                    EventKind::parse(k).ok_or_else(|| {
                        Error::rejected(ErrorCode::InvalidRequest, "`kind` is not an event kind.")
                    })
                })
                .transpose()?;
            let user_id = filter
                .user
                .as_deref()
                .map(|u| s.admin_user_id(u))
                .transpose()?;
            s.list_events(&EventFilter {
                user_id,
                kind,
                since_ms: filter.since_ms,
                until_ms: filter.until_ms,
                after: filter.after.clone(),
                limit: filter.limit,
            })
        })
        .map(|page| admin::EventPage {
            events: page.events.into_iter().map(event_out).collect(),
            next: page.next,
        })
    }

    fn list_mail(
        caller: admin::Caller,
        state: admin::MailState,
        after: Option<String>,
        limit: u32,
    ) -> Result<admin::MailPage, wit::AuthError> {
        as_caller("admin.list-mail", &caller, AdminArea::Mail, |s, _| {
            s.admin_list_mail(state_in(state), after.as_deref(), limit)
        })
        .map(|(messages, next)| admin::MailPage {
            messages: messages.into_iter().map(mail_out).collect(),
            next,
        })
    }

    fn retry_mail(caller: admin::Caller, id: String) -> Result<(), wit::AuthError> {
        as_caller("admin.retry-mail", &caller, AdminArea::Mail, |s, actor| {
            s.admin_retry_mail(actor, &id)
        })
    }

    fn delete_mail(
        caller: admin::Caller,
        state: admin::MailState,
        id: String,
    ) -> Result<(), wit::AuthError> {
        as_caller("admin.delete-mail", &caller, AdminArea::Mail, |s, actor| {
            s.admin_delete_mail(actor, state_in(state), &id)
        })
    }
}
