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
//!
//! State-changing requests authenticated by the session cookie must carry the session's CSRF
//! token (`X-CSRF-Token` header or `csrf_token` form field), and any request whose `Origin` (or
//! `Referer`) names another host is refused; bearer-token requests need neither.

mod pages;
pub mod parse;
pub mod two_factor;
pub mod webauthn;

use std::net::IpAddr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::Sesame;
use crate::accounts::User;
use crate::api_keys::API_KEY_PREFIX;
use crate::client_addr::{self, TrustedProxies};
use crate::error::{AuthError, Error, ErrorCode};
use crate::sessions::{ClientInfo, IssuedSession, SessionInfo};
use crate::tokens::{TOKEN_LOGIN_ID_PREFIX, TokenPair, is_access_token};
use subtle::ConstantTimeEq;

/// Largest request body read, in bytes. Sesame's bodies are a few hundred bytes; 64 KiB leaves
/// room for long WebAuthn payloads while bounding what a client can make the component buffer.
/// Adapters read at most one byte more than this, so an oversized body is detected without
/// being buffered whole.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An HTTP request as core sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Method, upper-case (`GET`, `POST`).
    pub method: String,
    /// Path and query, e.g. `/login?next=/`.
    pub path_with_query: String,
    /// Header names (lower-case) and raw values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, at most [`MAX_BODY_BYTES`] + 1 bytes.
    pub body: Vec<u8>,
    /// The network address of the connection's peer (the client, or the reverse proxy in
    /// front of Sesame), as the adapter learnt it from the connection; `None` when it knows
    /// none. Only the adapter sets it, never from anything the client sent. Routes never read
    /// it: they ask [`Request::client_address`], which also reads trusted proxies' forwarding
    /// headers.
    pub peer: Option<IpAddr>,
    /// The client's address, derived once per request (see [`Request::client_address`]).
    client_address: OnceLock<Option<IpAddr>>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: &str, path_with_query: &str) -> Self {
        Request {
            method: method.to_owned(),
            path_with_query: path_with_query.to_owned(),
            ..Request::default()
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.as_bytes().to_vec()));
        self
    }

    /// Sets the body (builder style).
    pub fn with_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// Sets the connection's peer address (builder style).
    pub fn with_peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// The first value of a header, if present and valid UTF-8.
    pub fn header<'r>(&'r self, name: &'r str) -> Option<&'r str> {
        self.headers_named(name).next()
    }

    /// Every UTF-8 value of a header.
    pub fn headers_named<'r>(&'r self, name: &'r str) -> impl Iterator<Item = &'r str> + 'r {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
    }

    fn path(&self) -> &str {
        self.path_with_query
            .split_once('?')
            .map_or(self.path_with_query.as_str(), |(p, _)| p)
    }

    /// The client's network address: the connection's peer, or, when the peer is a trusted
    /// reverse proxy, the client it forwarded for ([`crate::client_addr`] has the rule).
    /// Every per-address throttle and every record of where a sign-in came from reads it here,
    /// and nowhere else. `None` when the adapter knows no address.
    ///
    /// [`handle`] derives it with the configured trusted proxies before any route runs; read
    /// before that (a request never handed to [`handle`]), no proxy is trusted.
    pub fn client_address(&self) -> Option<IpAddr> {
        *self
            .client_address
            .get_or_init(|| self.forwarding(&TrustedProxies::none()).client)
    }

    /// What the peer and the forwarding headers say (raw lines, so a line that is not UTF-8
    /// counts as malformed instead of vanishing).
    fn forwarding(&self, trusted: &TrustedProxies) -> client_addr::Forwarding {
        let peer = self.peer.map(client_addr::canonical);
        let lines = |name: &str| -> Vec<&[u8]> {
            self.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_slice())
                .collect()
        };
        client_addr::read(
            peer,
            trusted,
            &lines("forwarded"),
            &lines("x-forwarded-for"),
        )
    }

    /// [`Request::client_address`] as text, for throttles and records.
    fn client_address_text(&self) -> Option<String> {
        self.client_address().map(|ip| ip.to_string())
    }

    fn client(&self) -> ClientInfo {
        ClientInfo {
            address: self.client_address_text(),
            user_agent: self.header("user-agent").map(str::to_owned),
        }
    }
}

