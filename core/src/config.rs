//! Settings core runs with, read from `SESAME_*` variables the host provides.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// argon2id cost parameters for new password hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for Argon2Params {
    /// OWASP's first recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Argon2Params {
            m_kib: 19_456,
            t: 2,
            p: 1,
        }
    }
}

/// The host's master secret, from which purpose-specific keys are derived.
///
/// At least 32 bytes. `Debug` never prints it; memory is wiped on drop.
#[derive(Clone)]
pub struct MasterSecret(Zeroizing<Vec<u8>>);

impl MasterSecret {
    /// Shortest accepted secret, in bytes.
    pub const MIN_BYTES: usize = 32;

    /// Wraps raw secret bytes; fails when shorter than [`Self::MIN_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < Self::MIN_BYTES {
            return Err(Error::Config(format!(
                "the secret must be at least {} bytes",
                Self::MIN_BYTES
            )));
        }
        Ok(MasterSecret(Zeroizing::new(bytes)))
    }

    /// The raw bytes, for key derivation inside core only.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret(..)")
    }
}

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
    pub throttle: crate::throttle::ThrottleLimits,
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
    pub two_factor: crate::two_factor::TwoFactorConfig,
    /// WebAuthn settings (relying party, challenge lifetime, attestation, counters).
    pub webauthn: crate::webauthn::settings::WebAuthnConfig,
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
            throttle: crate::throttle::ThrottleLimits::default(),
            public_url: "http://127.0.0.1:8080".into(),
            confirm_link_max_age_secs: 5 * 24 * 3600,
            reset_link_max_age_secs: 3600,
            access_token_ttl_ms: DEFAULT_ACCESS_TOKEN_TTL_MS,
            refresh_absolute_ms: DEFAULT_REFRESH_ABSOLUTE_MS,
            refresh_idle_ms: DEFAULT_REFRESH_IDLE_MS,
            token_audience: None,
            two_factor: crate::two_factor::TwoFactorConfig::default(),
            webauthn: crate::webauthn::settings::WebAuthnConfig::default(),
            freshness_ms: crate::freshness::DEFAULT_FRESHNESS_MS,
            reveal_taken_usernames: false,
            trusted_proxies: crate::client_addr::TrustedProxies::none(),
        }
    }

    /// Reads the configuration from `SESAME_*` variables (all but `SESAME_SECRET` optional):
    ///
    /// - `SESAME_SECRET`: base64url master secret, at least 32 bytes (required);
    /// - `SESAME_ARGON2_M_KIB`, `SESAME_ARGON2_T`, `SESAME_ARGON2_P`: argon2id costs;
    /// - `SESAME_SESSION_IDLE_SECS`, `SESAME_SESSION_ABSOLUTE_SECS`: session lifetimes;
    /// - `SESAME_COOKIE_SECURE`: `true` (default) or `false`; `SESAME_REVEAL_TAKEN_USERNAMES`:
    ///   `false` (default) or `true`, whether registration says a username is taken;
    /// - `SESAME_LOCKOUT_THRESHOLD`, `SESAME_LOCKOUT_BASE_SECS`, `SESAME_LOCKOUT_MAX_SECS`:
    ///   failures before locking, first lock and longest lock;
    /// - `SESAME_THROTTLE_LOGIN_PER_IP`, `SESAME_THROTTLE_LOGIN_PER_ACCOUNT`,
    ///   `SESAME_THROTTLE_REGISTER_PER_IP`: attempts allowed per minute;
    /// - `SESAME_PUBLIC_URL`: base of links in mail;
    /// - `SESAME_CONFIRM_LINK_MAX_AGE_SECS`, `SESAME_RESET_LINK_MAX_AGE_SECS`: link lifetimes;
    /// - `SESAME_ACCESS_TOKEN_SECS`, `SESAME_REFRESH_ABSOLUTE_SECS`, `SESAME_REFRESH_IDLE_SECS`:
    ///   API token lifetimes; `SESAME_TOKEN_AUDIENCE`: the `aud` of access tokens;
    /// - `SESAME_TOTP_ALGORITHM` (`SHA1`, `SHA256`, `SHA512`), `SESAME_TOTP_DIGITS` (6 or 8),
    ///   `SESAME_TOTP_ISSUER`: new TOTP credentials; `SESAME_RECOVERY_CODES`: codes per set;
    ///   `SESAME_TWO_FACTOR_MAX_ATTEMPTS`, `SESAME_TWO_FACTOR_PENDING_SECS`: wrong codes allowed
    ///   and time given per pending sign-in; `SESAME_TWO_FACTOR_ENROLMENT_SECS`: time to confirm
    ///   a TOTP enrolment.
    /// - `SESAME_WEBAUTHN_RP_ID`, `SESAME_WEBAUTHN_RP_NAME`, `SESAME_WEBAUTHN_ORIGINS` (comma
    ///   separated): the relying party; `SESAME_WEBAUTHN_CHALLENGE_SECS`: challenge lifetime;
    ///   `SESAME_FRESHNESS_SECS` (alias `SESAME_WEBAUTHN_FRESHNESS_SECS`): how long a sign-in,
    ///   `/verify` or `/wan-verify` counts as recent; `SESAME_WEBAUTHN_ATTESTATION` (comma separated, `none`,
    ///   `packed`): accepted formats; `SESAME_WEBAUTHN_SIGN_COUNT` (`reject` or `flag`): what a
    ///   counter that did not grow does.
    /// - `SESAME_TRUSTED_PROXIES`: comma-separated addresses and CIDR blocks of the reverse
    ///   proxies whose forwarding headers name the client ([`crate::client_addr`]).
    pub fn from_vars<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut secret = None;
        let mut argon2 = Argon2Params::default();
        let mut idle_secs = None;
        let mut absolute_secs = None;
        let mut cookie_secure = true;
        let mut lockout_threshold = None;
        let mut lockout_base_secs = None;
        let mut lockout_max_secs = None;
        let mut throttle = crate::throttle::ThrottleLimits::default();
        let mut public_url = None;
        let mut confirm_age = None;
        let mut reset_age = None;
        let mut token_secs: [Option<u64>; 3] = [None; 3];
        let mut token_audience = None;
        let mut two_factor = crate::two_factor::TwoFactorConfig::default();
        let mut webauthn = crate::webauthn::settings::WebAuthnConfig::default();
        let mut freshness_secs = None;
        let mut old_freshness_secs = None;
        let mut reveal_taken_usernames = false;
        let mut trusted_proxies = crate::client_addr::TrustedProxies::none();
        for (name, value) in vars {
            match name {
                "SESAME_SECRET" => {
                    let bytes = URL_SAFE_NO_PAD
                        .decode(value.trim_end_matches('='))
                        .map_err(|_| Error::Config("SESAME_SECRET is not base64url".into()))?;
                    secret = Some(MasterSecret::new(bytes).map_err(|e| match e {
                        Error::Config(why) => Error::Config(format!("SESAME_SECRET: {why}")),
                        other => other,
                    })?);
                }
                "SESAME_ARGON2_M_KIB" => argon2.m_kib = number(name, value)?,
                "SESAME_ARGON2_T" => argon2.t = number(name, value)?,
                "SESAME_ARGON2_P" => argon2.p = number(name, value)?,
                "SESAME_SESSION_IDLE_SECS" => idle_secs = Some(number::<u64>(name, value)?),
                "SESAME_SESSION_ABSOLUTE_SECS" => absolute_secs = Some(number::<u64>(name, value)?),
                "SESAME_LOCKOUT_THRESHOLD" => lockout_threshold = Some(number(name, value)?),
                "SESAME_LOCKOUT_BASE_SECS" => lockout_base_secs = Some(number::<u64>(name, value)?),
                "SESAME_LOCKOUT_MAX_SECS" => lockout_max_secs = Some(number::<u64>(name, value)?),
                "SESAME_THROTTLE_LOGIN_PER_IP" => throttle.login_per_address = number(name, value)?,
                "SESAME_THROTTLE_LOGIN_PER_ACCOUNT" => {
                    throttle.login_per_account = number(name, value)?
                }
                "SESAME_THROTTLE_REGISTER_PER_IP" => {
                    throttle.register_per_address = number(name, value)?
                }
                "SESAME_PUBLIC_URL" => public_url = Some(value.trim_end_matches('/').to_owned()),
                "SESAME_CONFIRM_LINK_MAX_AGE_SECS" => confirm_age = Some(number(name, value)?),
                "SESAME_RESET_LINK_MAX_AGE_SECS" => reset_age = Some(number(name, value)?),
                "SESAME_ACCESS_TOKEN_SECS" => token_secs[0] = Some(number(name, value)?),
                "SESAME_REFRESH_ABSOLUTE_SECS" => token_secs[1] = Some(number(name, value)?),
                "SESAME_REFRESH_IDLE_SECS" => token_secs[2] = Some(number(name, value)?),
                "SESAME_TOKEN_AUDIENCE" => token_audience = Some(value.to_owned()),
                "SESAME_TOTP_ALGORITHM" => {
                    two_factor.totp_algorithm = crate::two_factor::totp::Algorithm::parse(value)
                        .ok_or_else(|| {
                            Error::Config(format!("{name} must be SHA1, SHA256 or SHA512"))
                        })?;
                }
                "SESAME_TOTP_DIGITS" => two_factor.totp_digits = number(name, value)?,
                "SESAME_TOTP_ISSUER" => two_factor.totp_issuer = value.to_owned(),
                "SESAME_RECOVERY_CODES" => two_factor.recovery_codes = number(name, value)?,
                "SESAME_TWO_FACTOR_MAX_ATTEMPTS" => two_factor.max_attempts = number(name, value)?,
                "SESAME_TWO_FACTOR_PENDING_SECS" => {
                    two_factor.pending_ms = number::<u64>(name, value)?.saturating_mul(1000);
                }
                "SESAME_TWO_FACTOR_ENROLMENT_SECS" => {
                    two_factor.enrolment_ms = number::<u64>(name, value)?.saturating_mul(1000);
                }
                "SESAME_WEBAUTHN_RP_ID" => webauthn.rp_id = Some(value.to_owned()),
                "SESAME_WEBAUTHN_RP_NAME" => webauthn.rp_name = value.to_owned(),
                "SESAME_WEBAUTHN_ORIGINS" => {
                    webauthn.origins = value
                        .split(',')
                        .map(str::trim)
                        .filter(|o| !o.is_empty())
                        .map(str::to_owned)
                        .collect();
                }
                "SESAME_WEBAUTHN_CHALLENGE_SECS" => {
                    webauthn.challenge_ms = number::<u64>(name, value)?.saturating_mul(1000);
                }
                "SESAME_REVEAL_TAKEN_USERNAMES" => {
                    reveal_taken_usernames = boolean(name, value)?;
                }
                "SESAME_FRESHNESS_SECS" => freshness_secs = Some(number::<u64>(name, value)?),
                // The old name, from when only passkeys re-verified, stays as an alias; the
                // new name wins when both are set.
                "SESAME_WEBAUTHN_FRESHNESS_SECS" => {
                    old_freshness_secs = Some(number::<u64>(name, value)?);
                }
                "SESAME_WEBAUTHN_ATTESTATION" => {
                    webauthn.attestation_formats = value
                        .split(',')
                        .map(str::trim)
                        .filter(|f| !f.is_empty())
                        .map(|f| {
                            crate::webauthn::settings::AttestationFormat::parse(f).ok_or_else(
                                || {
                                    Error::Config(format!(
                                        "{name}: formats are 'none' and 'packed'"
                                    ))
                                },
                            )
                        })
                        .collect::<Result<_>>()?;
                }
                "SESAME_WEBAUTHN_SIGN_COUNT" => {
                    webauthn.sign_count_policy = match value {
                        "reject" => crate::webauthn::settings::SignCountPolicy::Reject,
                        "flag" => crate::webauthn::settings::SignCountPolicy::Flag,
                        _ => return Err(Error::Config(format!("{name} must be reject or flag"))),
                    }
                }
                "SESAME_COOKIE_SECURE" => cookie_secure = boolean(name, value)?,
                "SESAME_TRUSTED_PROXIES" => {
                    trusted_proxies = value
                        .parse()
                        .map_err(|e| Error::Config(format!("{name}: {e}")))?;
                }
                _ => {}
            }
        }
        let secret = secret.ok_or_else(|| Error::Config("SESAME_SECRET is not set".into()))?;
        let mut config = Config::new(secret);
        config.argon2 = argon2;
        config.cookie_secure = cookie_secure;
        config.throttle = throttle;
        config.two_factor = two_factor;
        config.webauthn = webauthn;
        config.trusted_proxies = trusted_proxies;
        if let Some(url) = public_url {
            config.public_url = url;
        }
        if let Some(secs) = confirm_age {
            config.confirm_link_max_age_secs = secs;
        }
        if let Some(secs) = reset_age {
            config.reset_link_max_age_secs = secs;
        }
        if let Some(secs) = idle_secs {
            config.session_idle_ms = secs.saturating_mul(1000);
        }
        if let Some(secs) = absolute_secs {
            config.session_absolute_ms = secs.saturating_mul(1000);
        }
        if let Some(n) = lockout_threshold {
            config.lockout_threshold = n;
        }
        if let Some(secs) = lockout_base_secs {
            config.lockout_base_ms = secs.saturating_mul(1000);
        }
        if let Some(secs) = lockout_max_secs {
            config.lockout_max_ms = secs.saturating_mul(1000);
        }
        let [access, refresh_absolute, refresh_idle] = token_secs;
        if let Some(secs) = access {
            config.access_token_ttl_ms = secs.saturating_mul(1000);
        }
        if let Some(secs) = refresh_absolute {
            config.refresh_absolute_ms = secs.saturating_mul(1000);
        }
        if let Some(secs) = refresh_idle {
            config.refresh_idle_ms = secs.saturating_mul(1000);
        }
        config.token_audience = token_audience;
        config.reveal_taken_usernames = reveal_taken_usernames;
        if let Some(secs) = freshness_secs.or(old_freshness_secs) {
            config.freshness_ms = secs.saturating_mul(1000);
        }
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

