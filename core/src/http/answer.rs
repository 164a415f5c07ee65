//! What a route answers: one typed value, written as JSON for programs or as an HTML page for
//! browsers, so each route says what it answers once and the client's `Accept` picks the form.

use serde::Serialize;

use super::request::Request;
use super::response::Response;
use crate::config::Config;
use crate::error::Error;

/// Whether the client gets JSON or HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// JSON, described by the OpenAPI document.
    Json,
    /// HTML, for clients that accept it (browsers).
    Html,
}

impl Format {
    /// HTML when the client accepts `text/html` (as browsers do), else JSON.
    pub(crate) fn of(req: &Request) -> Self {
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

/// The content security policy of a page: nothing loads but Sesame's own stylesheet (and the
/// logo from its origin, when one is set); forms post only to Sesame and to `form_targets`
/// (an OpenID client's origin, for the pages that hand a browser back to one); with
/// `script`, Sesame's own passkey script may run and `fetch` back to Sesame. No inline style
/// or script anywhere.
pub(crate) fn page_policy(config: &Config, script: bool, form_targets: &str) -> String {
    let images = match config.branding.logo_origin() {
        Some(origin) => format!("img-src {origin}; "),
        None => String::new(),
    };
    let script = if script {
        "script-src 'self'; connect-src 'self'; "
    } else {
        ""
    };
    let targets = if form_targets.is_empty() {
        String::new()
    } else {
        format!(" {form_targets}")
    };
    format!(
        "default-src 'none'; style-src 'self'; {images}{script}form-action 'self'{targets}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// What a browser gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Page {
    /// An HTML page that runs no script.
    Html(String),
    /// An HTML page that loads the passkey script (its policy allows it).
    Passkey(String),
    /// A `303 See Other` to another page.
    Redirect(&'static str),
}

impl Page {
    /// The page as a response with `status` (a redirect is always 303).
    pub(crate) fn render(self, status: u16) -> Response {
        match self {
            Page::Html(html) => Response::html(status, html),
            Page::Passkey(html) => Response::html(status, html)
                .with_header("content-security-policy", String::from(PASSKEY_POLICY_MARK)),
            Page::Redirect(location) => Response::redirect(location),
        }
    }
}

/// Stands for the passkey pages' policy until [`crate::http::handle`], which knows the
/// deployment, writes the real one.
pub(crate) const PASSKEY_POLICY_MARK: &str = "sesame:passkey-page";

/// A route's answer, ready but for the headers every answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer(Response);

impl Answer {
    /// `value` as JSON, or for browsers the page `page` renders (only called for them).
    pub(crate) fn of<T: Serialize>(
        format: Format,
        status: u16,
        value: &T,
        page: impl FnOnce() -> Page,
    ) -> Self {
        match format {
            Format::Json => Answer::json(status, value),
            Format::Html => Answer::page(status, page()),
        }
    }

    /// Like [`Answer::of`] for a page that reads more than the value and may fail.
    pub(crate) fn try_of<T: Serialize>(
        format: Format,
        status: u16,
        value: &T,
        page: impl FnOnce() -> Result<Page, Error>,
    ) -> Result<Self, Error> {
        Ok(match format {
            Format::Json => Answer::json(status, value),
            Format::Html => Answer::page(status, page()?),
        })
    }

    /// `value` as JSON, whatever the client asks for (routes for programs and scripts only).
    pub(crate) fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        Answer(Response::json(status, value))
    }

    /// A page, whatever the client asks for.
    pub(crate) fn page(status: u16, page: Page) -> Self {
        Answer(page.render(status))
    }

    /// A redirect with `status` (302 for forward-auth proxies, 303 after a form) to `location`.
    pub(crate) fn redirect(status: u16, location: String) -> Self {
        Answer(Response::redirect(&location).with_status(status))
    }

    /// The JSON refusal `error` would be answered with, as an answer a route can add headers to.
    pub(crate) fn refusal(error: &Error) -> Self {
        Answer(super::response::fault_response(error))
    }

    /// A `200` body of `content_type` that browsers may keep for `max_age_secs` (the
    /// stylesheet under its content hash); with 0, nobody keeps it, so made-up URLs cannot
    /// fill a shared cache.
    pub(crate) fn cached(content_type: &str, body: String, max_age_secs: u64) -> Self {
        let cache = if max_age_secs == 0 {
            "no-store".to_owned()
        } else {
            format!("public, max-age={max_age_secs}, immutable")
        };
        Answer(
            Response::with_body(200, content_type, body.into_bytes())
                .with_header("cache-control", cache),
        )
    }

    /// A `200` body of `content_type` (the pages' script).
    pub(crate) fn file(content_type: &str, body: &'static str) -> Self {
        Answer(Response::with_body(
            200,
            content_type,
            body.as_bytes().to_vec(),
        ))
    }

    /// The same answer with another status (builder style).
    pub(crate) fn with_status(self, status: u16) -> Self {
        Answer(self.0.with_status(status))
    }

    /// Adds a `Set-Cookie` header (builder style).
    pub(crate) fn with_cookie(self, set_cookie: String) -> Self {
        self.with_header("set-cookie", set_cookie)
    }

    /// Adds a header (builder style).
    pub(crate) fn with_header(self, name: &str, value: String) -> Self {
        Answer(self.0.with_header(name, value))
    }

    /// The response it is.
    pub(crate) fn into_response(self) -> Response {
        self.0
    }
}
