//! The user's sessions: `/sessions` (the list), `/sessions/revoke` (end one) and
//! `/logout-everywhere` (end all), with the list's page.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, Page};
use super::cookies::Cookie;
use super::pages::{escape, layout, post_button};
use super::parse;
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::router::{Call, Route};
use crate::error::Error;
use crate::sessions::SessionSummary;

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 3] = [
    Route::json("POST", "/logout-everywhere", logout_everywhere),
    Route::json("GET", "/sessions", sessions),
    Route::json("POST", "/sessions/revoke", revoke),
];

/// The body of `GET /sessions`.
#[derive(Serialize)]
struct SessionList<'a> {
    sessions: Vec<ListedSession<'a>>,
}

/// One session of [`SessionList`].
#[derive(Serialize)]
struct ListedSession<'a> {
    address: &'a Option<String>,
    created_at_ms: u64,
    /// Whether it is the session of the request.
    current: bool,
    expires_at_ms: u64,
    id: &'a str,
    last_seen_at_ms: u64,
    user_agent: &'a Option<String>,
}

fn sessions(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let list = call.sesame.list_sessions(&info.user.id)?;
    let body = SessionList {
        sessions: list
            .iter()
            .map(|s| ListedSession {
                address: &s.address,
                created_at_ms: s.created_at_ms,
                current: s.id == info.id,
                expires_at_ms: s.expires_at_ms,
                id: &s.id,
                last_seen_at_ms: s.last_seen_at_ms,
                user_agent: &s.user_agent,
            })
            .collect(),
    };
    Ok(Answer::of(call.format, 200, &body, || {
        Page::Html(sessions_page(&list, &info.id, &info.csrf_token))
    }))
}

#[derive(Deserialize)]
struct RevokeBody {
    id: String,
}

/// An ended session.
#[derive(Serialize)]
struct Revoked<'a> {
    id: &'a str,
    status: &'static str,
}

fn revoke(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: RevokeBody = parse::body(call.req)?;
    call.sesame.revoke_session(&info.user.id, &body.id)?;
    let revoked = Revoked {
        id: &body.id,
        status: "revoked",
    };
    Ok(Answer::of(call.format, 200, &revoked, || {
        Page::Redirect(if body.id == info.id {
            "/login"
        } else {
            "/sessions"
        })
    }))
}

/// Every session of the user ended.
#[derive(Serialize)]
struct SignedOutEverywhere {
    sessions_ended: usize,
    status: &'static str,
}

fn logout_everywhere(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let ended = call.sesame.revoke_all_sessions(&info.user.id)?;
    let body = SignedOutEverywhere {
        sessions_ended: ended,
        status: "signed-out",
    };
    Ok(
        Answer::of(call.format, 200, &body, || Page::Redirect("/login"))
            .with_cookie(Cookie::Session.clear(call.sesame)),
    )
}

/// This group's body types, by the names the fuzz targets know them by.
#[cfg(feature = "fuzzing")]
pub(crate) const BODIES: [BodyParser; 1] = [BodyParser::of::<RevokeBody>("revoke")];

/// The list of the user's sessions, each with a button to end it.
fn sessions_page(list: &[SessionSummary], current_id: &str, csrf_token: &str) -> String {
    let rows: String = list
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(s.user_agent.as_deref().unwrap_or("unknown device")),
                if s.id == current_id {
                    " (this one)"
                } else {
                    ""
                },
                escape(s.address.as_deref().unwrap_or("-")),
                s.last_seen_at_ms / 1000,
                post_button("/sessions/revoke", csrf_token, "End", &[("id", &s.id)])
            )
        })
        .collect();
    layout(
        "My sessions",
        &format!(
            "<h1>My sessions</h1>\n<table>\n<thead><tr><th scope=\"col\">Device</th><th scope=\"col\">Address</th>\
             <th scope=\"col\">Last seen (Unix time)</th><th scope=\"col\">Action</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n{}\
             <p><a href=\"/me\">Back</a></p>",
            post_button("/logout-everywhere", csrf_token, "Sign out everywhere", &[])
        ),
    )
}
