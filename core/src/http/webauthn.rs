//! The WebAuthn routes, with Flask-Security's names, their pages and the small script that
//! runs `navigator.credentials` for them.
//!
//! | route                          | what                                                    |
//! |--------------------------------|---------------------------------------------------------|
//! | `GET /wan-register`            | my credentials (name, usage, created, last used) and the form to add one |
//! | `POST /wan-register`           | start registering (`name`, `usage` = `first` or `secondary`) |
//! | `POST /wan-register-response`  | finish it (`credential`, `state`)                       |
//! | `GET|POST /wan-signin`         | page / start a passkey sign-in (optional `identity`), or the second factor of a pending sign-in |
//! | `POST /wan-signin-response`    | finish it: a session                                    |
//! | `GET|POST /wan-verify`         | page / start re-authentication                          |
//! | `POST /wan-verify-response`    | finish it: the session counts as recent                 |
//! | `POST /wan-delete`             | delete a credential (`id` or `name`); needs a recent sign-in |
//! | `GET /wan.js`                  | the script the pages load                               |
//!
//! A started ceremony's token comes back in the `state` field and in a `SameSite=Strict`
//! cookie; the finishing request may send either. JSON clients post the credential in its
//! `toJSON()` form (base64url fields).
//!
//! Both sign-in routes are throttled per client address and per account with `/login`'s
//! limits (see [`crate::throttle`]), and answer 429 with `Retry-After` past them.

use serde::Deserialize;

use super::pages::{alert, escape, layout, post_button};
use super::{Answers, Format, Request, Response, Route, parse, secure_attr, signed_in, two_factor};
use crate::Sesame;
use crate::error::{Error, ErrorCode};
use crate::sessions::SessionInfo;
use crate::throttle::Scope;
use crate::webauthn::wire::{AssertionCredential, RegistrationCredential};
use crate::webauthn::{Ceremony, CredentialInfo, Usage};

/// Name of the ceremony cookie on plain-HTTP loopback deployments.
pub const CEREMONY_COOKIE_NAME: &str = "sesame_wan";
/// Name of the ceremony cookie when `Secure`.
pub const SECURE_CEREMONY_COOKIE_NAME: &str = "__Host-sesame_wan";

/// The routes this module answers (see [`super::Route`]).
pub(super) const ROUTES: [Route; 11] = [
    Route::json("GET", "/wan-register", list_credentials),
    Route::json("POST", "/wan-register", register_begin),
    Route::json("POST", "/wan-register-response", register_finish),
    Route::json("GET", "/wan-signin", signin_page),
    Route::json("POST", "/wan-signin", signin_begin),
    Route::json("POST", "/wan-signin-response", signin_finish),
    Route::json("GET", "/wan-verify", verify_page),
    Route::json("POST", "/wan-verify", verify_begin),
    Route::json("POST", "/wan-verify-response", verify_finish),
    Route::json("POST", "/wan-delete", delete),
    Route {
        method: "GET",
        path: "/wan.js",
        answers: Answers::Script,
        handler: script,
    },
];

/// The pages' policy: as strict as every other page, plus this origin's own script and
/// `fetch` back to it.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The script of the pages (see `wan.js` beside this file).
const SCRIPT: &str = include_str!("wan.js");

fn script(_: &Sesame<'_>, _: &Request, _: Format) -> Result<Response, Error> {
    Ok(Response {
        status: 200,
        headers: vec![(
            "content-type".into(),
            "text/javascript; charset=utf-8".into(),
        )],
        body: SCRIPT.as_bytes().to_vec(),
    })
}

fn list_credentials(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    register_page(sesame, req, format, None)
}

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

#[derive(Deserialize)]
struct RegisterBody {
    name: String,
    #[serde(default)]
    usage: Option<String>,
}

#[derive(Deserialize)]
struct RegisterFinishBody {
    #[serde(default)]
    state: Option<String>,
    credential: RegistrationCredential,
}

#[derive(Deserialize)]
struct SigninBody {
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    tf_token: Option<String>,
}

#[derive(Deserialize)]
struct AssertionBody {
    #[serde(default)]
    state: Option<String>,
    credential: AssertionCredential,
    #[serde(default)]
    tf_token: Option<String>,
    #[serde(default)]
    include_token: bool,
}

#[derive(Deserialize)]
struct DeleteBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

fn register_page(
    sesame: &Sesame<'_>,
    req: &Request,
    format: Format,
    message: Option<&str>,
) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let list = sesame.list_passkeys(&info.user.id)?;
    let fresh_until = sesame.fresh_until(&info)?;
    Ok(match format {
        Format::Json => Response::json(
            200,
            &serde_json::json!({
                "credentials": list.iter().map(credential_json).collect::<Vec<_>>(),
                "fresh_until_ms": fresh_until,
            }),
        ),
        Format::Html => html(
            200,
            register_html(&info, &list, fresh_until.is_some(), message),
        ),
    })
}

