//! Sesame's HTTP routes, independent of any HTTP stack: adapters turn their request into a
//! [`Request`], call [`handle`], and write back the [`Response`].
//!
//! Every route answers JSON unless the client asks for HTML (`Accept: text/html`, as browsers
//! do), in which case it answers an accessible HTML page. Errors are
//! `{"error": {"code": "...", "message": "..."}}` with the code's HTTP status.
//!
//! | route            | what                                                            |
//! |------------------|-----------------------------------------------------------------|
//! | `GET /`          | service name and version / a start page                         |
//! | `GET /healthz`   | liveness                                                        |
//! | `GET|POST /register` | form / create an account (generic answer)                   |
//! | `GET|POST /login`    | form / sign in, sets the session cookie                     |
//! | `POST /logout`   | ends the session, clears the cookie                             |
//! | `GET /me`        | the signed-in user, 401 otherwise                               |
//! | `GET|POST /change` | form / change password (ends every other session)             |
//! | `GET|POST /verify` | form / re-enter the password: the login counts as fresh again  |
//! | `GET|POST /change-email` | form / mail a link to a new address (fresh login)       |
//! | `GET|POST /change-email/confirm` | the new address's link: the address changes     |
//! | `GET|POST /change-email/restore` | the old address's link: back, every session ends |
//! | `GET|POST /change-username` | form / a new username (fresh login)                  |
//! | `GET|POST /recover-username` | form / mail the username to the address (generic)   |
//! | `GET /sessions`  | the user's sessions                                             |
//! | `POST /sessions/revoke` | ends one of the user's sessions                          |
//! | `POST /logout-everywhere` | ends every session of the user                         |
//! | `GET /auth/check?role=R&permission=P` | forward-auth for reverse proxies             |
//! | `GET|POST /confirm` | confirms an email address with the mailed token              |
//! | `GET|POST /reset`  | asks for a reset link / sets a new password with its token     |
//! | `POST /tokens`   | access + refresh token from a password or the session          |
//! | `POST /tokens/refresh` | rotates the refresh token, new access token              |
//! | `DELETE /tokens` | ends the token login (bearer access token or refresh token)    |
//! | `GET /.well-known/jwks.json` | public keys that verify access tokens              |
//! | `GET /openapi.json` | the OpenAPI 3.1 document of the JSON API ([`OPENAPI_DOCUMENT`]) |
//! | `/tf-setup`, `/tf-select`, `/tf-validate`, `/mf-recovery`, `/mf-recovery-codes` | two-factor, see [`two_factor`] |
//! | `/wan-register`, `/wan-signin`, `/wan-verify` (each with `-response`), `/wan-delete` | passkeys, see [`webauthn`] |
//! | `/.well-known/openid-configuration`, `/oauth/*` | the OpenID provider (`oauth`)        |
//!
//! State-changing requests authenticated by the session cookie must carry the session's CSRF
//! token (`X-CSRF-Token` header or `csrf_token` form field), and any request whose `Origin` (or
//! `Referer`) names another host is refused; bearer-token requests need neither.
//!
//! The layers, each importing only those below it:
//! - this module: [`handle`], the table of route groups, the headers on every answer;
//! - the route groups, one file each (`service`, `sign_in`, `account`, `account_changes`, `sessions`,
//!   `forward_auth`, `oauth`, `tokens`, [`two_factor`], [`webauthn`]), which import only the kernel
//!   and core's feature modules, never each other;
//! - the kernel: `router` (dispatch, checks, error answers), `caller` (who the request
//!   says it is, read once), `answer` and `bodies` (what routes answer), `pages` (the
//!   pages' common parts), [`cookies`], [`parse`], `request` and `response`.

mod account;
mod account_changes;
mod account_page;
mod admin;
mod answer;
mod bodies;
mod caller;
pub mod cookies;
mod forward_auth;
mod oauth;
mod pages;
pub mod parse;
mod request;
mod response;
mod return_to;
mod router;
mod service;
mod sessions;
mod sign_in;
mod tokens;
pub mod two_factor;
mod unified_sign_in;
mod view;
pub mod webauthn;

