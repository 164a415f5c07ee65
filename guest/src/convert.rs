//! Every conversion between WIT types and core types, with exhaustive matches.

use sesame_core::accounts::User;
use sesame_core::roles::Role;
use sesame_core::sessions::{ClientInfo, IssuedSession, SessionSummary};
use sesame_core::{AuthError, ErrorCode};

use crate::bindings::exports::sesame::auth::roles as wit_roles;
use crate::bindings::types as wit;
use crate::bindings::wit_outbox;
use sesame_core::events::{Event, EventKind};

/// A core user as the WIT record.
pub(crate) fn user(u: User) -> wit::User {
    wit::User {
        id: u.id,
        email: u.email,
        username: u.username,
        roles: u.roles,
        active: u.active,
        created_at_ms: u.created_at_ms,
        confirmed_at_ms: u.confirmed_at_ms,
        tracking: wit::Tracking {
            login_count: u.tracking.login_count,
            current_login_at_ms: u.tracking.current_login_at_ms,
            current_login_ip: u.tracking.current_login_ip,
            last_login_at_ms: u.tracking.last_login_at_ms,
            last_login_ip: u.tracking.last_login_ip,
        },
    }
}

/// WIT client facts as core's.
pub(crate) fn client(c: wit::ClientInfo) -> ClientInfo {
    ClientInfo {
        address: c.address,
        user_agent: c.user_agent,
    }
}

/// A new session as the WIT record (the only place the token crosses).
pub(crate) fn issued(s: IssuedSession) -> wit::IssuedSession {
    wit::IssuedSession {
        token: s.token.expose().to_owned(),
        user: user(s.user),
        csrf_token: s.csrf_token,
        expires_at_ms: s.expires_at_ms,
    }
}

/// A session summary as the WIT record.
pub(crate) fn session_summary(s: SessionSummary) -> wit::SessionSummary {
    wit::SessionSummary {
        id: s.id,
        created_at_ms: s.created_at_ms,
        last_seen_at_ms: s.last_seen_at_ms,
        expires_at_ms: s.expires_at_ms,
        address: s.address,
        user_agent: s.user_agent,
    }
}

/// A WIT role as core's.
pub(crate) fn role_in(r: wit_roles::Role) -> Role {
    Role {
        name: r.name,
        description: r.description,
        permissions: r.permissions,
    }
}

/// A core role as the WIT record.
pub(crate) fn role_out(r: Role) -> wit_roles::Role {
    wit_roles::Role {
        name: r.name,
        description: r.description,
        permissions: r.permissions,
    }
}

/// A core event as the WIT record; `None` for a kind this WIT release has no case for
/// (administrators' actions, which stay in the component's journal).
pub(crate) fn event(e: &Event) -> Option<wit_outbox::Event> {
    Some(wit_outbox::Event {
        kind: match e.kind {
            EventKind::Registered => wit_outbox::EventKind::Registered,
            EventKind::Confirmed => wit_outbox::EventKind::Confirmed,
            EventKind::LoginSucceeded => wit_outbox::EventKind::LoginSucceeded,
            EventKind::LoginFailed => wit_outbox::EventKind::LoginFailed,
            EventKind::Locked => wit_outbox::EventKind::Locked,
            EventKind::PasswordChanged => wit_outbox::EventKind::PasswordChanged,
            EventKind::PasswordReset => wit_outbox::EventKind::PasswordReset,
            EventKind::SessionRevoked => wit_outbox::EventKind::SessionRevoked,
            EventKind::RefreshTokenReused => wit_outbox::EventKind::RefreshTokenReused,
            EventKind::PasskeyRegistered => wit_outbox::EventKind::PasskeyRegistered,
            EventKind::PasskeyDeleted => wit_outbox::EventKind::PasskeyDeleted,
            EventKind::PasskeySignCountRegression => {
                wit_outbox::EventKind::PasskeySignCountRegression
            }
            EventKind::TwoFactorEnabled => wit_outbox::EventKind::TwoFactorEnabled,
            EventKind::TwoFactorDisabled => wit_outbox::EventKind::TwoFactorDisabled,
            EventKind::RecoveryCodesGenerated => wit_outbox::EventKind::RecoveryCodesGenerated,
            EventKind::AuthorizationCodeReused => wit_outbox::EventKind::AuthorizationCodeReused,
            EventKind::ConsentGranted => wit_outbox::EventKind::ConsentGranted,
            EventKind::ConsentRevoked => wit_outbox::EventKind::ConsentRevoked,
            EventKind::EmailChanged => wit_outbox::EventKind::EmailChanged,
            EventKind::UsernameChanged => wit_outbox::EventKind::UsernameChanged,
            // Administrators' actions stay in the journal (the admin API reads them).
            EventKind::AdminAction => return None,
        },
        user_id: e.user_id.clone(),
        address: e.address.clone(),
        at_ms: e.at_ms,
    })
}

/// A core error as the WIT error.
pub(crate) fn error(e: impl Into<AuthError>) -> wit::AuthError {
    let e = e.into();
    wit::AuthError {
        code: code(e.code),
        message: e.message,
    }
}

fn code(c: ErrorCode) -> wit::ErrorCode {
    match c {
        ErrorCode::InvalidRequest => wit::ErrorCode::InvalidRequest,
        ErrorCode::MalformedJson => wit::ErrorCode::MalformedJson,
        ErrorCode::InvalidEncoding => wit::ErrorCode::InvalidEncoding,
        ErrorCode::UnsupportedMediaType => wit::ErrorCode::UnsupportedMediaType,
        ErrorCode::PayloadTooLarge => wit::ErrorCode::PayloadTooLarge,
        ErrorCode::InvalidEmail => wit::ErrorCode::InvalidEmail,
        ErrorCode::InvalidUsername => wit::ErrorCode::InvalidUsername,
        ErrorCode::WeakPassword => wit::ErrorCode::WeakPassword,
        ErrorCode::InvalidCredentials => wit::ErrorCode::InvalidCredentials,
        ErrorCode::Unauthenticated => wit::ErrorCode::Unauthenticated,
        ErrorCode::Forbidden => wit::ErrorCode::Forbidden,
        ErrorCode::CsrfRejected => wit::ErrorCode::CsrfRejected,
        ErrorCode::RateLimited => wit::ErrorCode::RateLimited,
        ErrorCode::InvalidToken => wit::ErrorCode::InvalidToken,
        ErrorCode::NotFound => wit::ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed => wit::ErrorCode::MethodNotAllowed,
        ErrorCode::AlreadyExists => wit::ErrorCode::AlreadyExists,
        ErrorCode::StoreUnavailable => wit::ErrorCode::StoreUnavailable,
        ErrorCode::Internal => wit::ErrorCode::Internal,
        ErrorCode::InvalidCode => wit::ErrorCode::InvalidCode,
        ErrorCode::SecondFactorRequired => wit::ErrorCode::SecondFactorRequired,
        ErrorCode::WebauthnRejected => wit::ErrorCode::WebauthnRejected,
        ErrorCode::ChallengeInvalid => wit::ErrorCode::ChallengeInvalid,
        ErrorCode::UnknownCredential => wit::ErrorCode::UnknownCredential,
        ErrorCode::SignCountRegression => wit::ErrorCode::SignCountRegression,
        ErrorCode::ReauthenticationRequired => wit::ErrorCode::ReauthenticationRequired,
        ErrorCode::Busy => wit::ErrorCode::Busy,
        ErrorCode::BreachedPassword => wit::ErrorCode::BreachedPassword,
        ErrorCode::BreachCheckUnavailable => wit::ErrorCode::BreachCheckUnavailable,
    }
}
