//! The user's sessions: `/sessions` (the list), `/sessions/revoke` (end one) and
//! `/logout-everywhere` (end all), with the list's page.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, Page};
use super::cookies::Cookie;
use super::pages::{machine_time, printable, readable_time};
use super::parse;
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::router::{Call, Route};
use super::view::View;
use crate::error::{Error, Result};
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
    Answer::try_of(call.format, 200, &body, || {
        Ok(Page::Html(sessions_page(
            &call.view(),
            &list,
            &info.id,
            &info.csrf_token,
        )?))
    })
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

/// The list of the user's sessions, the current one (`current_id`) marked, each with a button
/// to end it.
fn sessions_page(
    view: &View<'_>,
    list: &[SessionSummary],
    current_id: &str,
    csrf_token: &str,
) -> Result<String> {
    // The current session first, then the most recently used: the order people look for.
    let mut list: Vec<&SessionSummary> = list.iter().collect();
    list.sort_by_key(|s| (s.id != current_id, std::cmp::Reverse(s.last_seen_at_ms)));
    let sessions: Vec<_> = list
        .iter()
        .map(|s| {
            minijinja::context! {
                id => s.id.clone(),
                current => s.id == current_id,
                // What the browser sent at sign-in: shown as sent, but without control
                // characters, which only serve to garble the table.
                device => s.user_agent.as_deref().map(printable).unwrap_or_default(),
                address => s.address.clone().unwrap_or_default(),
                signed_in => readable_time(s.created_at_ms),
                signed_in_iso => machine_time(s.created_at_ms),
                last_seen => readable_time(s.last_seen_at_ms),
                last_seen_iso => machine_time(s.last_seen_at_ms),
            }
        })
        .collect();
    view.render(
        "sessions.html",
        minijinja::context! { sessions, csrf_token },
    )
}

#[cfg(test)]
mod tests {
    use crate::http::Request;
    use crate::sessions::ClientInfo;
    use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture};

    #[test]
    fn the_sessions_page_marks_the_current_session_in_a_labelled_table() {
        let f = Fixture::registered();
        let s = f.sesame();
        let phone = ClientInfo {
            user_agent: Some("Phone\u{7}Browser/1.0".into()),
            ..Default::default()
        };
        s.login(ADA_EMAIL, ADA_PASSWORD, &phone).unwrap();
        let this = s
            .login(ADA_EMAIL, ADA_PASSWORD, &Default::default())
            .unwrap();
        let r = f.send(
            Request::new("GET", "/sessions")
                .with_header("accept", "text/html")
                .with_header("accept-language", "de")
                .with_header(
                    "cookie",
                    &format!("__Host-sesame_session={}", this.token.expose()),
                ),
        );
        assert_eq!(r.status, 200);
        let page = String::from_utf8_lossy(&r.body);
        assert!(page.contains("<html lang=\"de\">"), "{page}");
        // A table that may scroll on a phone is a region a keyboard can reach, named by it.
        assert!(page.contains(
            "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"sessions-caption\">\n<table>\n<caption id=\"sessions-caption\">2 Sitzungen"
        ), "{page}");
        assert!(page.contains("<th scope=\"col\">Gerät</th>"), "{page}");
        assert_eq!(page.matches("<th scope=\"row\"").count(), 2, "{page}");
        assert!(
            page.contains("<tr aria-current=\"true\">\n<th scope=\"row\" id=\"session-1\">"),
            "the current session comes first: {page}"
        );
        // The current session: marked for screen readers and in words, and its button says
        // that it signs out.
        assert_eq!(page.matches("aria-current=\"true\"").count(), 1, "{page}");
        let current = page
            .split("<tr aria-current=\"true\">")
            .nth(1)
            .and_then(|row| row.split("</tr>").next())
            .unwrap_or_default();
        assert!(
            current.contains("<strong>(diese Sitzung)</strong>"),
            "{current}"
        );
        assert!(current.contains("Hier abmelden"), "{current}");
        // The other one, as its browser named itself, without control characters.
        assert!(page.contains("PhoneBrowser/1.0"), "{page}");
        assert!(page.contains("Sitzung beenden"), "{page}");
        assert!(page.contains("<time datetime=\"2023-11-14T22:13Z\">2023-11-14 22:13 UTC</time>"));
        assert!(!page.contains("style=") && !page.contains("<script"));
    }
}
