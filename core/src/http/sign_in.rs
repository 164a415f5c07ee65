//! Signing up and in: `/register`, `/login`, `/logout`, `/confirm` (the mailed confirmation
//! link) and `/reset` (the mailed password-reset link), with their forms.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, Page};
use super::bodies::{self, Message, Status};
use super::cookies::Cookie;
use super::pages::notice;
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::parse::{self, Credential};
use super::return_to;
use super::router::{Call, Route};
use crate::accounts::User;
use crate::error::{AuthError, Error, ErrorCode};
use crate::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::throttle::Scope;
use crate::tokens::is_access_token;
use crate::two_factor::{LoginOutcome, Method, PendingLogin};
use crate::unified_sign_in::SignInMethod;

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

fn register_page(call: &Call<'_>) -> Result<Answer, Error> {
    let html = register_html(call, None, &Entered::default())?;
    Ok(Answer::page(200, Page::Html(html)))
}

/// The registration form again, with what was entered but the password, and the message next
/// to the field it concerns.
fn register_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    let field = match error.code {
        ErrorCode::InvalidEmail => "email",
        // A taken username, where the deployment tells (a taken address never is).
        ErrorCode::InvalidUsername | ErrorCode::AlreadyExists => "username",
        ErrorCode::WeakPassword | ErrorCode::BreachedPassword => "password",
        _ => "",
    };
    let html = register_html(call, Some((error, field)), &Entered::of(call)).ok()?;
    Some(Page::Html(html))
}

/// The sign-in form. With `rd` (forward-auth's original URL) that Sesame may send people to,
/// the return-to cookie keeps it for after the sign-in; any other `rd` is dropped. With
/// `login_hint` (an OpenID client's guess of who signs in) the identity field is filled in.
fn login_page(call: &Call<'_>) -> Result<Answer, Error> {
    let hint = call.query_value("login_hint")?.filter(|h| fits(h));
    let answer = Answer::page(200, login_html(call, None, hint.as_deref())?);
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

/// The sign-in form again with the message and the identity entered (never the password).
/// A wrong email, username or password is one message about both fields, so no field is
/// marked: which was wrong is not told.
fn login_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    let entered = Entered::of(call);
    let identity = entered.email.or(entered.username);
    login_html(call, Some(&error.message), identity.as_deref()).ok()
}

fn reset_page(call: &Call<'_>) -> Result<Answer, Error> {
    let token = call.query_value("token")?;
    let html = reset_html(call, token.as_deref(), None, &Entered::default())?;
    Ok(Answer::page(200, Page::Html(html)))
}

/// The reset form again: the new-password form while its link may still work (a too weak or
/// mistyped password), else the form asking for a link.
fn reset_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    let posted: Option<ResetBody> = parse::body(call.req).ok();
    let token = posted
        .as_ref()
        .and_then(|b| b.token.clone())
        .filter(|_| error.code != ErrorCode::InvalidToken)
        .filter(|t| fits(t));
    let field = match error.code {
        ErrorCode::InvalidEmail if token.is_none() => "email",
        ErrorCode::WeakPassword | ErrorCode::BreachedPassword if token.is_some() => "password",
        ErrorCode::InvalidRequest
            if token.is_some()
                && posted.as_ref().is_some_and(|b| {
                    b.password_confirm.is_some() && b.password_confirm != b.password
                }) =>
        {
            "password_confirm"
        }
        _ => "",
    };
    let html = reset_html(
        call,
        token.as_deref(),
        Some((error, field)),
        &Entered::of(call),
    )
    .ok()?;
    Some(Page::Html(html))
}

#[derive(Deserialize)]
struct RegisterBody {
    email: String,
    /// Absent (or empty from a form) only where accounts may be passwordless.
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    username: Option<String>,
}

fn register(call: &Call<'_>) -> Result<Answer, Error> {
    let body: RegisterBody = parse::body(call.req)?;
    if let Some(address) = call.req.client_address_text() {
        call.sesame.throttle(Scope::MailByAddress, &address)?;
    }
    let password = body.password.filter(|p| !p.is_empty());
    match password {
        Some(password) => call
            .sesame
            .register(&body.email, &password, body.username.as_deref())?,
        None => call
            .sesame
            .register_without_password(&body.email, body.username.as_deref())?,
    }
    const MESSAGE: &str = "Registration received. If the address was new, the account now exists and you can sign in.";
    notice_answer(call, 202, "register-done", "accepted", MESSAGE)
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
pub(super) fn second_factor_required(
    call: &Call<'_>,
    pending: &PendingLogin,
    include_token: bool,
) -> Answer {
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
        // The code is mailed once chosen, so even the only method is chosen first.
        [Method::Email] => "/tf-select",
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

/// A confirmed email address; the account only for a caller signed in as it.
#[derive(Serialize)]
struct Confirmed {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<User>,
}

/// Confirms the address of a mailed link. The link proves a mailbox, not a sign-in: the
/// account's details (address, roles, sign-in history) go only to a caller signed in as it.
fn confirm(call: &Call<'_>, token: &str) -> Result<Answer, Error> {
    let user = call.sesame.confirm_email(token)?;
    let own = call
        .caller
        .login(call.sesame)
        .is_ok_and(|(info, _)| info.user.id == user.id);
    let confirmed = Confirmed {
        status: "confirmed",
        user: own.then_some(user),
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
            notice_answer(call, 200, "reset-done", "reset", DONE)
        }
        (None, None, Some(email)) => {
            if let Some(address) = call.req.client_address_text() {
                call.sesame.throttle(Scope::MailByAddress, &address)?;
            }
            call.sesame.request_reset(&email)?;
            const SENT: &str =
                "If an account uses this address, a link to reset its password is on its way.";
            notice_answer(call, 202, "reset-sent", "accepted", SENT)
        }
        _ => Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "Send an email to get a reset link, or a token and a new password.",
        )),
    }
}