/// A `true`/`false` (or `1`/`0`) setting.
fn boolean(name: &str, value: &str) -> Result<bool> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::Config(format!("{name} must be true or false"))),
    }
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    value
        .parse()
        .map_err(|_| Error::Config(format!("{name} must be a non-negative integer")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_variables_and_requires_a_secret() {
        let secret = URL_SAFE_NO_PAD.encode([1u8; 32]);
        let config = Config::from_vars([
            ("SESAME_SECRET", secret.as_str()),
            ("SESAME_ARGON2_M_KIB", "8192"),
            ("SESAME_COOKIE_SECURE", "false"),
            ("SESAME_SESSION_IDLE_SECS", "60"),
        ])
        .unwrap();
        assert_eq!(config.argon2.m_kib, 8192);
        assert!(!config.cookie_secure);
        assert_eq!(config.session_idle_ms, 60_000);
        assert!(matches!(Config::from_vars([]), Err(Error::Config(_))));
        let short = URL_SAFE_NO_PAD.encode([1u8; 16]);
        assert!(matches!(
            Config::from_vars([("SESAME_SECRET", short.as_str())]),
            Err(Error::Config(why)) if why.starts_with("SESAME_SECRET: ")
        ));
        assert!(format!("{:?}", config.secret).contains(".."));
    }

    #[test]
    fn reads_trusted_proxies_and_refuses_bad_ones() {
        let secret = URL_SAFE_NO_PAD.encode([1u8; 32]);
        let config = Config::from_vars([("SESAME_SECRET", secret.as_str())]).unwrap();
        assert!(config.trusted_proxies.is_empty());
        let config = Config::from_vars([
            ("SESAME_SECRET", secret.as_str()),
            ("SESAME_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8"),
        ])
        .unwrap();
        assert!(config.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
        assert!(matches!(
            Config::from_vars([
                ("SESAME_SECRET", secret.as_str()),
                ("SESAME_TRUSTED_PROXIES", "10.0.0.0/8,nginx"),
            ]),
            Err(Error::Config(why)) if why.starts_with("SESAME_TRUSTED_PROXIES: 'nginx'")
        ));
    }
}
