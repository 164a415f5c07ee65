//! The two-factor routes, with Flask-Security's names.
//!
//! | route                     | what                                                          |
//! |---------------------------|---------------------------------------------------------------|
//! | `GET|POST /tf-setup`      | status / start TOTP (`setup=authenticator`) or email (`setup=email`), confirm (`code`, with `setup=email` for email), turn off (`setup=disable` + `password` or `code`) |
//! | `GET|POST /tf-select`     | the methods a pending sign-in can finish with / pick one      |
//! | `GET|POST /tf-validate`   | finish a pending sign-in with a TOTP code                     |
//! | `GET|POST /tf-email`      | finish a pending sign-in with the code `/tf-select` mailed    |
//! | `GET|POST /mf-recovery`   | finish a pending sign-in with a recovery code                 |
//! | `GET|POST /mf-recovery-codes` | codes left / generate a new set (shown once)              |
//!
//! A pending sign-in is carried by its own cookie (or the `tf_token` body field for clients
//! without cookies), never by the session cookie, so every other route sees it as signed out.
//! `/tf-validate` and `/mf-recovery` without a live pending sign-in sign the caller out.

mod pages;

use serde::{Deserialize, Serialize};

use self::pages::{code_form, enabled_html, recovery_codes_html, select_html, setup_html};
use super::answer::{Answer, Page};
use super::bodies::{self, Message, method_names};
use super::cookies::Cookie;
pub use super::cookies::{PENDING_COOKIE_NAME, SECURE_PENDING_COOKIE_NAME};
use super::pages::notice_signed_in;
use super::parse;
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::router::{Call, ErrorPage, Handler, Route};
use crate::error::{AuthError, Error, ErrorCode};
use crate::two_factor::{Method, Reauth, TwoFactorStatus};

/// The routes this group answers; a failure for want of a sign-in also ends the pending one.
pub(crate) const ROUTES: [Route; 12] = [
    route("GET", "/tf-setup", setup_page, Some(setup_error)),
    route("POST", "/tf-setup", setup, Some(setup_error)),
    route("GET", "/tf-select", select_page, Some(select_error)),
    route("POST", "/tf-select", select, Some(select_error)),
    route("GET", "/tf-validate", totp_page, Some(totp_error)),
    route("POST", "/tf-validate", complete_totp, Some(totp_error)),
    route("GET", "/tf-email", email_page, Some(email_error)),
    route("POST", "/tf-email", complete_email, Some(email_error)),
    route("GET", "/mf-recovery", recovery_page, Some(recovery_error)),
    route(
        "POST",
        "/mf-recovery",
        complete_recovery,
        Some(recovery_error),
    ),
    route(
        "GET",
        "/mf-recovery-codes",
        recovery_codes_page,
        Some(recovery_codes_error),
    ),
    route(
        "POST",
        "/mf-recovery-codes",
        generate_recovery_codes,
        Some(recovery_codes_error),
    ),
];

const fn route(
    method: &'static str,
    path: &'static str,
    handler: Handler,
    error_page: Option<ErrorPage>,
) -> Route {
    let route = Route::json(method, path, handler).ending_pending_sign_in();
    match error_page {
        Some(page) => route.with_error_page(page),
        None => route,
    }
}

/// The methods that finish a pending sign-in with a typed code (a passkey finishes it at
/// `/wan-signin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeMethod {
    /// A code from an authenticator app.
    Totp,
    /// One of the user's recovery codes.
    RecoveryCode,
    /// A code mailed for this sign-in (`/tf-select` with `method=email` mails it).
    Email,
}

fn email_page(call: &Call<'_>) -> Result<Answer, Error> {
    code_page(call, CodeMethod::Email)
}

fn complete_email(call: &Call<'_>) -> Result<Answer, Error> {
    complete(call, CodeMethod::Email)
}

fn email_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    code_error(call, error, CodeMethod::Email)
}

fn totp_page(call: &Call<'_>) -> Result<Answer, Error> {
    code_page(call, CodeMethod::Totp)
}

fn complete_totp(call: &Call<'_>) -> Result<Answer, Error> {
    complete(call, CodeMethod::Totp)
}

fn recovery_page(call: &Call<'_>) -> Result<Answer, Error> {
    code_page(call, CodeMethod::RecoveryCode)
}

fn complete_recovery(call: &Call<'_>) -> Result<Answer, Error> {
    complete(call, CodeMethod::RecoveryCode)
}

fn totp_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    code_error(call, error, CodeMethod::Totp)
}

fn recovery_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    code_error(call, error, CodeMethod::RecoveryCode)
}

