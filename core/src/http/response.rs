//! The response as core produces it, and the error body every failure is written as.

use serde::Serialize;

use crate::error::{AuthError, Error};
use crate::i18n::Language;

/// An HTTP response as core produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// For a failure inside Sesame (`internal`, `store-unavailable`): what went wrong, for the
    /// adapter to log. Never sent to the client, whose body only says to look in the log.
    pub fault: Option<String>,
    /// The route that answered (its path pattern), for the adapter's logs and metrics: a
    /// bounded set of values, unlike the request's path. `None` when no route matched.
    pub route: Option<&'static str>,
    /// The signed-in user the request came from, when a route checked a login: for logs.
    pub user_id: Option<String>,
}

impl Response {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `value` as a JSON body.
    pub(crate) fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        // Sesame's bodies have string keys and finite numbers only, which cannot fail to
        // serialise; should one ever, the client still gets a well-formed error.
        let body = serde_json::to_vec(value).unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"The response could not be written."}}"#
                .to_vec()
        });
        Response::with_body(status, "application/json", body)
    }

    /// An HTML page.
    pub(crate) fn html(status: u16, page: String) -> Self {
        Response::with_body(status, "text/html; charset=utf-8", page.into_bytes())
    }

    /// A body of the given content type.
    pub(crate) fn with_body(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body,
            fault: None,
            route: None,
            user_id: None,
        }
    }

    /// A `303 See Other` to `location`.
    pub(crate) fn redirect(location: &str) -> Self {
        Response {
            status: 303,
            headers: vec![("location".into(), location.into())],
            body: Vec::new(),
            fault: None,
            route: None,
            user_id: None,
        }
    }

    /// The same response with another status (builder style).
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header (builder style).
    pub(crate) fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }
}

/// The body of every error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

/// The code and message of an [`ErrorBody`].
#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'static str,
    message: &'a str,
}

/// The answer when no [`Sesame`](crate::Sesame) could even be built (for example, the host's
/// configuration is unusable) or an adapter failed to read the request: a JSON error body for
/// `error`.
pub fn fault_response(error: &Error) -> Response {
    fault_response_in(error, Language::En)
}

/// [`fault_response`] with the message in `lang` (the code stays the same in every language).
pub(crate) fn fault_response_in(error: &Error, lang: Language) -> Response {
    let mut public = AuthError::from(error);
    public.message = lang.error_message(public.code, &public.message);
    let mut response = Response::json(
        public.code.http_status(),
        &ErrorBody {
            error: ErrorDetail {
                code: public.code.as_str(),
                message: &public.message,
            },
        },
    );
    if lang != Language::En {
        response = response.with_header("content-language", lang.tag().to_owned());
    }
    response
}
