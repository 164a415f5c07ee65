//! The SMTP relay: where it is, how the connection is secured, and the transport that talks
//! to it.
//!
//! Mail carries single-use links, so it never crosses a network in clear text unless the
//! operator says so for a relay on the same machine:
//!
//! - `smtps://host[:465]` is TLS from the first byte (implicit TLS, RFC 8314);
//! - `smtp://host[:587]` must upgrade with STARTTLS, and delivery fails (no clear-text
//!   fallback) when the relay does not offer it, since an attacker on the path can strip the
//!   offer;
//! - `smtp://127.0.0.1:25?tls=off` sends in clear text, accepted only for a loopback host.
//!
//! Certificates are checked against the system's roots, or, with `--smtp-ca-file`, against
//! that CA alone (a private relay's certificate should not also be acceptable when signed by
//! any public CA). Credentials in the URL are sent with AUTH PLAIN or LOGIN, only after TLS.

use std::net::IpAddr;
use std::path::Path;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use percent_encoding::percent_decode_str;

use crate::mail_queue::SMTP_TIMEOUT;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// How the connection to the relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SmtpSecurity {
    /// TLS from the first byte (`smtps://`).
    ImplicitTls,
    /// A plain connection that must be upgraded with STARTTLS before anything is sent.
    StartTls,
    /// Clear text, for a relay on loopback only (`?tls=off`).
    Off,
}

/// An SMTP relay address: `smtp://` or `smtps://`, `[user:password@]host[:port]`, and an
/// optional `?tls=off` for a loopback relay.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SmtpUrl {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) security: SmtpSecurity,
    credentials: Option<(String, String)>,
}

/// The password stays out of debug output (clap prints parsed arguments on some errors).
impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("credentials", &self.credentials.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Whether `host` is a loopback address literal. The name `localhost` is not taken on trust:
/// where it resolves is the resolver's business (a container without an `/etc/hosts` entry,
/// a search domain), and clear text must not leave the machine.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Percent-decodes one part of the user information (an `@` in a user name is `%40`).
fn decoded(part: &str, url: &str) -> Result<String, String> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("'{}' has user information that is not UTF-8", redacted(url)))
}

/// `url` with its user information replaced, for error messages: some providers take an API
/// token as the user name too.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((_, hostport)) => format!("{scheme}://***@{hostport}"),
        None => url.to_owned(),
    }
}

impl std::str::FromStr for SmtpUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = "smtp[s]://[user:password@]host[:port][?tls=off]";
        let (security, default_port, rest) = if let Some(rest) = s.strip_prefix("smtps://") {
            (SmtpSecurity::ImplicitTls, 465, rest)
        } else if let Some(rest) = s.strip_prefix("smtp://") {
            (SmtpSecurity::StartTls, 587, rest)
        } else {
            return Err(format!("'{}' is not {shape}", redacted(s)));
        };
        // The query starts after the user information: a `?` in a password is not one.
        let query_from = rest.rfind('@').map_or(0, |at| at + 1);
        let (rest, query) = match rest[query_from..].find('?') {
            Some(at) => (&rest[..query_from + at], Some(&rest[query_from + at + 1..])),
            None => (rest, None),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (credentials, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let user = decoded(user, s)?;
                if user.is_empty() {
                    return Err(format!("'{}' has an empty user name", redacted(s)));
                }
                (Some((user, decoded(password, s)?)), hostport)
            }
            None => (None, rest),
        };
        // An IPv6 literal is bracketed; its colons are not the port's.
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (
                host,
                port.parse()
                    .map_err(|_| format!("bad port in '{}'", redacted(s)))?,
            ),
            _ => (hostport, default_port),
        };
        if host.is_empty() || host.contains('/') {
            return Err(format!("no host in '{}' ({shape})", redacted(s)));
        }
        let mut security = security;
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair {
                "tls=off" if security == SmtpSecurity::StartTls => {
                    if !is_loopback(host) {
                        return Err(format!(
                            "'{}': tls=off sends mail with its links in clear text, so it is \
                             only accepted for a loopback address (127.0.0.1, [::1])",
                            redacted(s)
                        ));
                    }
                    security = SmtpSecurity::Off;
                }
                "tls=off" => return Err(format!("'{}': smtps:// is always TLS", redacted(s))),
                "" => {}
                other => {
                    return Err(format!(
                        "'{}': unknown parameter '{other}' (only tls=off is known)",
                        redacted(s)
                    ));
                }
            }
        }
        Ok(SmtpUrl {
            host: host.to_owned(),
            port,
            security,
            credentials,
        })
    }
}

