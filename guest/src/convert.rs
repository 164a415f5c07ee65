//! Every conversion between WIT types and core types, with exhaustive matches.

use sesame_core::accounts::User;
use sesame_core::{AuthError, ErrorCode};

use crate::bindings::types as wit;

/// A core user as the WIT record.
pub(crate) fn user(u: User) -> wit::User {
    wit::User {
        id: u.id,
        email: u.email,
        username: u.username,
        roles: u.roles,
        active: u.active,
        created_at_ms: u.created_at_ms,
    }
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
        ErrorCode::NotFound => wit::ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed => wit::ErrorCode::MethodNotAllowed,
        ErrorCode::AlreadyExists => wit::ErrorCode::AlreadyExists,
        ErrorCode::StoreUnavailable => wit::ErrorCode::StoreUnavailable,
        ErrorCode::Internal => wit::ErrorCode::Internal,
    }
}
