//! Everything core's behaviour depends on besides storage and the host, and the one table of
//! `SESAME_*` variables it is read from.
//!
//! [`settings()`] lists every variable (name, default, documentation): the host derives the
//! variables it passes to the component and its help text from it, and tests check the Spin
//! manifest and the embedding wrappers against it.

use crate::access::settings::{self as access_settings, AccessSettings};
use crate::accounts::settings::{self as lockout_settings, LockoutSettings};
use crate::branding::{self, Branding};
use crate::error::{Error, Result};
use crate::freshness::settings::{self as freshness_settings, FreshnessSettings};
use crate::i18n::settings::{self as language_settings, LanguageSettings};
use crate::links::settings::{self as link_settings, LinkSettings};
use crate::oauth::settings::{self as oauth_settings, OAuthSettings};
use crate::outbound::settings::{self as outbound_settings, OutboundSettings};
use crate::password::settings::{self as password_settings, PasswordSettings};
use crate::sessions::settings::{self as session_settings, SessionSettings};
use crate::settings::{Setting, SettingInfo, apply_section, boolean, section};
use crate::throttle::limits::ThrottleLimits;
use crate::tokens::settings::{self as token_settings, TokenSettings};
use crate::two_factor::settings::{self as two_factor_settings, TwoFactorConfig};
use crate::webauthn::settings::{self as webauthn_settings, WebAuthnConfig};

pub use crate::hashing::Argon2Params;
pub use crate::settings::MasterSecret;