fn register_begin(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let body: RegisterBody = parse::body(req)?;
    let usage = match body.usage.as_deref() {
        None | Some("") => Usage::First,
        Some(raw) => Usage::parse(raw).ok_or_else(|| {
            Error::rejected(
                ErrorCode::InvalidRequest,
                "'usage' must be 'first' (a passkey) or 'secondary' (a second factor).",
            )
        })?,
    };
    let rp = sesame.relying_party(req.header("host"))?;
    let ceremony = sesame.begin_passkey_registration(&info, &body.name, usage, &rp)?;
    Ok(ceremony_response(sesame, &ceremony))
}

fn register_finish(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let body: RegisterFinishBody = parse::body(req)?;
    let state = ceremony_state(sesame, req, body.state)?;
    let credential = sesame.finish_passkey_registration(&info, &state, &body.credential)?;
    Ok(Response::json(
        200,
        &serde_json::json!({"status": "registered", "credential": credential_json(&credential)}),
    )
    .with_header("set-cookie", clear_ceremony_cookie(sesame)))
}

fn signin_page(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let second_factor = live_pending(sesame, req, None)?.is_some();
    Ok(match format {
        Format::Json => Response::json(200, &serde_json::json!({"second_factor": second_factor})),
        Format::Html => html(200, signin_html(second_factor, None)),
    })
}

fn signin_begin(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let body: SigninBody = if req.body.is_empty() {
        SigninBody {
            identity: None,
            email: None,
            username: None,
            tf_token: None,
        }
    } else {
        parse::body(req)?
    };
    let rp = sesame.relying_party(req.header("host"))?;
    let client = req.client();
    let ceremony = match live_pending(sesame, req, body.tf_token)? {
        Some(pending) => {
            // The password was checked (and counted) already; this counts the request.
            if let Some(address) = &client.address {
                sesame.throttle(Scope::LoginByAddress, address)?;
            }
            sesame.begin_passkey_second_factor(&pending, &rp)?
        }
        None => {
            let identity = body.identity.or(body.email).or(body.username);
            sesame.begin_passkey_signin_from(identity.as_deref(), &rp, &client)?
        }
    };
    Ok(ceremony_response(sesame, &ceremony))
}

fn signin_finish(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let body: AssertionBody = parse::body(req)?;
    let state = ceremony_state(sesame, req, body.state)?;
    let pending = two_factor::pending_token(sesame, req, body.tf_token);
    let session = sesame.finish_passkey_signin(
        &state,
        &body.credential,
        pending.as_deref(),
        &req.client(),
    )?;
    let mut json = serde_json::json!({
        "user": &session.user,
        "csrf_token": session.csrf_token,
        "expires_at_ms": session.expires_at_ms,
    });
    if body.include_token {
        json["token"] = session.token.expose().into();
    }
    let mut response = Response::json(200, &json)
        .with_header("set-cookie", super::session_cookie(sesame, &session))
        .with_header("set-cookie", clear_ceremony_cookie(sesame));
    if pending.is_some() {
        response = response.with_header("set-cookie", two_factor::clear_pending_cookie(sesame));
    }
    Ok(response)
}

fn verify_page(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let fresh_until = sesame.fresh_until(&info)?;
    Ok(match format {
        Format::Json => Response::json(200, &serde_json::json!({"fresh_until_ms": fresh_until})),
        Format::Html => html(
            200,
            page(
                "Confirm it is you",
                &format!(
                    "<h1>Confirm it is you</h1>\n<p>Some changes need a recent sign-in. \
                     Use one of your passkeys or security keys.</p>\n\
                     <form data-wan=\"verify\" data-csrf=\"{}\">\n\
                     <p><button type=\"submit\">Verify with my passkey</button></p>\n</form>\n\
                     <p id=\"wan-status\" role=\"status\"></p>\n<p><a href=\"/wan-register\">My passkeys</a></p>",
                    escape(&info.csrf_token)
                ),
            ),
        ),
    })
}

fn verify_begin(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let rp = sesame.relying_party(req.header("host"))?;
    let ceremony = sesame.begin_passkey_verify(&info, &rp)?;
    Ok(ceremony_response(sesame, &ceremony))
}

fn verify_finish(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let body: AssertionBody = parse::body(req)?;
    let state = ceremony_state(sesame, req, body.state)?;
    let fresh_until = sesame.finish_passkey_verify(&info, &state, &body.credential)?;
    Ok(Response::json(
        200,
        &serde_json::json!({"status": "verified", "fresh_until_ms": fresh_until}),
    )
    .with_header("set-cookie", clear_ceremony_cookie(sesame)))
}

