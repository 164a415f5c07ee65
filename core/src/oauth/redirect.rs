//! Redirect URIs: which may be registered, and when one in a request is the registered one.
//!
//! Registered URIs are absolute, without fragment, and one of:
//! - `https://` anywhere;
//! - `http://` on a loopback address (`127.0.0.1`, `[::1]`, `localhost`), for native apps and
//!   development (RFC 8252 §7.3, RFC 9700 §2.1);
//! - a private-use scheme with a dot in it (`com.example.app:/callback`, RFC 8252 §7.1).
//!
//! A request's URI must equal a registered one character for character (RFC 9700 §4.1.3),
//! except that for public clients on a loopback IP literal over `http` the port may differ:
//! native apps get a free port from the system at each start (RFC 8252 §7.3).

/// Longest redirect URI accepted, in bytes.
const MAX_REDIRECT_URI_BYTES: usize = 2000;

/// Why a redirect URI cannot be registered, as a message for the administrator.
pub(crate) fn registration_problem(uri: &str) -> Option<&'static str> {
    if uri.is_empty() || uri.len() > MAX_REDIRECT_URI_BYTES {
        return Some("a redirect URI must be 1 to 2000 bytes");
    }
    if uri
        .bytes()
        .any(|b| b <= b' ' || b == 0x7f || b == b'\\' || b >= 0x80)
    {
        return Some("a redirect URI must be printable ASCII without spaces or backslashes");
    }
    if uri.contains('#') {
        return Some("a redirect URI must not have a fragment");
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Some("a redirect URI must be absolute");
    };
    let scheme_ok = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        && scheme.as_bytes()[0].is_ascii_alphabetic();
    if !scheme_ok {
        return Some("a redirect URI must start with a scheme");
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => match authority(rest) {
            Some((host, port, _)) if valid_host(host) && valid_port(port) => None,
            _ => Some("an https redirect URI must name a host (and a port from 1 to 65535)"),
        },
        "http" => match authority(rest) {
            Some((host, port, _)) if is_loopback_host(host) && valid_port(port) => None,
            _ => Some("an http redirect URI is only allowed on a loopback address"),
        },
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" => {
            Some("this scheme cannot be a redirect URI")
        }
        _ if scheme.contains('.') => None,
        _ => Some(
            "a native app's redirect URI must use a private-use scheme with a dot (com.example.app:/callback)",
        ),
    }
}

/// A DNS name or IP literal as a URI writes it: letters, digits, dots and hyphens, or an IPv6
/// literal in brackets.
fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// No port, or a number from 1 to 65535.
fn valid_port(port: Option<&str>) -> bool {
    port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
    })
}

/// Whether `requested` is `registered` (see the module documentation). The port of a loopback
/// URI may differ only for public clients (native apps, `loopback_port_free`).
pub(crate) fn matches(registered: &str, requested: &str, loopback_port_free: bool) -> bool {
    if registered == requested {
        return true;
    }
    if !loopback_port_free {
        return false;
    }
    let (Some(a), Some(b)) = (loopback_parts(registered), loopback_parts(requested)) else {
        return false;
    };
    a == b
}

/// For an `http` URI on a loopback IP literal: the host and everything after the port.
fn loopback_parts(uri: &str) -> Option<(&str, &str)> {
    let (host, port, after) = authority(uri.strip_prefix("http:")?)?;
    ((host == "127.0.0.1" || host == "[::1]") && valid_port(port)).then_some((host, after))
}

/// A hierarchical URI's remainder after the scheme (`//host:port/path?query`) split into the
/// authority and what follows it; `None` without the `//`.
fn split_authority(rest: &str) -> Option<(&str, &str)> {
    let rest = rest.strip_prefix("//")?;
    Some(rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len())))
}

/// The host, port and what follows them (path, query) of a hierarchical URI's remainder after
/// the scheme (`//host:port/...`); `None` without an authority, with user information, or
/// with anything but a port after an IPv6 literal.
fn authority(rest: &str) -> Option<(&str, Option<&str>, &str)> {
    let (authority, after) = split_authority(rest)?;
    if authority.contains('@') {
        return None;
    }
    if let Some(v6_end) = authority.strip_prefix('[').and_then(|a| a.find(']')) {
        let (host, tail) = authority.split_at(v6_end + 2);
        return match tail {
            "" => Some((host, None, after)),
            _ => Some((host, Some(tail.strip_prefix(':')?), after)),
        };
    }
    match authority.split_once(':') {
        Some((host, port)) => Some((host, Some(port), after)),
        None => Some((authority, None, after)),
    }
}