impl SmtpUrl {
    /// The transport to this relay, trusting the CA in `ca_file` alone when given (PEM), the
    /// system's roots otherwise.
    pub(crate) fn transport(
        &self,
        ca_file: Option<&Path>,
    ) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
        let server_name = self.host.trim_start_matches('[').trim_end_matches(']');
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server_name.to_owned())
                .port(self.port)
                .timeout(Some(SMTP_TIMEOUT));
        if self.security != SmtpSecurity::Off {
            let mut tls = TlsParameters::builder(server_name.to_owned());
            if let Some(path) = ca_file {
                let pem = std::fs::read(path).map_err(|e| {
                    anyhow::anyhow!("cannot read --smtp-ca-file {}: {e}", path.display())
                })?;
                // An empty or unparsable file would leave no root at all, and every delivery
                // would fail at the handshake: refuse it at start instead.
                let certificates = CertificateDer::pem_slice_iter(&pem)
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap_or_default();
                let ca = Certificate::from_pem(&pem)
                    .ok()
                    .filter(|_| !certificates.is_empty())
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--smtp-ca-file {} holds no PEM certificate",
                            path.display()
                        )
                    })?;
                tls = tls
                    .certificate_store(CertificateStore::None)
                    .add_root_certificate(ca);
            }
            let tls = tls
                .build_rustls()
                .map_err(|e| anyhow::anyhow!("cannot set up TLS for the SMTP relay: {e}"))?;
            builder = builder.tls(match self.security {
                SmtpSecurity::ImplicitTls => Tls::Wrapper(tls),
                _ => Tls::Required(tls),
            });
        }
        if let Some((user, password)) = &self.credentials {
            builder = builder
                .credentials(Credentials::new(user.clone(), password.clone()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(builder.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starttls_is_the_default_and_smtps_is_implicit_tls() {
        let plain: SmtpUrl = "smtp://relay.internal".parse().unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("relay.internal", 587, SmtpSecurity::StartTls)
        );
        assert_eq!(plain.credentials, None);
        let implicit: SmtpUrl = "smtps://mail.example.com".parse().unwrap();
        assert_eq!(
            (implicit.port, implicit.security),
            (465, SmtpSecurity::ImplicitTls)
        );
        let full: SmtpUrl = "smtp://ada%40example.com:s3%3Acret@127.0.0.1:2525"
            .parse()
            .unwrap();
        assert_eq!(full.port, 2525);
        assert_eq!(
            full.credentials,
            Some(("ada@example.com".into(), "s3:cret".into()))
        );
        let v6: SmtpUrl = "smtps://[::1]".parse().unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("[::1]", 465));
        let v6_port: SmtpUrl = "smtps://[::1]:4650".parse().unwrap();
        assert_eq!((v6_port.host.as_str(), v6_port.port), ("[::1]", 4650));
    }

    #[test]
    fn clear_text_is_refused_except_on_loopback() {
        for loopback in [
            "smtp://127.0.0.1:25?tls=off",
            "smtp://127.0.0.2?tls=off",
            "smtp://[::1]:2525?tls=off",
        ] {
            let url: SmtpUrl = loopback.parse().unwrap();
            assert_eq!(url.security, SmtpSecurity::Off, "{loopback}");
        }
        for refused in [
            "smtp://relay.internal?tls=off",
            "smtp://10.0.0.5:25?tls=off",
            "smtp://localhost?tls=off",
            "smtp://localhost.example.com?tls=off",
            "smtp://127.0.0.1.nip.io?tls=off",
            "smtp://[::ffff:127.0.0.1]?tls=off",
            "smtp://0.0.0.0?tls=off",
            "smtps://127.0.0.1?tls=off",
            "smtp://127.0.0.1?tls=maybe",
        ] {
            assert!(refused.parse::<SmtpUrl>().is_err(), "{refused}");
        }
    }

    #[test]
    fn malformed_urls_are_refused_without_showing_the_password() {
        for bad in ["http://x", "smtp://:25", "smtp://", "smtp://u:p@host:port"] {
            let err = bad.parse::<SmtpUrl>().unwrap_err();
            assert!(!err.contains(":p@"), "{err}");
        }
        let err = "smtp://ada:hunter2@host:notaport"
            .parse::<SmtpUrl>()
            .unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        let url: SmtpUrl = "smtp://ada:hunter2@host".parse().unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
        // A `?` in the password is the password's, not a query.
        let url: SmtpUrl = "smtp://ada:2024?Secret@relay.example.com".parse().unwrap();
        assert_eq!(url.credentials, Some(("ada".into(), "2024?Secret".into())));
        let err = "smtp://token:2024?Secret@relay.example.com?tls=maybe"
            .parse::<SmtpUrl>()
            .unwrap_err();
        assert!(!err.contains("Secret") && !err.contains("token"), "{err}");
    }

    #[test]
    fn a_ca_file_must_be_readable_pem() {
        let url: SmtpUrl = "smtps://127.0.0.1".parse().unwrap();
        assert!(url.transport(None).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        assert!(url.transport(Some(&missing)).is_err());
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate").unwrap();
        assert!(url.transport(Some(&garbage)).is_err());
    }
}
