//! WebAuthn settings: the relying party, the origins, challenge lifetime, accepted attestation
//! formats and the signature-counter policy. Plain data with no ceremony behind it, so the
//! configuration can read and check them on its own.

use crate::error::{Error, Result};
use crate::settings::{Setting, given_text, list, seconds_as_ms, section, text, text_list};

/// WebAuthn settings, read from `SESAME_WEBAUTHN_*` variables (see [`crate::Config::from_vars`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuthnConfig {
    /// The relying party ID (a registrable domain, like `example.com`). When unset it is the
    /// host of the public URL, or, when the public URL is on loopback, the host the browser
    /// used (`localhost`).
    pub rp_id: Option<String>,
    /// Name shown by authenticators.
    pub rp_name: String,
    /// Origins allowed to run ceremonies (`https://example.com`). When empty: the public URL's
    /// origin, or on loopback the origin the browser used.
    pub origins: Vec<String>,
    /// How long a challenge may be answered, in ms.
    pub challenge_ms: u64,
    /// Attestation statement formats accepted at registration.
    pub attestation_formats: Vec<AttestationFormat>,
    /// What to do when a signature counter does not grow.
    pub sign_count_policy: SignCountPolicy,
}

impl Default for WebAuthnConfig {
    /// RP ID and origins from the public URL, name "Sesame", 5 minutes per challenge,
    /// formats `none` and `packed`, counter regressions refused.
    fn default() -> Self {
        WebAuthnConfig {
            rp_id: None,
            rp_name: "Sesame".into(),
            origins: Vec::new(),
            challenge_ms: 5 * 60 * 1000,
            attestation_formats: vec![AttestationFormat::None, AttestationFormat::Packed],
            sign_count_policy: SignCountPolicy::Reject,
        }
    }
}

impl WebAuthnConfig {
    /// Rejects unusable settings.
    pub fn validate(&self) -> Result<()> {
        if self.challenge_ms == 0 {
            return Err(Error::Config(
                "the WebAuthn challenge lifetime must be positive".into(),
            ));
        }
        if self.attestation_formats.is_empty() {
            return Err(Error::Config(
                "SESAME_WEBAUTHN_ATTESTATION must name at least one format".into(),
            ));
        }
        if let Some(id) = &self.rp_id
            && (id.is_empty() || id.contains(['/', ':', ' ']))
        {
            return Err(Error::Config(
                "SESAME_WEBAUTHN_RP_ID must be a bare host name like example.com".into(),
            ));
        }
        if let Some(bad) = self
            .origins
            .iter()
            .find(|o| !(o.starts_with("https://") || o.starts_with("http://")) || o.ends_with('/'))
        {
            return Err(Error::Config(format!(
                "SESAME_WEBAUTHN_ORIGINS: '{bad}' must be scheme://host[:port] without a path"
            )));
        }
        Ok(())
    }
}

/// An attestation statement format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttestationFormat {
    /// No attestation (what browsers send unless asked otherwise).
    None,
    /// `packed` self attestation: signed with the new credential's own key.
    Packed,
}

impl AttestationFormat {
    /// The format's name in attestation objects.
    pub fn as_str(self) -> &'static str {
        match self {
            AttestationFormat::None => "none",
            AttestationFormat::Packed => "packed",
        }
    }

    /// Parses [`AttestationFormat::as_str`]'s names.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(AttestationFormat::None),
            "packed" => Some(AttestationFormat::Packed),
            _ => None,
        }
    }
}

/// What a non-increasing signature counter leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignCountPolicy {
    /// Refuse the sign-in (`sign-count-regression`) and record an event.
    Reject,
    /// Record an event and let the sign-in through (for authenticators known to misbehave).
    Flag,
}

/// The `SESAME_WEBAUTHN_*` variables, in the order they are applied.
pub const SETTINGS: &[Setting<WebAuthnConfig>] = section! {
    "SESAME_WEBAUTHN_RP_ID" = "", rp_id <- given_text, "the relying party ID (default: the public URL's host)";
    "SESAME_WEBAUTHN_RP_NAME" = "Sesame", rp_name <- text, "the relying party's name shown by authenticators";
    "SESAME_WEBAUTHN_ORIGINS" = "", origins <- text_list, "comma-separated origins allowed in ceremonies (default: the public URL's origin)";
    "SESAME_WEBAUTHN_CHALLENGE_SECS" = "300", challenge_ms <- seconds_as_ms, "how long a WebAuthn challenge stays valid, in seconds";
    "SESAME_WEBAUTHN_ATTESTATION" = "none,packed", attestation_formats <- attestation_formats, "comma-separated attestation formats accepted: none, packed";
    "SESAME_WEBAUTHN_SIGN_COUNT" = "reject", sign_count_policy <- sign_count_policy, "what a signature counter that did not grow does: reject or flag";
};

/// A comma-separated list of [`AttestationFormat`] names.
fn attestation_formats(name: &str, value: &str) -> Result<Vec<AttestationFormat>> {
    list(value)
        .map(|format| {
            AttestationFormat::parse(format)
                .ok_or_else(|| Error::Config(format!("{name}: formats are 'none' and 'packed'")))
        })
        .collect()
}

/// `reject` or `flag`.
fn sign_count_policy(name: &str, value: &str) -> Result<SignCountPolicy> {
    match value {
        "reject" => Ok(SignCountPolicy::Reject),
        "flag" => Ok(SignCountPolicy::Flag),
        _ => Err(Error::Config(format!("{name} must be reject or flag"))),
    }
}
