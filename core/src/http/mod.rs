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

mod pages;
pub mod parse;

use serde::Deserialize;

use crate::Sesame;
use crate::accounts::User;
use crate::error::{AuthError, Error, ErrorCode};
use crate::sessions::{ClientInfo, IssuedSession};

/// Largest request body read, in bytes. Sesame's bodies are a few hundred bytes; 64 KiB leaves
/// room for long WebAuthn payloads while bounding what a client can make the component buffer.
/// Adapters read at most one byte more than this, so an oversized body is detected without
/// being buffered whole.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Header carrying the client's network address. The host sets it from the connection and
/// removes any copy a client sent, so it cannot be forged from outside.
pub const CLIENT_ADDR_HEADER: &str = "sesame-client-addr";

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

    fn client(&self) -> ClientInfo {
        ClientInfo {
            address: self.header(CLIENT_ADDR_HEADER).map(str::to_owned),
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

    fn json(status: u16, value: &serde_json::Value) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
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

/// Answers one request. Never panics; every failure becomes a 4xx/5xx with an error body.
pub fn handle(sesame: &Sesame<'_>, req: &Request) -> Response {
    let format = Format::of(req);
    let outcome = match (req.method.as_str(), req.path()) {
        ("GET", "/") => Ok(index(format)),
        ("GET", "/healthz") => Ok(Response::json(200, &serde_json::json!({"status": "ok"}))),
        ("GET", "/register") => Ok(Response::html(200, pages::register(None))),
        ("POST", "/register") => register(sesame, req, format),
        ("GET", "/login") => Ok(Response::html(200, pages::login(None))),
        ("POST", "/login") => login(sesame, req, format),
        ("POST", "/logout") => logout(sesame, req, format),
        ("GET", "/me") => me(sesame, req, format),
        (_, "/" | "/healthz" | "/register" | "/login" | "/logout" | "/me") => Err(Error::rejected(
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed on this route.", sanitize(&req.method)),
        )),
        _ => Err(Error::rejected(
            ErrorCode::NotFound,
            "There is no such route.",
        )),
    };
    outcome.unwrap_or_else(|error| error_response(sesame, req, format, &error))
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
        (Format::Html, _) => Response::html(status, pages::error(status, &public.message)),
        (Format::Json, _) => fault_response(error),
    };
    if public.code == ErrorCode::Unauthenticated && parse::has_session_credential(req) {
        response = response.with_header("set-cookie", clear_cookie(sesame));
    }
    if public.code == ErrorCode::MethodNotAllowed {
        let allow = match req.path() {
            "/register" | "/login" => "GET, POST",
            "/logout" => "POST",
            _ => "GET",
        };
        response = response.with_header("allow", allow.to_owned());
    }
    response
}

fn index(format: Format) -> Response {
    match format {
        Format::Html => Response::html(200, pages::index()),
        Format::Json => Response::json(
            200,
            &serde_json::json!({"service": "sesame", "version": env!("CARGO_PKG_VERSION")}),
        ),
    }
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
    let session = sesame.login(&identity, &body.password, &req.client())?;
    let cookie = session_cookie(sesame, &session);
    let response = match format {
        Format::Html => Response::redirect("/me"),
        Format::Json => {
            let mut json = serde_json::json!({
                "user": user_json(&session.user),
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
    if let Some(token) = parse::session_token(req) {
        sesame.logout(&token)?;
    }
    let response = match format {
        Format::Html => Response::redirect("/login"),
        Format::Json => Response::json(200, &serde_json::json!({"status": "signed-out"})),
    };
    Ok(response.with_header("set-cookie", clear_cookie(sesame)))
}

fn me(sesame: &Sesame<'_>, req: &Request, format: Format) -> Result<Response, Error> {
    let token = parse::session_token(req).ok_or(Error::NoSession("no credential"))?;
    let info = sesame.validate_session(&token)?;
    Ok(match format {
        Format::Html => Response::html(200, pages::me(&info.user, &info.csrf_token)),
        Format::Json => Response::json(
            200,
            &serde_json::json!({
                "user": user_json(&info.user),
                "csrf_token": info.csrf_token,
                "session": {"created_at_ms": info.created_at_ms, "expires_at_ms": info.expires_at_ms},
            }),
        ),
    })
}

fn user_json(user: &User) -> serde_json::Value {
    serde_json::json!({
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "roles": user.roles,
        "active": user.active,
        "created_at_ms": user.created_at_ms,
    })
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

/// Keeps a client-supplied word printable and short before echoing it in a message.
fn sanitize(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(16)
        .collect()
}

#[cfg(test)]
mod tests;
