//! Plain, accessible HTML pages for browsers: no framework, no script, every input labelled.

use crate::accounts::User;
use crate::sessions::SessionSummary;

/// The start page.
pub(super) fn index() -> String {
    layout(
        "Sesame",
        "<h1>Sesame</h1>\n<ul>\n<li><a href=\"/login\">Sign in</a></li>\n<li><a href=\"/wan-signin\">Sign in with a passkey</a></li>\n<li><a href=\"/register\">Create an account</a></li>\n<li><a href=\"/me\">My account</a></li>\n</ul>",
    )
}

/// The sign-in form, with an error message when a previous attempt failed.
pub(super) fn login(error: Option<&str>) -> String {
    layout(
        "Sign in",
        &format!(
            "<h1>Sign in</h1>\n{}<form method=\"post\" action=\"/login\">\n\
             <p><label for=\"email\">Email or username</label><br>\
             <input id=\"email\" name=\"email\" autocomplete=\"username\" required></p>\n\
             <p><label for=\"password\">Password</label><br>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\n\
             <p><button type=\"submit\">Sign in</button></p>\n</form>\n\
             <p><a href=\"/wan-signin\">Sign in with a passkey</a> · <a href=\"/register\">Create an account</a> · <a href=\"/reset\">Forgot your password?</a></p>",
            alert(error)
        ),
    )
}

/// The registration form.
pub(super) fn register(error: Option<&str>) -> String {
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

/// The signed-in user's page.
pub(super) fn me(user: &User, csrf_token: &str) -> String {
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
pub(super) fn change(csrf_token: &str, error: Option<&str>) -> String {
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
pub(super) fn verify(csrf_token: &str, error: Option<&str>) -> String {
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

/// The list of the user's sessions, each with a button to end it.
pub(super) fn sessions(list: &[SessionSummary], current_id: &str, csrf_token: &str) -> String {
    let rows: String = list
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(s.user_agent.as_deref().unwrap_or("unknown device")),
                if s.id == current_id {
                    " (this one)"
                } else {
                    ""
                },
                escape(s.address.as_deref().unwrap_or("-")),
                s.last_seen_at_ms / 1000,
                post_button("/sessions/revoke", csrf_token, "End", &[("id", &s.id)])
            )
        })
        .collect();
    layout(
        "My sessions",
        &format!(
            "<h1>My sessions</h1>\n<table>\n<thead><tr><th scope=\"col\">Device</th><th scope=\"col\">Address</th>\
             <th scope=\"col\">Last seen (Unix time)</th><th scope=\"col\">Action</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n{}\
             <p><a href=\"/me\">Back</a></p>",
            post_button("/logout-everywhere", csrf_token, "Sign out everywhere", &[])
        ),
    )
}

/// Asks for an address to mail a reset link to, or, with a token, for the new password.
pub(super) fn reset(token: Option<&str>, error: Option<&str>) -> String {
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

/// A page with one message for a signed-in user.
pub(super) fn notice_signed_in(title: &str, message: &str) -> String {
    layout(
        title,
        &format!(
            "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/me\">My account</a></p>",
            escape(title),
            escape(message)
        ),
    )
}

/// A one-button form posting to `action` with the CSRF token and extra hidden fields.
pub(super) fn post_button(
    action: &str,
    csrf_token: &str,
    label: &str,
    fields: &[(&str, &str)],
) -> String {
    let hidden: String = fields
        .iter()
        .map(|(n, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(n),
                escape(v)
            )
        })
        .collect();
    format!(
        "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf_token\" value=\"{}\">{hidden}<button type=\"submit\">{}</button></form>",
        escape(action),
        escape(csrf_token),
        escape(label)
    )
}

/// A page with one message.
pub(super) fn notice(title: &str, message: &str) -> String {
    layout(
        title,
        &format!(
            "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/login\">Sign in</a></p>",
            escape(title),
            escape(message)
        ),
    )
}

/// An error page.
pub(super) fn error(status: u16, message: &str) -> String {
    layout(
        "Error",
        &format!(
            "<h1>Error {status}</h1>\n<p role=\"alert\">{}</p>\n<p><a href=\"/login\">Sign in</a> · <a href=\"/\">Start</a></p>",
            escape(message)
        ),
    )
}

pub(super) fn alert(message: Option<&str>) -> String {
    message
        .map(|m| format!("<p role=\"alert\"><strong>{}</strong></p>\n", escape(m)))
        .unwrap_or_default()
}

pub(super) fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// Escapes text for HTML element content and double-quoted attributes.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}
