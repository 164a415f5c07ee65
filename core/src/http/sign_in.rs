//! Signing up and in: `/register`, `/login`, `/logout`, `/confirm` (the mailed confirmation
//! link) and `/reset` (the mailed password-reset link), with their forms.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, Page};
use super::bodies::{self, Message, Status};
use super::cookies::Cookie;
use super::pages::{alert, escape, layout, notice};
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::parse::{self, Credential};
use super::return_to;
use super::router::{Call, Route};
use crate::accounts::User;
use crate::error::{AuthError, Error, ErrorCode};
use crate::throttle::Scope;
use crate::tokens::is_access_token;
use crate::two_factor::{LoginOutcome, Method, PendingLogin};

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 9] = [
    Route::page("GET", "/register", register_page).with_error_page(register_error),
    Route::json("POST", "/register", register).with_error_page(register_error),
    Route::page("GET", "/login", login_page).with_error_page(login_error),
    Route::json("POST", "/login", login).with_error_page(login_error),
    Route::json("POST", "/logout", logout),
    Route::json("GET", "/confirm", confirm_link),
    Route::json("POST", "/confirm", confirm_posted),
    Route::page("GET", "/reset", reset_page),
    Route::json("POST", "/reset", reset).with_error_page(reset_error),
];

fn register_page(_: &Call<'_>) -> Result<Answer, Error> {
    Ok(Answer::page(200, Page::Html(register_form(None))))
}

fn register_error(_: &Call<'_>, error: &AuthError) -> Option<Page> {
    Some(Page::Html(register_form(Some(&error.message))))
}

/// The sign-in form. With `rd` (forward-auth's original URL) that Sesame may send people to,
/// the return-to cookie keeps it for after the sign-in; any other `rd` is dropped. With
/// `login_hint` (an OpenID client's guess of who signs in) the identity field is filled in.
fn login_page(call: &Call<'_>) -> Result<Answer, Error> {
    let hint = call
        .query_value("login_hint")?
        .filter(|h| h.chars().count() <= 320);
    let answer = Answer::page(200, Page::Html(login_form_for(None, hint.as_deref())));
    let return_to = call
        .query_value("rd")?
        .and_then(|rd| return_to::allowed(call.sesame.config(), &rd));
    Ok(match return_to {
        Some(url) => {
            answer.with_cookie(Cookie::Return.set(call.sesame, &return_to::cookie_value(&url)))
        }
        None => answer,
    })
}

fn login_error(_: &Call<'_>, error: &AuthError) -> Option<Page> {
    Some(Page::Html(login_form(Some(&error.message))))
}

fn reset_page(call: &Call<'_>) -> Result<Answer, Error> {
    let token = call.query_value("token")?;
    Ok(Answer::page(
        200,
        Page::Html(reset_form(token.as_deref(), None)),
    ))
}

fn reset_error(_: &Call<'_>, error: &AuthError) -> Option<Page> {
    Some(Page::Html(reset_form(None, Some(&error.message))))
}

#[derive(Deserialize)]
struct RegisterBody {
    email: String,
    password: String,
    #[serde(default)]
    username: Option<String>,
}

fn register(call: &Call<'_>) -> Result<Answer, Error> {
    let body: RegisterBody = parse::body(call.req)?;
    if let Some(address) = call.req.client_address_text() {
        call.sesame.throttle(Scope::MailByAddress, &address)?;
    }
    call.sesame
        .register(&body.email, &body.password, body.username.as_deref())?;
    const MESSAGE: &str = "Registration received. If the address was new, the account now exists and you can sign in.";
    Ok(notice_answer(
        call,
        202,
        "Registration received",
        "accepted",
        MESSAGE,
    ))
}

#[derive(Deserialize)]
struct LoginBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    username: Option<String>,
    password: String,
    /// JSON clients that keep the token themselves (mobile apps, CLIs) ask for it here; it is
    /// never put in a body otherwise.
    #[serde(default)]
    include_token: bool,
}

