//! The passkey pages. Each loads Sesame's script (`/wan.js`), which runs
//! `navigator.credentials` for the forms marked `data-wan` and says what happens in
//! `#wan-status`, with the page's messages (its `data-*` attributes).

use crate::error::Result;
use crate::http::view::View;
use crate::sessions::SessionInfo;
use crate::webauthn::{CredentialInfo, Usage};

/// The sign-in page: with an identity field for a first factor, or without for the second
/// factor of a pending sign-in.
pub(super) fn signin_html(view: &View<'_>, second_factor: bool) -> Result<String> {
    view.render("wan-signin.html", minijinja::context! { second_factor })
}

/// The re-authentication page: a button that runs the passkey ceremony.
pub(super) fn verify_html(view: &View<'_>, csrf_token: &str) -> Result<String> {
    view.render("wan-verify.html", minijinja::context! { csrf_token })
}

/// The outcome of the last action on the passkeys page.
pub(super) struct Outcome<'a> {
    /// What happened, in the page's language.
    pub message: &'a str,
    /// Whether it failed.
    pub is_error: bool,
}

/// The passkeys page: the list, each with a delete button, and the form to add one.
pub(super) fn register_html(
    view: &View<'_>,
    info: &SessionInfo,
    list: &[CredentialInfo],
    fresh: bool,
    outcome: Option<Outcome<'_>>,
) -> Result<String> {
    let credentials: Vec<_> = list
        .iter()
        .map(|c| {
            let last_used = c.last_used_at_ms.map(time_values);
            minijinja::context! {
                id => c.id.clone(),
                name => c.name.clone(),
                // Catalog ids: the template translates them.
                use => match (c.usage, c.backed_up) {
                    (Usage::First, false) => "wan-use-passkey",
                    (Usage::First, true) => "wan-use-passkey-synced",
                    (Usage::Secondary, false) => "wan-use-second-factor",
                    (Usage::Secondary, true) => "wan-use-second-factor-synced",
                },
                algorithm => c.algorithm.as_str(),
                added_ms => c.created_at_ms,
                added_iso => time_values(c.created_at_ms).0,
                added => time_values(c.created_at_ms).1,
                last_used => last_used.as_ref().map(|t| t.1.clone()).unwrap_or_default(),
                last_used_iso => last_used.map(|t| t.0).unwrap_or_default(),
                last_used_ms => c.last_used_at_ms.unwrap_or_default(),
            }
        })
        .collect();
    let (message, is_error) = outcome.map(|o| (o.message, o.is_error)).unwrap_or_default();
    view.render(
        "wan-register.html",
        minijinja::context! {
            credentials,
            fresh,
            message,
            is_error,
            csrf_token => info.csrf_token.clone(),
        },
    )
}

/// A time (ms since the epoch) as a `<time>` element's `datetime` (RFC 3339) and as text
/// (`2026-12-06 22:49 UTC`), which the script replaces with the browser's local time.
fn time_values(ms: u64) -> (String, String) {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| {
            (
                t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                t.format("%Y-%m-%d %H:%M UTC").to_string(),
            )
        })
        .unwrap_or_default()
}