/// An HTTP response as core produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        // Sesame's bodies have string keys and finite numbers only, which cannot fail to
        // serialise; should one ever, the client still gets a well-formed error.
        let body = serde_json::to_vec(value).unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"The response could not be written."}}"#
                .to_vec()
        });
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    fn html(status: u16, page: String) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: page.into_bytes(),
        }
    }

    fn redirect(location: &str) -> Self {
        Response {
            status: 303,
            headers: vec![("location".into(), location.into())],
            body: Vec::new(),
        }
    }

    fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }
}

/// Whether the client gets JSON or HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Html,
}

impl Format {
    fn of(req: &Request) -> Self {
        let wants_html = req
            .headers_named("accept")
            .any(|a| a.to_ascii_lowercase().contains("text/html"));
        if wants_html {
            Format::Html
        } else {
            Format::Json
        }
    }
}

/// What a route answers a client that does not ask for HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answers {
    /// JSON, described by the OpenAPI document (`GET /openapi.json`).
    Json,
    /// An HTML page whatever the client asks for (its errors are still JSON).
    Page,
    /// A script for the pages.
    Script,
}

/// A route's handler.
type Handler = fn(&Sesame<'_>, &Request, Format) -> Result<Response, Error>;

/// One method of one route: the router dispatches from these tables and nothing else, so the
/// 405 answers, their `Allow` header and the OpenAPI document's test all read the same list.
struct Route {
    /// Upper-case method.
    method: &'static str,
    /// Path, without query.
    path: &'static str,
    /// What it answers a JSON client.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the OpenAPI document's test reads it")
    )]
    answers: Answers,
    /// What runs it.
    handler: Handler,
}

impl Route {
    const fn json(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Route {
            method,
            path,
            answers: Answers::Json,
            handler,
        }
    }

    const fn page(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Route {
            method,
            path,
            answers: Answers::Page,
            handler,
        }
    }
}

/// The account, session and token routes (the two-factor and WebAuthn ones are in their
/// modules); a path's methods are listed in the order its `Allow` header names them.
const ROUTES: [Route; 25] = [
    Route::json("GET", "/", index),
    Route::json("GET", "/healthz", healthz),
    Route::json("GET", "/openapi.json", openapi),
    Route::page("GET", "/register", register_page),
    Route::json("POST", "/register", register),
    Route::page("GET", "/login", login_page),
    Route::json("POST", "/login", login),
    Route::json("POST", "/logout", logout),
    Route::json("POST", "/logout-everywhere", logout_everywhere),
    Route::json("GET", "/me", me),
    Route::page("GET", "/change", change_page),
    Route::json("POST", "/change", change),
    Route::page("GET", "/verify", verify_page),
    Route::json("POST", "/verify", verify),
    Route::json("GET", "/sessions", sessions),
    Route::json("POST", "/sessions/revoke", revoke),
    Route::json("GET", "/auth/check", auth_check),
    Route::json("GET", "/confirm", confirm_link),
    Route::json("POST", "/confirm", confirm_posted),
    Route::page("GET", "/reset", reset_page),
    Route::json("POST", "/reset", reset),
    Route::json("POST", "/tokens", issue_tokens),
    Route::json("DELETE", "/tokens", revoke_tokens),
    Route::json("POST", "/tokens/refresh", refresh_tokens),
    Route::json("GET", "/.well-known/jwks.json", jwks),
];

/// Every route Sesame answers, from the three tables.
fn all_routes() -> impl Iterator<Item = &'static Route> {
    ROUTES
        .iter()
        .chain(two_factor::ROUTES.iter())
        .chain(webauthn::ROUTES.iter())
}

/// The methods `path` answers, as an `Allow` header names them; `None` for no such route.
fn allowed_methods(path: &str) -> Option<String> {
    let methods: Vec<&str> = all_routes()
        .filter(|r| r.path == path)
        .map(|r| r.method)
        .collect();
    (!methods.is_empty()).then(|| methods.join(", "))
}

