//! Everything core's behaviour depends on besides storage and the host, and the one table of
//! `SESAME_*` variables it is read from.
//!
//! [`settings()`] lists every variable (name, default, documentation): the host derives the
//! variables it passes to the component and its help text from it, and tests check the Spin
//! manifest and the embedding wrappers against it.

use crate::error::{Error, Result};
use crate::settings::{Setting, SettingInfo, apply_section, boolean, number, seconds_as_ms, set};
use crate::throttle::limits::ThrottleLimits;
use crate::two_factor::settings::{self as two_factor_settings, TwoFactorConfig};
use crate::webauthn::settings::{self as webauthn_settings, WebAuthnConfig};

pub use crate::hashing::Argon2Params;
pub use crate::settings::MasterSecret;

/// Everything core's behaviour depends on besides storage, clock and randomness.
#[derive(Debug, Clone)]
pub struct Config {
    /// Cost of new password hashes; older hashes are upgraded at the next login.
    pub argon2: Argon2Params,
    /// A session unused for this long ends.
    pub session_idle_ms: u64,
    /// A session ends this long after sign-in, however active.
    pub session_absolute_ms: u64,
    /// Whether cookies carry `Secure` (and the `__Host-` name prefix). Only a host serving plain
    /// HTTP on a loopback address turns this off.
    pub cookie_secure: bool,
    /// The host's master secret.
    pub secret: MasterSecret,
    /// Failed sign-ins in a row before an account locks.
    pub lockout_threshold: u32,
    /// First lock duration; each further failure doubles it.
    pub lockout_base_ms: u64,
    /// Longest lock duration.
    pub lockout_max_ms: u64,
    /// Attempt throttling.
    pub throttle: ThrottleLimits,
    /// Where users reach Sesame, for links in mail (no trailing slash).
    pub public_url: String,
    /// How long a confirmation link works.
    pub confirm_link_max_age_secs: u64,
    /// How long a password-reset link works.
    pub reset_link_max_age_secs: u64,
    /// Lifetime of an access token (JWT); also how long a revoked login may still pass a
    /// third party that verifies tokens offline with the JWKS.
    pub access_token_ttl_ms: u64,
    /// Longest life of a token login (a refresh family), however often it is refreshed.
    pub refresh_absolute_ms: u64,
    /// A refresh token unused for this long stops working.
    pub refresh_idle_ms: u64,
    /// The `aud` of access tokens; the public URL when unset.
    pub token_audience: Option<String>,
    /// Two-factor settings (TOTP parameters, recovery codes, pending sign-ins).
    pub two_factor: TwoFactorConfig,
    /// WebAuthn settings (relying party, challenge lifetime, attestation, counters).
    pub webauthn: WebAuthnConfig,
    /// Whether registration answers `already-exists` for a taken username (friendlier, but it
    /// tells anyone which usernames exist). Off by default: the answer is the generic 202 and
    /// the registrant learns it by mail.
    pub reveal_taken_usernames: bool,
    /// How long after the last real authentication (sign-in, `/verify`, `/wan-verify`) a login
    /// may make sensitive changes, in ms (see [`crate::freshness`]).
    pub freshness_ms: u64,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` name the client (none by default:
    /// the client is the connection's peer); see [`crate::client_addr`].
    pub trusted_proxies: crate::client_addr::TrustedProxies,
}

/// Default access-token lifetime: 5 minutes.
pub const DEFAULT_ACCESS_TOKEN_TTL_MS: u64 = 5 * 60 * 1000;
/// Default longest token login: 30 days.
pub const DEFAULT_REFRESH_ABSOLUTE_MS: u64 = 30 * 24 * 60 * 60 * 1000;
/// Default refresh idle timeout: 7 days.
pub const DEFAULT_REFRESH_IDLE_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// Default number of failures before locking: 5.
pub const DEFAULT_LOCKOUT_THRESHOLD: u32 = 5;
/// Default first lock: 1 minute.
pub const DEFAULT_LOCKOUT_BASE_MS: u64 = 60 * 1000;
/// Default longest lock: 1 day.
pub const DEFAULT_LOCKOUT_MAX_MS: u64 = 24 * 60 * 60 * 1000;

/// Default idle timeout: 30 minutes.
pub const DEFAULT_SESSION_IDLE_MS: u64 = 30 * 60 * 1000;
/// Default absolute session lifetime: 12 hours.
pub const DEFAULT_SESSION_ABSOLUTE_MS: u64 = 12 * 60 * 60 * 1000;

/// How long an authentication counts as recent, by default: 10 minutes (OWASP ASVS 5.0
/// V7.5.3 asks for re-authentication before sensitive changes; 10 minutes is long enough to
/// finish what one signed in for).
pub const DEFAULT_FRESHNESS_MS: u64 = 10 * 60 * 1000;

/// The variable holding the master secret, the one setting without a default.
pub const SECRET_VARIABLE: &str = "SESAME_SECRET";

/// The settings of [`Config`]'s own fields, in the order they are applied.
const GENERAL: &[Setting<Config>] = &[
    Setting {
        name: SECRET_VARIABLE,
        default: "",
        doc: "base64url master secret, at least 32 bytes (required; `sesame serve` keeps one in its store)",
        apply: |c, name, v| {
            c.secret = MasterSecret::from_base64url(name, v)?;
            Ok(())
        },
    },
    Setting {
        name: "SESAME_ARGON2_M_KIB",
        default: "19456",
        doc: "argon2id memory of new password hashes, in KiB",
        apply: |c, name, v| set(&mut c.argon2.m_kib, number(name, v)),
    },
    Setting {
        name: "SESAME_ARGON2_T",
        default: "2",
        doc: "argon2id passes of new password hashes",
        apply: |c, name, v| set(&mut c.argon2.t, number(name, v)),
    },
    Setting {
        name: "SESAME_ARGON2_P",
        default: "1",
        doc: "argon2id lanes of new password hashes",
        apply: |c, name, v| set(&mut c.argon2.p, number(name, v)),
    },
    Setting {
        name: "SESAME_SESSION_IDLE_SECS",
        default: "1800",
        doc: "a session unused for this many seconds ends",
        apply: |c, name, v| set(&mut c.session_idle_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_SESSION_ABSOLUTE_SECS",
        default: "43200",
        doc: "a session ends this many seconds after sign-in, however active",
        apply: |c, name, v| set(&mut c.session_absolute_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_COOKIE_SECURE",
        default: "true",
        doc: "`false` only for plain HTTP on loopback: cookies then lack `Secure` and `__Host-`",
        apply: |c, name, v| set(&mut c.cookie_secure, boolean(name, v)),
    },
    Setting {
        name: "SESAME_REVEAL_TAKEN_USERNAMES",
        default: "false",
        doc: "`true` makes registration say a username is taken (it then tells anyone which exist)",
        apply: |c, name, v| set(&mut c.reveal_taken_usernames, boolean(name, v)),
    },
    Setting {
        name: "SESAME_LOCKOUT_THRESHOLD",
        default: "5",
        doc: "failed sign-ins in a row before an account locks",
        apply: |c, name, v| set(&mut c.lockout_threshold, number(name, v)),
    },
    Setting {
        name: "SESAME_LOCKOUT_BASE_SECS",
        default: "60",
        doc: "first lock, in seconds; each further failure doubles it",
        apply: |c, name, v| set(&mut c.lockout_base_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_LOCKOUT_MAX_SECS",
        default: "86400",
        doc: "longest lock, in seconds",
        apply: |c, name, v| set(&mut c.lockout_max_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_THROTTLE_LOGIN_PER_IP",
        default: "30",
        doc: "sign-in attempts per minute from one address",
        apply: |c, name, v| set(&mut c.throttle.login_per_address, number(name, v)),
    },
    Setting {
        name: "SESAME_THROTTLE_LOGIN_PER_ACCOUNT",
        default: "10",
        doc: "sign-in attempts per minute naming one account",
        apply: |c, name, v| set(&mut c.throttle.login_per_account, number(name, v)),
    },
    Setting {
        name: "SESAME_THROTTLE_REGISTER_PER_IP",
        default: "10",
        doc: "registrations and reset-link requests per minute from one address",
        apply: |c, name, v| set(&mut c.throttle.register_per_address, number(name, v)),
    },
    Setting {
        name: "SESAME_PUBLIC_URL",
        default: "http://127.0.0.1:8080",
        doc: "where users reach Sesame: the base of links in mail",
        apply: |c, _, v| set(&mut c.public_url, Ok(v.trim_end_matches('/').to_owned())),
    },
    Setting {
        name: "SESAME_CONFIRM_LINK_MAX_AGE_SECS",
        default: "432000",
        doc: "how long an address-confirmation link works, in seconds",
        apply: |c, name, v| set(&mut c.confirm_link_max_age_secs, number(name, v)),
    },
    Setting {
        name: "SESAME_RESET_LINK_MAX_AGE_SECS",
        default: "3600",
        doc: "how long a password-reset link works, in seconds",
        apply: |c, name, v| set(&mut c.reset_link_max_age_secs, number(name, v)),
    },
    Setting {
        name: "SESAME_ACCESS_TOKEN_SECS",
        default: "300",
        doc: "lifetime of an access token (JWT), in seconds",
        apply: |c, name, v| set(&mut c.access_token_ttl_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_REFRESH_ABSOLUTE_SECS",
        default: "2592000",
        doc: "longest life of a token login, however often refreshed, in seconds",
        apply: |c, name, v| set(&mut c.refresh_absolute_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_REFRESH_IDLE_SECS",
        default: "604800",
        doc: "a refresh token unused for this many seconds stops working",
        apply: |c, name, v| set(&mut c.refresh_idle_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_TOKEN_AUDIENCE",
        default: "",
        doc: "the `aud` of access tokens (default: the public URL)",
        apply: |c, _, v| set(&mut c.token_audience, Ok(Some(v.to_owned()))),
    },
    // The old name, from when only passkeys re-verified, stays as an alias; listed before the
    // new name so that the new one wins when both are set.
    Setting {
        name: "SESAME_WEBAUTHN_FRESHNESS_SECS",
        default: "",
        doc: "an alias of SESAME_FRESHNESS_SECS",
        apply: |c, name, v| set(&mut c.freshness_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_FRESHNESS_SECS",
        default: "600",
        doc: "how long a sign-in, /verify or /wan-verify allows sensitive changes, in seconds",
        apply: |c, name, v| set(&mut c.freshness_ms, seconds_as_ms(name, v)),
    },
    Setting {
        name: "SESAME_TRUSTED_PROXIES",
        default: "",
        doc: "comma-separated addresses and CIDR blocks of reverse proxies whose forwarding headers name the client",
        apply: |c, name, v| {
            c.trusted_proxies = v
                .parse()
                .map_err(|e| Error::Config(format!("{name}: {e}")))?;
            Ok(())
        },
    },
];

/// Every `SESAME_*` variable core reads, with its default and what it sets.
pub fn settings() -> impl Iterator<Item = SettingInfo> {
    GENERAL
        .iter()
        .map(Setting::describe)
        .chain(two_factor_settings::SETTINGS.iter().map(Setting::describe))
        .chain(webauthn_settings::SETTINGS.iter().map(Setting::describe))
}

impl Config {
    /// A configuration with safe defaults around `secret`.
    pub fn new(secret: MasterSecret) -> Self {
        Config {
            argon2: Argon2Params::default(),
            session_idle_ms: DEFAULT_SESSION_IDLE_MS,
            session_absolute_ms: DEFAULT_SESSION_ABSOLUTE_MS,
            cookie_secure: true,
            secret,
            lockout_threshold: DEFAULT_LOCKOUT_THRESHOLD,
            lockout_base_ms: DEFAULT_LOCKOUT_BASE_MS,
            lockout_max_ms: DEFAULT_LOCKOUT_MAX_MS,
            throttle: ThrottleLimits::default(),
            public_url: "http://127.0.0.1:8080".into(),
            confirm_link_max_age_secs: 5 * 24 * 3600,
            reset_link_max_age_secs: 3600,
            access_token_ttl_ms: DEFAULT_ACCESS_TOKEN_TTL_MS,
            refresh_absolute_ms: DEFAULT_REFRESH_ABSOLUTE_MS,
            refresh_idle_ms: DEFAULT_REFRESH_IDLE_MS,
            token_audience: None,
            two_factor: TwoFactorConfig::default(),
            webauthn: WebAuthnConfig::default(),
            freshness_ms: DEFAULT_FRESHNESS_MS,
            reveal_taken_usernames: false,
            trusted_proxies: crate::client_addr::TrustedProxies::none(),
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
        apply_section(
            &mut config.two_factor,
            two_factor_settings::SETTINGS,
            lookup,
        )?;
        apply_section(&mut config.webauthn, webauthn_settings::SETTINGS, lookup)?;
        config.validate()?;
        Ok(config)
    }

    /// Rejects settings that would be unsafe or unusable.
    pub fn validate(&self) -> Result<()> {
        crate::password::Hasher::new(self.argon2)?;
        if self.session_idle_ms == 0 || self.session_absolute_ms == 0 {
            return Err(Error::Config("session lifetimes must be positive".into()));
        }
        if self.freshness_ms == 0 {
            return Err(Error::Config(
                "SESAME_FRESHNESS_SECS must be positive".into(),
            ));
        }
        if self.access_token_ttl_ms < 1000
            || self.refresh_absolute_ms < 1000
            || self.refresh_idle_ms < 1000
        {
            return Err(Error::Config(
                "token lifetimes must be at least one second".into(),
            ));
        }
        self.two_factor.validate()?;
        self.webauthn.validate()?;
        if self.lockout_threshold == 0 {
            return Err(Error::Config(
                "the lockout threshold must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
