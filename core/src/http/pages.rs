//! What every page shares: the layout, escaping, alerts, one-button forms, and the pages with
//! one message. Pages are plain and accessible: no framework, every input labelled; only the
//! passkey pages load a script.

/// A page with one message for a signed-in user.
pub(crate) fn notice_signed_in(title: &str, message: &str) -> String {
    message_page(title, message, "<a href=\"/me\">My account</a>")
}

/// A one-button form posting to `action` with the CSRF token and extra hidden fields.
pub(crate) fn post_button(
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
pub(crate) fn notice(title: &str, message: &str) -> String {
    message_page(title, message, "<a href=\"/login\">Sign in</a>")
}

/// A page with one message and one link onwards (`link` is HTML).
fn message_page(title: &str, message: &str, link: &str) -> String {
    layout(
        title,
        &format!(
            "<h1>{}</h1>\n<p>{}</p>\n<p>{link}</p>",
            escape(title),
            escape(message)
        ),
    )
}

/// An error page.
pub(crate) fn error(status: u16, message: &str) -> String {
    layout(
        "Error",
        &format!(
            "<h1>Error {status}</h1>\n<p role=\"alert\">{}</p>\n<p><a href=\"/login\">Sign in</a> · <a href=\"/\">Start</a></p>",
            escape(message)
        ),
    )
}

/// The message of a failed attempt, announced to screen readers; nothing without one.
pub(crate) fn alert(message: Option<&str>) -> String {
    message
        .map(|m| format!("<p role=\"alert\"><strong>{}</strong></p>\n", escape(m)))
        .unwrap_or_default()
}

/// The page around `body` (HTML) titled `title` (text).
pub(crate) fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
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