fn login(call: &Call<'_>) -> Result<Answer, Error> {
    let body: LoginBody = parse::body(call.req)?;
    let identity = parse::identity(
        body.email,
        body.username,
        "Give an email (or username) and a password.",
    )?;
    match call
        .sesame
        .begin_login(&identity, &body.password, &call.req.client())?
    {
        LoginOutcome::SignedIn(session) => Ok(bodies::signed_in(
            call.sesame,
            &session,
            call.format,
            body.include_token,
        )),
        LoginOutcome::SecondFactor(pending) => {
            Ok(second_factor_required(call, &pending, body.include_token))
        }
    }
}

/// A password sign-in that awaits its second factor.
#[derive(Serialize)]
struct SecondFactorRequired<'a> {
    expires_at_ms: u64,
    methods: Vec<&'static str>,
    status: &'static str,
    tf_required: bool,
    /// The pending token, only for clients that asked to keep it (`include_token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    tf_token: Option<&'a str>,
}

/// The answer to a password sign-in that needs a second factor: the pending cookie, and the
/// next page for browsers or the methods for JSON clients.
fn second_factor_required(call: &Call<'_>, pending: &PendingLogin, include_token: bool) -> Answer {
    let body = SecondFactorRequired {
        expires_at_ms: pending.expires_at_ms,
        methods: bodies::method_names(&pending.methods),
        status: "second-factor-required",
        tf_required: true,
        tf_token: include_token.then(|| pending.token.expose()),
    };
    Answer::of(call.format, 200, &body, || {
        Page::Redirect(next_page(&pending.methods))
    })
    .with_cookie(Cookie::Pending.set(call.sesame, pending.token.expose()))
}

/// Where a browser goes after its password: the choice when there is one, else the only
/// method's form.
fn next_page(methods: &[Method]) -> &'static str {
    match methods {
        [Method::RecoveryCode] => "/mf-recovery",
        [Method::Webauthn] => "/wan-signin",
        [_] | [] => "/tf-validate",
        _ => "/tf-select",
    }
}

fn logout(call: &Call<'_>) -> Result<Answer, Error> {
    // Without a live session there is nothing to protect: just clear the cookie.
    match call.caller.signed_in(call.sesame) {
        Ok((_, Credential::Bearer(token))) if is_access_token(token) => {
            call.sesame.revoke_tokens(token)?
        }
        Ok((_, credential)) => call.sesame.logout(credential.token())?,
        Err(Error::NoSession(_)) => {}
        Err(e) => return Err(e),
    }
    let signed_out = Status {
        status: "signed-out",
    };
    Ok(
        Answer::of(call.format, 200, &signed_out, || Page::Redirect("/login"))
            .with_cookie(Cookie::Session.clear(call.sesame)),
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

/// A confirmed email address.
#[derive(Serialize)]
struct Confirmed {
    status: &'static str,
    user: User,
}

fn confirm(call: &Call<'_>, token: &str) -> Result<Answer, Error> {
    let user = call.sesame.confirm_email(token)?;
    let confirmed = Confirmed {
        status: "confirmed",
        user,
    };
    let view = call.view();
    Answer::try_of(call.format, 200, &confirmed, || {
        Ok(Page::Html(notice(
            &view,
            &view.t("confirm-done-title"),
            &view.t("confirm-done"),
        )?))
    })
}

#[derive(Deserialize)]
struct ResetBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    password_confirm: Option<String>,
}

/// `POST /reset` with `email` asks for a link (generic answer); with `token` and `password` it
/// sets the new password.
fn reset(call: &Call<'_>) -> Result<Answer, Error> {
    let body: ResetBody = parse::body(call.req)?;
    match (body.token, body.password, body.email) {
        (Some(token), Some(password), _) => {
            parse::check_confirmation(&password, body.password_confirm.as_deref())?;
            call.sesame.reset_password(&token, &password)?;
            const DONE: &str = "Your password was changed and every session was signed out. Sign in with the new password.";
            Ok(notice_answer(call, 200, "Password changed", "reset", DONE))
        }
        (None, None, Some(email)) => {
            if let Some(address) = call.req.client_address_text() {
                call.sesame.throttle(Scope::MailByAddress, &address)?;
            }
            call.sesame.request_reset(&email)?;
            const SENT: &str =
                "If an account uses this address, a link to reset its password is on its way.";
            Ok(notice_answer(
                call,
                202,
                "Check your email",
                "accepted",
                SENT,
            ))
        }
        _ => Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "Send an email to get a reset link, or a token and a new password.",
        )),
    }
}