/// Answers one request. Never panics; every failure becomes a 4xx/5xx with an error body.
pub fn handle(sesame: &Sesame<'_>, req: &Request) -> Response {
    // Once, before any route reads it, with this deployment's trusted proxies.
    let forwarding = req.forwarding(&sesame.config().trusted_proxies);
    req.client_address.get_or_init(|| forwarding.client);
    let format = Format::of(req);
    let outcome = check_forwarding(forwarding)
        .and_then(|()| check_origin(req))
        .and_then(|()| route(sesame, req, format));
    let mut response = outcome.unwrap_or_else(|error| error_response(sesame, req, format, &error));
    // A page that set its own policy (the passkey pages, which load Sesame's script) keeps it.
    let own_policy = response.header("content-security-policy").is_some();
    response.headers.extend(
        SECURITY_HEADERS
            .iter()
            .filter(|(name, _)| !(own_policy && *name == "content-security-policy"))
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    response
}

/// Headers on every answer. Answers carry personal data and tokens, so nothing is cached;
/// pages load nothing from anywhere, run no script, post only to Sesame and cannot be framed
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

fn route(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let path = req.path();
    if let Some(route) = all_routes().find(|r| r.path == path && r.method == req.method) {
        return (route.handler)(sesame, req, format);
    }
    if allowed_methods(path).is_some() {
        return Err(Error::rejected(
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed on this route.", sanitize(&req.method)),
        ));
    }
    Err(Error::rejected(
        ErrorCode::NotFound,
        "There is no such route.",
    ))
}

fn healthz(_: &Sesame<'_>, _: &Request, _: Format) -> Result<Response, Error> {
    Ok(Response::json(200, &serde_json::json!({"status": "ok"})))
}

fn register_page(_: &Sesame<'_>, _: &Request, _: Format) -> Result<Response, Error> {
    Ok(Response::html(200, pages::register(None)))
}

fn login_page(_: &Sesame<'_>, _: &Request, _: Format) -> Result<Response, Error> {
    Ok(Response::html(200, pages::login(None)))
}

fn change_page(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    Ok(Response::html(200, pages::change(&info.csrf_token, None)))
}

fn verify_page(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    Ok(Response::html(200, pages::verify(&info.csrf_token, None)))
}

#[derive(Deserialize)]
struct VerifyBody {
    password: String,
}

/// `POST /verify`: the password again, so the calling login (session or token login) counts as
/// freshly authenticated. A sign-in attempt in every respect (throttled, counted into the
/// lockout).
fn verify(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let body: VerifyBody = parse::body(req)?;
    let fresh_until = sesame.verify_password(&info, &body.password, &req.client())?;
    Ok(match format {
        Format::Json => Response::json(
            200,
            &serde_json::json!({"status": "verified", "fresh_until_ms": fresh_until}),
        ),
        Format::Html => Response::html(
            200,
            pages::notice_signed_in(
                "Confirmed",
                "Thank you. For the next few minutes you can change passkeys, two-factor and recovery codes.",
            ),
        ),
    })
}

/// The OpenAPI 3.1 document of the JSON API (`GET /openapi.json`); its `info.version` is set
/// to this crate's version when served.
pub const OPENAPI_DOCUMENT: &str = include_str!("openapi.json");

/// `GET /openapi.json`: [`OPENAPI_DOCUMENT`] with this build's version.
fn openapi(_: &Sesame<'_>, _: &Request, _: Format) -> Result<Response, Error> {
    let mut document: serde_json::Value = serde_json::from_str(OPENAPI_DOCUMENT)
        .map_err(|e| Error::Config(format!("the OpenAPI document does not parse: {e}")))?;
    if let Some(info) = document.get_mut("info").and_then(|i| i.as_object_mut()) {
        info.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    }
    Ok(Response::json(200, &document))
}

fn jwks(sesame: &Sesame<'_>, _: &Request, _: Format) -> Result<Response, Error> {
    Ok(Response::json(200, &sesame.keyring()?.jwks()))
}

fn confirm_link(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let token = query_value(req, "token")?.unwrap_or_default();
    confirm(sesame, &token, format)
}

fn confirm_posted(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let body: TokenBody = parse::body(req)?;
    confirm(sesame, &body.token, format)
}

fn reset_page(_: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let token = query_value(req, "token")?;
    Ok(Response::html(200, pages::reset(token.as_deref(), None)))
}

/// Refuses a request whose trusted proxy passed forwarding headers that cannot be read
/// reliably: falling back to the proxy's own address would let a client leave its throttle
/// bucket or fill the one such requests share.
fn check_forwarding(forwarding: client_addr::Forwarding) -> Result<(), Error> {
    if forwarding.doubtful {
        return Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "The forwarding headers (Forwarded, X-Forwarded-For) are malformed or name different clients.",
        ));
    }
    Ok(())
}