pub use request::{MAX_BODY_BYTES, Request};
pub use response::{Response, fault_response};
pub use service::OPENAPI_DOCUMENT;

use crate::Sesame;
use router::Router;

/// Every route, by group.
const ROUTER: Router = Router {
    groups: &[
        &service::ROUTES,
        &sign_in::ROUTES,
        &account::ROUTES,
        &account_changes::ROUTES,
        &account_page::ROUTES,
        &sessions::ROUTES,
        &forward_auth::ROUTES,
        &oauth::ROUTES,
        &tokens::ROUTES,
        &two_factor::ROUTES,
        &unified_sign_in::ROUTES,
        &webauthn::ROUTES,
        &admin::ROUTES,
    ],
};

/// Answers one request. Never panics; every failure becomes a 4xx/5xx with an error body.
pub fn handle(sesame: &Sesame<'_>, req: &Request) -> Response {
    let mut response = ROUTER.answer(sesame, req);
    let is_page = response
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html"));
    // Pages get the policy that lets them load the stylesheet (and the logo); a page that set
    // its own (an OpenID page posting back to its client) keeps it; the passkey pages' mark
    // becomes their policy, which also lets Sesame's script run.
    for (name, value) in response.headers.iter_mut() {
        if name == "content-security-policy" && value == answer::PASSKEY_POLICY_MARK {
            *value = answer::page_policy(sesame.config(), true, "");
        }
    }
    let own_policy = response.header("content-security-policy").is_some();
    let own_cache = response.header("cache-control").is_some();
    if is_page && !own_policy {
        response.headers.push((
            "content-security-policy".into(),
            answer::page_policy(sesame.config(), false, ""),
        ));
    }
    response.headers.extend(
        SECURITY_HEADERS
            .iter()
            .filter(|(name, _)| {
                !((is_page || own_policy) && *name == "content-security-policy")
                    && !(own_cache && *name == "cache-control")
            })
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    response
}

/// Headers on every answer. Answers carry personal data and tokens, so nothing is cached (but
/// the stylesheet under its content hash); pages load nothing but Sesame's stylesheet (see
/// [`answer::page_policy`]), run no script but Sesame's passkey script, post only to Sesame and cannot be framed
/// (clickjacking of the sign-in form); reset links carry a token in the URL, so no Referer
/// leaves for another site. The referrer policy is `same-origin`, not `no-referrer`: under
/// `no-referrer` browsers send `Origin: null` with every form post, which the cross-site check
/// must refuse, so no HTML form could be submitted.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
];

/// The names of the body types [`parse_body_as`] knows, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const BODY_TYPES: [&str; 20] = [
    "register",
    "login",
    "change",
    "revoke",
    "tokens",
    "refresh",
    "token",
    "reset",
    "wan-register",
    "wan-register-response",
    "wan-signin",
    "wan-assertion",
    "wan-delete",
    "tf-setup",
    "tf-select",
    "tf-code",
    "verify",
    "change-email",
    "change-username",
    "change-email-token",
];

/// Decodes `req`'s body as the body type named `name` (one of [`BODY_TYPES`]), exactly as its
/// route does; `None` for an unknown name. For the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn parse_body_as(
    name: &str,
    req: &Request,
) -> Option<Result<(), crate::error::AuthError>> {
    let groups: [&[parse::BodyParser]; 9] = [
        &sign_in::BODIES,
        &account::BODIES,
        &account_changes::BODIES,
        &sessions::BODIES,
        &tokens::BODIES,
        &webauthn::BODIES,
        &two_factor::BODIES,
        &unified_sign_in::BODIES,
        &admin::BODIES,
    ];
    let parser = groups
        .iter()
        .flat_map(|g| g.iter())
        .find(|p| p.name == name)?;
    Some((parser.parse)(req))
}

#[cfg(test)]
mod forward_auth_tests;
#[cfg(test)]
mod openapi_tests;
#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod view_tests;