/// A [`Message`] with `status` and `message` (English, for programs), or for browsers the
/// page of catalog messages `id` (the text) and `{id}-title`.
fn notice_answer(
    call: &Call<'_>,
    code: u16,
    id: &str,
    status: &'static str,
    message: &'static str,
) -> Result<Answer, Error> {
    let view = call.view();
    Answer::try_of(call.format, code, &Message { message, status }, || {
        let title = view.t(&format!("{id}-title"));
        Ok(Page::Html(notice(&view, &title, &view.t(id))?))
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

/// What a browser entered in a form that failed, to fill it in again (never a password).
#[derive(Deserialize, Default)]
pub(super) struct Entered {
    /// The address field.
    #[serde(default)]
    pub(super) email: Option<String>,
    /// The username field.
    #[serde(default)]
    pub(super) username: Option<String>,
}

impl Entered {
    /// The fields of the request's body, each only when short enough to be one (an address
    /// has at most 320 characters).
    pub(super) fn of(call: &Call<'_>) -> Self {
        let entered: Entered = parse::body(call.req).unwrap_or_default();
        Entered {
            email: entered.email.filter(|v| fits(v)),
            username: entered.username.filter(|v| fits(v)),
        }
    }
}

/// Whether a value a request brought is short enough to show in a form again: an email
/// address has at most 320 characters, and nothing else shown is longer.
fn fits(value: &str) -> bool {
    value.chars().count() <= 320
}

/// A failed attempt's message, and the form field it concerns (`""` for none).
type FormError<'a> = Option<(&'a AuthError, &'static str)>;

/// The message and field of a [`FormError`], as the templates take them.
fn error_values(error: FormError<'_>) -> (String, &'static str) {
    error
        .map(|(e, field)| (e.message.clone(), field))
        .unwrap_or_default()
}

/// The sign-in form, its identity field filled in with `identity`. It loads the passkey
/// script, which offers this device's passkeys in the identity field (or a button where the
/// browser cannot), unless the browser is in the middle of a password sign-in that awaits its
/// second factor: `/wan-signin` would then start that second factor instead.
fn login_html(call: &Call<'_>, error: Option<&str>, identity: Option<&str>) -> Result<Page, Error> {
    let pending = call
        .caller
        .pending_token(None)
        .is_some_and(|token| call.sesame.pending_user(&token).is_ok());
    let methods = &call.sesame.config().unified_sign_in;
    let html = call.view().render(
        "login.html",
        minijinja::context! {
            error => error.unwrap_or_default(),
            identity => identity.unwrap_or_default(),
            passkeys => !pending && methods.offers(SignInMethod::Passkey),
            password => methods.offers(SignInMethod::Password),
            mailed_code => methods.offers(SignInMethod::Email),
        },
    )?;
    Ok(Page::Passkey(html))
}

/// The registration form, filled in with what was `entered`.
fn register_html(
    call: &Call<'_>,
    error: FormError<'_>,
    entered: &Entered,
) -> Result<String, Error> {
    let (error, error_field) = error_values(error);
    call.view().render(
        "register.html",
        minijinja::context! {
            error,
            error_field,
            email => entered.email.clone().unwrap_or_default(),
            username => entered.username.clone().unwrap_or_default(),
            min_password => MIN_PASSWORD_CHARS,
            max_password => MAX_PASSWORD_CHARS,
            passwordless => call.sesame.config().unified_sign_in.passwordless(),
        },
    )
}

/// Asks for an address to mail a reset link to, or, with a token, for the new password.
fn reset_html(
    call: &Call<'_>,
    token: Option<&str>,
    error: FormError<'_>,
    entered: &Entered,
) -> Result<String, Error> {
    let (error, error_field) = error_values(error);
    call.view().render(
        "reset.html",
        minijinja::context! {
            error,
            error_field,
            token => token.unwrap_or_default(),
            email => entered.email.clone().unwrap_or_default(),
            min_password => MIN_PASSWORD_CHARS,
            max_password => MAX_PASSWORD_CHARS,
            passwordless => call.sesame.config().unified_sign_in.passwordless(),
        },
    )
}

#[cfg(test)]
mod tests;