/// Refuses state-changing requests that a browser sent from another origin. Bearer requests
/// are exempt (a browser never attaches them by itself); requests without `Origin` and
/// `Referer` (non-browser clients) pass here and meet the CSRF token check instead.
fn check_origin(req: &Request) -> Result<(), Error> {
    if is_safe_method(&req.method) || parse::bearer(req).is_some() {
        return Ok(());
    }
    let claimed = req.header("origin").or_else(|| req.header("referer"));
    let Some(claimed) = claimed else {
        return Ok(());
    };
    let host = req.header("host").unwrap_or_default();
    let origin_host = claimed
        .strip_prefix("https://")
        .or_else(|| claimed.strip_prefix("http://"))
        .map(|rest| rest.split('/').next().unwrap_or_default());
    match origin_host {
        Some(origin_host) if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(Error::rejected(
            ErrorCode::CsrfRejected,
            "This request came from another site and was refused.",
        )),
    }
}

fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// The caller's live session. For state-changing requests authenticated by cookie, also checks
/// the session's anti-CSRF token (header `X-CSRF-Token` or form field `csrf_token`), compared
/// in constant time.
fn signed_in(
    sesame: &Sesame<'_>,
    req: &Request,
) -> Result<(SessionInfo, parse::Credential), Error> {
    let credential = parse::credential(req, sesame.config().cookie_secure)
        .ok_or(Error::NoSession("no credential"))?;
    // Access tokens count only as `Authorization: Bearer`: a cookie never carries one, so a
    // planted cookie cannot stand in for a session and its CSRF token.
    let info = match &credential {
        parse::Credential::Bearer(token) if is_access_token(token) => {
            sesame.validate_access_token(token)?
        }
        other => sesame.validate_session(other.token())?,
    };
    if matches!(credential, parse::Credential::Cookie(_)) && !is_safe_method(&req.method) {
        let sent = parse::csrf_token(req).unwrap_or_default();
        let matches: bool = sent.as_bytes().ct_eq(info.csrf_token.as_bytes()).into();
        if !matches {
            return Err(Error::rejected(
                ErrorCode::CsrfRejected,
                "Send this session's CSRF token in the X-CSRF-Token header or the csrf_token form field.",
            ));
        }
    }
    Ok((info, credential))
}

/// The answer when no [`Sesame`] could even be built (for example, the host's configuration is
/// unusable) or an adapter failed to read the request: a JSON error body for `error`.
pub fn fault_response(error: &Error) -> Response {
    let public = AuthError::from(error);
    Response::json(
        public.code.http_status(),
        &serde_json::json!({"error": {"code": public.code.as_str(), "message": public.message}}),
    )
}

/// Turns an error into its response, re-showing the form for HTML form posts.
fn error_response(sesame: &Sesame<'_>, req: &Request, format: Format, error: &Error) -> Response {
    let public = AuthError::from(error);
    let status = public.code.http_status();
    let mut response = match (format, req.path()) {
        (Format::Html, "/login") => Response::html(status, pages::login(Some(&public.message))),
        (Format::Html, "/register") => {
            Response::html(status, pages::register(Some(&public.message)))
        }
        (Format::Html, "/reset") if req.method == "POST" => {
            Response::html(status, pages::reset(None, Some(&public.message)))
        }
        (Format::Html, path @ ("/change" | "/verify"))
            if public.code != ErrorCode::Unauthenticated =>
        {
            let csrf = parse::credential(req, sesame.config().cookie_secure)
                .and_then(|c| sesame.validate_session(c.token()).ok())
                .map(|info| info.csrf_token)
                .unwrap_or_default();
            let page = if path == "/change" {
                pages::change(&csrf, Some(&public.message))
            } else {
                pages::verify(&csrf, Some(&public.message))
            };
            Response::html(status, page)
        }
        (Format::Html, _) => two_factor::error_page(sesame, req, &public)
            .or_else(|| webauthn::error_page(sesame, req, &public))
            .unwrap_or_else(|| Response::html(status, pages::error(status, &public.message))),
        (Format::Json, _) => fault_response(error),
    };
    if public.code == ErrorCode::Unauthenticated
        && matches!(
            parse::credential(req, sesame.config().cookie_secure),
            Some(parse::Credential::Cookie(_))
        )
    {
        response = response.with_header("set-cookie", clear_cookie(sesame));
    }
    if public.code == ErrorCode::Unauthenticated
        && two_factor::ROUTES.iter().any(|r| r.path == req.path())
    {
        response = response.with_header("set-cookie", two_factor::clear_pending_cookie(sesame));
    }
    if let Error::Throttled { retry_after_ms } = error {
        response = response.with_header("retry-after", retry_after_ms.div_ceil(1000).to_string());
    }
    // A full hashing queue: the client may retry, and should wait at least a second.
    if let Error::HashingBusy { retry_after_ms } = error {
        response = response.with_header(
            "retry-after",
            retry_after_ms.div_ceil(1000).max(1).to_string(),
        );
    }
    if let (ErrorCode::MethodNotAllowed, Some(allow)) = (public.code, allowed_methods(req.path())) {
        response = response.with_header("allow", allow);
    }
    response
}