/// The code form again, with the message. Without a pending sign-in there is no form to show
/// again: the generic error page offers to sign in.
fn code_error(call: &Call<'_>, error: &AuthError, method: CodeMethod) -> Option<Page> {
    if error.code == ErrorCode::Unauthenticated {
        return None;
    }
    let html = code_form(&call.view(), method, totp_digits(call), Some(error)).ok()?;
    Some(Page::Html(html))
}

/// The setup page again, with the message.
fn setup_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    if error.code == ErrorCode::Unauthenticated {
        return None;
    }
    // The session as a GET would read it: the form shows again even after a CSRF refusal,
    // with the token it needs.
    let (info, _) = call.caller.login(call.sesame).ok()?;
    let status = call.sesame.two_factor_status(&info.user.id).ok()?;
    let enrolment = call.sesame.current_totp_enrolment(&info).ok()?;
    // A wrong code for email's set-up shows its form again.
    let email_enrolling = parse::body::<SetupBody>(call.req)
        .is_ok_and(|b| b.setup.as_deref() == Some("email") && b.code.is_some());
    let html = setup_html(
        &call.view(),
        &status,
        enrolment.as_ref(),
        email_enrolling,
        &info.csrf_token,
        Some(error),
    )
    .ok()?;
    Some(Page::Html(html))
}

/// The choice again, with the message. A refused choice is a method the form did not offer:
/// the page says to pick one of those shown rather than listing the names it sent.
fn select_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    if error.code == ErrorCode::Unauthenticated {
        return None;
    }
    let methods = pending_methods(call, None).ok()?;
    let view = call.view();
    let message = if error.code == ErrorCode::InvalidRequest {
        view.t("tf-select-choose")
    } else {
        error.message.clone()
    };
    let html = select_html(&view, &methods, Some(&message)).ok()?;
    Some(Page::Html(html))
}

/// The recovery-codes page again, with the message.
fn recovery_codes_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    if error.code == ErrorCode::Unauthenticated {
        return None;
    }
    let (info, _) = call.caller.login(call.sesame).ok()?;
    let status = call.sesame.two_factor_status(&info.user.id).ok()?;
    let html =
        recovery_codes_html(&call.view(), &status, &info.csrf_token, None, Some(error)).ok()?;
    Some(Page::Html(html))
}

fn totp_digits(call: &Call<'_>) -> u32 {
    call.sesame.config().two_factor.totp_digits
}

/// Where a browser goes to finish with `method`.
fn method_page(method: Method) -> &'static str {
    match method {
        Method::Totp => "/tf-validate",
        Method::RecoveryCode => "/mf-recovery",
        Method::Webauthn => "/wan-signin",
        Method::Email => "/tf-email",
    }
}

/// The body of `GET /tf-setup`.
#[derive(Serialize)]
struct StatusBody {
    email_enabled: bool,
    enrolment_pending: bool,
    recovery_codes_left: u32,
    totp_enabled: bool,
}

impl From<&TwoFactorStatus> for StatusBody {
    fn from(status: &TwoFactorStatus) -> Self {
        StatusBody {
            email_enabled: status.email_enabled,
            enrolment_pending: status.enrolment_pending,
            recovery_codes_left: status.recovery_codes_left,
            totp_enabled: status.totp_enabled,
        }
    }
}

fn setup_page(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let status = call.sesame.two_factor_status(&info.user.id)?;
    Answer::try_of(call.format, 200, &StatusBody::from(&status), || {
        let enrolment = call.sesame.current_totp_enrolment(&info)?;
        Ok(Page::Html(setup_html(
            &call.view(),
            &status,
            enrolment.as_ref(),
            false,
            &info.csrf_token,
            None,
        )?))
    })
}

#[derive(Deserialize)]
struct SetupBody {
    #[serde(default)]
    setup: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// A started TOTP enrolment: the secret, as a URI and a QR code too.
#[derive(Serialize)]
struct EnrolmentStarted<'a> {
    algorithm: &'static str,
    digits: u32,
    otpauth_uri: &'a str,
    period: u64,
    qr_svg: &'a str,
    secret: &'a str,
    status: &'static str,
}

