//! The request a reverse proxy asks about, read strictly and normalised once before any rule
//! looks at it.
//!
//! A rule that guards `/admin` must see `/admin` however the client spelled it: `//admin`,
//! `/public/../admin`, `/%61dmin`. The upstream application decodes and resolves the path its
//! own way, and any difference between the two readings is a bypass (Authelia's
//! CVE-2021-32637 class: a request the checker read one way and the application another).
//! So the path is decoded and resolved here once, and everything a reading could disagree on
//! is refused as malformed instead of being guessed at:
//!
//! - percent-escapes are decoded once; a bad escape, an escaped `/` or `\`, an escaped `%`
//!   (a second decoding upstream would see something else), a control character, or bytes
//!   that are not UTF-8 after decoding;
//! - a raw byte outside visible ASCII, a backslash (some servers read it as `/`) or a
//!   fragment;
//! - dot segments (`.`, `..`, escaped or not) are refused, not resolved: applications and
//!   libraries resolve them differently (with empty segments around them, or not at all);
//! - a `;` anywhere in the path (servlet containers cut path parameters: `/admin;x` is their
//!   `/admin`), and a segment ending in `.` or a space (Windows servers drop them);
//! - empty segments (`//`) are refused: `//x` is a host to some URL readers and a path to
//!   others; a trailing slash is kept (`/app/` is not `/app`);
//! - the host is lower-cased, one trailing dot dropped, and must be a DNS name or an IP
//!   literal; the port, when given, a number from 1 to 65535;
//! - the method is upper-case letters only.
//!
//! Paths stay case-sensitive, as HTTP has them; deployments in front of a case-insensitive
//! application should deny by default and allow by rule (see `docs/proxy.md`).

use std::fmt;
use std::net::Ipv6Addr;

/// The longest URL read; proxies limit request lines to a few kilobytes.
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// Why the request being checked cannot be read; every such request is denied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the request being checked is malformed: {0}")]
pub struct Malformed(pub &'static str);

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// The scheme's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn parse(text: &str) -> Result<Self, Malformed> {
        if text.eq_ignore_ascii_case("https") {
            Ok(Scheme::Https)
        } else if text.eq_ignore_ascii_case("http") {
            Ok(Scheme::Http)
        } else {
            Err(Malformed("the scheme is neither http nor https"))
        }
    }
}

/// The request being checked, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The method, upper-case.
    pub method: String,
    /// The scheme the client used.
    pub scheme: Scheme,
    /// The host, lower-case, without a trailing dot; an IPv6 literal keeps its brackets.
    pub host: String,
    /// The port, when the client named one.
    pub port: Option<u16>,
    /// The path, decoded and resolved: starts with `/`, no empty, `.` or `..` segments.
    pub path: String,
    /// The query as sent (not decoded; rules do not match on it), without the `?`.
    pub query: Option<String>,
}

impl Target {
    /// Reads an absolute URL (`X-Original-URL`) requested with `method`.
    pub fn from_url(method: &str, url: &str) -> Result<Self, Malformed> {
        if url.len() > MAX_URL_BYTES {
            return Err(Malformed("the URL is too long"));
        }
        let (scheme, rest) = url
            .split_once("://")
            .ok_or(Malformed("the URL is not absolute"))?;
        let (authority, uri) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => return Err(Malformed("the URL has no path")),
        };
        if authority.contains('@') {
            return Err(Malformed("the URL carries user information"));
        }
        Target::from_parts(method, scheme, authority, uri)
    }

    /// Reads the parts a proxy forwards separately (`X-Forwarded-Method`, `-Proto`, `-Host`,
    /// `-Uri`).
    pub fn from_parts(
        method: &str,
        scheme: &str,
        host: &str,
        uri: &str,
    ) -> Result<Self, Malformed> {
        if uri.len() > MAX_URL_BYTES || host.len() > 300 {
            return Err(Malformed("the URL is too long"));
        }
        let (host, port) = authority(host)?;
        let (raw_path, query) = match uri.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (uri, None),
        };
        if let Some(query) = query
            && !query.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
        {
            return Err(Malformed(
                "the query holds a character that must be escaped",
            ));
        }
        Ok(Target {
            method: method_name(method)?,
            scheme: Scheme::parse(scheme)?,
            host,
            port,
            path: normalise_path(raw_path)?,
            query: query.map(str::to_owned),
        })
    }

    /// The URL again, from the normalised parts (for the sign-in page's `rd`).
    pub fn url(&self) -> String {
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        let query = self
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        let path = percent_encoding::utf8_percent_encode(&self.path, PATH_OUT).to_string();
        format!(
            "{}://{}{port}{path}{query}",
            self.scheme.as_str(),
            self.host
        )
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.url())
    }
}