/// A [`Message`] with `status` and `message`, or for browsers a page titled `title` saying it.
fn notice_answer(
    call: &Call<'_>,
    code: u16,
    title: &str,
    status: &'static str,
    message: &'static str,
) -> Answer {
    let view = call.view();
    Answer::of(call.format, code, &Message { message, status }, || {
        Page::Html(
            notice(&view, title, message)
                .unwrap_or_else(|e| super::pages::error(&view, 500, &AuthError::from(&e).message)),
        )
    })
}

/// This group's body types, by the names the fuzz targets know them by.
#[cfg(feature = "fuzzing")]
pub(crate) const BODIES: [BodyParser; 4] = [
    BodyParser::of::<RegisterBody>("register"),
    BodyParser::of::<LoginBody>("login"),
    BodyParser::of::<TokenBody>("token"),
    BodyParser::of::<ResetBody>("reset"),
];

/// The sign-in form, with an error message when a previous attempt failed.
fn login_form(error: Option<&str>) -> String {
    login_form_for(error, None)
}

/// The sign-in form, its identity field filled in with `identity`.
fn login_form_for(error: Option<&str>, identity: Option<&str>) -> String {
    let value = identity
        .map(|i| format!(" value=\"{}\"", escape(i)))
        .unwrap_or_default();
    layout(
        "Sign in",
        &format!(
            "<h1>Sign in</h1>\n{}<form method=\"post\" action=\"/login\">\n\
             <p><label for=\"email\">Email or username</label><br>\
             <input id=\"email\" name=\"email\" autocomplete=\"username\"{value} required></p>\n\
             <p><label for=\"password\">Password</label><br>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\n\
             <p><button type=\"submit\">Sign in</button></p>\n</form>\n\
             <p><a href=\"/wan-signin\">Sign in with a passkey</a> · <a href=\"/register\">Create an account</a> · <a href=\"/reset\">Forgot your password?</a></p>",
            alert(error)
        ),
    )
}

/// The registration form.
fn register_form(error: Option<&str>) -> String {
    layout(
        "Create an account",
        &format!(
            "<h1>Create an account</h1>\n{}<form method=\"post\" action=\"/register\">\n\
             <p><label for=\"email\">Email</label><br>\
             <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required></p>\n\
             <p><label for=\"username\">Username (optional)</label><br>\
             <input id=\"username\" name=\"username\" autocomplete=\"nickname\"></p>\n\
             <p><label for=\"password\">Password (8 to 128 characters)</label><br>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"8\" maxlength=\"128\" required></p>\n\
             <p><button type=\"submit\">Create account</button></p>\n</form>\n\
             <p><a href=\"/login\">Sign in instead</a></p>",
            alert(error)
        ),
    )
}

/// Asks for an address to mail a reset link to, or, with a token, for the new password.
fn reset_form(token: Option<&str>, error: Option<&str>) -> String {
    let form = match token {
        None => "<form method=\"post\" action=\"/reset\">\n\
                 <p><label for=\"email\">Email</label><br>\
                 <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required></p>\n\
                 <p><button type=\"submit\">Send me a link</button></p>\n</form>"
            .to_owned(),
        Some(token) => format!(
            "<form method=\"post\" action=\"/reset\">\n\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
             <p><label for=\"password\">New password (8 to 128 characters)</label><br>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"8\" maxlength=\"128\" required></p>\n\
             <p><label for=\"password_confirm\">New password again</label><br>\
             <input id=\"password_confirm\" name=\"password_confirm\" type=\"password\" autocomplete=\"new-password\" required></p>\n\
             <p><button type=\"submit\">Set password</button></p>\n</form>",
            escape(token)
        ),
    };
    layout(
        "Reset password",
        &format!(
            "<h1>Reset password</h1>\n{}{form}\n<p><a href=\"/login\">Sign in</a></p>",
            alert(error)
        ),
    )
}