fn index(_: &Sesame<'_>, _: &Request, format: Format) -> Result<Response, Error> {
    Ok(match format {
        Format::Html => Response::html(200, pages::index()),
        Format::Json => Response::json(
            200,
            &serde_json::json!({"service": "sesame", "version": env!("CARGO_PKG_VERSION")}),
        ),
    })
}

#[derive(Deserialize)]
struct RegisterBody {
    email: String,
    password: String,
    #[serde(default)]
    username: Option<String>,
}

fn register(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let body: RegisterBody = parse::body(req)?;
    if let Some(address) = req.client_address_text() {
        sesame.throttle(crate::throttle::Scope::MailByAddress, &address)?;
    }
    sesame.register(&body.email, &body.password, body.username.as_deref())?;
    const MESSAGE: &str = "Registration received. If the address was new, the account now exists and you can sign in.";
    Ok(match format {
        Format::Html => Response::html(202, pages::notice("Registration received", MESSAGE)),
        Format::Json => Response::json(
            202,
            &serde_json::json!({"status": "accepted", "message": MESSAGE}),
        ),
    })
}

#[derive(Deserialize)]
struct LoginBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    username: Option<String>,
    password: String,
    /// JSON clients that keep the token themselves (mobile apps, CLIs) ask for it here; it is
    /// never put in a body otherwise.
    #[serde(default)]
    include_token: bool,
}

fn login(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let body: LoginBody = parse::body(req)?;
    let identity = body.email.or(body.username).ok_or_else(|| {
        Error::rejected(
            ErrorCode::InvalidRequest,
            "Give an email (or username) and a password.",
        )
    })?;
    let session = match sesame.begin_login(&identity, &body.password, &req.client())? {
        crate::two_factor::LoginOutcome::SignedIn(session) => *session,
        crate::two_factor::LoginOutcome::SecondFactor(pending) => {
            return Ok(two_factor::pending_response(
                sesame,
                &pending,
                format,
                body.include_token,
            ));
        }
    };
    let cookie = session_cookie(sesame, &session);
    let response = match format {
        Format::Html => Response::redirect("/me"),
        Format::Json => {
            let mut json = serde_json::json!({
                "user": &session.user,
                "csrf_token": session.csrf_token,
                "expires_at_ms": session.expires_at_ms,
            });
            if body.include_token {
                json["token"] = session.token.expose().into();
            }
            Response::json(200, &json)
        }
    };
    Ok(response.with_header("set-cookie", cookie))
}

fn logout(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    // Without a live session there is nothing to protect: just clear the cookie.
    match signed_in(sesame, req) {
        Ok((_, parse::Credential::Bearer(token))) if is_access_token(&token) => {
            sesame.revoke_tokens(&token)?
        }
        Ok((_, credential)) => sesame.logout(credential.token())?,
        Err(Error::NoSession(_)) => {}
        Err(e) => return Err(e),
    }
    let response = match format {
        Format::Html => Response::redirect("/login"),
        Format::Json => Response::json(200, &serde_json::json!({"status": "signed-out"})),
    };
    Ok(response.with_header("set-cookie", clear_cookie(sesame)))
}

fn me(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let permissions = sesame.permissions_of(&info.user)?;
    Ok(match format {
        Format::Html => Response::html(200, pages::me(&info.user, &info.csrf_token)),
        // Typed rather than built as a `serde_json::Value`: this is the session check clients
        // call most, and the map of a `Value` showed up in its profile.
        Format::Json => Response::json(
            200,
            &MeBody {
                user: &info.user,
                permissions: &permissions,
                csrf_token: &info.csrf_token,
                session: SessionTimes {
                    created_at_ms: info.created_at_ms,
                    expires_at_ms: info.expires_at_ms,
                },
            },
        ),
    })
}

/// The body of `GET /me`.
#[derive(Serialize)]
struct MeBody<'a> {
    user: &'a User,
    permissions: &'a [String],
    csrf_token: &'a str,
    session: SessionTimes,
}

