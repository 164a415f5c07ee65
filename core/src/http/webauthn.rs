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
//!
//! The sign-in form (`/login`) loads the script too: where the browser can, it offers the
//! device's passkeys in the form's identity field (WebAuthn conditional mediation), with a
//! challenge from `POST /wan-signin` without an identity, like any passkey sign-in without a
//! username: single use, expiring, throttled, and naming no credential.

mod pages;

use serde::{Deserialize, Serialize};

use self::pages::{Outcome, register_html, signin_html, verify_html};
use super::answer::{Answer, Format, Page};
use super::bodies::{self, Verified};
use super::cookies::Cookie;
pub use super::cookies::{CEREMONY_COOKIE_NAME, SECURE_CEREMONY_COOKIE_NAME};
use super::parse;
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::router::{Call, Route};
use crate::error::{AuthError, Error, ErrorCode};
use crate::sessions::SessionInfo;
use crate::throttle::Scope;
use crate::webauthn::wire::{AssertionCredential, RegistrationCredential};
use crate::webauthn::{Ceremony, CredentialInfo, Usage};

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 11] = [
    Route::json("GET", "/wan-register", list_credentials),
    Route::json("POST", "/wan-register", register_begin),
    Route::json("POST", "/wan-register-response", register_finish),
    Route::json("GET", "/wan-signin", signin_page),
    Route::json("POST", "/wan-signin", signin_begin),
    Route::json("POST", "/wan-signin-response", signin_finish),
    Route::json("GET", "/wan-verify", verify_page),
    Route::json("POST", "/wan-verify", verify_begin),
    Route::json("POST", "/wan-verify-response", verify_finish),
    Route::json("POST", "/wan-delete", delete).with_error_page(delete_error),
    Route::script("GET", "/wan.js", script),
];

/// The script of the pages (see `wan.js` beside this file).
const SCRIPT: &str = include_str!("wan.js");

fn script(_: &Call<'_>) -> Result<Answer, Error> {
    Ok(Answer::file("text/javascript; charset=utf-8", SCRIPT))
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

/// A credential as bodies show it.
#[derive(Serialize)]
pub(crate) struct CredentialBody<'a> {
    algorithm: &'static str,
    attachment: &'a Option<String>,
    backed_up: bool,
    backup_eligible: Option<bool>,
    created_at_ms: u64,
    discoverable: Option<bool>,
    id: &'a str,
    last_used_at_ms: Option<u64>,
    name: &'a str,
    sign_count: u32,
    transports: &'a [String],
    usage: &'static str,
}

impl<'a> From<&'a CredentialInfo> for CredentialBody<'a> {
    fn from(c: &'a CredentialInfo) -> Self {
        CredentialBody {
            algorithm: c.algorithm.as_str(),
            attachment: &c.attachment,
            backed_up: c.backed_up,
            backup_eligible: c.backup_eligible,
            created_at_ms: c.created_at_ms,
            discoverable: c.discoverable,
            id: &c.id,
            last_used_at_ms: c.last_used_at_ms,
            name: &c.name,
            sign_count: c.sign_count,
            transports: &c.transports,
            usage: c.usage.as_str(),
        }
    }
}

/// The body of `GET /wan-register`: the user's credentials, and until when the login counts
/// as fresh enough to change them.
#[derive(Serialize)]
struct CredentialList<'a> {
    credentials: Vec<CredentialBody<'a>>,
    fresh_until_ms: Option<u64>,
}

/// A credential registered or deleted.
#[derive(Serialize)]
struct CredentialChanged<'a> {
    credential: CredentialBody<'a>,
    status: &'static str,
}

fn list_credentials(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let list = call.sesame.list_passkeys(&info.user.id)?;
    let fresh_until = call.sesame.fresh_until(&info)?;
    let body = CredentialList {
        credentials: list.iter().map(CredentialBody::from).collect(),
        fresh_until_ms: fresh_until,
    };
    Answer::try_of(call.format, 200, &body, || {
        let html = register_html(&call.view(), &info, &list, fresh_until.is_some(), None)?;
        Ok(Page::Passkey(html))
    })
}

/// The passkeys page with the outcome of the last action, as the caller's login sees it now.
fn credentials_page(
    call: &Call<'_>,
    info: &SessionInfo,
    outcome: Outcome<'_>,
) -> Result<Page, Error> {
    let list = call.sesame.list_passkeys(&info.user.id)?;
    let fresh = call.sesame.fresh_until(info)?.is_some();
    let html = register_html(&call.view(), info, &list, fresh, Some(outcome))?;
    Ok(Page::Passkey(html))
}

fn register_begin(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: RegisterBody = parse::body(call.req)?;
    let usage = match body.usage.as_deref() {
        None | Some("") => Usage::First,
        Some(raw) => Usage::parse(raw).ok_or_else(|| {
            Error::rejected(
                ErrorCode::InvalidRequest,
                "'usage' must be 'first' (a passkey) or 'secondary' (a second factor).",
            )
        })?,
    };
    let rp = call.sesame.relying_party(call.req.header("host"))?;
    let ceremony = call
        .sesame
        .begin_passkey_registration(&info, &body.name, usage, &rp)?;
    Ok(ceremony_answer(call, &ceremony))
}

fn register_finish(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: RegisterFinishBody = parse::body(call.req)?;
    let state = ceremony_state(call, body.state)?;
    let credential = call
        .sesame
        .finish_passkey_registration(&info, &state, &body.credential)?;
    let registered = CredentialChanged {
        credential: CredentialBody::from(&credential),
        status: "registered",
    };
    Ok(Answer::json(200, &registered).with_cookie(Cookie::Ceremony.clear(call.sesame)))
}

