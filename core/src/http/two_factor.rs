//! The two-factor routes, with Flask-Security's names, and their pages.
//!
//! | route                     | what                                                          |
//! |---------------------------|---------------------------------------------------------------|
//! | `GET|POST /tf-setup`      | status / start TOTP (`setup=authenticator`), confirm (`code`), turn off (`setup=disable` + `password` or `code`) |
//! | `GET|POST /tf-select`     | the methods a pending sign-in can finish with / pick one      |
//! | `GET|POST /tf-validate`   | finish a pending sign-in with a TOTP code                     |
//! | `GET|POST /mf-recovery`   | finish a pending sign-in with a recovery code                 |
//! | `GET|POST /mf-recovery-codes` | codes left / generate a new set (shown once)              |
//!
//! A pending sign-in is carried by its own cookie (or the `tf_token` body field for clients
//! without cookies), never by the session cookie, so every other route sees it as signed out.
//! `/tf-validate` and `/mf-recovery` without a live pending sign-in sign the caller out.

use serde::Deserialize;

use super::pages::{alert, escape, layout, notice_signed_in, post_button};
use super::{Format, Request, Response, Route, parse, secure_attr, session_cookie, signed_in};
use crate::Sesame;
use crate::error::{Error, ErrorCode};
use crate::sessions::IssuedSession;
use crate::two_factor::{Method, PendingLogin, Reauth, TotpEnrolment, TwoFactorStatus};

/// Name of the pending-sign-in cookie on plain-HTTP loopback deployments.
pub const PENDING_COOKIE_NAME: &str = "sesame_tf";
/// Name of the pending-sign-in cookie when `Secure` (host-only, see the session cookie).
pub const SECURE_PENDING_COOKIE_NAME: &str = "__Host-sesame_tf";

/// The routes this module answers (see [`super::Route`]).
pub(super) const ROUTES: [Route; 10] = [
    Route::json("GET", "/tf-setup", setup_page),
    Route::json("POST", "/tf-setup", setup),
    Route::json("GET", "/tf-select", select_page),
    Route::json("POST", "/tf-select", select),
    Route::json("GET", "/tf-validate", totp_page),
    Route::json("POST", "/tf-validate", complete_totp),
    Route::json("GET", "/mf-recovery", recovery_page),
    Route::json("POST", "/mf-recovery", complete_recovery),
    Route::json("GET", "/mf-recovery-codes", recovery_codes_page),
    Route::json("POST", "/mf-recovery-codes", generate_recovery_codes),
];

fn totp_page(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    code_page(sesame, req, format, Method::Totp)
}

fn complete_totp(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    complete(sesame, req, format, Method::Totp)
}

fn recovery_page(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    code_page(sesame, req, format, Method::RecoveryCode)
}

fn complete_recovery(
    sesame: &Sesame<'_>,
    req: &Request,
    format: Format,
) -> Result<Response, Error> {
    complete(sesame, req, format, Method::RecoveryCode)
}

/// The answer to a password sign-in that needs a second factor: the pending cookie, and the
/// next page for browsers or the methods for JSON clients.
pub(super) fn pending_response(
    sesame: &Sesame<'_>,
    pending: &PendingLogin,
    format: Format,
    include_token: bool,
) -> Response {
    let response = match format {
        Format::Html => Response::redirect(next_page(&pending.methods)),
        Format::Json => {
            let mut json = serde_json::json!({
                "status": "second-factor-required",
                "tf_required": true,
                "methods": method_names(&pending.methods),
                "expires_at_ms": pending.expires_at_ms,
            });
            if include_token {
                json["tf_token"] = pending.token.expose().into();
            }
            Response::json(200, &json)
        }
    };
    let max_age = sesame.config().two_factor.pending_ms / 1000;
    response.with_header(
        "set-cookie",
        format!(
            "{}={}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            pending_cookie_name(sesame),
            pending.token.expose(),
            secure_attr(sesame)
        ),
    )
}

