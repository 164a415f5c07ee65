//! Unified sign-in routes, with Flask-Security's names: signing in with a code mailed to the
//! account's address, or the link mailed with it.
//!
//! | route                        | what                                                      |
//! |------------------------------|-----------------------------------------------------------|
//! | `GET /us-signin`             | the form asking for a code                                |
//! | `POST /us-signin/send-code`  | mail a code and link (`identity`, `chosen_method=email`)  |
//! | `POST /us-signin`            | sign in with the mailed `code`, or `identity` + `passcode` (a password, or an authenticator app's code where offered) |
//! | `GET|POST /us-verify-link`   | the mailed link: signs in the browser that asked, asks elsewhere for the device code |
//! | `GET /us-setup`              | the ways of signing in offered, and which the account has |
//!
//! The code sign-in is carried by its own cookie (or the `us_token` body field for clients
//! without cookies). Every answer to asking for a code is the same, whether or not the identity
//! names an account.

use serde::{Deserialize, Serialize};

use super::answer::{Answer, Page};
use super::bodies;
use super::cookies::Cookie;
use super::pages::notice;
use super::parse;
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::router::{Call, Route};
use super::sign_in::second_factor_required;
use crate::error::{AuthError, Error, ErrorCode};
use crate::two_factor::LoginOutcome;
use crate::unified_sign_in::{LinkOutcome, SignInMethod};

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 6] = [
    Route::page("GET", "/us-signin", signin_page).with_error_page(signin_error),
    Route::json("POST", "/us-signin/send-code", send_code).with_error_page(signin_error),
    Route::json("POST", "/us-signin", sign_in).with_error_page(code_error),
    Route::json("GET", "/us-verify-link", link_opened).with_error_page(link_error),
    Route::json("POST", "/us-verify-link", link_posted).with_error_page(link_error),
    Route::json("GET", "/us-setup", setup_status),
];

fn signin_page(call: &Call<'_>) -> Result<Answer, Error> {
    call.sesame.require_sign_in_method(SignInMethod::Email)?;
    Ok(Answer::page(200, Page::Html(signin_html(call, None, "")?)))
}

/// The form asking for a code, again with the message and what was typed.
fn signin_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    let identity = parse::body::<SendCodeBody>(call.req)
        .ok()
        .and_then(|b| b.identity)
        .filter(|i| i.len() <= 256)
        .unwrap_or_default();
    signin_html(call, Some(error), &identity)
        .ok()
        .map(Page::Html)
}

fn signin_html(
    call: &Call<'_>,
    error: Option<&AuthError>,
    identity: &str,
) -> Result<String, Error> {
    call.view().render(
        "us-signin.html",
        minijinja::context! {
            error => error.map(|e| e.message.as_str()).unwrap_or_default(),
            identity,
            password => call.sesame.config().unified_sign_in.offers(SignInMethod::Password),
        },
    )
}

#[derive(Deserialize)]
struct SendCodeBody {
    /// Email or username (Flask-Security's name).
    #[serde(default)]
    identity: Option<String>,
    /// The same, under the sign-in form's name.
    #[serde(default)]
    email: Option<String>,
    /// `email`, the only method that sends a code (and the default).
    #[serde(default)]
    chosen_method: Option<String>,
    /// Put the code sign-in's token in the body too (clients without cookies).
    #[serde(default)]
    include_token: bool,
}

/// A code on its way.
#[derive(Serialize)]
struct CodeSentBody<'a> {
    status: &'static str,
    /// Until when the code works, ms since the epoch.
    code_expires_at_ms: u64,
    /// The code a link opened on another device asks for: show it to the person.
    device_code: &'a str,
    /// The code sign-in's token, only for clients that asked to keep it (`include_token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    us_token: Option<&'a str>,
}