/// When a session began and when it ends at the latest.
#[derive(Serialize)]
struct SessionTimes {
    created_at_ms: u64,
    expires_at_ms: u64,
}

fn logout_everywhere(
    sesame: &Sesame<'_>,
    req: &Request,
    format: Format,
) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let ended = sesame.revoke_all_sessions(&info.user.id)?;
    let response = match format {
        Format::Html => Response::redirect("/login"),
        Format::Json => Response::json(
            200,
            &serde_json::json!({"status": "signed-out", "sessions_ended": ended}),
        ),
    };
    Ok(response.with_header("set-cookie", clear_cookie(sesame)))
}

#[derive(Deserialize)]
struct ChangeBody {
    /// The current password; may be left out right after a passkey verification.
    #[serde(default)]
    password: Option<String>,
    new_password: String,
    #[serde(default)]
    new_password_confirm: Option<String>,
}

fn change(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let (info, credential) = signed_in(sesame, req)?;
    let body: ChangeBody = parse::body(req)?;
    if body
        .new_password_confirm
        .as_ref()
        .is_some_and(|c| *c != body.new_password)
    {
        return Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "The new passwords do not match.",
        ));
    }
    let session = match body.password.as_deref().filter(|p| !p.is_empty()) {
        Some(current) => sesame.change_password(
            credential.token(),
            current,
            &body.new_password,
            &req.client(),
        )?,
        None => sesame.change_password_after_passkey(
            credential.token(),
            &body.new_password,
            &req.client(),
        )?,
    };
    let cookie = session_cookie(sesame, &session);
    let response = match format {
        Format::Html => Response::html(
            200,
            pages::notice_signed_in(
                "Password changed",
                "Your password was changed and every other session was signed out.",
            ),
        ),
        Format::Json => {
            let mut json = serde_json::json!({
                "status": "changed",
                "user": &info.user,
                "csrf_token": session.csrf_token,
                "expires_at_ms": session.expires_at_ms,
            });
            // A bearer client cannot receive the new session through a cookie.
            if matches!(credential, parse::Credential::Bearer(_)) {
                json["token"] = session.token.expose().into();
            }
            Response::json(200, &json)
        }
    };
    Ok(response.with_header("set-cookie", cookie))
}

fn sessions(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let list = sesame.list_sessions(&info.user.id)?;
    Ok(match format {
        Format::Html => Response::html(200, pages::sessions(&list, &info.id, &info.csrf_token)),
        Format::Json => Response::json(
            200,
            &serde_json::json!({"sessions": list.iter().map(|s| serde_json::json!({
                "id": s.id,
                "current": s.id == info.id,
                "created_at_ms": s.created_at_ms,
                "last_seen_at_ms": s.last_seen_at_ms,
                "expires_at_ms": s.expires_at_ms,
                "address": s.address,
                "user_agent": s.user_agent,
            })).collect::<Vec<_>>()}),
        ),
    })
}

#[derive(Deserialize)]
struct RevokeBody {
    id: String,
}

fn revoke(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let (info, _) = signed_in(sesame, req)?;
    let body: RevokeBody = parse::body(req)?;
    sesame.revoke_session(&info.user.id, &body.id)?;
    Ok(match format {
        Format::Html => Response::redirect(if body.id == info.id {
            "/login"
        } else {
            "/sessions"
        }),
        Format::Json => Response::json(
            200,
            &serde_json::json!({"status": "revoked", "id": body.id}),
        ),
    })
}