/// Whether a passkey sign-in is the second factor of a pending sign-in.
#[derive(Serialize)]
struct SigninKind {
    second_factor: bool,
}

fn signin_page(call: &Call<'_>) -> Result<Answer, Error> {
    let second_factor = live_pending(call, None)?.is_some();
    Answer::try_of(call.format, 200, &SigninKind { second_factor }, || {
        Ok(Page::Passkey(signin_html(&call.view(), second_factor)?))
    })
}

fn signin_begin(call: &Call<'_>) -> Result<Answer, Error> {
    let body: SigninBody = if call.req.body.is_empty() {
        SigninBody {
            identity: None,
            email: None,
            username: None,
            tf_token: None,
        }
    } else {
        parse::body(call.req)?
    };
    let sesame = call.sesame;
    let rp = sesame.relying_party(call.req.header("host"))?;
    let client = call.req.client();
    let ceremony = match live_pending(call, body.tf_token)? {
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
    Ok(ceremony_answer(call, &ceremony))
}

fn signin_finish(call: &Call<'_>) -> Result<Answer, Error> {
    let sesame = call.sesame;
    let body: AssertionBody = parse::body(call.req)?;
    let state = ceremony_state(call, body.state)?;
    let pending = call.caller.pending_token(body.tf_token);
    let session = sesame.finish_passkey_signin(
        &state,
        &body.credential,
        pending.as_deref(),
        &call.req.client(),
    )?;
    // The passkey script reads JSON whatever the page accepts.
    let mut answer = bodies::signed_in(sesame, &session, Format::Json, body.include_token)
        .with_cookie(Cookie::Ceremony.clear(sesame));
    if pending.is_some() {
        answer = answer.with_cookie(Cookie::Pending.clear(sesame));
    }
    Ok(answer)
}

/// Until when the login counts as freshly authenticated, if it does.
#[derive(Serialize)]
struct Freshness {
    fresh_until_ms: Option<u64>,
}

fn verify_page(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let fresh_until_ms = call.sesame.fresh_until(&info)?;
    Answer::try_of(call.format, 200, &Freshness { fresh_until_ms }, || {
        Ok(Page::Passkey(verify_html(&call.view(), &info.csrf_token)?))
    })
}

fn verify_begin(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let rp = call.sesame.relying_party(call.req.header("host"))?;
    let ceremony = call.sesame.begin_passkey_verify(&info, &rp)?;
    Ok(ceremony_answer(call, &ceremony))
}

fn verify_finish(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: AssertionBody = parse::body(call.req)?;
    let state = ceremony_state(call, body.state)?;
    let fresh_until = call
        .sesame
        .finish_passkey_verify(&info, &state, &body.credential)?;
    Ok(Answer::json(200, &Verified::until(fresh_until))
        .with_cookie(Cookie::Ceremony.clear(call.sesame)))
}

fn delete(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: DeleteBody = parse::body(call.req)?;
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
    let deleted = call.sesame.delete_passkey(&info, &which)?;
    let body = CredentialChanged {
        credential: CredentialBody::from(&deleted),
        status: "deleted",
    };
    Answer::try_of(call.format, 200, &body, || {
        let message = call
            .view()
            .text("wan-deleted", &[("name", deleted.name.as_str().into())]);
        let outcome = Outcome {
            message: &message,
            is_error: false,
        };
        credentials_page(call, &info, outcome)
    })
}

/// The passkeys page again, with the message; `None` when there is no login to show it to.
fn delete_error(call: &Call<'_>, error: &AuthError) -> Option<Page> {
    if error.code == ErrorCode::Unauthenticated {
        return None;
    }
    let (info, _) = call.caller.login(call.sesame).ok()?;
    let outcome = Outcome {
        message: &error.message,
        is_error: true,
    };
    credentials_page(call, &info, outcome).ok()
}

/// The pending sign-in of the request (body `tf_token` or the pending cookie), if it is live.
fn live_pending(call: &Call<'_>, from_body: Option<String>) -> Result<Option<String>, Error> {
    let Some(token) = call.caller.pending_token(from_body) else {
        return Ok(None);
    };
    match call.sesame.pending_user(&token) {
        Ok(_) => Ok(Some(token)),
        Err(Error::NoFlow(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A started ceremony: the browser's options, and the state that finishes it.
#[derive(Serialize)]
struct CeremonyStarted<'a> {
    expires_at_ms: u64,
    options: &'a serde_json::Value,
    state: &'a str,
}

/// The answer to a started ceremony: options and state, and the state as a cookie.
fn ceremony_answer(call: &Call<'_>, ceremony: &Ceremony) -> Answer {
    let started = CeremonyStarted {
        expires_at_ms: ceremony.expires_at_ms,
        options: &ceremony.options,
        state: ceremony.state.expose(),
    };
    Answer::json(200, &started)
        .with_cookie(Cookie::Ceremony.set(call.sesame, ceremony.state.expose()))
}

/// The ceremony token: the body's `state` when given, else the ceremony cookie.
fn ceremony_state(call: &Call<'_>, from_body: Option<String>) -> Result<String, Error> {
    call.caller.ceremony_state(from_body).ok_or_else(|| {
        Error::rejected(
            ErrorCode::ChallengeInvalid,
            "No ceremony in progress: start again.",
        )
    })
}

/// This group's body types, by the names the fuzz targets know them by.
#[cfg(feature = "fuzzing")]
pub(crate) const BODIES: [BodyParser; 5] = [
    BodyParser::of::<RegisterBody>("wan-register"),
    BodyParser::of::<RegisterFinishBody>("wan-register-response"),
    BodyParser::of::<SigninBody>("wan-signin"),
    BodyParser::of::<AssertionBody>("wan-assertion"),
    BodyParser::of::<DeleteBody>("wan-delete"),
];