fn delete(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let body: DeleteBody = parse::body(req)?;
    let which = body
        .id
        .or(body.name)
        .filter(|w| !w.is_empty())
        .ok_or_else(|| {
            Error::rejected(
                ErrorCode::InvalidRequest,
                "Name the credential to delete by 'id' or 'name'.",
            )
        })?;
    let deleted = sesame.delete_passkey(&info, &which)?;
    Ok(match format {
        Format::Json => Response::json(
            200,
            &serde_json::json!({"status": "deleted", "credential": credential_json(&deleted)}),
        ),
        Format::Html => {
            let message = format!("Deleted \u{201c}{}\u{201d}.", deleted.name);
            register_page(sesame, req, Format::Html, Some(&message))?
        }
    })
}

/// The error page of a WebAuthn route for browsers. `None` for other routes or when there
/// is no page to show again.
pub(super) fn error_page(
    sesame: &Sesame<'_>,
    req: &Request,
    public: &crate::AuthError,
) -> Option<Response> {
    if req.path() != "/wan-delete" || public.code == ErrorCode::Unauthenticated {
        return None;
    }
    let mut view = req.clone();
    view.method = "GET".into();
    let (info, _) = signed_in(sesame, &view).ok()?;
    let list = sesame.list_passkeys(&info.user.id).ok()?;
    let fresh = sesame.fresh_until(&info).ok()?.is_some();
    Some(html(
        public.code.http_status(),
        register_html(&info, &list, fresh, Some(&public.message)),
    ))
}

/// The pending sign-in of the request (body `tf_token` or the pending cookie), if it is live.
fn live_pending(
    sesame: &Sesame<'_>,
    req: &Request,
    from_body: Option<String>,
) -> Result<Option<String>, Error> {
    let Some(token) = two_factor::pending_token(sesame, req, from_body) else {
        return Ok(None);
    };
    match sesame.pending_user(&token) {
        Ok(_) => Ok(Some(token)),
        Err(Error::NoSession(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The answer to a started ceremony: options and state, and the state as a cookie.
fn ceremony_response(sesame: &Sesame<'_>, ceremony: &Ceremony) -> Response {
    let max_age = sesame.config().webauthn.challenge_ms / 1000;
    Response::json(
        200,
        &serde_json::json!({
            "state": ceremony.state.expose(),
            "options": ceremony.options,
            "expires_at_ms": ceremony.expires_at_ms,
        }),
    )
    .with_header(
        "set-cookie",
        format!(
            "{}={}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
            ceremony_cookie_name(sesame),
            ceremony.state.expose(),
            secure_attr(sesame)
        ),
    )
}

/// The ceremony token: the body's `state` when given, else the ceremony cookie.
fn ceremony_state(
    sesame: &Sesame<'_>,
    req: &Request,
    from_body: Option<String>,
) -> Result<String, Error> {
    from_body
        .or_else(|| parse::cookie(req, ceremony_cookie_name(sesame)))
        .ok_or_else(|| {
            Error::rejected(
                ErrorCode::ChallengeInvalid,
                "No ceremony in progress: start again.",
            )
        })
}

fn clear_ceremony_cookie(sesame: &Sesame<'_>) -> String {
    format!(
        "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
        ceremony_cookie_name(sesame),
        secure_attr(sesame)
    )
}

fn ceremony_cookie_name(sesame: &Sesame<'_>) -> &'static str {
    if sesame.config().cookie_secure {
        SECURE_CEREMONY_COOKIE_NAME
    } else {
        CEREMONY_COOKIE_NAME
    }
}

fn credential_json(c: &CredentialInfo) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "name": c.name,
        "usage": c.usage.as_str(),
        "algorithm": c.algorithm.as_str(),
        "created_at_ms": c.created_at_ms,
        "last_used_at_ms": c.last_used_at_ms,
        "sign_count": c.sign_count,
        "transports": c.transports,
        "attachment": c.attachment,
        "discoverable": c.discoverable,
        "backup_eligible": c.backup_eligible,
        "backed_up": c.backed_up,
    })
}

/// A page that loads the passkey script.
fn page(title: &str, body: &str) -> String {
    layout(
        title,
        &format!("{body}\n<script src=\"/wan.js\" defer></script>"),
    )
}

/// An HTML answer with the pages' script-allowing policy (which replaces the default one).
fn html(status: u16, page: String) -> Response {
    Response::html(status, page).with_header("content-security-policy", PAGE_CSP.to_owned())
}

fn register_html(
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

/// Decodes `req`'s body as this module's body type named `name`; see
/// [`super::parse_body_as`].
#[cfg(feature = "fuzzing")]
pub(super) fn parse_body_as(
    name: &str,
    req: &Request,
) -> Option<Result<(), crate::error::AuthError>> {
    use super::check;
    match name {
        "wan-register" => check::<RegisterBody>(req),
        "wan-register-response" => check::<RegisterFinishBody>(req),
        "wan-signin" => check::<SigninBody>(req),
        "wan-assertion" => check::<AssertionBody>(req),
        "wan-delete" => check::<DeleteBody>(req),
        _ => None,
    }
}
