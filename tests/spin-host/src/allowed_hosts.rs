//! A component's `allowed_outbound_hosts`, matched as Spin matches them: each entry is
//! `scheme://host[:port]`, where the scheme, the host, the port, or a leading `*.` label of the
//! host may be a `*` wildcard. An entry without a port allows only the scheme's default port.

/// Whether `allowed` lets a component reach `host:port` over `scheme`.
pub(crate) fn allows(allowed: &[String], scheme: &str, host: &str, port: u16) -> bool {
    allowed
        .iter()
        .any(|entry| entry_allows(entry, scheme, host, port))
}

fn entry_allows(entry: &str, scheme: &str, host: &str, port: u16) -> bool {
    let Some((entry_scheme, authority)) = entry.split_once("://") else {
        return false;
    };
    let authority = authority.trim_end_matches('/');
    // An IPv6 literal keeps its colons inside brackets.
    let (entry_host, entry_port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, Some(p)),
        _ => (authority, None),
    };
    let scheme_ok = entry_scheme == "*" || entry_scheme.eq_ignore_ascii_case(scheme);
    let host_ok = entry_host == "*"
        || entry_host.eq_ignore_ascii_case(host)
        || entry_host.strip_prefix("*.").is_some_and(|suffix| {
            host.len() > suffix.len() + 1
                && host
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", suffix.to_ascii_lowercase()))
        });
    let port_ok = match entry_port {
        Some("*") => true,
        Some(p) => p.parse::<u16>() == Ok(port),
        None => default_port(scheme) == Some(port),
    };
    scheme_ok && host_ok && port_ok
}

/// The port a scheme uses when an entry (or a URL) names none.
pub(crate) fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::allows;

    fn list(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| (*e).to_owned()).collect()
    }

    #[test]
    fn entries_match_scheme_host_and_port() {
        let allowed = list(&["postgres://127.0.0.1:5433", "https://api.example.com"]);
        assert!(allows(&allowed, "postgres", "127.0.0.1", 5433));
        assert!(!allows(&allowed, "postgres", "127.0.0.1", 5432));
        assert!(!allows(&allowed, "postgres", "10.0.0.1", 5433));
        assert!(allows(&allowed, "https", "api.example.com", 443));
        assert!(!allows(&allowed, "https", "api.example.com", 8443));
        assert!(!allows(&allowed, "http", "api.example.com", 443));
        assert!(!allows(&[], "postgres", "127.0.0.1", 5432));
    }

    #[test]
    fn wildcards_cover_what_they_say() {
        let allowed = list(&[
            "http://*.spin.internal",
            "postgres://db:*",
            "*://any.example:1",
        ]);
        assert!(allows(&allowed, "http", "sesame.spin.internal", 80));
        assert!(!allows(&allowed, "http", "spin.internal", 80));
        assert!(!allows(&allowed, "http", "evil-spin.internal", 80));
        assert!(allows(&allowed, "postgres", "db", 6000));
        assert!(allows(&allowed, "redis", "any.example", 1));
    }

    #[test]
    fn only_a_listed_internal_host_may_be_called() {
        let host = "sesame.spin.internal";
        let one = |entry: &str| allows(&list(&[entry]), "http", host, 80);
        assert!(one("http://sesame.spin.internal"));
        assert!(one("http://*.spin.internal"));
        assert!(one("*://sesame.spin.internal:*"));
        assert!(!one("http://app.spin.internal"));
        assert!(!one("https://sesame.spin.internal"));
        assert!(!one("http://sesame.spin.internal:8080"));
        assert!(!one("sesame.spin.internal"));
    }
}
