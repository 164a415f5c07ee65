//! The JSON bodies that answers of several route groups share. Fields are listed in
//! alphabetical order, the order in which every Sesame body names its keys.

use serde::Serialize;

use super::answer::{Answer, Format, Page};
use super::cookies::Cookie;
use crate::Sesame;
use crate::accounts::User;
use crate::sessions::IssuedSession;
use crate::two_factor::Method;

/// `{"status": ...}`: what happened, and nothing more to say.
#[derive(Debug, Serialize)]
pub(crate) struct Status {
    /// What happened (`ok`, `revoked`, ...).
    pub status: &'static str,
}

/// `{"status": ..., "message": ...}`: what happened, and a sentence for people.
#[derive(Debug, Serialize)]
pub(crate) struct Message {
    /// What happened, for people.
    pub message: &'static str,
    /// What happened, for programs.
    pub status: &'static str,
}

/// A re-authentication that succeeded: the login counts as fresh until `fresh_until_ms`.
#[derive(Debug, Serialize)]
pub(crate) struct Verified {
    /// Until when the login counts as freshly authenticated, ms since the epoch.
    pub fresh_until_ms: u64,
    /// Always `verified`.
    pub status: &'static str,
}

impl Verified {
    /// The body for a login fresh until `fresh_until_ms`.
    pub(crate) fn until(fresh_until_ms: u64) -> Self {
        Verified {
            fresh_until_ms,
            status: "verified",
        }
    }
}

/// A finished sign-in: who, and the new session's CSRF token and expiry.
#[derive(Debug, Serialize)]
struct SignedIn<'a> {
    csrf_token: &'a str,
    expires_at_ms: u64,
    /// The session token itself, only for clients that asked to keep it (`include_token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    user: &'a User,
}

/// The answer to a finished sign-in: the session cookie, and the session for JSON clients or
/// the account page for browsers.
pub(crate) fn signed_in(
    sesame: &Sesame<'_>,
    session: &IssuedSession,
    format: Format,
    include_token: bool,
) -> Answer {
    let body = SignedIn {
        csrf_token: &session.csrf_token,
        expires_at_ms: session.expires_at_ms,
        token: include_token.then(|| session.token.expose()),
        user: &session.user,
    };
    Answer::of(format, 200, &body, || Page::Redirect("/me"))
        .with_cookie(Cookie::Session.set(sesame, session.token.expose()))
}

/// The names of second-factor methods, as bodies list them.
pub(crate) fn method_names(methods: &[Method]) -> Vec<&'static str> {
    methods.iter().map(|m| m.as_str()).collect()
}
