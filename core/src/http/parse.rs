//! Turning request bytes into typed values: bodies (JSON or HTML form), cookies, bearer tokens.
//! Everything here either yields a value or a 4xx [`AuthError`]; nothing panics on any input.

use serde::de::DeserializeOwned;

use crate::error::{AuthError, ErrorCode};

use super::cookies::Cookie;
pub use super::cookies::{COOKIE_NAME, SECURE_COOKIE_NAME};
use super::request::{MAX_BODY_BYTES, Request};

/// Most form fields one body may carry.
const MAX_FORM_FIELDS: usize = 64;

/// The kinds of body Sesame accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// `application/json`
    Json,
    /// `application/x-www-form-urlencoded`
    Form,
}

/// The account a sign-in body names: its email, else its username. A body naming neither is
/// an `invalid-request` whose message is `missing`.
pub(crate) fn identity(
    email: Option<String>,
    username: Option<String>,
    missing: &'static str,
) -> Result<String, AuthError> {
    email
        .or(username)
        .ok_or_else(|| AuthError::new(ErrorCode::InvalidRequest, missing))
}

/// Decodes the body into `T`, from JSON or an HTML form (whose fields are all strings).
pub(crate) fn body<T: DeserializeOwned>(req: &Request) -> Result<T, AuthError> {
    if req.body.len() > MAX_BODY_BYTES {
        return Err(AuthError::new(
            ErrorCode::PayloadTooLarge,
            format!("The body must be at most {MAX_BODY_BYTES} bytes."),
        ));
    }
    let kind = body_kind(req)?;
    let text = std::str::from_utf8(&req.body)
        .map_err(|_| AuthError::new(ErrorCode::InvalidEncoding, "The body is not valid UTF-8."))?;
    let value = match kind {
        BodyKind::Json => serde_json::from_str::<serde_json::Value>(text).map_err(|e| {
            AuthError::new(
                ErrorCode::MalformedJson,
                format!("The body is not valid JSON: {e}."),
            )
        })?,
        BodyKind::Form => form(text)?,
    };
    if !value.is_object() {
        return Err(AuthError::new(
            ErrorCode::InvalidRequest,
            "The body must be a JSON object.",
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        AuthError::new(
            ErrorCode::InvalidRequest,
            format!("The body does not fit this route: {e}."),
        )
    })
}

/// One body type of a route, by name, for the fuzz targets: decodes a request's body exactly as
/// the route does, keeping only whether it was accepted.
#[cfg(feature = "fuzzing")]
pub(crate) struct BodyParser {
    /// The name the fuzz targets know it by.
    pub name: &'static str,
    /// Decodes a body as the route does.
    pub parse: fn(&Request) -> Result<(), AuthError>,
}

#[cfg(feature = "fuzzing")]
impl BodyParser {
    /// The parser of body type `T`, named `name`.
    pub(crate) const fn of<T: DeserializeOwned>(name: &'static str) -> Self {
        BodyParser {
            name,
            parse: |req| body::<T>(req).map(|_| ()),
        }
    }
}

/// Refuses a new password whose confirmation, when the form sent one, differs from it.
pub(crate) fn check_confirmation(
    password: &str,
    confirmation: Option<&str>,
) -> Result<(), AuthError> {
    if confirmation.is_some_and(|c| c != password) {
        return Err(AuthError::new(
            ErrorCode::InvalidRequest,
            "The new passwords do not match.",
        ));
    }
    Ok(())
}

/// Which kind of body the `Content-Type` announces.
pub(crate) fn body_kind(req: &Request) -> Result<BodyKind, AuthError> {
    let content_type = req.header("content-type").map(|v| {
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    match content_type.as_deref() {
        Some("application/json") => Ok(BodyKind::Json),
        Some("application/x-www-form-urlencoded") => Ok(BodyKind::Form),
        _ => Err(AuthError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the body as application/json or application/x-www-form-urlencoded.",
        )),
    }
}

/// Parses `a=1&b=2` into a JSON object of strings. Percent-decoded bytes must be UTF-8, and a
/// field given twice is refused, so no field can be smuggled past validation.
fn form(text: &str) -> Result<serde_json::Value, AuthError> {
    let mut map = serde_json::Map::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        if map.len() >= MAX_FORM_FIELDS {
            return Err(AuthError::new(
                ErrorCode::InvalidRequest,
                "Too many form fields.",
            ));
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode_component(name)?;
        let value = decode_component(value)?;
        if map
            .insert(name.clone(), serde_json::Value::String(value))
            .is_some()
        {
            return Err(AuthError::new(
                ErrorCode::InvalidRequest,
                format!("The form field '{name}' appears more than once."),
            ));
        }
    }
    Ok(serde_json::Value::Object(map))
}

/// The query string's `name=value` pairs, decoded, in order (names may repeat).
pub(crate) fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, AuthError> {
    let Some((_, query)) = req.path_with_query.split_once('?') else {
        return Ok(Vec::new());
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .take(MAX_FORM_FIELDS + 1)
        .enumerate()
        .map(|(i, pair)| {
            if i == MAX_FORM_FIELDS {
                return Err(AuthError::new(
                    ErrorCode::InvalidRequest,
                    "Too many query parameters.",
                ));
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

/// Encodes `value` to stand as one query value (everything but unreserved characters escaped).
pub(crate) fn encode_query_value(value: &str) -> String {
    const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Decodes one `application/x-www-form-urlencoded` component.
pub(crate) fn decode_component(raw: &str) -> Result<String, AuthError> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            AuthError::new(
                ErrorCode::InvalidEncoding,
                "A form field is not valid UTF-8.",
            )
        })
}

/// How a request presents its session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// In the session cookie: sent by browsers automatically, so state changes need CSRF
    /// checks.
    Cookie(String),
    /// In `Authorization: Bearer`: only sent deliberately by the client, so no CSRF risk.
    Bearer(String),
}

impl Credential {
    /// The token, however it came.
    pub(crate) fn token(&self) -> &str {
        match self {
            Credential::Cookie(t) | Credential::Bearer(t) => t,
        }
    }
}

/// The session credential the request carries: `Authorization: Bearer`, else the session
/// cookie of the deployment's name: [`SECURE_COOKIE_NAME`] when cookies are `Secure`
/// (`cookie_secure`; `__Secure-sesame_session` when shared with subdomains), else
/// [`COOKIE_NAME`]. A Secure deployment never reads the plain name:
/// any site sharing the parent domain, or anyone on a plain-HTTP path to it, can plant a
/// cookie without the `__Host-` prefix, and would pick the victim's session (fixation).
pub(crate) fn credential(req: &Request, config: &crate::config::Config) -> Option<Credential> {
    if req.header("authorization").is_some() {
        return bearer(req).map(Credential::Bearer);
    }
    // Two session cookies of one name mean someone else set one: a sibling subdomain can
    // plant a cookie for a shared domain (with a longer path, so browsers send it first). Which
    // one is the person's cannot be told, so neither counts.
    let mut sent = cookies_named(req, Cookie::Session.name(config));
    match (sent.next(), sent.next()) {
        (Some(token), None) => Some(Credential::Cookie(token)),
        _ => None,
    }
}

/// The token of `Authorization: Bearer`, if that is how the request authenticates.
pub(crate) fn bearer(req: &Request) -> Option<String> {
    // Two Authorization headers: which one is meant cannot be told, so neither counts.
    let mut sent = req.headers_named("authorization");
    let (Some(authorization), None) = (sent.next(), sent.next()) else {
        return None;
    };
    let (scheme, token) = authorization.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The anti-CSRF token sent with the request: the `X-CSRF-Token` header, else the `csrf_token`
/// field of a form body.
pub(crate) fn csrf_token(req: &Request) -> Option<String> {
    if let Some(header) = req.header("x-csrf-token") {
        return Some(header.trim().to_owned());
    }
    if body_kind(req).ok()? != BodyKind::Form || req.body.len() > MAX_BODY_BYTES {
        return None;
    }
    let text = std::str::from_utf8(&req.body).ok()?;
    match form(text).ok()?.get("csrf_token")? {
        serde_json::Value::String(token) => Some(token.clone()),
        _ => None,
    }
}

/// The value of cookie `name`, if the request carries it.
pub(crate) fn cookie(req: &Request, name: &str) -> Option<String> {
    cookies_named(req, name).next()
}

/// Every value of the cookie `name` the request carries, in the order sent.
fn cookies_named<'r>(req: &'r Request, name: &'r str) -> impl Iterator<Item = String> + 'r {
    req.headers_named("cookie")
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(content_type: &str, body: &[u8]) -> Request {
        Request::new("POST", "/login")
            .with_header("content-type", content_type)
            .with_body(body.to_vec())
    }

    #[derive(serde::Deserialize, Debug)]
    struct Pair {
        a: String,
    }

    #[test]
    fn form_and_json_decode_the_same() {
        let from_form: Pair = body(&req("application/x-www-form-urlencoded", b"a=x+y%21")).unwrap();
        let from_json: Pair =
            body(&req("application/json; charset=utf-8", br#"{"a":"x y!"}"#)).unwrap();
        assert_eq!(from_form.a, from_json.a);
    }

    #[test]
    fn bad_bodies_get_their_codes() {
        const JSON: &str = "application/json";
        const FORM: &str = "application/x-www-form-urlencoded";
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        let cases: [(&str, &[u8], ErrorCode); 8] = [
            ("text/plain", b"a", ErrorCode::UnsupportedMediaType),
            (JSON, b"{", ErrorCode::MalformedJson),
            (JSON, b"\xff", ErrorCode::InvalidEncoding),
            (FORM, b"a=%ff", ErrorCode::InvalidEncoding),
            (JSON, b"[1]", ErrorCode::InvalidRequest),
            (JSON, br#"{"a":1}"#, ErrorCode::InvalidRequest),
            (FORM, b"a=1&a=2", ErrorCode::InvalidRequest),
            (JSON, &big, ErrorCode::PayloadTooLarge),
        ];
        for (content_type, bytes, expected) in cases {
            let code = body::<Pair>(&req(content_type, bytes)).unwrap_err().code;
            assert_eq!(
                code,
                expected,
                "{content_type} {:?}",
                &bytes[..bytes.len().min(16)]
            );
        }
    }

    /// The test configuration, with Secure cookies or not.
    fn config(secure: bool) -> crate::config::Config {
        let mut config = crate::testing::test_config();
        config.cookie_secure = secure;
        config
    }

    #[test]
    fn two_authorization_headers_count_as_none() {
        let r = Request::new("GET", "/me")
            .with_header("authorization", "Bearer mine")
            .with_header("authorization", "Bearer junk");
        assert_eq!(credential(&r, &config(true)), None);
        assert_eq!(bearer(&r), None);
    }

    #[test]
    fn two_session_cookies_of_one_name_count_as_none() {
        let r = Request::new("GET", "/me")
            .with_header("cookie", "sesame_session=planted; sesame_session=mine");
        assert_eq!(credential(&r, &config(false)), None);
        let split = Request::new("GET", "/me")
            .with_header("cookie", "sesame_session=planted")
            .with_header("cookie", "sesame_session=mine");
        assert_eq!(credential(&split, &config(false)), None);
    }

    #[test]
    fn tokens_from_bearer_or_cookie() {
        let r = Request::new("GET", "/me").with_header("cookie", "x=1; sesame_session=abc");
        assert_eq!(
            credential(&r, &config(false)),
            Some(Credential::Cookie("abc".into()))
        );
        let r = Request::new("GET", "/me").with_header("authorization", "Bearer tok");
        assert_eq!(
            credential(&r, &config(true)),
            Some(Credential::Bearer("tok".into()))
        );
        let r = Request::new("GET", "/me").with_header("authorization", "Basic tok");
        assert_eq!(credential(&r, &config(false)), None);
    }

    #[test]
    fn a_secure_deployment_reads_only_the_host_prefixed_cookie() {
        let plain = Request::new("GET", "/me").with_header("cookie", "sesame_session=planted");
        assert_eq!(credential(&plain, &config(true)), None);
        let both = Request::new("GET", "/me").with_header(
            "cookie",
            "sesame_session=planted; __Host-sesame_session=real",
        );
        assert_eq!(
            credential(&both, &config(true)),
            Some(Credential::Cookie("real".into()))
        );
        // And a plain-HTTP loopback deployment reads only its own name.
        assert_eq!(
            credential(&both, &config(false)),
            Some(Credential::Cookie("planted".into()))
        );
        let prefixed =
            Request::new("GET", "/me").with_header("cookie", "__Host-sesame_session=real");
        assert_eq!(credential(&prefixed, &config(false)), None);
    }

    #[test]
    fn csrf_token_from_header_or_form() {
        let r = Request::new("POST", "/logout").with_header("x-csrf-token", " t1 ");
        assert_eq!(csrf_token(&r).as_deref(), Some("t1"));
        let r = req("application/x-www-form-urlencoded", b"csrf_token=t2&x=1");
        assert_eq!(csrf_token(&r).as_deref(), Some("t2"));
        let r = req("application/json", br#"{"csrf_token":"t3"}"#);
        assert_eq!(csrf_token(&r), None, "JSON bodies must use the header");
    }
}
