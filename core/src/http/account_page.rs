//! `/account`: the signed-in person's own page. It shows what they would check after signing
//! in (address, sessions, passkeys, two-factor) and reaches every self-service action, so a
//! deployment without an application of its own still has a complete product.

use super::answer::{Answer, Page};
use super::router::{Call, Route};
use crate::error::{Error, Result};
use crate::sessions::SessionInfo;
use crate::webauthn::Usage;

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 1] = [Route::page("GET", "/account", account)];

fn account(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    Ok(Answer::page(200, Page::Html(render(call, &info)?)))
}

/// The account page of the session `info` (also what `GET /me` shows a browser).
pub(crate) fn render(call: &Call<'_>, info: &SessionInfo) -> Result<String> {
    let sesame = call.sesame;
    let user = &info.user;
    let view = call.view();
    let when = super::pages::readable_time;
    let mut sessions = sesame.list_sessions(&user.id)?;
    // The current session first, then the most recently used.
    sessions.sort_by_key(|s| (s.id != info.id, std::cmp::Reverse(s.last_seen_at_ms)));
    let sessions: Vec<_> = sessions
        .iter()
        .map(|s| {
            minijinja::context! {
                id => s.id.clone(),
                current => s.id == info.id,
                device => s.user_agent.as_deref().map(short_agent).unwrap_or_default(),
                address => s.address.clone().unwrap_or_default(),
                signed_in => when(s.created_at_ms),
                last_seen => when(s.last_seen_at_ms),
            }
        })
        .collect();
    let passkeys: Vec<_> = sesame
        .list_passkeys(&user.id)?
        .iter()
        .map(|c| {
            minijinja::context! {
                name => c.name.clone(),
                passkey => matches!(c.usage, Usage::First),
                synced => c.backed_up,
                added => when(c.created_at_ms),
                last_used => c.last_used_at_ms.map(when).unwrap_or_default(),
            }
        })
        .collect();
    let two_factor = sesame.two_factor_status(&user.id)?;
    let fresh = sesame.fresh_until(info)?.is_some();
    view.render(
        "account.html",
        minijinja::context! {
            email => user.email.clone(),
            confirmed => user.confirmed_at_ms.is_some(),
            username => user.username.clone().unwrap_or_default(),
            csrf_token => info.csrf_token.clone(),
            sessions,
            passkeys,
            totp_enabled => two_factor.totp_enabled,
            recovery_codes_left => two_factor.recovery_codes_left,
            fresh,
        },
    )
}

/// The browser and system a User-Agent names, shortened for a table cell: at most 60
/// characters of its start, enough to tell one's laptop from one's phone.
fn short_agent(agent: &str) -> String {
    let printable = super::pages::printable(agent);
    match printable.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &printable[..cut]),
        None => printable,
    }
}
