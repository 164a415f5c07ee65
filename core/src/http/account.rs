//! The signed-in user's own account: `/me`, `/change` (the password) and `/verify` (the
//! password again, so the login counts as fresh), with their pages.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, Format, Page};
use super::bodies::Verified;
use super::cookies::Cookie;
use super::pages::{alert, escape, layout, notice_signed_in, post_button};
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::parse::{self, Credential};
use super::return_to;
use super::router::{Call, Route};
use crate::accounts::User;
use crate::error::{AuthError, Error, ErrorCode};

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 5] = [
    Route::json("GET", "/me", me),
    Route::page("GET", "/change", change_page).with_error_page(change_error),
    Route::json("POST", "/change", change).with_error_page(change_error),
    Route::page("GET", "/verify", verify_page).with_error_page(verify_error),
    Route::json("POST", "/verify", verify).with_error_page(verify_error),
];

fn me(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let permissions = call.sesame.permissions_of(&info.user)?;
    // Typed rather than built as a `serde_json::Value`: this is the session check clients
    // call most, and the map of a `Value` showed up in its profile.
    let body = MeBody {
        user: &info.user,
        permissions: &permissions,
        csrf_token: &info.csrf_token,
        session: SessionTimes {
            created_at_ms: info.created_at_ms,
            expires_at_ms: info.expires_at_ms,
        },
    };
    // A browser that signed in to reach a protected application goes back to it.
    if call.format == Format::Html
        && let Some(url) = call
            .caller
            .return_to()
            .and_then(|value| return_to::from_cookie(call.sesame.config(), value))
    {
        return Ok(continue_to(url).with_cookie(Cookie::Return.clear(call.sesame)));
    }
    Ok(Answer::of(call.format, 200, &body, || {
        Page::Html(me_page(&info.user, &info.csrf_token))
    }))
}

/// Sends a signed-in browser on to `url`. Back to Sesame's authorization endpoint it goes by a
/// page that refreshes itself: that request then starts a new navigation rather than ending
/// the sign-in form's chain of redirects, which the form's `form-action` policy would stop at
/// the application's redirect URI.
fn continue_to(url: String) -> Answer {
    if return_to::is_authorization(&url) {
        let href = escape(&url);
        return Answer::page(
            200,
            Page::Html(layout(
                "Continue",
                &format!(
                    "<meta http-equiv=\"refresh\" content=\"0;url={href}\">\n<h1>Signed in</h1>\n\
                     <p><a href=\"{href}\">Continue to the application</a></p>"
                ),
            )),
        );
    }
    Answer::redirect(303, url)
}

/// The body of `GET /me`.
#[derive(Serialize)]
struct MeBody<'a> {
    user: &'a User,
    permissions: &'a [String],
    csrf_token: &'a str,
    session: SessionTimes,
}

/// When a session began and when it ends at the latest.
#[derive(Serialize)]
struct SessionTimes {
    created_at_ms: u64,
    expires_at_ms: u64,
}

fn change_page(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    Ok(Answer::page(
        200,
        Page::Html(change_form(&info.csrf_token, None)),
    ))
}

fn verify_page(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    Ok(Answer::page(
        200,
        Page::Html(verify_form(&info.csrf_token, None)),
    ))
}

fn change_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    (error.code != ErrorCode::Unauthenticated)
        .then(|| Page::Html(change_form(&form_csrf_token(call), Some(&error.message))))
}

fn verify_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    (error.code != ErrorCode::Unauthenticated)
        .then(|| Page::Html(verify_form(&form_csrf_token(call), Some(&error.message))))
}

/// The CSRF token a form shown again after an error needs: the session's, or none when the
/// request carries no live session.
fn form_csrf_token(call: &Call<'_>) -> String {
    call.caller
        .credential()
        .and_then(|c| call.sesame.validate_session(c.token()).ok())
        .map(|info| info.csrf_token)
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct VerifyBody {
    password: String,
}

/// `POST /verify`: the password again, so the calling login (session or token login) counts as
/// freshly authenticated. A sign-in attempt in every respect (throttled, counted into the
/// lockout).
fn verify(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: VerifyBody = parse::body(call.req)?;
    let fresh_until = call
        .sesame
        .verify_password(&info, &body.password, &call.req.client())?;
    // A browser sent here to sign in again for an application goes back to it.
    if call.format == Format::Html
        && let Some(url) = call
            .caller
            .return_to()
            .and_then(|value| return_to::from_cookie(call.sesame.config(), value))
            .filter(|url| return_to::is_authorization(url))
    {
        return Ok(continue_to(url).with_cookie(Cookie::Return.clear(call.sesame)));
    }
    let view = call.view();
    Answer::try_of(call.format, 200, &Verified::until(fresh_until), || {
        Ok(Page::Html(notice_signed_in(
            &view,
            &view.t("verify-done-title"),
            &view.t("verify-done"),
        )?))
    })
}

#[derive(Deserialize)]
struct ChangeBody {
    /// The current password; may be left out right after a passkey verification.
    #[serde(default)]
    password: Option<String>,
    new_password: String,
    #[serde(default)]
    new_password_confirm: Option<String>,
}

/// A changed password: the new session that replaced the caller's.
#[derive(Serialize)]
struct Changed<'a> {
    csrf_token: &'a str,
    expires_at_ms: u64,
    status: &'static str,
    /// The new session token, for a bearer client, which cannot receive it through a cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    user: &'a User,
}