/// What the path is re-encoded with when the URL is written out again: everything but the
/// characters a path may hold as they are.
const PATH_OUT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// An HTTP method: 1 to 16 ASCII letters, upper-cased.
fn method_name(method: &str) -> Result<String, Malformed> {
    if method.is_empty() || method.len() > 16 || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Malformed("the method is not a method name"));
    }
    Ok(method.to_ascii_uppercase())
}

/// `host[:port]`, the host lower-cased and checked, the port in range.
fn authority(text: &str) -> Result<(String, Option<u16>), Malformed> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (literal, after) = rest
            .split_once(']')
            .ok_or(Malformed("an IPv6 host lacks its closing bracket"))?;
        literal
            .parse::<Ipv6Addr>()
            .map_err(|_| Malformed("the host is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or(Malformed("junk after the IPv6 host"))?,
            ),
        };
        (format!("[{}]", literal.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        };
        (dns_name(host)?, port)
    };
    let port = match port {
        None => None,
        Some(digits) => {
            if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(Malformed("the port is not a number"));
            }
            match digits.parse::<u16>() {
                Ok(0) | Err(_) => return Err(Malformed("the port is out of range")),
                Ok(port) => Some(port),
            }
        }
    };
    Ok((host, port))
}

/// A host name: dot-separated labels of letters, digits, `-` and `_`, lower-cased, without a
/// trailing dot (`example.com.` is `example.com`).
pub(crate) fn dns_name(host: &str) -> Result<String, Malformed> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
        return Err(Malformed("the host is not a DNS name or an IP address"));
    }
    Ok(host.to_ascii_lowercase())
}

/// Decodes and resolves a path (see the module's rules).
fn normalise_path(raw: &str) -> Result<String, Malformed> {
    if !raw.starts_with('/') {
        return Err(Malformed("the path does not start with '/'"));
    }
    let mut decoded = Vec::with_capacity(raw.len());
    let bytes = raw.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b'%' => {
                let hex = bytes
                    .get(at + 1..at + 3)
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .ok_or(Malformed("a percent-escape is not two hex digits"))?;
                if matches!(hex, b'/' | b'\\' | b'%') {
                    return Err(Malformed("the path escapes '/', '\\' or '%'"));
                }
                if hex < 0x20 || hex == 0x7f {
                    return Err(Malformed("the path escapes a control character"));
                }
                decoded.push(hex);
                at += 3;
            }
            b'\\' => return Err(Malformed("the path holds a backslash")),
            b'#' => return Err(Malformed("the path holds a fragment")),
            _ if byte.is_ascii_graphic() => {
                decoded.push(byte);
                at += 1;
            }
            _ => return Err(Malformed("the path holds a character that must be escaped")),
        }
    }
    let decoded =
        String::from_utf8(decoded).map_err(|_| Malformed("the decoded path is not UTF-8"))?;
    // Anything readings disagree on is refused instead of resolved: an empty segment (`//x`
    // is a host to `new URL(path, base)` and Python's `urlsplit`, a path to most servers), a
    // dot segment (RFC 3986 resolves `/a//../b` to `/a/b`, a reader that collapses first to
    // `/b`; an application may not resolve at all), a `;` (servlet containers cut path
    // parameters, so `/admin;x` is their `/admin`), and a segment ending in `.` or a space
    // (which Windows servers drop, so `/admin.` is their `/admin`).
    if decoded == "/" {
        return Ok(decoded);
    }
    let ends_in_slash = decoded.ends_with('/');
    let inner = decoded
        .strip_prefix('/')
        .map(|rest| rest.strip_suffix('/').unwrap_or(rest))
        .unwrap_or(&decoded);
    let mut segments: Vec<&str> = Vec::new();
    for segment in inner.split('/') {
        if segment.is_empty() {
            return Err(Malformed("the path holds an empty segment ('//')"));
        }
        if segment == "." || segment == ".." {
            return Err(Malformed("the path holds a dot segment"));
        }
        if segment.contains(';') {
            return Err(Malformed("the path holds a ';'"));
        }
        if segment.ends_with('.') || segment.ends_with(' ') {
            return Err(Malformed("a path segment ends in '.' or a space"));
        }
        segments.push(segment);
    }
    let mut path = String::with_capacity(decoded.len());
    for segment in &segments {
        path.push('/');
        path.push_str(segment);
    }
    if path.is_empty() || ends_in_slash {
        path.push('/');
    }
    Ok(path)
}