/// Forward-auth for reverse proxies (nginx `auth_request`, Traefik `forwardAuth`, Envoy
/// `ext_authz`): 200 with identity headers when signed in and holding every `role` and
/// `permission` asked for in the query, 401 when not signed in, 403 when something is missing.
///
/// An API key counts only where the caller asks for at least one `scope`: a route guarded by
/// roles, permissions or nothing at all is for users, and a service's key must not pass it.
fn auth_check(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let query = parse::query_pairs(req)?;
    if let Some(key) = parse::bearer(req)
        && key.starts_with(API_KEY_PREFIX)
    {
        if !query.iter().any(|(name, _)| name == "scope") {
            return Err(Error::rejected(
                ErrorCode::Unauthenticated,
                "An API key passes only a check that asks for a scope (?scope=...).",
            ));
        }
        return service_check(sesame, &key, &query);
    }
    let (info, _) = signed_in(sesame, req)?;
    let permissions = sesame.permissions_of(&info.user)?;
    for (name, value) in &query {
        let held = match name.as_str() {
            "role" => info.user.roles.contains(value),
            "permission" => permissions.contains(value),
            // Scopes belong to API keys; a user never holds one.
            "scope" => false,
            _ => {
                return Err(Error::rejected(
                    ErrorCode::InvalidRequest,
                    "Only 'role', 'permission' and 'scope' may be asked for.",
                ));
            }
        };
        if !held {
            return Err(Error::rejected(
                ErrorCode::Forbidden,
                format!("This needs the {name} '{}'.", sanitize_long(value)),
            ));
        }
    }
    Ok(Response::json(200, &serde_json::json!({"status": "ok"}))
        .with_header("x-sesame-user", info.user.id.clone())
        .with_header("x-sesame-email", info.user.email.clone())
        .with_header("x-sesame-roles", info.user.roles.join(",")))
}

/// `/auth/check` for a service presenting an API key: 200 when the key is live and holds every
/// `scope` asked for.
fn service_check(
    sesame: &Sesame<'_>,
    key: &str,
    query: &[(String, String)],
) -> Result<Response, Error> {
    let info = sesame.verify_api_key(key)?;
    for (name, value) in query {
        if name != "scope" {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "An API key is checked for 'scope' only.",
            ));
        }
        if !info.scopes.contains(value) {
            return Err(Error::rejected(
                ErrorCode::Forbidden,
                format!("This needs the scope '{}'.", sanitize_long(value)),
            ));
        }
    }
    Ok(Response::json(200, &serde_json::json!({"status": "ok"}))
        .with_header("x-sesame-api-key", info.id.clone())
        .with_header("x-sesame-api-key-name", sanitize_long(&info.name))
        .with_header("x-sesame-scopes", info.scopes.join(",")))
}

#[derive(Deserialize)]
struct TokensBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    username: Option<String>,
    password: String,
}

/// `POST /tokens`: a token login from a password (JSON body) or from the caller's session (no
/// body; a cookie session must send its CSRF token).
fn issue_tokens(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let pair = if req.body.is_empty() {
        let (info, credential) = signed_in(sesame, req)?;
        if info.id.starts_with(TOKEN_LOGIN_ID_PREFIX) {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "Use /tokens/refresh to renew an access token.",
            ));
        }
        sesame.issue_tokens_for_session(credential.token(), &req.client())?
    } else {
        let body: TokensBody = parse::body(req)?;
        let identity = body.email.or(body.username).ok_or_else(|| {
            Error::rejected(
                ErrorCode::InvalidRequest,
                "Give an email (or username) and a password, or send no body to use your session.",
            )
        })?;
        sesame.issue_tokens(&identity, &body.password, &req.client())?
    };
    Ok(token_pair_response(&pair))
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

fn refresh_tokens(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let body: RefreshBody = parse::body(req)?;
    let pair = sesame.refresh_tokens(&body.refresh_token)?;
    Ok(token_pair_response(&pair))
}

/// `DELETE /tokens`: ends the token login of the bearer access token, or of the refresh token
/// in the body.
fn revoke_tokens(sesame: &Sesame<'_>, req: &Request, _: Format) -> Result<Response, Error> {
    let token = if req.body.is_empty() {
        match parse::bearer(req) {
            Some(token) if is_access_token(&token) => token,
            _ => {
                return Err(Error::rejected(
                    ErrorCode::Unauthenticated,
                    "Send the access token as 'Authorization: Bearer', or the refresh token in the body.",
                ));
            }
        }
    } else {
        parse::body::<RefreshBody>(req)?.refresh_token
    };
    sesame.revoke_tokens(&token)?;
    Ok(Response::json(
        200,
        &serde_json::json!({"status": "revoked"}),
    ))
}

fn token_pair_response(pair: &TokenPair) -> Response {
    Response::json(
        200,
        &serde_json::json!({
            "access_token": pair.access_token.as_str(),
            "token_type": "Bearer",
            "expires_in": pair.expires_in_secs,
            "refresh_token": pair.refresh_token.as_str(),
            "refresh_expires_at_ms": pair.refresh_expires_at_ms,
            "user": &pair.user,
        }),
    )
}

/// The first value of query parameter `name`.
fn query_value(req: &Request, name: &str) -> Result<Option<String>, Error> {
    Ok(parse::query_pairs(req)?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v))
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

