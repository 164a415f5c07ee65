//! What the guard decides, free of any binding so it is tested natively: which of the client's
//! headers go to Sesame's check and which to the app, which of Sesame's answer headers name
//! the person, and what the client gets for each answer of the check.

/// Header fields as wasi:http lists them: lower-case name, raw value.
pub(crate) type Fields = Vec<(String, Vec<u8>)>;

/// Hop-by-hop headers (RFC 9110 section 7.6.1) and the ones wasi:http refuses in an outgoing
/// request (`host`, `http2-settings`): they describe one connection, never the request.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "http2-settings",
];

/// Prefixes of the headers in which Sesame's check names who passed (`Remote-User`,
/// `X-Sesame-User`, `X-Sesame-Api-Key`, ...; core's `forward_auth.rs`). The app trusts these,
/// so a client's own copies never reach it, and only the check's own are handed on.
const IDENTITY_PREFIXES: [&str; 2] = ["remote-", "x-sesame-"];

/// `name` lower-cased with every `_` read as `-`: the variable a CGI/WSGI-style server (and
/// many frameworks) files a header under, where `Remote_User` and `Remote-User` are one
/// `HTTP_REMOTE_USER`. Every name the guard drops is matched in this form.
fn normalised(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// Headers that describe where a request came from or what it was, which only the guard may
/// say: a client's copies would let it choose its address or the request the rules judge.
/// `name` is [`normalised`].
fn is_forwarding(name: &str) -> bool {
    name.starts_with("x-forwarded-")
        || name.starts_with("x-original-")
        || name == "forwarded"
        || name == "x-real-ip"
}

/// Whether `name` (any case, `_` read as `-`) is one of the identity headers Sesame's check
/// answers.
pub(crate) fn is_identity(name: &str) -> bool {
    let name = normalised(name);
    IDENTITY_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// What one header field weighs against the limits: its name and value, plus more than any
/// host keeps per field (wasmtime counts the name's and the value's own structures, some
/// 70 bytes), so the count never falls below the host's and also bounds the number of fields.
const FIELD_OVERHEAD: usize = 128;

/// The most the client's header fields may weigh ([`fields_size`]): requests over it are
/// answered `431 headers-too-large` without asking Sesame. Well above what browsers send and
/// below the host's limit on any header list the guard builds (128 KiB in wasmtime and Spin,
/// whose overrun traps instead of failing), with room for the guard's own headers.
pub(crate) const CLIENT_HEADERS_LIMIT: usize = 64 * 1024;

/// The most any header list the guard hands the host may weigh ([`fields_size`]): past it the
/// host would trap, so a longer list is a failure the guard answers itself.
pub(crate) const FIELDS_LIMIT: usize = 120 * 1024;

/// What `fields` weigh against [`CLIENT_HEADERS_LIMIT`] and [`FIELDS_LIMIT`].
pub(crate) fn fields_size(fields: &[(String, Vec<u8>)]) -> usize {
    fields
        .iter()
        .map(|(n, v)| n.len() + v.len() + FIELD_OVERHEAD)
        .sum()
}

/// The prefix of Sesame's cookie names (`sesame_session`, `sesame_tf`, `sesame_us`,
/// `sesame_rd`, `sesame_wan`; core's `http/cookies.rs`), after the `__Host-` or `__Secure-`
/// a secure deployment adds. The whole `sesame_` namespace is Sesame's.
const SESAME_COOKIE_PREFIX: &str = "sesame_";

/// Whether the cookie named `name` is one of Sesame's.
fn is_sesame_cookie(name: &[u8]) -> bool {
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let name = name
        .strip_prefix("__host-")
        .or_else(|| name.strip_prefix("__secure-"))
        .unwrap_or(&name);
    name.starts_with(SESAME_COOKIE_PREFIX)
}

/// A `Cookie` value without Sesame's cookies, the others kept as sent and in order; `None`
/// when none is left. The app gets who the person is from the identity headers: Sesame's
/// session and sign-in cookies would only let a bug or a log line of the app act as them
/// on Sesame.
fn app_cookies(value: &[u8]) -> Option<Vec<u8>> {
    let kept: Vec<&[u8]> = value
        .split(|b| *b == b';')
        .map(<[u8]>::trim_ascii)
        .filter(|pair| {
            let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
            !pair.is_empty() && !is_sesame_cookie(name.trim_ascii())
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join(&b"; "[..]))
}

/// The prefix of Sesame's API keys (core's `api_keys.rs`).
const API_KEY_PREFIX: &[u8] = b"sesame_ak_";

/// Whether an `Authorization` value carries a Sesame API key (`Bearer sesame_ak_...`): a
/// long-lived credential of Sesame's, which the app never needs. Any other value is the
/// app's to read (its own scheme, or a Sesame access token it may verify itself), so it is
/// passed on.
fn is_sesame_api_key(value: &[u8]) -> bool {
    let value = value.trim_ascii();
    let scheme_end = value
        .iter()
        .position(u8::is_ascii_whitespace)
        .unwrap_or(value.len());
    let (scheme, token) = value.split_at(scheme_end);
    scheme.eq_ignore_ascii_case(b"bearer") && token.trim_ascii_start().starts_with(API_KEY_PREFIX)
}

/// The request the client made, as the guard saw it.
#[derive(Debug, Clone)]
pub(crate) struct Original {
    /// Its method, as sent (`GET`, `POST`, ...).
    pub(crate) method: String,
    /// `http` or `https`: the app's public URL's, never what the client's request says.
    pub(crate) scheme: String,
    /// The host (and port) of the app's public URL, never the client's `Host`: any `Host`
    /// reaches the app, and the access rules match their `domain` against this.
    pub(crate) host: String,
    /// Path and query.
    pub(crate) path_with_query: String,
    /// The client's IP address, from Spin's `spin-client-addr`.
    pub(crate) client_ip: Option<String>,
    /// The client's headers.
    pub(crate) headers: Fields,
}

impl Original {
    /// The URL the client asked for, on the app's public origin.
    pub(crate) fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.path_with_query)
    }

    /// Whether a browser sent it and may be redirected: `GET` or `HEAD` accepting HTML. Any
    /// other method is answered 401, so a form post is never turned into a redirect that
    /// drops its body.
    pub(crate) fn is_browser_navigation(&self) -> bool {
        let method = self.method.as_str();
        (method == "GET" || method == "HEAD")
            && values(&self.headers, "accept").any(|v| {
                String::from_utf8_lossy(v)
                    .to_ascii_lowercase()
                    .contains("text/html")
            })
    }
}

fn values<'a>(
    fields: &'a [(String, Vec<u8>)],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    fields
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// The headers of `GET /auth/check` for `original`: the credentials (`Cookie`,
/// `Authorization`), the language for the refusal's message, what answer the client can use
/// (HTML only for a browser navigation, so Sesame redirects only those), and the request
/// being checked in `X-Forwarded-Method/-Proto/-Host/-Uri` with the client in
/// `X-Forwarded-For`, all set by the guard (Sesame reads them only from a trusted proxy).
pub(crate) fn check_headers(original: &Original) -> Fields {
    let mut fields: Fields = original
        .headers
        .iter()
        .filter(|(n, _)| {
            let n = n.to_ascii_lowercase();
            n == "cookie" || n == "authorization" || n == "accept-language"
        })
        .cloned()
        .collect();
    let accept = if original.is_browser_navigation() {
        "text/html"
    } else {
        "application/json"
    };
    fields.push(("accept".into(), accept.into()));
    fields.extend(forwarding(original));
    fields.push(("x-forwarded-method".into(), original.method.clone().into()));
    fields.push((
        "x-forwarded-uri".into(),
        original.path_with_query.clone().into(),
    ));
    fields
}

/// `X-Forwarded-For/-Proto/-Host` describing `original`, as the guard saw it.
fn forwarding(original: &Original) -> Fields {
    let mut fields: Fields = vec![
        ("x-forwarded-proto".into(), original.scheme.clone().into()),
        ("x-forwarded-host".into(), original.host.clone().into()),
    ];
    if let Some(ip) = &original.client_ip {
        fields.push(("x-forwarded-for".into(), ip.clone().into()));
    }
    fields
}

/// The headers of the request to the app: the client's, without hop-by-hop headers (and those
/// `Connection` names), Spin's own `spin-*`, any identity header and any forwarding header
/// (names matched with `_` read as `-`), Sesame's cookies and a Sesame API key; then the
/// guard's `X-Forwarded-For/-Proto/-Host` and the identity headers of Sesame's answer
/// (`identity`).
pub(crate) fn app_headers(original: &Original, identity: &Fields) -> Fields {
    let named_by_connection: Vec<String> = values(&original.headers, "connection")
        .flat_map(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|n| normalised(n.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut fields: Fields = original
        .headers
        .iter()
        .filter_map(|(name, value)| {
            let n = normalised(name);
            let dropped = HOP_BY_HOP.contains(&n.as_str())
                || n == "host"
                || n.starts_with("spin-")
                || is_identity(&n)
                || is_forwarding(&n)
                || named_by_connection.contains(&n)
                || (n == "authorization" && is_sesame_api_key(value));
            if dropped {
                None
            } else if n == "cookie" {
                app_cookies(value).map(|kept| (name.clone(), kept))
            } else {
                Some((name.clone(), value.clone()))
            }
        })
        .collect();
    fields.extend(forwarding(original));
    fields.extend(identity.iter().cloned());
    fields
}

/// The identity headers of the check's answer (names lower-cased), empty ones included: an
/// empty one tells the app that kind of identity is absent.
pub(crate) fn identity_of(answer: &[(String, Vec<u8>)]) -> Fields {
    answer
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .filter(|(n, _)| is_identity(n))
        .collect()
}

/// The headers of the app's answer that go back to the client: all but hop-by-hop ones.
pub(crate) fn answer_headers(answer: &Fields) -> Fields {
    answer
        .iter()
        .filter(|(n, _)| !HOP_BY_HOP.contains(&n.to_ascii_lowercase().as_str()))
        .cloned()
        .collect()
}

/// What the client gets, by the check's answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 200: the request goes to the app with these identity headers.
    Forward(Fields),
    /// A browser that must sign in: a redirect here.
    SignIn(String),
    /// Sesame's own refusal (401, 403, 429, ...), passed on as it is.
    Refuse,
    /// Sesame failed or answered something a check never answers: 503, nothing forwarded.
    Unavailable,
}

/// The verdict on `original` from the check's `status` and `headers`. Only a 200 lets the
/// request through; every other answer, and every answer the guard cannot read, keeps it out.
pub(crate) fn verdict(
    original: &Original,
    status: u16,
    headers: &[(String, Vec<u8>)],
    sign_in_url: &str,
) -> Verdict {
    let browser = original.is_browser_navigation();
    match status {
        200 => Verdict::Forward(identity_of(headers)),
        // Sesame's own redirect to sign-in (access rules): it already carries the return URL.
        301 | 302 | 303 | 307 | 308 if browser => values(headers, "location")
            .next()
            .and_then(|v| std::str::from_utf8(v).ok())
            .map_or(Verdict::Unavailable, |l| Verdict::SignIn(l.to_owned())),
        401 if browser => Verdict::SignIn(sign_in_location(sign_in_url, original)),
        400..=499 => Verdict::Refuse,
        _ => Verdict::Unavailable,
    }
}

/// Sesame's sign-in page (`sign_in_url`, on the app's public URL) with the URL to come back
/// to in `rd`, also on the public origin whatever `Host` the client sent. Sesame keeps `rd`
/// only for a host its access rules protect (core's `return_to.rs`).
pub(crate) fn sign_in_location(sign_in_url: &str, original: &Original) -> String {
    format!("{sign_in_url}?rd={}", encode_query_value(&original.url()))
}

/// `text` percent-encoded for a query value: everything but RFC 3986's unreserved characters.
fn encode_query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The guard's own JSON error, in the shape of Sesame's (`{"error":{"code","message"}}`).
/// `code` and `message` are fixed text of the guard's, so nothing needs escaping.
pub(crate) fn error_body(code: &str, message: &str) -> Vec<u8> {
    format!(r#"{{"error":{{"code":"{code}","message":"{message}"}}}}"#).into_bytes()
}

#[cfg(test)]
mod tests;
