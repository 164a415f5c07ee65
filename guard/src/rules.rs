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

/// Headers that describe where a request came from or what it was, which only the guard may
/// say: a client's copies would let it choose its address or the request the rules judge.
fn is_forwarding(name: &str) -> bool {
    name.starts_with("x-forwarded-")
        || name.starts_with("x-original-")
        || name == "forwarded"
        || name == "x-real-ip"
}

/// Whether `name` is one of the identity headers Sesame's check answers.
pub(crate) fn is_identity(name: &str) -> bool {
    IDENTITY_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The request the client made, as the guard saw it.
#[derive(Debug, Clone)]
pub(crate) struct Original {
    /// Its method, as sent (`GET`, `POST`, ...).
    pub(crate) method: String,
    /// `http` or `https`, as the client reached the app.
    pub(crate) scheme: String,
    /// The host (and port) the client asked for.
    pub(crate) host: String,
    /// Path and query.
    pub(crate) path_with_query: String,
    /// The client's IP address, from Spin's `spin-client-addr`.
    pub(crate) client_ip: Option<String>,
    /// The client's headers.
    pub(crate) headers: Fields,
}

impl Original {
    /// The URL the client asked for.
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
/// `Connection` names), Spin's own `spin-*`, any identity header and any forwarding header;
/// then the guard's `X-Forwarded-For/-Proto/-Host` and the identity headers of Sesame's
/// answer (`identity`).
pub(crate) fn app_headers(original: &Original, identity: &Fields) -> Fields {
    let named_by_connection: Vec<String> = values(&original.headers, "connection")
        .flat_map(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|n| n.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut fields: Fields = original
        .headers
        .iter()
        .filter(|(n, _)| {
            let n = n.to_ascii_lowercase();
            !(HOP_BY_HOP.contains(&n.as_str())
                || n == "host"
                || n.starts_with("spin-")
                || is_identity(&n)
                || is_forwarding(&n)
                || named_by_connection.contains(&n))
        })
        .cloned()
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
    sign_in_path: &str,
) -> Verdict {
    let browser = original.is_browser_navigation();
    match status {
        200 => Verdict::Forward(identity_of(headers)),
        // Sesame's own redirect to sign-in (access rules): it already carries the return URL.
        301 | 302 | 303 | 307 | 308 if browser => values(headers, "location")
            .next()
            .and_then(|v| std::str::from_utf8(v).ok())
            .map_or(Verdict::Unavailable, |l| Verdict::SignIn(l.to_owned())),
        401 if browser => Verdict::SignIn(sign_in_location(sign_in_path, original)),
        400..=499 => Verdict::Refuse,
        _ => Verdict::Unavailable,
    }
}

/// Sesame's sign-in page with the original URL to come back to in `rd`. Sesame keeps `rd`
/// only for a host its access rules protect (core's `return_to.rs`), so a made-up one is
/// dropped there, never followed.
pub(crate) fn sign_in_location(sign_in_path: &str, original: &Original) -> String {
    format!("{sign_in_path}?rd={}", encode_query_value(&original.url()))
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