/// `POST /us-signin/send-code`: the same answer whether or not the identity names an account.
fn send_code(call: &Call<'_>) -> Result<Answer, Error> {
    let body: SendCodeBody = parse::body(call.req)?;
    if body.chosen_method.as_deref().is_some_and(|m| m != "email") {
        return Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "Only `email` sends a code (`chosen_method`).",
        ));
    }
    let identity = body
        .identity
        .or(body.email)
        .filter(|i| !i.trim().is_empty())
        .ok_or_else(|| Error::rejected(ErrorCode::InvalidRequest, "Give an email or username."))?;
    let sent = call
        .sesame
        .send_sign_in_code(&identity, &call.req.client())?;
    let answer = CodeSentBody {
        status: "code-sent",
        code_expires_at_ms: sent.expires_at_ms,
        device_code: &sent.device_code,
        us_token: body.include_token.then(|| sent.token.expose()),
    };
    Answer::try_of(call.format, 200, &answer, || {
        Ok(Page::Html(code_html(call, None, Some(&sent.device_code))?))
    })
    .map(|a| a.with_cookie(Cookie::CodeSignIn.set(call.sesame, sent.token.expose())))
}

fn code_html(
    call: &Call<'_>,
    error: Option<&AuthError>,
    device_code: Option<&str>,
) -> Result<String, Error> {
    let code_error = match error {
        Some(e) if matches!(e.code, ErrorCode::InvalidCode | ErrorCode::InvalidRequest) => {
            e.message.as_str()
        }
        _ => "",
    };
    call.view().render(
        "us-code.html",
        minijinja::context! {
            error => error.map(|e| e.message.as_str()).unwrap_or_default(),
            code_error,
            device_code => device_code.unwrap_or_default(),
            minutes => call.sesame.config().unified_sign_in.code_ms / 60_000,
        },
    )
}

/// The code form again, with the message; without a live code sign-in, the form asking for
/// a code.
fn code_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    if error.code == ErrorCode::Unauthenticated {
        return signin_html(call, Some(error), "").ok().map(Page::Html);
    }
    code_html(call, Some(error), None).ok().map(Page::Html)
}

#[derive(Deserialize)]
struct SignInBody {
    /// The mailed code.
    #[serde(default)]
    code: Option<String>,
    /// The code sign-in's token, for clients without cookies.
    #[serde(default)]
    us_token: Option<String>,
    /// With `passcode`: Flask-Security's form of a password sign-in.
    #[serde(default)]
    identity: Option<String>,
    /// The password, with `identity`.
    #[serde(default)]
    passcode: Option<String>,
    /// Put the session token (or the pending sign-in's) in the body too.
    #[serde(default)]
    include_token: bool,
}

/// `POST /us-signin`: the mailed code with the code sign-in it belongs to, or an identity and
/// a password.
fn sign_in(call: &Call<'_>) -> Result<Answer, Error> {
    let body: SignInBody = parse::body(call.req)?;
    let client = call.req.client();
    let outcome = match (body.code, body.identity, body.passcode) {
        (Some(code), _, None) => {
            let token = body
                .us_token
                .or_else(|| parse::cookie(call.req, Cookie::CodeSignIn.name(call.sesame.config())))
                .ok_or(Error::NoFlow("no code sign-in"))?;
            call.sesame.sign_in_with_code(&token, &code, &client)?
        }
        (None, Some(identity), Some(passcode)) if looks_like_app_code(call, &passcode) => call
            .sesame
            .sign_in_with_authenticator(&identity, &passcode, &client)?,
        (None, Some(identity), Some(passcode)) => {
            call.sesame.begin_login(&identity, &passcode, &client)?
        }
        _ => {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "Give the mailed `code`, or an `identity` and `passcode`.",
            ));
        }
    };
    Ok(outcome_answer(call, outcome, body.include_token))
}

/// Whether a passcode is read as an authenticator app's code: where apps may replace the
/// password, a passcode of exactly the apps' digits (spaces aside) is one; anything else is a
/// password.
fn looks_like_app_code(call: &Call<'_>, passcode: &str) -> bool {
    let config = call.sesame.config();
    let digits: String = passcode.chars().filter(|c| *c != ' ').collect();
    config.unified_sign_in.offers(SignInMethod::Authenticator)
        && digits.len() == config.two_factor.totp_digits as usize
        && digits.chars().all(|c| c.is_ascii_digit())
}

/// A finished first step: signed in, or on to the second; the code sign-in is over either way.
fn outcome_answer(call: &Call<'_>, outcome: LoginOutcome, include_token: bool) -> Answer {
    let answer = match outcome {
        LoginOutcome::SignedIn(session) => {
            bodies::signed_in(call.sesame, &session, call.format, include_token)
        }
        LoginOutcome::SecondFactor(pending) => {
            second_factor_required(call, &pending, include_token)
        }
    };
    answer.with_cookie(Cookie::CodeSignIn.clear(call.sesame))
}