fn confirm(sesame: &Sesame<'_>, token: &str, format: Format) -> Result<Response, Error> {
    let user = sesame.confirm_email(token)?;
    Ok(match format {
        Format::Html => Response::html(
            200,
            pages::notice("Email confirmed", "Your email address is confirmed."),
        ),
        Format::Json => Response::json(
            200,
            &serde_json::json!({"status": "confirmed", "user": &user}),
        ),
    })
}

#[derive(Deserialize)]
struct ResetBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    password_confirm: Option<String>,
}

/// `POST /reset` with `email` asks for a link (generic answer); with `token` and `password` it
/// sets the new password.
fn reset(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let body: ResetBody = parse::body(req)?;
    match (body.token, body.password, body.email) {
        (Some(token), Some(password), _) => {
            if body
                .password_confirm
                .as_ref()
                .is_some_and(|c| *c != password)
            {
                return Err(Error::rejected(
                    ErrorCode::InvalidRequest,
                    "The new passwords do not match.",
                ));
            }
            sesame.reset_password(&token, &password)?;
            const DONE: &str = "Your password was changed and every session was signed out. Sign in with the new password.";
            Ok(match format {
                Format::Html => Response::html(200, pages::notice("Password changed", DONE)),
                Format::Json => Response::json(
                    200,
                    &serde_json::json!({"status": "reset", "message": DONE}),
                ),
            })
        }
        (None, None, Some(email)) => {
            if let Some(address) = req.client_address_text() {
                sesame.throttle(crate::throttle::Scope::MailByAddress, &address)?;
            }
            sesame.request_reset(&email)?;
            const SENT: &str =
                "If an account uses this address, a link to reset its password is on its way.";
            Ok(match format {
                Format::Html => Response::html(202, pages::notice("Check your email", SENT)),
                Format::Json => Response::json(
                    202,
                    &serde_json::json!({"status": "accepted", "message": SENT}),
                ),
            })
        }
        _ => Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "Send an email to get a reset link, or a token and a new password.",
        )),
    }
}

fn session_cookie(sesame: &Sesame<'_>, session: &IssuedSession) -> String {
    let max_age = sesame.config().session_absolute_ms / 1000;
    format!(
        "{}={}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        cookie_name(sesame),
        session.token.expose(),
        secure_attr(sesame)
    )
}

fn clear_cookie(sesame: &Sesame<'_>) -> String {
    format!(
        "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
        cookie_name(sesame),
        secure_attr(sesame)
    )
}

fn cookie_name(sesame: &Sesame<'_>) -> &'static str {
    if sesame.config().cookie_secure {
        parse::SECURE_COOKIE_NAME
    } else {
        parse::COOKIE_NAME
    }
}

fn secure_attr(sesame: &Sesame<'_>) -> &'static str {
    if sesame.config().cookie_secure {
        "; Secure"
    } else {
        ""
    }
}

/// Like [`sanitize`] for longer names (roles, permissions).
fn sanitize_long(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

/// Keeps a client-supplied word printable and short before echoing it in a message.
fn sanitize(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(16)
        .collect()
}

/// The names of the body types [`parse_body_as`] knows, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const BODY_TYPES: [&str; 17] = [
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
];

/// Decodes `req`'s body as the body type named `name` (one of [`BODY_TYPES`]), exactly as its
/// route does; `None` for an unknown name. For the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn parse_body_as(name: &str, req: &Request) -> Option<Result<(), AuthError>> {
    match name {
        "register" => check::<RegisterBody>(req),
        "login" => check::<LoginBody>(req),
        "change" => check::<ChangeBody>(req),
        "verify" => check::<VerifyBody>(req),
        "revoke" => check::<RevokeBody>(req),
        "tokens" => check::<TokensBody>(req),
        "refresh" => check::<RefreshBody>(req),
        "token" => check::<TokenBody>(req),
        "reset" => check::<ResetBody>(req),
        _ => webauthn::parse_body_as(name, req).or_else(|| two_factor::parse_body_as(name, req)),
    }
}

/// Decodes `req`'s body as `T`, keeping only whether it was accepted; shared by the routes'
/// [`parse_body_as`] tables.
#[cfg(feature = "fuzzing")]
fn check<T: serde::de::DeserializeOwned>(req: &Request) -> Option<Result<(), AuthError>> {
    Some(parse::body::<T>(req).map(|_| ()))
}

#[cfg(test)]
mod openapi_tests;
#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod tests;