/// The error page of a two-factor route for browsers: the route's form again, with the
/// message. `None` for routes this module does not answer.
pub(super) fn error_page(
    sesame: &Sesame<'_>,
    req: &Request,
    public: &crate::AuthError,
) -> Option<Response> {
    let (status, message) = (public.code.http_status(), public.message.as_str());
    // Without a pending sign-in or a session there is no form to show again: the generic
    // error page offers to sign in.
    if public.code == ErrorCode::Unauthenticated {
        return None;
    }
    let page = match req.path() {
        "/tf-validate" => code_form(
            Method::Totp,
            sesame.config().two_factor.totp_digits,
            Some(message),
        ),
        "/mf-recovery" => code_form(Method::RecoveryCode, 0, Some(message)),
        "/tf-setup" => {
            // Re-read the session as a GET would: the form shows again even after a CSRF
            // refusal, with the token it needs.
            let mut view = req.clone();
            view.method = "GET".into();
            let (info, _) = signed_in(sesame, &view).ok()?;
            let status_now = sesame.two_factor_status(&info.user.id).ok()?;
            let enrolment = sesame.current_totp_enrolment(&info).ok()?;
            setup_html(
                &status_now,
                enrolment.as_ref(),
                &info.csrf_token,
                Some(message),
            )
        }
        _ => return None,
    };
    Some(Response::html(status, page))
}

/// The Set-Cookie value that removes the pending-sign-in cookie.
pub(super) fn clear_pending_cookie(sesame: &Sesame<'_>) -> String {
    format!(
        "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
        pending_cookie_name(sesame),
        secure_attr(sesame)
    )
}

fn pending_cookie_name(sesame: &Sesame<'_>) -> &'static str {
    if sesame.config().cookie_secure {
        SECURE_PENDING_COOKIE_NAME
    } else {
        PENDING_COOKIE_NAME
    }
}

/// The pending token: the body's `tf_token` when given, else the pending cookie.
pub(super) fn pending_token(
    sesame: &Sesame<'_>,
    req: &Request,
    from_body: Option<String>,
) -> Option<String> {
    from_body.or_else(|| parse::cookie(req, pending_cookie_name(sesame)))
}

fn method_names(methods: &[Method]) -> Vec<&'static str> {
    methods.iter().map(|m| m.as_str()).collect()
}

/// Where a browser goes next: the choice when there is one, else the only method's form.
fn next_page(methods: &[Method]) -> &'static str {
    match methods {
        [Method::RecoveryCode] => "/mf-recovery",
        [Method::Webauthn] => "/wan-signin",
        [_] | [] => "/tf-validate",
        _ => "/tf-select",
    }
}

fn method_page(method: Method) -> &'static str {
    match method {
        Method::Totp => "/tf-validate",
        Method::RecoveryCode => "/mf-recovery",
        Method::Webauthn => "/wan-signin",
    }
}

fn status_json(status: &TwoFactorStatus) -> serde_json::Value {
    serde_json::json!({
        "totp_enabled": status.totp_enabled,
        "enrolment_pending": status.enrolment_pending,
        "recovery_codes_left": status.recovery_codes_left,
    })
}