#[derive(Deserialize)]
struct LinkBody {
    /// The link's token.
    token: String,
    /// The device code shown where the code was asked for.
    #[serde(default)]
    code: Option<String>,
    /// The code sign-in's token, for clients without cookies.
    #[serde(default)]
    us_token: Option<String>,
    #[serde(default)]
    include_token: bool,
}

/// The link opened elsewhere.
#[derive(Serialize)]
struct DeviceCodeNeeded {
    status: &'static str,
    message: &'static str,
}

fn link_opened(call: &Call<'_>) -> Result<Answer, Error> {
    let token = call.query_value("token")?.unwrap_or_default();
    open_link(call, &token, None, None, false)
}

fn link_posted(call: &Call<'_>) -> Result<Answer, Error> {
    let body: LinkBody = parse::body(call.req)?;
    open_link(
        call,
        &body.token,
        body.us_token,
        body.code.filter(|c| !c.trim().is_empty()),
        body.include_token,
    )
}

fn open_link(
    call: &Call<'_>,
    link: &str,
    us_token: Option<String>,
    device_code: Option<String>,
    include_token: bool,
) -> Result<Answer, Error> {
    let flow =
        us_token.or_else(|| parse::cookie(call.req, Cookie::CodeSignIn.name(call.sesame.config())));
    let outcome = call.sesame.open_sign_in_link(
        link,
        flow.as_deref(),
        device_code.as_deref(),
        &call.req.client(),
    )?;
    match outcome {
        LinkOutcome::SignedIn(outcome) => Ok(outcome_answer(call, outcome, include_token)),
        LinkOutcome::DeviceCodeNeeded => {
            const MESSAGE: &str = "This link was opened in another browser than the one that asked for it. Type the device code shown there to sign in here.";
            let body = DeviceCodeNeeded {
                status: "device-code-required",
                message: MESSAGE,
            };
            Answer::try_of(call.format, 200, &body, || {
                Ok(Page::Html(link_html(call, link, None)?))
            })
        }
    }
}

fn link_html(call: &Call<'_>, token: &str, error: Option<&AuthError>) -> Result<String, Error> {
    let code_error = match error {
        Some(e) if e.code == ErrorCode::InvalidCode => e.message.as_str(),
        _ => "",
    };
    call.view().render(
        "us-link.html",
        minijinja::context! {
            error => error.map(|e| e.message.as_str()).unwrap_or_default(),
            code_error,
            token,
        },
    )
}

/// The device-code form again after a wrong code; the generic error page otherwise (a link
/// that no longer works has no form to show).
fn link_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    if error.code != ErrorCode::InvalidCode {
        return None;
    }
    let body: LinkBody = parse::body(call.req).ok()?;
    link_html(call, &body.token, Some(error))
        .ok()
        .map(Page::Html)
}

/// The ways of signing in: those the deployment offers, and those the account has.
#[derive(Serialize)]
struct SetupStatus {
    available_methods: Vec<&'static str>,
    active_methods: Vec<&'static str>,
}

/// `GET /us-setup`: what the signed-in account can sign in with.
fn setup_status(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let sesame = call.sesame;
    let available = sesame.sign_in_methods();
    let active = sesame.active_sign_in_methods(&info.user.id)?;
    let status = SetupStatus {
        available_methods: available.iter().map(|m| m.as_str()).collect(),
        active_methods: active.iter().map(|m| m.as_str()).collect(),
    };
    let view = call.view();
    Answer::try_of(call.format, 200, &status, || {
        let names: Vec<String> = active
            .iter()
            .map(|m| view.t(&format!("us-method-{}", m.as_str())))
            .collect();
        let text = view.text("us-setup-active", &[("methods", names.join(", ").into())]);
        Ok(Page::Html(notice(&view, &view.t("us-setup-title"), &text)?))
    })
}

/// This group's body types, by the names the fuzz targets know them by.
#[cfg(feature = "fuzzing")]
pub(crate) const BODIES: [BodyParser; 3] = [
    BodyParser::of::<SendCodeBody>("us-send-code"),
    BodyParser::of::<SignInBody>("us-signin"),
    BodyParser::of::<LinkBody>("us-verify-link"),
];
