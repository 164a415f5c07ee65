//! Plain, accessible HTML pages for browsers: no framework, no script, every input labelled.

use crate::accounts::User;

/// The start page.
pub(super) fn index() -> String {
    layout(
        "Sesame",
        "<h1>Sesame</h1>\n<ul>\n<li><a href=\"/login\">Sign in</a></li>\n<li><a href=\"/register\">Create an account</a></li>\n<li><a href=\"/me\">My account</a></li>\n</ul>",
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
             <p><a href=\"/register\">Create an account</a></p>",
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
             <form method=\"post\" action=\"/logout\">\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
             <button type=\"submit\">Sign out</button></form>",
            escape(&user.email),
            escape(csrf_token)
        ),
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

fn alert(message: Option<&str>) -> String {
    message
        .map(|m| format!("<p role=\"alert\"><strong>{}</strong></p>\n", escape(m)))
        .unwrap_or_default()
}

fn layout(title: &str, body: &str) -> String {
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