fn setup(call: &Call<'_>) -> Result<Answer, Error> {
    let sesame = call.sesame;
    let (info, _) = call.caller.signed_in(sesame)?;
    let body: SetupBody = parse::body(call.req)?;
    match (body.setup.as_deref(), body.code, body.password) {
        (Some("authenticator"), _, _) => {
            let enrolment = sesame.start_totp(&info)?;
            let started = EnrolmentStarted {
                algorithm: enrolment.algorithm.as_str(),
                digits: enrolment.digits,
                otpauth_uri: enrolment.otpauth_uri.as_str(),
                period: enrolment.period_secs,
                qr_svg: &enrolment.qr_svg,
                secret: enrolment.secret_base32.as_str(),
                status: "enrolment-started",
            };
            Answer::try_of(call.format, 200, &started, || {
                let status = sesame.two_factor_status(&info.user.id)?;
                Ok(Page::Html(setup_html(
                    &call.view(),
                    &status,
                    Some(&enrolment),
                    false,
                    &info.csrf_token,
                    None,
                )?))
            })
        }
        (Some("disable"), code, password) => {
            let proof = match (password.as_deref(), code.as_deref()) {
                (Some(p), _) if !p.is_empty() => Reauth::Password(p),
                (_, Some(c)) if !c.is_empty() => Reauth::Code(c),
                _ if sesame.verified_with_passkey_recently(&info)? => Reauth::RecentPasskey,
                _ => {
                    return Err(Error::rejected(
                        ErrorCode::InvalidRequest,
                        "To turn two-factor off, give your password or a current code, or verify with your passkey at /wan-verify first.",
                    ));
                }
            };
            sesame.disable_two_factor(&info, proof, &call.req.client())?;
            const DONE: &str =
                "Two-factor authentication is off and your recovery codes are deleted.";
            let disabled = Message {
                message: DONE,
                status: "disabled",
            };
            let view = call.view();
            Answer::try_of(call.format, 200, &disabled, || {
                Ok(Page::Html(notice_signed_in(
                    &view,
                    &view.t("tf-off-title"),
                    &view.t("tf-off"),
                )?))
            })
        }
        (Some("email"), None, _) => {
            sesame.start_email_factor(&info)?;
            const SENT: &str = "A code is on its way to your address; type it to turn email on as a second factor.";
            let sent = Message {
                message: SENT,
                status: "code-sent",
            };
            Answer::try_of(call.format, 200, &sent, || {
                let status = sesame.two_factor_status(&info.user.id)?;
                Ok(Page::Html(setup_html(
                    &call.view(),
                    &status,
                    None,
                    true,
                    &info.csrf_token,
                    None,
                )?))
            })
        }
        (Some("email"), Some(code), _) => {
            sesame.confirm_email_factor(&info, &code)?;
            const DONE: &str = "Email is now a second factor: signing in needs a code mailed to your address as well.";
            let enabled = Message {
                message: DONE,
                status: "enabled",
            };
            Answer::try_of(call.format, 200, &enabled, || {
                Ok(Page::Html(enabled_html(&call.view(), &info.csrf_token)?))
            })
        }
        (None, Some(code), _) => {
            sesame.confirm_totp(&info, &code)?;
            const DONE: &str = "Two-factor authentication is on. Generate recovery codes now, in case you lose your phone.";
            let enabled = Message {
                message: DONE,
                status: "enabled",
            };
            Answer::try_of(call.format, 200, &enabled, || {
                Ok(Page::Html(enabled_html(&call.view(), &info.csrf_token)?))
            })
        }
        _ => Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "Send setup=authenticator or setup=email to start, code to confirm, or setup=disable with password or code.",
        )),
    }
}

/// The methods that can finish the pending sign-in.
#[derive(Serialize)]
struct Methods {
    methods: Vec<&'static str>,
}

/// The methods of the request's pending sign-in (cookie, or `tf_token` from the body).
fn pending_methods(call: &Call<'_>, from_body: Option<String>) -> Result<Vec<Method>, Error> {
    let token = call
        .caller
        .pending_token(from_body)
        .ok_or(Error::NoFlow("no pending sign-in"))?;
    call.sesame.pending_methods(&token)
}

fn select_page(call: &Call<'_>) -> Result<Answer, Error> {
    let methods = pending_methods(call, None)?;
    let body = Methods {
        methods: method_names(&methods),
    };
    Answer::try_of(call.format, 200, &body, || {
        Ok(Page::Html(select_html(&call.view(), &methods, None)?))
    })
}

#[derive(Deserialize)]
struct SelectBody {
    method: String,
    #[serde(default)]
    tf_token: Option<String>,
}

/// The method chosen, and the page that finishes with it.
#[derive(Serialize)]
struct Chosen {
    method: &'static str,
    next: &'static str,
}

