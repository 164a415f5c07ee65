//! A component's `allowed_outbound_hosts`, read and matched as Spin does: each entry is
//! `scheme://host[:port]`; `*` for any scheme, host or port, `*.example.com` for its
//! subdomains, `8000..8010` for a port range; no port means the scheme's own. One list decides
//! every way out: outbound HTTP (`outbound.rs`), local service chaining (`chaining.rs`) and
//! PostgreSQL (`postgres_impl.rs`).

use anyhow::{Result, bail};

/// One entry of `allowed_outbound_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    /// `None`: any scheme.
    scheme: Option<String>,
    host: Host,
    ports: Ports,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Any,
    Exact(String),
    /// `*.example.com`: any name ending in `.example.com`.
    SubdomainOf(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ports {
    Any,
    Range(u16, u16),
}

/// Where the component may send requests.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedHosts(Vec<Allowed>);

impl AllowedHosts {
    /// Reads the manifest's list (templates already resolved); an entry Spin would refuse
    /// stops the host at start, as it stops `spin up`.
    pub(crate) fn parse(entries: &[String]) -> Result<Self> {
        entries
            .iter()
            .map(|e| parse_entry(e))
            .collect::<Result<_>>()
            .map(AllowedHosts)
    }

    /// Whether a request to `scheme://host:port` may go out.
    pub(crate) fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        self.0.iter().any(|a| {
            a.scheme.as_deref().is_none_or(|s| s == scheme)
                && match &a.host {
                    Host::Any => true,
                    Host::Exact(h) => *h == host,
                    Host::SubdomainOf(parent) => host.ends_with(&format!(".{parent}")),
                }
                && match a.ports {
                    Ports::Any => true,
                    Ports::Range(low, high) => (low..=high).contains(&port),
                }
        })
    }
}

fn parse_entry(entry: &str) -> Result<Allowed> {
    let Some((scheme, rest)) = entry.split_once("://") else {
        bail!("allowed_outbound_hosts: `{entry}` has no scheme (e.g. https://{entry})");
    };
    let rest = rest.trim_end_matches('/');
    if rest.contains('/') {
        bail!("allowed_outbound_hosts: `{entry}` has a path");
    }
    let (host, port) = match rest.strip_prefix('[') {
        // An IPv6 address: `[::1]` or `[::1]:8080`.
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => bail!("allowed_outbound_hosts: `{entry}` has no closing `]`"),
        },
        None => match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        },
    };
    let scheme = (scheme != "*").then(|| scheme.to_ascii_lowercase());
    let ports = match (port, scheme.as_deref()) {
        (Some("*"), _) => Ports::Any,
        (Some(port), _) => match port.split_once("..") {
            Some((low, high)) => Ports::Range(low.parse()?, high.parse()?),
            None => {
                let port = port.parse()?;
                Ports::Range(port, port)
            }
        },
        (None, scheme) => match scheme.and_then(default_port) {
            Some(port) => Ports::Range(port, port),
            None => bail!("allowed_outbound_hosts: `{entry}` needs a port"),
        },
    };
    let host = host.to_ascii_lowercase();
    let host = match host.as_str() {
        "*" => Host::Any,
        _ => match host.strip_prefix("*.") {
            Some(parent) => Host::SubdomainOf(parent.to_owned()),
            None => Host::Exact(host),
        },
    };
    Ok(Allowed {
        scheme,
        host,
        ports,
    })
}

/// The port a scheme uses when an entry (or an address) names none.
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
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

    use super::*;

    #[test]
    fn spins_syntax_decides_who_may_be_called() {
        let allowed = AllowedHosts::parse(&[
            "http://127.0.0.1:8025".into(),
            "https://api.postmarkapp.com".into(),
            "https://*.example.com".into(),
            "*://hooks.internal:*".into(),
            "http://localhost:9000..9002".into(),
        ])
        .unwrap();
        for (scheme, host, port, allows) in [
            ("http", "127.0.0.1", 8025, true),
            ("http", "127.0.0.1", 8026, false),
            ("https", "127.0.0.1", 8025, false),
            ("https", "api.postmarkapp.com", 443, true),
            ("https", "API.Postmarkapp.com", 443, true),
            ("http", "api.postmarkapp.com", 80, false),
            ("https", "mail.example.com", 443, true),
            ("https", "example.com", 443, false),
            ("https", "evil-example.com", 443, false),
            ("http", "hooks.internal", 1, true),
            ("http", "localhost", 9001, true),
            ("http", "localhost", 9003, false),
            ("http", "api.resend.com", 80, false),
        ] {
            assert_eq!(
                allowed.allows(scheme, host, port),
                allows,
                "{scheme}://{host}:{port}"
            );
        }
        assert!(AllowedHosts::parse(&[]).unwrap().0.is_empty());
        for bad in [
            "api.example.com",
            "*://api.example.com",
            "https://x/path",
            "http://x:port",
        ] {
            assert!(AllowedHosts::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_a_listed_internal_host_may_be_called() {
        let host = "sesame.spin.internal";
        let one = |entry: &str| {
            AllowedHosts::parse(&[entry.to_owned()])
                .map(|a| a.allows("http", host, 80))
                .unwrap_or(false)
        };
        assert!(one("http://sesame.spin.internal"));
        assert!(one("http://*.spin.internal"));
        assert!(one("*://sesame.spin.internal:*"));
        assert!(!one("http://app.spin.internal"));
        assert!(!one("https://sesame.spin.internal"));
        assert!(!one("http://sesame.spin.internal:8080"));
        assert!(!one("sesame.spin.internal"));
    }

    #[test]
    fn a_database_is_matched_by_its_port_or_postgres_default() {
        let allowed = AllowedHosts::parse(&[
            "postgres://127.0.0.1:5433".into(),
            "postgres://db.internal".into(),
        ])
        .unwrap();
        assert!(allowed.allows("postgres", "127.0.0.1", 5433));
        assert!(!allowed.allows("postgres", "127.0.0.1", 5432));
        assert!(allowed.allows("postgres", "db.internal", 5432));
        assert!(!allowed.allows("postgres", "10.0.0.1", 5433));
    }
}
