//! The account's names: `/change-email` (with the mailed links `/change-email/confirm` and
//! `/change-email/restore`), `/change-username` and `/recover-username`, with their forms. The
//! rules are `crate::account_changes`'; this file reads requests and shapes answers.
//!
//! Neither link's answer shows anything of the account: a link is proof of a mailbox, not a
//! sign-in.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, Page};
use super::bodies::Message;
use super::cookies::Cookie;
use super::pages::{Link, message_page, notice, notice_signed_in};
use super::parse;
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::router::{Call, Route};
use super::sign_in::Entered;
use crate::accounts::User;
use crate::error::{AuthError, Error, ErrorCode};
use crate::throttle::Scope;

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 10] = [
    Route::page("GET", "/change-email", change_email_page).with_error_page(change_email_error),
    Route::json("POST", "/change-email", change_email).with_error_page(change_email_error),
    Route::page("GET", "/change-email/confirm", confirm_link),
    Route::json("POST", "/change-email/confirm", confirm_posted),
    Route::page("GET", "/change-email/restore", restore_page),
    Route::json("POST", "/change-email/restore", restore).with_error_page(restore_error),
    Route::page("GET", "/change-username", change_username_page)
        .with_error_page(change_username_error),
    Route::json("POST", "/change-username", change_username).with_error_page(change_username_error),
    Route::page("GET", "/recover-username", recover_page).with_error_page(recover_error),
    Route::json("POST", "/recover-username", recover).with_error_page(recover_error),
];

/// A failed attempt's message, and the form field it concerns (`""` for none).
type FormError<'a> = Option<(&'a AuthError, &'static str)>;

/// The message and field of a [`FormError`], as the templates take them.
fn error_values(error: FormError<'_>) -> (String, &'static str) {
    error
        .map(|(e, field)| (e.message.clone(), field))
        .unwrap_or_default()
}

/// The session's CSRF token for a form shown again, or none without a live session.
fn form_csrf_token(call: &Call<'_>) -> Option<(String, User)> {
    call.caller
        .login(call.sesame)
        .ok()
        .map(|(info, _)| (info.csrf_token, info.user))
}

// Changing the email address.

#[derive(Deserialize)]
struct EmailBody {
    email: String,
}

fn change_email_page(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let html = change_email_html(call, &info.csrf_token, &info.user, None, "")?;
    Ok(Answer::page(200, Page::Html(html)))
}

/// The form again with the message; `None` without a login, whose page is the generic one.
fn change_email_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    let (csrf_token, user) = form_csrf_token(call)?;
    let field = match error.code {
        ErrorCode::InvalidEmail | ErrorCode::InvalidRequest => "email",
        _ => "",
    };
    let entered = Entered::of(call).email.unwrap_or_default();
    let html = change_email_html(call, &csrf_token, &user, Some((error, field)), &entered).ok()?;
    Some(Page::Html(html))
}

/// `POST /change-email`: the same 202 whether or not the address is free.
fn change_email(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: EmailBody = parse::body(call.req)?;
    let client = call.req.client();
    if let Some(address) = &client.address {
        call.sesame.throttle(Scope::MailByAddress, address)?;
    }
    call.sesame
        .request_email_change(&info, &body.email, &client)?;
    const SENT: &str = "If the address can be used, a link to confirm it is on its way. The address changes when the link is opened.";
    let view = call.view();
    Answer::try_of(
        call.format,
        202,
        &Message {
            message: SENT,
            status: "accepted",
        },
        || {
            Ok(Page::Html(notice_signed_in(
                &view,
                &view.t("change-email-sent-title"),
                &view.t("change-email-sent"),
            )?))
        },
    )
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

fn confirm_link(call: &Call<'_>) -> Result<Answer, Error> {
    let token = call.query_value("token")?.unwrap_or_default();
    confirm(call, &token)
}

fn confirm_posted(call: &Call<'_>) -> Result<Answer, Error> {
    let body: TokenBody = parse::body(call.req)?;
    confirm(call, &body.token)
}

/// The new address is the account's: answered with the status alone.
fn confirm(call: &Call<'_>, token: &str) -> Result<Answer, Error> {
    let user = call.sesame.confirm_email_change(token)?;
    let signed_in_as_owner = call
        .caller
        .login(call.sesame)
        .is_ok_and(|(info, _)| info.user.id == user.id);
    const DONE: &str = "The account now uses the new address.";
    let view = call.view();
    Answer::try_of(
        call.format,
        200,
        &Message {
            message: DONE,
            status: "email-changed",
        },
        || {
            let (title, text) = (
                view.t("change-email-confirmed-title"),
                view.t("change-email-confirmed"),
            );
            Ok(Page::Html(if signed_in_as_owner {
                notice_signed_in(&view, &title, &text)?
            } else {
                notice(&view, &title, &text)?
            }))
        },
    )
}

/// The page a restore link opens: a button posting its token.
fn restore_page(call: &Call<'_>) -> Result<Answer, Error> {
    let token = call.query_value("token")?.unwrap_or_default();
    let html = restore_html(call, &token, None)?;
    Ok(Answer::page(200, Page::Html(html)))
}

fn restore_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    // A used or expired link cannot be tried again: the generic page says so.
    if error.code == ErrorCode::InvalidToken {
        return None;
    }
    let token = parse::body::<TokenBody>(call.req).ok()?.token;
    let html = restore_html(call, &token, Some(&error.message)).ok()?;
    Some(Page::Html(html))
}