fn select(call: &Call<'_>) -> Result<Answer, Error> {
    let body: SelectBody = parse::body(call.req)?;
    let methods = pending_methods(call, body.tf_token.clone())?;
    let chosen = Method::parse(&body.method)
        .filter(|m| methods.contains(m))
        .ok_or_else(|| {
            Error::rejected(
                ErrorCode::InvalidRequest,
                format!("Choose one of: {}.", method_names(&methods).join(", ")),
            )
        })?;
    if chosen == Method::Email {
        let token = call
            .caller
            .pending_token(body.tf_token)
            .ok_or(Error::NoFlow("no pending sign-in"))?;
        call.sesame.send_second_factor_code(&token)?;
    }
    let next = method_page(chosen);
    let body = Chosen {
        method: chosen.as_str(),
        next,
    };
    Ok(Answer::of(call.format, 200, &body, || Page::Redirect(next)))
}

fn code_page(call: &Call<'_>, method: CodeMethod) -> Result<Answer, Error> {
    let methods = pending_methods(call, None)?;
    let body = Methods {
        methods: method_names(&methods),
    };
    Answer::try_of(call.format, 200, &body, || {
        Ok(Page::Html(code_form(
            &call.view(),
            method,
            totp_digits(call),
            None,
        )?))
    })
}

#[derive(Deserialize)]
struct CodeBody {
    code: String,
    #[serde(default)]
    tf_token: Option<String>,
    #[serde(default)]
    include_token: bool,
}

/// `POST /tf-validate` and `POST /mf-recovery`: finish the pending sign-in. Without a live
/// pending sign-in the caller is signed out: any session the request carries ends, and both
/// cookies are cleared.
fn complete(call: &Call<'_>, method: CodeMethod) -> Result<Answer, Error> {
    let sesame = call.sesame;
    let parsed: Result<CodeBody, AuthError> = parse::body(call.req);
    let from_body = parsed.as_ref().ok().and_then(|b| b.tf_token.clone());
    // Only a missing pending sign-in signs out; a store failure is reported as such.
    let live = match call.caller.pending_token(from_body) {
        Some(token) => match sesame.pending_methods(&token) {
            Ok(_) => Some(token),
            Err(Error::NoFlow(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let Some(token) = live else {
        // Signing out changes state: a cookie session is ended only with its CSRF token, so
        // another page cannot sign the user out through this route.
        if let Ok((_, credential)) = call.caller.signed_in(sesame) {
            sesame.logout(credential.token())?;
        }
        return Err(Error::NoSession("no pending sign-in"));
    };
    let body = parsed?;
    let client = call.req.client();
    let session = match method {
        CodeMethod::Totp => sesame.complete_totp(&token, &body.code, &client)?,
        CodeMethod::RecoveryCode => sesame.complete_recovery(&token, &body.code, &client)?,
        CodeMethod::Email => sesame.complete_email(&token, &body.code, &client)?,
    };
    Ok(
        bodies::signed_in(sesame, &session, call.format, body.include_token)
            .with_cookie(Cookie::Pending.clear(sesame)),
    )
}

/// How many recovery codes are left.
#[derive(Serialize)]
struct CodesLeft {
    recovery_codes_left: u32,
}

fn recovery_codes_page(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let status = call.sesame.two_factor_status(&info.user.id)?;
    let left = CodesLeft {
        recovery_codes_left: status.recovery_codes_left,
    };
    Answer::try_of(call.format, 200, &left, || {
        Ok(Page::Html(recovery_codes_html(
            &call.view(),
            &status,
            &info.csrf_token,
            None,
            None,
        )?))
    })
}

/// A fresh set of recovery codes, shown this once.
#[derive(Serialize)]
struct FreshCodes<'a> {
    recovery_codes: &'a [&'a str],
}

fn generate_recovery_codes(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let codes = call.sesame.generate_recovery_codes(&info)?;
    let list: Vec<&str> = codes.0.iter().map(|c| c.as_str()).collect();
    Answer::try_of(
        call.format,
        200,
        &FreshCodes {
            recovery_codes: &list,
        },
        || {
            let status = call.sesame.two_factor_status(&info.user.id)?;
            Ok(Page::Html(recovery_codes_html(
                &call.view(),
                &status,
                &info.csrf_token,
                Some(&list),
                None,
            )?))
        },
    )
}

/// This group's body types, by the names the fuzz targets know them by.
#[cfg(feature = "fuzzing")]
pub(crate) const BODIES: [BodyParser; 3] = [
    BodyParser::of::<SetupBody>("tf-setup"),
    BodyParser::of::<SelectBody>("tf-select"),
    BodyParser::of::<CodeBody>("tf-code"),
];

#[cfg(test)]
mod tests;