fn change(call: &Call<'_>) -> Result<Answer, Error> {
    let (sesame, client) = (call.sesame, call.req.client());
    let (info, credential) = call.caller.signed_in(sesame)?;
    let body: ChangeBody = parse::body(call.req)?;
    parse::check_confirmation(&body.new_password, body.new_password_confirm.as_deref())?;
    let session = match body.password.as_deref().filter(|p| !p.is_empty()) {
        Some(current) => {
            sesame.change_password(credential.token(), current, &body.new_password, &client)?
        }
        None => {
            sesame.change_password_after_passkey(credential.token(), &body.new_password, &client)?
        }
    };
    let changed = Changed {
        csrf_token: &session.csrf_token,
        expires_at_ms: session.expires_at_ms,
        status: "changed",
        token: matches!(credential, Credential::Bearer(_)).then(|| session.token.expose()),
        user: &info.user,
    };
    let view = call.view();
    Ok(Answer::try_of(call.format, 200, &changed, || {
        Ok(Page::Html(notice_signed_in(
            &view,
            &view.t("change-done-title"),
            &view.t("change-done"),
        )?))
    })?
    .with_cookie(Cookie::Session.set(sesame, session.token.expose())))
}

/// This group's body types, by the names the fuzz targets know them by.
#[cfg(feature = "fuzzing")]
pub(crate) const BODIES: [BodyParser; 2] = [
    BodyParser::of::<ChangeBody>("change"),
    BodyParser::of::<VerifyBody>("verify"),
];

/// The signed-in user's page.
fn me_page(user: &User, csrf_token: &str) -> String {
    let username = user
        .username
        .as_deref()
        .map(|u| format!("<dt>Username</dt><dd>{}</dd>\n", escape(u)))
        .unwrap_or_default();
    let roles = if user.roles.is_empty() {
        "none".to_owned()
    } else {
        escape(&user.roles.join(", "))
    };
    layout(
        "My account",
        &format!(
            "<h1>My account</h1>\n<dl>\n<dt>Email</dt><dd>{}</dd>\n{username}<dt>Roles</dt><dd>{roles}</dd>\n</dl>\n\
             <ul><li><a href=\"/change\">Change password</a></li>\
             <li><a href=\"/verify\">Confirm it is you</a></li>\
             <li><a href=\"/sessions\">My sessions</a></li>\
             <li><a href=\"/tf-setup\">Two-factor authentication</a></li>\
             <li><a href=\"/wan-register\">Passkeys and security keys</a></li></ul>\
             {}",
            escape(&user.email),
            post_button("/logout", csrf_token, "Sign out", &[])
        ),
    )
}

/// The change-password form.
fn change_form(csrf_token: &str, error: Option<&str>) -> String {
    layout(
        "Change password",
        &format!(
            "<h1>Change password</h1>\n{}<form method=\"post\" action=\"/change\">\n\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\n\
             <p><label for=\"password\">Current password</label><br>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\n\
             <p><label for=\"new_password\">New password (8 to 128 characters)</label><br>\
             <input id=\"new_password\" name=\"new_password\" type=\"password\" autocomplete=\"new-password\" minlength=\"8\" maxlength=\"128\" required></p>\n\
             <p><label for=\"new_password_confirm\">New password again</label><br>\
             <input id=\"new_password_confirm\" name=\"new_password_confirm\" type=\"password\" autocomplete=\"new-password\" required></p>\n\
             <p><button type=\"submit\">Change password</button></p>\n</form>\n<p><a href=\"/me\">Back</a></p>",
            alert(error),
            escape(csrf_token)
        ),
    )
}

/// The re-verification form (`/verify`): the password again, or a passkey.
fn verify_form(csrf_token: &str, error: Option<&str>) -> String {
    layout(
        "Confirm it is you",
        &format!(
            "<h1>Confirm it is you</h1>\n{}<p>Some changes (passkeys, two-factor, recovery codes) need a recent sign-in. Enter your password again.</p>\n\
             <form method=\"post\" action=\"/verify\">\n\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\n\
             <p><label for=\"password\">Password</label><br>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\n\
             <p><button type=\"submit\">Confirm</button></p>\n</form>\n\
             <p><a href=\"/wan-verify\">Confirm with a passkey instead</a> · <a href=\"/me\">Back</a></p>",
            alert(error),
            escape(csrf_token)
        ),
    )
}
