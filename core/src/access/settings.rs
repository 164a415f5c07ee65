//! Forward-auth settings: the access rules, the identity headers answered to the proxy, and
//! the session cookie's domain for single sign-on across subdomains.

use std::sync::Arc;

use super::rules::AccessRules;
use crate::error::{Error, Result};
use crate::settings::{Setting, list, section};

/// Which identity headers `/auth/check` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityHeaders {
    /// `Remote-User`, `Remote-Email`, `Remote-Groups` (the names Authelia uses, which many
    /// applications read).
    pub remote: bool,
    /// `X-Sesame-User`, `X-Sesame-Email`, `X-Sesame-Roles`.
    pub sesame: bool,
}

/// Forward-auth settings.
#[derive(Debug, Clone)]
pub struct AccessSettings {
    /// The rules `/auth/check` decides by; `None`: no rules, every signed-in person passes
    /// (and what the query asks for).
    pub rules: Option<Arc<AccessRules>>,
    /// The identity headers answered.
    pub identity_headers: IdentityHeaders,
    /// The session cookie's `Domain` (e.g. `example.com`), so one sign-in covers every host
    /// below it; `None`: a host-only cookie.
    pub cookie_domain: Option<String>,
}

impl Default for AccessSettings {
    /// No rules, both header sets, a host-only cookie.
    fn default() -> Self {
        AccessSettings {
            rules: None,
            identity_headers: IdentityHeaders {
                remote: true,
                sesame: true,
            },
            cookie_domain: None,
        }
    }
}

/// The forward-auth variables.
pub const SETTINGS: &[Setting<AccessSettings>] = section! {
    "SESAME_ACCESS_RULES" = "", rules <- access_rules, "access rules for /auth/check, as a TOML document (`sesame serve --access-rules FILE` reads it from a file and reloads it on change); empty: any signed-in person passes";
    "SESAME_IDENTITY_HEADERS" = "remote,sesame", identity_headers <- identity_headers, "which identity headers /auth/check answers: `remote` (Remote-User, Remote-Email, Remote-Groups), `sesame` (X-Sesame-*), or both";
    "SESAME_COOKIE_DOMAIN" = "", cookie_domain <- cookie_domain, "the session cookie's domain (like `example.com`) for one sign-in across its subdomains; empty: host-only (see docs/proxy.md before setting it)";
};

fn access_rules(name: &str, value: &str) -> Result<Option<Arc<AccessRules>>> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    AccessRules::parse(value)
        .map(|rules| Some(Arc::new(rules)))
        .map_err(|e| Error::Config(format!("{name}: {e}")))
}

fn identity_headers(name: &str, value: &str) -> Result<IdentityHeaders> {
    let mut chosen = IdentityHeaders {
        remote: false,
        sesame: false,
    };
    for item in list(value) {
        match item {
            "remote" => chosen.remote = true,
            "sesame" => chosen.sesame = true,
            _ => {
                return Err(Error::Config(format!(
                    "{name}: '{item}' is neither 'remote' nor 'sesame'"
                )));
            }
        }
    }
    Ok(chosen)
}

fn cookie_domain(name: &str, value: &str) -> Result<Option<String>> {
    let value = value.trim().trim_start_matches('.');
    if value.is_empty() {
        return Ok(None);
    }
    let domain = super::target::dns_name(value)
        .map_err(|_| Error::Config(format!("{name}: '{value}' is not a domain name")))?;
    if !domain.contains('.') {
        return Err(Error::Config(format!(
            "{name}: '{domain}' is a top-level name; browsers refuse cookies for it"
        )));
    }
    Ok(Some(domain))
}