/// Everything core's behaviour depends on besides storage, clock and randomness. Each
/// feature's part is its own settings type, with its own `SETTINGS` rows.
#[derive(Debug, Clone)]
pub struct Config {
    /// Cost of new password hashes; older hashes are upgraded at the next login.
    pub argon2: Argon2Params,
    /// Session lifetimes.
    pub sessions: SessionSettings,
    /// The breached-password check of new passwords.
    pub password: PasswordSettings,
    /// Whether cookies carry `Secure` (and the `__Host-` name prefix). Only a host serving plain
    /// HTTP on a loopback address turns this off.
    pub cookie_secure: bool,
    /// The host's master secret.
    pub secret: MasterSecret,
    /// Lockout after failed sign-ins.
    pub lockout: LockoutSettings,
    /// Attempt throttling.
    pub throttle: ThrottleLimits,
    /// Where users reach Sesame, for links in mail (no trailing slash).
    pub public_url: String,
    /// Mailed-link lifetimes.
    pub links: LinkSettings,
    /// API token lifetimes and audience.
    pub tokens: TokenSettings,
    /// Two-factor settings (TOTP parameters, recovery codes, pending sign-ins).
    pub two_factor: TwoFactorConfig,
    /// WebAuthn settings (relying party, challenge lifetime, attestation, counters).
    pub webauthn: WebAuthnConfig,
    /// Whether registration answers `already-exists` for a taken username (friendlier, but it
    /// tells anyone which usernames exist). Off by default: the answer is the generic 202 and
    /// the registrant learns it by mail.
    pub reveal_taken_usernames: bool,
    /// How long an authentication counts as recent (see [`crate::freshness`]).
    pub freshness: FreshnessSettings,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` name the client (none by default:
    /// the client is the connection's peer); see [`crate::client_addr`].
    pub trusted_proxies: crate::client_addr::TrustedProxies,
    /// Forward-auth: access rules, identity headers, the session cookie's domain.
    pub access: AccessSettings,
    /// The OpenID provider.
    pub oauth: OAuthSettings,
    /// The languages pages, mail and messages may be in.
    pub languages: LanguageSettings,
    /// Name, logo, colour and support link of pages and mail, and replaced page templates.
    pub branding: Branding,
    /// The ways of signing in offered (password, mailed code, authenticator, passkey).
    pub unified_sign_in: crate::unified_sign_in::UnifiedSignInSettings,
    /// Mail and account events over HTTP, for runtimes that deliver through
    /// [`crate::outbound`] (the Spin component).
    pub outbound: OutboundSettings,
}

/// The variable holding the master secret, the one setting without a default.
pub const SECRET_VARIABLE: &str = "SESAME_SECRET";

/// The settings of the deployment as a whole (secret, URL, cookies, proxies, registration's
/// answer), in the order they are applied; each feature's are in its own `settings` module.
const GENERAL: &[Setting<Config>] = section! {
    "SESAME_SECRET" = "", secret <- MasterSecret::from_base64url, "base64url master secret, at least 32 bytes (required; `sesame serve` keeps one in its store)";
    "SESAME_COOKIE_SECURE" = "true", cookie_secure <- boolean, "`false` only for plain HTTP on loopback: cookies then lack `Secure` and `__Host-`";
    "SESAME_REVEAL_TAKEN_USERNAMES" = "false", reveal_taken_usernames <- boolean, "`true` makes registration say a username is taken (it then tells anyone which exist)";
    "SESAME_PUBLIC_URL" = "http://127.0.0.1:8080", public_url <- public_url, "where users reach Sesame: the base of links in mail";
    "SESAME_TRUSTED_PROXIES" = "", trusted_proxies <- trusted_proxies, "comma-separated addresses and CIDR blocks of reverse proxies whose forwarding headers name the client";
};

/// The public URL without a trailing slash (links append paths to it).
fn public_url(_name: &str, value: &str) -> Result<String> {
    Ok(value.trim_end_matches('/').to_owned())
}

/// Addresses and CIDR blocks, comma-separated.
fn trusted_proxies(name: &str, value: &str) -> Result<crate::client_addr::TrustedProxies> {
    value
        .parse()
        .map_err(|e| Error::Config(format!("{name}: {e}")))
}

/// Every `SESAME_*` variable core reads, with its default and what it sets, in the order they
/// are applied.
pub fn settings() -> impl Iterator<Item = SettingInfo> {
    GENERAL
        .iter()
        .map(Setting::describe)
        .chain(crate::hashing::SETTINGS.iter().map(Setting::describe))
        .chain(password_settings::SETTINGS.iter().map(Setting::describe))
        .chain(session_settings::SETTINGS.iter().map(Setting::describe))
        .chain(lockout_settings::SETTINGS.iter().map(Setting::describe))
        .chain(
            crate::throttle::limits::SETTINGS
                .iter()
                .map(Setting::describe),
        )
        .chain(link_settings::SETTINGS.iter().map(Setting::describe))
        .chain(token_settings::SETTINGS.iter().map(Setting::describe))
        .chain(freshness_settings::SETTINGS.iter().map(Setting::describe))
        .chain(two_factor_settings::SETTINGS.iter().map(Setting::describe))
        .chain(webauthn_settings::SETTINGS.iter().map(Setting::describe))
        .chain(access_settings::SETTINGS.iter().map(Setting::describe))
        .chain(oauth_settings::SETTINGS.iter().map(Setting::describe))
        .chain(language_settings::SETTINGS.iter().map(Setting::describe))
        .chain(branding::SETTINGS.iter().map(Setting::describe))
        .chain(
            crate::unified_sign_in::settings::SETTINGS
                .iter()
                .map(Setting::describe),
        )
        .chain(outbound_settings::SETTINGS.iter().map(Setting::describe))
}

impl Config {
    /// A configuration with safe defaults around `secret`.
    pub fn new(secret: MasterSecret) -> Self {
        Config {
            argon2: Argon2Params::default(),
            sessions: SessionSettings::default(),
            password: PasswordSettings::default(),
            cookie_secure: true,
            secret,
            lockout: LockoutSettings::default(),
            throttle: ThrottleLimits::default(),
            public_url: "http://127.0.0.1:8080".into(),
            links: LinkSettings::default(),
            tokens: TokenSettings::default(),
            two_factor: TwoFactorConfig::default(),
            webauthn: WebAuthnConfig::default(),
            reveal_taken_usernames: false,
            freshness: FreshnessSettings::default(),
            trusted_proxies: crate::client_addr::TrustedProxies::none(),
            access: AccessSettings::default(),
            oauth: OAuthSettings::default(),
            languages: LanguageSettings::default(),
            branding: Branding::default(),
            unified_sign_in: Default::default(),
            outbound: OutboundSettings::default(),
        }
    }

    /// Reads the configuration from `SESAME_*` variables: `SESAME_SECRET` is required, every
    /// other one optional ([`settings()`] lists them with their defaults). Variables core does
    /// not know are ignored; when one is given twice, the last value counts.
    pub fn from_vars<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let given: std::collections::BTreeMap<&str, &str> = vars.into_iter().collect();
        let lookup = |name: &str| given.get(name).copied();
        let secret = lookup(SECRET_VARIABLE)
            .ok_or_else(|| Error::Config(format!("{SECRET_VARIABLE} is not set")))?;
        let mut config = Config::new(MasterSecret::from_base64url(SECRET_VARIABLE, secret)?);
        apply_section(&mut config, GENERAL, lookup)?;
        apply_section(&mut config.argon2, crate::hashing::SETTINGS, lookup)?;
        apply_section(&mut config.password, password_settings::SETTINGS, lookup)?;
        apply_section(&mut config.sessions, session_settings::SETTINGS, lookup)?;
        apply_section(&mut config.lockout, lockout_settings::SETTINGS, lookup)?;
        apply_section(
            &mut config.throttle,
            crate::throttle::limits::SETTINGS,
            lookup,
        )?;
        apply_section(&mut config.links, link_settings::SETTINGS, lookup)?;
        apply_section(&mut config.tokens, token_settings::SETTINGS, lookup)?;
        apply_section(&mut config.freshness, freshness_settings::SETTINGS, lookup)?;
        apply_section(
            &mut config.two_factor,
            two_factor_settings::SETTINGS,
            lookup,
        )?;
        apply_section(&mut config.webauthn, webauthn_settings::SETTINGS, lookup)?;
        apply_section(&mut config.access, access_settings::SETTINGS, lookup)?;
        apply_section(&mut config.oauth, oauth_settings::SETTINGS, lookup)?;
        apply_section(&mut config.languages, language_settings::SETTINGS, lookup)?;
        config.languages.settle();
        apply_section(&mut config.branding, branding::SETTINGS, lookup)?;
        apply_section(
            &mut config.unified_sign_in,
            crate::unified_sign_in::settings::SETTINGS,
            lookup,
        )?;
        apply_section(&mut config.outbound, outbound_settings::SETTINGS, lookup)?;
        config.validate()?;
        Ok(config)
    }

    /// Rejects settings that would be unsafe or unusable.
    pub fn validate(&self) -> Result<()> {
        crate::password::Hasher::new(self.argon2)?;
        if self.sessions.idle_ms == 0 || self.sessions.absolute_ms == 0 {
            return Err(Error::Config("session lifetimes must be positive".into()));
        }
        if self.freshness.window_ms == 0 {
            return Err(Error::Config(
                "SESAME_FRESHNESS_SECS must be positive".into(),
            ));
        }
        if self.tokens.access_ttl_ms < 1000
            || self.tokens.refresh_absolute_ms < 1000
            || self.tokens.refresh_idle_ms < 1000
        {
            return Err(Error::Config(
                "token lifetimes must be at least one second".into(),
            ));
        }
        self.two_factor.validate()?;
        if !(1000..=60_000).contains(&self.oauth.code_ttl_ms) || self.oauth.id_token_ttl_ms < 1000 {
            return Err(Error::Config(
                "SESAME_OAUTH_CODE_SECS is 1 to 60 and SESAME_OAUTH_ID_TOKEN_SECS at least 1"
                    .into(),
            ));
        }
        self.webauthn.validate()?;
        self.outbound.validate()?;
        if let Some(domain) = &self.access.cookie_domain {
            let host = self.public_host().unwrap_or_default();
            let below = host
                .strip_suffix(domain.as_str())
                .is_some_and(|head| head.is_empty() || head.ends_with('.'));
            if !below {
                return Err(Error::Config(format!(
                    "SESAME_COOKIE_DOMAIN '{domain}' does not cover the public URL's host '{host}'"
                )));
            }
        }
        if self.lockout.threshold == 0 {
            return Err(Error::Config(
                "the lockout threshold must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The public URL's host, lower-case, without port.
    pub fn public_host(&self) -> Option<String> {
        self.public_origin().map(|origin| origin.host)
    }

    /// The port the public URL names, if it names one.
    pub fn public_port(&self) -> Option<u16> {
        self.public_origin()?.port
    }

    /// The public URL's scheme, host and port, read as forward-auth reads URLs.
    fn public_origin(&self) -> Option<crate::access::Target> {
        let rest = self.public_url.split_once("://")?.1;
        let authority = rest.split('/').next()?;
        crate::access::Target::from_parts("GET", "https", authority, "/").ok()
    }
}

#[cfg(test)]
mod tests;