fn setup_page(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let status = sesame.two_factor_status(&info.user.id)?;
    Ok(match format {
        Format::Json => Response::json(200, &status_json(&status)),
        Format::Html => {
            let enrolment = sesame.current_totp_enrolment(&info)?;
            Response::html(
                200,
                setup_html(&status, enrolment.as_ref(), &info.csrf_token, None),
            )
        }
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

fn setup(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let body: SetupBody = parse::body(req)?;
    match (body.setup.as_deref(), body.code, body.password) {
        (Some("authenticator"), _, _) => {
            let enrolment = sesame.start_totp(&info)?;
            Ok(match format {
                Format::Json => Response::json(
                    200,
                    &serde_json::json!({
                        "status": "enrolment-started",
                        "secret": enrolment.secret_base32.as_str(),
                        "otpauth_uri": enrolment.otpauth_uri.as_str(),
                        "qr_svg": enrolment.qr_svg,
                        "algorithm": enrolment.algorithm.as_str(),
                        "digits": enrolment.digits,
                        "period": enrolment.period_secs,
                    }),
                ),
                Format::Html => {
                    let status = sesame.two_factor_status(&info.user.id)?;
                    Response::html(
                        200,
                        setup_html(&status, Some(&enrolment), &info.csrf_token, None),
                    )
                }
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
            sesame.disable_two_factor(&info, proof, &req.client())?;
            const DONE: &str =
                "Two-factor authentication is off and your recovery codes are deleted.";
            Ok(match format {
                Format::Json => Response::json(
                    200,
                    &serde_json::json!({"status": "disabled", "message": DONE}),
                ),
                Format::Html => Response::html(200, notice_signed_in("Two-factor off", DONE)),
            })
        }
        (None, Some(code), _) => {
            sesame.confirm_totp(&info, &code)?;
            const DONE: &str = "Two-factor authentication is on. Generate recovery codes now, in case you lose your phone.";
            Ok(match format {
                Format::Json => Response::json(
                    200,
                    &serde_json::json!({"status": "enabled", "message": DONE}),
                ),
                Format::Html => Response::html(200, enabled_html(&info.csrf_token, DONE)),
            })
        }
        _ => Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "Send setup=authenticator to start, code to confirm, or setup=disable with password or code.",
        )),
    }
}

#[derive(Deserialize)]
struct SelectBody {
    method: String,
    #[serde(default)]
    tf_token: Option<String>,
}

fn select_page(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let token = pending_token(sesame, req, None).ok_or(Error::NoSession("no pending sign-in"))?;
    let methods = sesame.pending_methods(&token)?;
    Ok(match format {
        Format::Json => {
            Response::json(200, &serde_json::json!({"methods": method_names(&methods)}))
        }
        Format::Html => Response::html(200, select_html(&methods)),
    })
}

fn select(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let body: SelectBody = parse::body(req)?;
    let token =
        pending_token(sesame, req, body.tf_token).ok_or(Error::NoSession("no pending sign-in"))?;
    let methods = sesame.pending_methods(&token)?;
    let chosen = Method::parse(&body.method)
        .filter(|m| methods.contains(m))
        .ok_or_else(|| {
            Error::rejected(
                ErrorCode::InvalidRequest,
                format!("Choose one of: {}.", method_names(&methods).join(", ")),
            )
        })?;
    Ok(match format {
        Format::Html => Response::redirect(method_page(chosen)),
        Format::Json => Response::json(
            200,
            &serde_json::json!({"method": chosen.as_str(), "next": method_page(chosen)}),
        ),
    })
}

fn code_page(
    sesame: &Sesame<'_>,
    req: &Request,
    format: Format,
    method: Method,
) -> Result<Response, Error> {
    let token = pending_token(sesame, req, None).ok_or(Error::NoSession("no pending sign-in"))?;
    let methods = sesame.pending_methods(&token)?;
    Ok(match format {
        Format::Json => {
            Response::json(200, &serde_json::json!({"methods": method_names(&methods)}))
        }
        Format::Html => Response::html(
            200,
            code_form(method, sesame.config().two_factor.totp_digits, None),
        ),
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
fn complete(
    sesame: &Sesame<'_>,
    req: &Request,
    format: Format,
    method: Method,
) -> Result<Response, Error> {
    let body: Result<CodeBody, _> = parse::body(req);
    let (code, from_body, include_token) = match body {
        Ok(b) => (Some(b.code), b.tf_token, b.include_token),
        Err(_) => (None, None, false),
    };
    let token = pending_token(sesame, req, from_body);
    // Only a missing pending sign-in signs out; a store failure is reported as such.
    let live = match &token {
        Some(t) => match sesame.pending_methods(t) {
            Ok(_) => true,
            Err(Error::NoSession(_)) => false,
            Err(e) => return Err(e),
        },
        None => false,
    };
    if !live {
        // Signing out changes state: a cookie session is ended only with its CSRF token, so
        // another page cannot sign the user out through this route.
        if let Ok((_, credential)) = super::signed_in(sesame, req) {
            sesame.logout(credential.token())?;
        }
        return Err(Error::NoSession("no pending sign-in"));
    }
    let (Some(token), Some(code)) = (token, code) else {
        // Re-parse to report what is wrong with the body.
        let _: CodeBody = parse::body(req)?;
        return Err(Error::rejected(ErrorCode::InvalidRequest, "Send the code."));
    };
    let client = req.client();
    let session = match method {
        Method::Totp => sesame.complete_totp(&token, &code, &client)?,
        Method::RecoveryCode => sesame.complete_recovery(&token, &code, &client)?,
        Method::Webauthn => {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "Finish with your passkey or security key at /wan-signin.",
            ));
        }
    };
    Ok(signed_in_response(sesame, &session, format, include_token)
        .with_header("set-cookie", clear_pending_cookie(sesame)))
}

fn signed_in_response(
    sesame: &Sesame<'_>,
    session: &IssuedSession,
    format: Format,
    include_token: bool,
) -> Response {
    let response = match format {
        Format::Html => Response::redirect("/me"),
        Format::Json => {
            let mut json = serde_json::json!({
                "user": &session.user,
                "csrf_token": session.csrf_token,
                "expires_at_ms": session.expires_at_ms,
            });
            if include_token {
                json["token"] = session.token.expose().into();
            }
            Response::json(200, &json)
        }
    };
    response.with_header("set-cookie", session_cookie(sesame, session))
}

fn recovery_codes_page(
    sesame: &Sesame<'_>,
    req: &Request,
    format: Format,
) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let status = sesame.two_factor_status(&info.user.id)?;
    Ok(match format {
        Format::Json => Response::json(
            200,
            &serde_json::json!({"recovery_codes_left": status.recovery_codes_left}),
        ),
        Format::Html => Response::html(200, recovery_codes_html(&status, &info.csrf_token, None)),
    })
}

fn generate_recovery_codes(
    sesame: &Sesame<'_>,
    req: &Request,
    format: Format,
) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let codes = sesame.generate_recovery_codes(&info)?;
    let list: Vec<&str> = codes.0.iter().map(|c| c.as_str()).collect();
    Ok(match format {
        Format::Json => Response::json(200, &serde_json::json!({"recovery_codes": list})),
        Format::Html => {
            let status = sesame.two_factor_status(&info.user.id)?;
            Response::html(
                200,
                recovery_codes_html(&status, &info.csrf_token, Some(&list)),
            )
        }
    })
}

// Pages. Plain forms: no script, every input labelled, codes typed with the numeric keyboard
// and offered for autofill (`autocomplete="one-time-code"`).

fn setup_html(
    status: &TwoFactorStatus,
    enrolment: Option<&TotpEnrolment>,
    csrf_token: &str,
    error: Option<&str>,
) -> String {
    let body = if status.totp_enabled {
        format!(
            "<p>Two-factor authentication is <strong>on</strong>. Recovery codes left: {}. \
             <a href=\"/mf-recovery-codes\">Recovery codes</a></p>\n\
             <h2>Turn it off</h2>\n<form method=\"post\" action=\"/tf-setup\">\n\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
             <input type=\"hidden\" name=\"setup\" value=\"disable\">\n\
             <p><label for=\"password\">Password</label><br>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\n\
             <p><button type=\"submit\">Turn two-factor off</button></p>\n</form>",
            status.recovery_codes_left,
            escape(csrf_token)
        )
    } else if let Some(enrolment) = enrolment {
        format!(
            "<p>Scan this code with your authenticator app, then type the {digits}-digit code it shows.</p>\n\
             <figure>{svg}<figcaption>Or type this key: <code>{secret}</code> \
             ({algorithm}, {digits} digits, {period} s)</figcaption></figure>\n\
             <form method=\"post\" action=\"/tf-setup\">\n\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n\
             <p><label for=\"code\">Code from the app</label><br>\
             <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
             pattern=\"[0-9 ]*\" maxlength=\"10\" required></p>\n\
             <p><button type=\"submit\">Turn two-factor on</button></p>\n</form>\n{restart}",
            digits = enrolment.digits,
            svg = enrolment.qr_svg,
            secret = escape(enrolment.secret_base32.as_str()),
            algorithm = enrolment.algorithm.as_str(),
            period = enrolment.period_secs,
            csrf = escape(csrf_token),
            restart = post_button(
                "/tf-setup",
                csrf_token,
                "Start over with a new key",
                &[("setup", "authenticator")]
            ),
        )
    } else {
        format!(
            "<p>Two-factor authentication is <strong>off</strong>. With it on, signing in needs \
             a code from an authenticator app as well as your password.</p>\n{}",
            post_button(
                "/tf-setup",
                csrf_token,
                "Set up an authenticator app",
                &[("setup", "authenticator")]
            )
        )
    };
    layout(
        "Two-factor authentication",
        &format!(
            "<h1>Two-factor authentication</h1>\n{}{body}\n<p><a href=\"/me\">Back</a></p>",
            alert(error)
        ),
    )
}

fn enabled_html(csrf_token: &str, message: &str) -> String {
    layout(
        "Two-factor on",
        &format!(
            "<h1>Two-factor on</h1>\n<p>{}</p>\n{}<p><a href=\"/me\">My account</a></p>",
            escape(message),
            post_button(
                "/mf-recovery-codes",
                csrf_token,
                "Generate recovery codes",
                &[]
            )
        ),
    )
}

fn select_html(methods: &[Method]) -> String {
    let options: String = methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let label = match m {
                Method::Totp => "A code from my authenticator app",
                Method::RecoveryCode => "One of my recovery codes",
                Method::Webauthn => "My passkey or security key",
            };
            format!(
                "<p><input type=\"radio\" id=\"method-{i}\" name=\"method\" value=\"{}\"{}> \
                 <label for=\"method-{i}\">{label}</label></p>\n",
                m.as_str(),
                if i == 0 { " checked" } else { "" }
            )
        })
        .collect();
    layout(
        "Second step",
        &format!(
            "<h1>Second step</h1>\n<form method=\"post\" action=\"/tf-select\">\n\
             <fieldset><legend>How do you want to confirm it is you?</legend>\n{options}</fieldset>\n\
             <p><button type=\"submit\">Continue</button></p>\n</form>"
        ),
    )
}

