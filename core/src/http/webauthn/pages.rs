//! The passkey pages. Each loads Sesame's script (`/wan.js`), which runs
//! `navigator.credentials` for the forms marked `data-wan`.

use crate::http::pages::{alert, escape, layout, post_button};
use crate::sessions::SessionInfo;
use crate::webauthn::{CredentialInfo, Usage};

/// The sign-in page: with a username field for a first factor, or without for the second
/// factor of a pending sign-in.
pub(super) fn signin_html(second_factor: bool, error: Option<&str>) -> String {
    let (title, intro, identity) = if second_factor {
        (
            "Confirm with your passkey",
            "Your password was right. Now use your passkey or security key.",
            String::new(),
        )
    } else {
        (
            "Sign in with a passkey",
            "Leave the field empty to pick one of the passkeys on this device.",
            "<p><label for=\"identity\">Email or username (optional)</label><br>\
             <input id=\"identity\" name=\"identity\" autocomplete=\"username webauthn\"></p>\n"
                .to_owned(),
        )
    };
    page(
        title,
        &format!(
            "<h1>{title}</h1>\n{}<p>{intro}</p>\n\
             <form data-wan=\"signin\">\n{identity}\
             <p><button type=\"submit\">Use my passkey</button></p>\n</form>\n\
             <p id=\"wan-status\" role=\"status\"></p>\n\
             <p><a href=\"/login\">Sign in with a password</a></p>",
            alert(error)
        ),
    )
}

/// The re-authentication page: a button that runs the passkey ceremony.
pub(super) fn verify_html(csrf_token: &str) -> String {
    page(
        "Confirm it is you",
        &format!(
            "<h1>Confirm it is you</h1>\n<p>Some changes need a recent sign-in. \
             Use one of your passkeys or security keys.</p>\n\
             <form data-wan=\"verify\" data-csrf=\"{}\">\n\
             <p><button type=\"submit\">Verify with my passkey</button></p>\n</form>\n\
             <p id=\"wan-status\" role=\"status\"></p>\n<p><a href=\"/wan-register\">My passkeys</a></p>",
            escape(csrf_token)
        ),
    )
}

/// The passkeys page: the list, each with a delete button, and the form to add one.
pub(super) fn register_html(
    info: &SessionInfo,
    list: &[CredentialInfo],
    fresh: bool,
    message: Option<&str>,
) -> String {
    let rows: String = list
        .iter()
        .map(|c| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&c.name),
                match (c.usage, c.backed_up) {
                    (Usage::First, false) => "passkey (first factor)",
                    (Usage::First, true) => "passkey (first factor), synced",
                    (Usage::Secondary, false) => "second factor",
                    (Usage::Secondary, true) => "second factor, synced",
                },
                c.algorithm.as_str(),
                time_cell(Some(c.created_at_ms)),
                time_cell(c.last_used_at_ms),
                post_button("/wan-delete", &info.csrf_token, "Delete", &[("id", &c.id)]),
            )
        })
        .collect();
    let table = if list.is_empty() {
        "<p>You have no passkeys or security keys yet.</p>".to_owned()
    } else {
        format!(
            "<table>\n<caption>My passkeys and security keys</caption>\n\
             <thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Use</th><th scope=\"col\">Algorithm</th>\
             <th scope=\"col\">Added</th><th scope=\"col\">Last used</th><th scope=\"col\">Action</th></tr></thead>\n\
             <tbody>\n{rows}</tbody>\n</table>"
        )
    };
    let freshness = if fresh {
        String::new()
    } else {
        "<p>Adding or deleting a passkey needs a recent sign-in: \
         <a href=\"/wan-verify\">confirm it is you</a> first.</p>\n"
            .to_owned()
    };
    page(
        "My passkeys",
        &format!(
            "<h1>My passkeys</h1>\n{}{table}\n{freshness}<h2>Add one</h2>\n\
             <form data-wan=\"register\" data-csrf=\"{}\">\n\
             <p><label for=\"name\">Name (like \u{201c}my laptop\u{201d})</label><br>\
             <input id=\"name\" name=\"name\" maxlength=\"64\" required></p>\n\
             <fieldset><legend>Use it</legend>\n\
             <p><input type=\"radio\" id=\"usage-first\" name=\"usage\" value=\"first\" checked> \
             <label for=\"usage-first\">to sign in without a password (passkey)</label></p>\n\
             <p><input type=\"radio\" id=\"usage-secondary\" name=\"usage\" value=\"secondary\"> \
             <label for=\"usage-secondary\">as a second step after my password (security key)</label></p>\n\
             </fieldset>\n<p><button type=\"submit\">Add passkey</button></p>\n</form>\n\
             <p id=\"wan-status\" role=\"status\"></p>\n<p><a href=\"/me\">My account</a></p>",
            alert(message),
            escape(&info.csrf_token)
        ),
    )
}

/// A time as a machine-readable `<time>` (ms since the epoch); the script shows it locally.
fn time_cell(ms: Option<u64>) -> String {
    match ms {
        Some(ms) => format!("<time data-ms=\"{ms}\">{}</time>", ms / 1000),
        None => "never".to_owned(),
    }
}

/// A page that loads the passkey script.
fn page(title: &str, body: &str) -> String {
    layout(
        title,
        &format!("{body}\n<script src=\"/wan.js\" defer></script>"),
    )
}
