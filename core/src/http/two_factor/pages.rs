//! The two-factor pages, rendered from the `tf-*` and `recovery-*` templates. Plain forms: no
//! script, every input labelled, app codes typed with the numeric keyboard and offered for
//! autofill (`autocomplete="one-time-code"`), a wrong code shown at the field it concerns.

use minijinja::Value;

use super::CodeMethod;
use crate::error::{AuthError, ErrorCode, Result};
use crate::http::view::View;
use crate::two_factor::{Method, TotpEnrolment, TwoFactorStatus};

/// The message of `error` (empty without one), as the templates' `alert` takes it.
fn message(error: Option<&AuthError>) -> &str {
    error.map(|e| e.message.as_str()).unwrap_or_default()
}

/// The message of `error` when it is about the code typed: shown again at the code field,
/// which is marked invalid and described by it. A code that is wrong, expired or used
/// (`invalid-code`) or malformed (`invalid-request`: the only other value these forms send).
fn code_message(error: Option<&AuthError>) -> &str {
    match error {
        Some(e) if matches!(e.code, ErrorCode::InvalidCode | ErrorCode::InvalidRequest) => {
            &e.message
        }
        _ => "",
    }
}

/// The two-factor page: how to turn it off when on, the enrolment in progress, or how to
/// start one; with the message of a failed attempt.
pub(super) fn setup_html(
    view: &View<'_>,
    status: &TwoFactorStatus,
    enrolment: Option<&TotpEnrolment>,
    email_enrolling: bool,
    csrf_token: &str,
    error: Option<&AuthError>,
) -> Result<String> {
    let state = match (status.totp_enabled || status.email_enabled, enrolment) {
        (true, _) => "on",
        (false, Some(_)) => "enrolling",
        (false, None) if email_enrolling => "email-enrolling",
        (false, None) => "off",
    };
    // The password is the only field of the form that turns two-factor off.
    let password_error = match error {
        Some(e) if state == "on" && e.code == ErrorCode::InvalidCredentials => e.message.as_str(),
        _ => "",
    };
    let code_error = if state == "enrolling" || state == "email-enrolling" {
        code_message(error)
    } else {
        ""
    };
    view.render(
        "tf-setup.html",
        minijinja::context! {
            state,
            error => message(error),
            reauthenticate => error.is_some_and(|e| e.code == ErrorCode::ReauthenticationRequired),
            password_error,
            code_error,
            csrf_token,
            recovery_codes_left => status.recovery_codes_left,
            totp_enabled => status.totp_enabled,
            email_enabled => status.email_enabled,
            // Core draws the QR code (paths with `fill` attributes, no `style`), so it is
            // inserted as markup; everything else is escaped.
            qr_svg => enrolment.map(|e| Value::from_safe_string(e.qr_svg.clone())),
            secret => enrolment.map(|e| e.secret_base32.as_str().to_owned()),
            algorithm => enrolment.map(|e| e.algorithm.as_str()),
            digits => enrolment.map(|e| e.digits),
            period => enrolment.map(|e| e.period_secs),
        },
    )
}

/// The page after two-factor was turned on: it offers recovery codes next.
pub(super) fn enabled_html(view: &View<'_>, csrf_token: &str) -> Result<String> {
    view.render("tf-enabled.html", minijinja::context! { csrf_token })
}

/// The choice between the methods that can finish a pending sign-in, the first chosen.
pub(super) fn select_html(
    view: &View<'_>,
    methods: &[Method],
    error: Option<&str>,
) -> Result<String> {
    let methods: Vec<Value> = methods
        .iter()
        .map(|m| {
            let label = match m {
                Method::Totp => view.t("tf-method-totp"),
                Method::RecoveryCode => view.t("tf-method-recovery-code"),
                Method::Webauthn => view.t("tf-method-webauthn"),
                Method::Email => view.t("tf-method-email"),
            };
            minijinja::context! { value => m.as_str(), label }
        })
        .collect();
    view.render(
        "tf-select.html",
        minijinja::context! { methods, error => error.unwrap_or_default() },
    )
}

/// The form that finishes a pending sign-in with a code of `method` (`digits` long for an
/// app's code), with the message of a failed attempt.
pub(super) fn code_form(
    view: &View<'_>,
    method: CodeMethod,
    digits: u32,
    error: Option<&AuthError>,
) -> Result<String> {
    let (method, title, action) = match method {
        CodeMethod::Totp => ("totp", view.t("tf-code-title"), "/tf-validate"),
        CodeMethod::RecoveryCode => (
            "recovery-code",
            view.t("recovery-sign-in-title"),
            "/mf-recovery",
        ),
        CodeMethod::Email => ("email", view.t("tf-email-title"), "/tf-email"),
    };
    view.render(
        "tf-code.html",
        minijinja::context! {
            method,
            title,
            action,
            digits,
            error => message(error),
            code_error => code_message(error),
        },
    )
}

/// The recovery-codes page: a fresh set shown once, or how many are left; with the message of
/// a failed attempt.
pub(super) fn recovery_codes_html(
    view: &View<'_>,
    status: &TwoFactorStatus,
    csrf_token: &str,
    fresh: Option<&[&str]>,
    error: Option<&AuthError>,
) -> Result<String> {
    view.render(
        "recovery-codes.html",
        minijinja::context! {
            codes => fresh
                .unwrap_or_default()
                .iter()
                .map(|c| (*c).to_owned())
                .collect::<Vec<_>>(),
            totp_enabled => status.totp_enabled,
            recovery_codes_left => status.recovery_codes_left,
            csrf_token,
            error => message(error),
        },
    )
}