fn code_form(method: Method, digits: u32, error: Option<&str>) -> String {
    let (title, action, label, input) = match method {
        Method::Totp => (
            "Enter your code",
            "/tf-validate",
            format!("{digits}-digit code from your authenticator app"),
            "inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\" maxlength=\"10\"",
        ),
        Method::RecoveryCode => (
            "Use a recovery code",
            "/mf-recovery",
            "Recovery code (like abcd-efgh-ijkl-mnop)".to_owned(),
            "autocomplete=\"off\" autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"40\"",
        ),
        Method::Webauthn => return super::webauthn::signin_html(true, error),
    };
    layout(
        title,
        &format!(
            "<h1>{title}</h1>\n{}<form method=\"post\" action=\"{action}\">\n\
             <p><label for=\"code\">{}</label><br><input id=\"code\" name=\"code\" {input} required autofocus></p>\n\
             <p><button type=\"submit\">Sign in</button></p>\n</form>\n\
             <p><a href=\"/tf-select\">Use another method</a> · <a href=\"/login\">Start over</a></p>",
            alert(error),
            escape(&label)
        ),
    )
}

fn recovery_codes_html(
    status: &TwoFactorStatus,
    csrf_token: &str,
    fresh: Option<&[&str]>,
) -> String {
    let body = match fresh {
        Some(codes) => {
            let items: String = codes
                .iter()
                .map(|c| format!("<li><code>{}</code></li>\n", escape(c)))
                .collect();
            format!(
                "<p role=\"alert\"><strong>Write these codes down or print them now: they are shown \
                 only this once.</strong> Each works once; your previous codes no longer work.</p>\n\
                 <ol>\n{items}</ol>"
            )
        }
        None if status.totp_enabled => format!(
            "<p>Unused recovery codes: {}.</p>\n{}",
            status.recovery_codes_left,
            post_button(
                "/mf-recovery-codes",
                csrf_token,
                "Generate a new set (the old one stops working)",
                &[]
            )
        ),
        None => "<p>Set up <a href=\"/tf-setup\">two-factor authentication</a> first; recovery \
                 codes back it up.</p>"
            .to_owned(),
    };
    layout(
        "Recovery codes",
        &format!("<h1>Recovery codes</h1>\n{body}\n<p><a href=\"/me\">My account</a></p>"),
    )
}