/// `POST /change-email/restore`: the old address back, every session ended.
fn restore(call: &Call<'_>) -> Result<Answer, Error> {
    let body: TokenBody = parse::body(call.req)?;
    call.sesame.restore_email(&body.token)?;
    // The browser's session ended with the others when it was this account's; a browser
    // signed in as another account stays signed in.
    let ended = call.caller.credential().is_some() && call.caller.login(call.sesame).is_err();
    const DONE: &str =
        "The old address is back and every session was signed out. Reset the password now.";
    let view = call.view();
    let answer = Answer::try_of(
        call.format,
        200,
        &Message {
            message: DONE,
            status: "restored",
        },
        || {
            Ok(Page::Html(message_page(
                &view,
                &view.t("restore-email-done-title"),
                &view.t("restore-email-done"),
                &[Link {
                    href: "/reset",
                    label: view.t("login-forgot"),
                }],
            )?))
        },
    )?;
    Ok(if ended {
        answer.with_cookie(Cookie::Session.clear(call.sesame))
    } else {
        answer
    })
}

// Changing the username.

#[derive(Deserialize)]
struct UsernameBody {
    username: String,
}

/// A changed username, with the account as it is now (the caller is its owner).
#[derive(Serialize)]
struct UsernameChanged {
    status: &'static str,
    user: User,
}

fn change_username_page(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let html = change_username_html(call, &info.csrf_token, None, "")?;
    Ok(Answer::page(200, Page::Html(html)))
}

fn change_username_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    let (csrf_token, _) = form_csrf_token(call)?;
    let field = match error.code {
        ErrorCode::InvalidUsername | ErrorCode::AlreadyExists => "username",
        _ => "",
    };
    let entered = Entered::of(call).username.unwrap_or_default();
    let html = change_username_html(call, &csrf_token, Some((error, field)), &entered).ok()?;
    Some(Page::Html(html))
}

fn change_username(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: UsernameBody = parse::body(call.req)?;
    let user = call
        .sesame
        .change_username(&info, &body.username, &call.req.client())?;
    let view = call.view();
    Answer::try_of(
        call.format,
        200,
        &UsernameChanged {
            status: "changed",
            user,
        },
        || {
            Ok(Page::Html(notice_signed_in(
                &view,
                &view.t("change-username-done-title"),
                &view.t("change-username-done"),
            )?))
        },
    )
}

// Recovering the username.

fn recover_page(call: &Call<'_>) -> Result<Answer, Error> {
    let html = recover_html(call, None, "")?;
    Ok(Answer::page(200, Page::Html(html)))
}

fn recover_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    let field = match error.code {
        ErrorCode::InvalidEmail => "email",
        _ => "",
    };
    let entered = Entered::of(call).email.unwrap_or_default();
    let html = recover_html(call, Some((error, field)), &entered).ok()?;
    Some(Page::Html(html))
}

/// `POST /recover-username`: the same 202 for every well-formed address.
fn recover(call: &Call<'_>) -> Result<Answer, Error> {
    let body: EmailBody = parse::body(call.req)?;
    if let Some(address) = call.req.client_address_text() {
        call.sesame.throttle(Scope::MailByAddress, &address)?;
    }
    call.sesame.recover_username(&body.email)?;
    const SENT: &str =
        "If an account with a username uses this address, its username is on its way.";
    let view = call.view();
    Answer::try_of(
        call.format,
        202,
        &Message {
            message: SENT,
            status: "accepted",
        },
        || {
            Ok(Page::Html(notice(
                &view,
                &view.t("recover-username-sent-title"),
                &view.t("recover-username-sent"),
            )?))
        },
    )
}

/// This group's body types, by the names the fuzz targets know them by.
#[cfg(feature = "fuzzing")]
pub(crate) const BODIES: [BodyParser; 3] = [
    BodyParser::of::<EmailBody>("change-email"),
    BodyParser::of::<UsernameBody>("change-username"),
    BodyParser::of::<TokenBody>("change-email-token"),
];

// Forms.

fn change_email_html(
    call: &Call<'_>,
    csrf_token: &str,
    user: &User,
    error: FormError<'_>,
    entered: &str,
) -> Result<String, Error> {
    let (error, error_field) = error_values(error);
    call.view().render(
        "change-email.html",
        minijinja::context! {
            csrf_token,
            error,
            error_field,
            current_email => user.email.clone(),
            email => entered,
        },
    )
}

fn change_username_html(
    call: &Call<'_>,
    csrf_token: &str,
    error: FormError<'_>,
    entered: &str,
) -> Result<String, Error> {
    let (error, error_field) = error_values(error);
    call.view().render(
        "change-username.html",
        minijinja::context! { csrf_token, error, error_field, username => entered },
    )
}

fn recover_html(call: &Call<'_>, error: FormError<'_>, entered: &str) -> Result<String, Error> {
    let (error, error_field) = error_values(error);
    call.view().render(
        "recover-username.html",
        minijinja::context! { error, error_field, email => entered },
    )
}

fn restore_html(call: &Call<'_>, token: &str, error: Option<&str>) -> Result<String, Error> {
    call.view().render(
        "restore-email.html",
        minijinja::context! { token, error => error.unwrap_or_default() },
    )
}

#[cfg(test)]
mod tests;
