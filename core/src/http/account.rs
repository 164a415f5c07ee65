//! The signed-in user's own account: `/me`, `/change` (the password) and `/verify` (the
//! password again, so the login counts as fresh), with their pages.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, Format, Page};
use super::bodies::Verified;
use super::cookies::Cookie;
use super::pages::notice_signed_in;
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::parse::{self, Credential};
use super::return_to;
use super::router::{Call, Route};
use crate::accounts::User;
use crate::error::{AuthError, Error, ErrorCode};
use crate::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

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
        return Ok(continue_page(call, url)?.with_cookie(Cookie::Return.clear(call.sesame)));
    }
    Answer::try_of(call.format, 200, &body, || {
        Ok(Page::Html(super::account_page::render(call, &info)?))
    })
}

/// Sends a signed-in browser on to `url`. Back to Sesame's authorization endpoint it goes by a
/// page that refreshes itself: that request then starts a new navigation rather than ending
/// the sign-in form's chain of redirects, which the form's `form-action` policy would stop at
/// the application's redirect URI.
pub(crate) fn continue_page(call: &Call<'_>, url: String) -> Result<Answer, Error> {
    if !return_to::is_authorization(&url) {
        return Ok(Answer::redirect(303, url));
    }
    let html = call
        .view()
        .render("continue.html", minijinja::context! { url })?;
    Ok(Answer::page(200, Page::Html(html)))
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
    let html = change_html(call, &info.csrf_token, None)?;
    Ok(Answer::page(200, Page::Html(html)))
}

fn verify_page(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let html = verify_html(call, &info.csrf_token, None)?;
    Ok(Answer::page(200, Page::Html(html)))
}

/// The change form again, with the message next to the field it concerns; `None` without a
/// login, whose page is the generic one.
fn change_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    if error.code == ErrorCode::Unauthenticated {
        return None;
    }
    let field = match error.code {
        // The current password: wrong, or missing without a passkey verification.
        ErrorCode::InvalidCredentials | ErrorCode::ReauthenticationRequired => "password",
        ErrorCode::WeakPassword | ErrorCode::BreachedPassword => "new_password",
        // The only refusal of a well-formed form whose two new passwords differ.
        ErrorCode::InvalidRequest
            if parse::body::<ChangeBody>(call.req).is_ok_and(|b| {
                b.new_password_confirm
                    .is_some_and(|confirm| confirm != b.new_password)
            }) =>
        {
            "new_password_confirm"
        }
        _ => "",
    };
    let html = change_html(call, &form_csrf_token(call), Some((error, field))).ok()?;
    Some(Page::Html(html))
}

/// The verify form again with the message; `None` without a login.
fn verify_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    if error.code == ErrorCode::Unauthenticated {
        return None;
    }
    let field = match error.code {
        ErrorCode::InvalidCredentials => "password",
        _ => "",
    };
    let html = verify_html(call, &form_csrf_token(call), Some((error, field))).ok()?;
    Some(Page::Html(html))
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
        return Ok(continue_page(call, url)?.with_cookie(Cookie::Return.clear(call.sesame)));
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

/// A failed attempt's message, and the form field it concerns (`""` for none).
type FormError<'a> = Option<(&'a AuthError, &'static str)>;

/// The change-password form.
fn change_html(call: &Call<'_>, csrf_token: &str, error: FormError<'_>) -> Result<String, Error> {
    let (error, error_field) = error
        .map(|(e, field)| (e.message.clone(), field))
        .unwrap_or_default();
    call.view().render(
        "change.html",
        minijinja::context! {
            csrf_token,
            error,
            error_field,
            min_password => MIN_PASSWORD_CHARS,
            max_password => MAX_PASSWORD_CHARS,
        },
    )
}

/// The re-verification form (`/verify`): the password again, or a passkey.
fn verify_html(call: &Call<'_>, csrf_token: &str, error: FormError<'_>) -> Result<String, Error> {
    let (error, error_field) = error
        .map(|(e, field)| (e.message.clone(), field))
        .unwrap_or_default();
    call.view().render(
        "verify.html",
        minijinja::context! { csrf_token, error, error_field },
    )
}
