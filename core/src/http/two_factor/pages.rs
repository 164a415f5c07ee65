//! The two-factor pages. Plain forms: no script, every input labelled, codes typed with the
//! numeric keyboard and offered for autofill (`autocomplete="one-time-code"`).

use super::CodeMethod;
use crate::http::pages::{alert, escape, layout, post_button};
use crate::two_factor::{Method, TotpEnrolment, TwoFactorStatus};
/// The two-factor page: how to turn it off when on, the enrolment in progress, or how to
/// start one.
pub(super) fn setup_html(
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

/// The page after two-factor was turned on: it offers recovery codes next.
pub(super) fn enabled_html(csrf_token: &str, message: &str) -> String {
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

/// The choice between the methods that can finish a pending sign-in.
pub(super) fn select_html(methods: &[Method]) -> String {
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

/// The form that finishes a pending sign-in with a code of `method`.
pub(super) fn code_form(method: CodeMethod, digits: u32, error: Option<&str>) -> String {
    let (title, action, label, input) = match method {
        CodeMethod::Totp => (
            "Enter your code",
            "/tf-validate",
            format!("{digits}-digit code from your authenticator app"),
            "inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\" maxlength=\"10\"",
        ),
        CodeMethod::RecoveryCode => (
            "Use a recovery code",
            "/mf-recovery",
            "Recovery code (like abcd-efgh-ijkl-mnop)".to_owned(),
            "autocomplete=\"off\" autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"40\"",
        ),
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

/// The recovery-codes page: a fresh set shown once, or how many are left.
pub(super) fn recovery_codes_html(
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
