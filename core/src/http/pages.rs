//! The pages with one message (a notice, an error) and the escaping every page's values get.
//! The layout, the stylesheet and the shared pieces of forms are templates
//! (`core/templates/layout.html`, `macros.html`).

use super::view::View;
use crate::error::Result;

/// A link under a message: where it goes and what it says.
pub(crate) struct Link {
    /// The target (a path of Sesame's).
    pub href: &'static str,
    /// The text, in the page's language.
    pub label: String,
}

/// A page with one message for a signed-in user, linking to the account page.
pub(crate) fn notice_signed_in(view: &View<'_>, title: &str, message: &str) -> Result<String> {
    message_page(
        view,
        title,
        message,
        &[Link {
            href: "/account",
            label: view.t("nav-account"),
        }],
    )
}

/// A page with one message, linking to the sign-in page.
pub(crate) fn notice(view: &View<'_>, title: &str, message: &str) -> Result<String> {
    message_page(
        view,
        title,
        message,
        &[Link {
            href: "/login",
            label: view.t("nav-sign-in"),
        }],
    )
}

/// A page with one message and links onwards.
pub(crate) fn message_page(
    view: &View<'_>,
    title: &str,
    message: &str,
    links: &[Link],
) -> Result<String> {
    let links: Vec<_> = links
        .iter()
        .map(|l| minijinja::context! { href => l.href, label => l.label.clone() })
        .collect();
    view.render(
        "message.html",
        minijinja::context! { title, message, links, is_error => false },
    )
}

/// An error page. Never fails: should a replaced template not render, the message is still
/// shown on a plain page.
pub(crate) fn error(view: &View<'_>, status: u16, message: &str) -> String {
    let title = view.text("error-title", &[("status", status.into())]);
    let links = [
        minijinja::context! { href => "/login", label => view.t("nav-sign-in") },
        minijinja::context! { href => "/", label => view.t("nav-start") },
    ];
    view.render(
        "message.html",
        minijinja::context! { title => title.clone(), message, links, is_error => true },
    )
    .unwrap_or_else(|_| {
        format!(
            "<!doctype html>\n<html lang=\"{}\"><meta charset=\"utf-8\"><title>{}</title>\n<main><h1>{}</h1>\n<p role=\"alert\">{}</p></main></html>\n",
            view.lang.tag(),
            escape(&title),
            escape(&title),
            escape(message)
        )
    })
}

pub(crate) use crate::html::escape;

/// `text` without control characters (a User-Agent shown on a page).
pub(crate) fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// A time as people read it, `2023-11-14 22:13 UTC`: pages run no script that could show it
/// in the reader's own zone, and this form reads the same in every language.
pub(crate) fn readable_time(ms: u64) -> String {
    format_time(ms, "%Y-%m-%d %H:%M UTC")
}

/// A time as `<time datetime>` takes it, `2023-11-14T22:13Z`.
pub(crate) fn machine_time(ms: u64) -> String {
    format_time(ms, "%Y-%m-%dT%H:%MZ")
}

/// `ms` since the epoch in `format`; empty for a time beyond what a date can hold.
fn format_time(ms: u64, format: &str) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format(format).to_string())
        .unwrap_or_default()
}