/// Whether `host` (as written in a URI) is a loopback name or address.
fn is_loopback_host(host: &str) -> bool {
    matches!(
        host.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "[::1]" | "localhost"
    )
}

/// The origin (`scheme://host[:port]`) of an `http(s)` redirect URI, or the scheme
/// (`com.example.app:`) of any other: what a page's form-action policy must allow for a form
/// whose answer redirects there. It goes into a header as a source expression, so only the
/// characters a scheme, host and port can have pass; anything else (a `;` would start a new
/// directive) gives `None`.
pub(crate) fn origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once(':')?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    if !scheme_ok {
        return None;
    }
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return Some(format!("{scheme}:"));
    }
    let (authority, _) = split_authority(rest)?;
    let authority_ok = !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    authority_ok.then(|| format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_accepts_https_loopback_and_private_schemes_only() {
        for ok in [
            "https://app.example/cb",
            "https://app.example:8443/cb?x=1",
            "http://127.0.0.1/cb",
            "http://127.0.0.1:5000/cb",
            "http://[::1]:5000/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(registration_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "/cb",
            "http://app.example/cb",
            "https://app.example/cb#frag",
            "javascript:alert(1)",
            "data:text/html,x",
            "myapp:/cb",
            "https://user@app.example/cb",
            "https:///cb",
            "https://app.example/c b",
            "https://app.example\\@evil/cb",
            "http://127.0.0.1.evil.example/cb",
            "http://localhost:80.evil.com/",
            "http://127.0.0.1:1;evil/",
            "https://[",
            "https://app.example:0/cb",
            "https://app.example:99999/cb",
            "https://app_example/cb",
            "https://[::1]x/cb",
            "http://[::1]x:5/cb",
        ] {
            assert!(registration_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn matching_is_exact_but_for_loopback_ports() {
        let registered = "https://app.example/cb";
        assert!(matches(registered, "https://app.example/cb", true));
        for other in [
            "https://app.example/cb/",
            "https://app.example/cb?x",
            "https://APP.example/cb",
            "https://app.example:443/cb",
            "https://app.example/cb/../cb",
            "https://app.example.evil/cb",
        ] {
            assert!(!matches(registered, other, true), "{other}");
        }
        let loopback = "http://127.0.0.1/cb";
        assert!(matches(loopback, "http://127.0.0.1:51234/cb", true));
        assert!(matches("http://[::1]:80/cb", "http://[::1]:51234/cb", true));
        assert!(!matches(
            "http://[::1]:80/cb",
            "http://[::1]x:51234/cb",
            true
        ));
        assert!(matches(
            "http://127.0.0.1/cb?a=1",
            "http://127.0.0.1:9/cb?a=1",
            true
        ));
        for other in [
            "http://127.0.0.1:51234/cb2",
            "http://127.0.0.1:5x/cb",
            "http://127.0.0.1:0/cb",
            "http://127.0.0.1:99999999/cb",
            "http://127.0.0.1.evil:1/cb",
            "http://127.0.0.1@evil:1/cb",
            "http://127.0.0.1:/cb",
        ] {
            assert!(!matches(loopback, other, true), "{other}");
        }
        assert!(
            !matches(loopback, "http://127.0.0.1:51234/cb", false),
            "confidential: exact"
        );
        assert!(!matches(
            "http://localhost/cb",
            "http://localhost:1234/cb",
            true
        ));
    }

    #[test]
    fn origins_of_redirect_uris() {
        assert_eq!(
            origin("https://app.example:8443/cb?x").as_deref(),
            Some("https://app.example:8443")
        );
        assert_eq!(
            origin("com.example.app:/cb").as_deref(),
            Some("com.example.app:")
        );
        // Nothing that could end the source expression or add a directive to the policy.
        assert_eq!(
            origin("com.evil.app://h;sandbox;upgrade-insecure-requests/cb").as_deref(),
            Some("com.evil.app:")
        );
        for bad in [
            "https://app.example;script-src *;/cb",
            "https://app.example,x/cb",
            "https://'self'/cb",
            "bad;scheme:/cb",
            "https:///cb",
        ] {
            assert_eq!(origin(bad), None, "{bad}");
        }
    }
}