/// Decodes `req`'s body as this module's body type named `name`; see
/// [`super::parse_body_as`].
#[cfg(feature = "fuzzing")]
pub(super) fn parse_body_as(
    name: &str,
    req: &Request,
) -> Option<Result<(), crate::error::AuthError>> {
    use super::check;
    match name {
        "tf-setup" => check::<SetupBody>(req),
        "tf-select" => check::<SelectBody>(req),
        "tf-code" => check::<CodeBody>(req),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::handle;
    use super::*;
    use crate::testing::Fixture;

    fn json(
        f: &Fixture,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response {
        let mut req = Request::new(method, path)
            .with_header("content-type", "application/json")
            .with_body(body.as_bytes().to_vec());
        for (n, v) in headers {
            req = req.with_header(n, v);
        }
        handle(&f.sesame(), &req)
    }

    fn code(r: &Response) -> String {
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        v["error"]["code"].as_str().unwrap().to_owned()
    }

    fn set_cookies(r: &Response) -> Vec<&str> {
        r.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn routes_answer_405_with_allow_and_need_their_state() {
        let f = Fixture::new();
        for path in ROUTES.iter().map(|r| r.path) {
            let r = json(&f, "DELETE", path, &[], "");
            assert_eq!(
                (r.status, r.header("allow")),
                (405, Some("GET, POST")),
                "{path}"
            );
        }
        for path in ["/tf-setup", "/mf-recovery-codes"] {
            let r = json(&f, "GET", path, &[], "");
            assert_eq!(
                (r.status, code(&r).as_str()),
                (401, "unauthenticated"),
                "{path}"
            );
        }
        for path in ["/tf-select", "/tf-validate", "/mf-recovery"] {
            let r = json(&f, "GET", path, &[("cookie", "sesame_tf=nope")], "");
            assert_eq!(
                (r.status, code(&r).as_str()),
                (401, "unauthenticated"),
                "{path}"
            );
            assert!(
                set_cookies(&r)
                    .iter()
                    .any(|c| c.starts_with("__Host-sesame_tf=;"))
            );
        }
    }

    #[test]
    fn validate_without_pending_state_keeps_a_cookie_session_sent_without_its_csrf_token() {
        let f = Fixture::new();
        let s = f.sesame();
        s.register("ada@example.com", "analytical engine", None)
            .unwrap();
        let session = s
            .login("ada@example.com", "analytical engine", &Default::default())
            .unwrap();
        let cookie = format!("__Host-sesame_session={}", session.token.expose());
        for path in ["/tf-validate", "/mf-recovery"] {
            let r = json(
                &f,
                "POST",
                path,
                &[("cookie", &cookie)],
                r#"{"code":"123456"}"#,
            );
            assert_eq!(r.status, 401, "{path}");
            assert!(
                s.validate_session(session.token.expose()).is_ok(),
                "{path} ended the session without its CSRF token"
            );
        }
        // With the token it does sign out.
        let r = json(
            &f,
            "POST",
            "/tf-validate",
            &[("cookie", &cookie), ("x-csrf-token", &session.csrf_token)],
            r#"{"code":"123456"}"#,
        );
        assert_eq!(r.status, 401);
        assert!(s.validate_session(session.token.expose()).is_err());
    }

    #[test]
    fn validate_without_pending_state_ends_the_session() {
        let f = Fixture::new();
        let s = f.sesame();
        s.register("ada@example.com", "analytical engine", None)
            .unwrap();
        let session = s
            .login("ada@example.com", "analytical engine", &Default::default())
            .unwrap();
        let bearer = format!("Bearer {}", session.token.expose());
        let r = json(
            &f,
            "POST",
            "/tf-validate",
            &[("authorization", &bearer)],
            r#"{"code":"123456"}"#,
        );
        assert_eq!((r.status, code(&r).as_str()), (401, "unauthenticated"));
        assert!(s.validate_session(session.token.expose()).is_err());
        // Recovery codes need two-factor on first; the answer says so.
        let session = s
            .login("ada@example.com", "analytical engine", &Default::default())
            .unwrap();
        let bearer = format!("Bearer {}", session.token.expose());
        let r = json(
            &f,
            "POST",
            "/mf-recovery-codes",
            &[("authorization", &bearer)],
            "{}",
        );
        assert_eq!((r.status, code(&r).as_str()), (400, "invalid-request"));
        let r = json(
            &f,
            "POST",
            "/tf-setup",
            &[("authorization", &bearer)],
            r#"{"setup":"sms"}"#,
        );
        assert_eq!((r.status, code(&r).as_str()), (400, "invalid-request"));
        let r = json(
            &f,
            "POST",
            "/tf-setup",
            &[("authorization", &bearer)],
            r#"{"code":"123456"}"#,
        );
        assert_eq!(
            (r.status, code(&r).as_str()),
            (404, "not-found"),
            "no enrolment"
        );
    }
}
