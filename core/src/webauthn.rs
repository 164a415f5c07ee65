//! WebAuthn: passkeys and security keys, as a first factor (with or without a username), as a
//! second factor after a password, and to re-authenticate before sensitive actions.
//!
//! Verification is Sesame's own, over RustCrypto primitives, and follows WebAuthn Level 3
//! §7.1 (registration) and §7.2 (authentication). The module is layered:
//!
//! - [`wire`] parses what browsers send, [`cose`] reads public keys and checks signatures
//!   (over the strict CBOR of `cbor.rs`); [`error`] names every refusal.
//! - [`verify`] checks an answer against what its ceremony expects, with no store: a
//!   verified credential or assertion out.
//! - The ceremonies keep state in the store: `ceremony.rs` (challenges), `credentials.rs`
//!   (credential records, user handles), `registration.rs`, `signin.rs` and `assertion.rs`
//!   (what a sign-in may reveal, counters).
//! - [`settings`] are plain data the configuration reads.
//!
//! Rules (each is tested in `webauthn/tests.rs` and end to end in `tests/tests/webauthn.rs`):
//!
//! - Every ceremony starts with a fresh 256-bit challenge kept server-side under a random
//!   ceremony token (`wan-ceremony/{sha256(token)}`, expiring after `challenge_ms`). Finishing
//!   deletes it by compare-and-swap *before* anything is verified, so a challenge works at most
//!   once, even for two racing requests: a replay gets `challenge-invalid`.
//! - A ceremony is bound to who asked: registration and re-authentication to the session that
//!   started them, a second factor to its pending sign-in, a first-factor sign-in to the
//!   holder of the ceremony token (a cookie, or the `state` field for apps).
//! - The client data must say the right ceremony type, carry the challenge, come from an
//!   allowed origin and not from a cross-origin frame; the authenticator data must hash the
//!   RP ID and show user presence. A first-factor sign-in also needs user verification, which
//!   makes a passkey two factors in one (so it signs in users who have two-factor on).
//! - Credential IDs are unique across all users (claimed by compare-and-swap at
//!   registration). A sign-in only ever signs in the credential's owner: when the user was
//!   named, a credential of anyone else is `unknown-credential`; the user handle, when sent,
//!   must be the owner's.
//! - Nothing tells a stranger who has an account or a credential: a named sign-in offers one
//!   made-up credential for unknown names and accounts without passkeys, and a forged
//!   assertion gets one answer whatever it names (see `webauthn/assertion.rs`). Both sign-in
//!   steps are throttled with the limits and counters of a password sign-in.
//! - BS (backed up) without BE (backup eligible) is refused; BE never changes after
//!   registration; BS is kept up to date. CBOR must be exactly one item without repeated map
//!   keys (see `webauthn/cbor.rs`).
//! - A `/wan-verify` records whether the user was verified, since only then may it stand in
//!   for the password ([`Sesame::verified_with_passkey_recently`]).
//! - The user handle is 32 random bytes per user, never the email or the user id.
//! - A signature counter that does not grow (when either side is non-zero) suggests a cloned
//!   authenticator: it is recorded as an event and, by default, refused
//!   (`sign-count-regression`). Counters are updated by compare-and-swap.
//! - Algorithms ES256, EdDSA (Ed25519) and RS256; attestation formats `none` and `packed`
//!   (self attestation) by default, configurable.
//!
//! WIT: `sesame:auth/webauthn`.

mod assertion;
mod cbor;
mod ceremony;
pub mod cose;
mod credentials;
pub mod error;
mod registration;
pub mod settings;
mod signin;
pub mod verify;
pub mod wire;

use serde::{Deserialize, Serialize};

use crate::Sesame;
use crate::error::Result;
pub use crate::secret::OneTimeToken;
use cose::Algorithm;

pub use error::WebAuthnError;
pub use settings::{AttestationFormat, SignCountPolicy, WebAuthnConfig};

/// Most credentials one user may register; bounds listing and the options sent to browsers.
pub const MAX_CREDENTIALS_PER_USER: usize = 32;
/// Longest credential name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// What a credential is for (Flask-Security's `usage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Usage {
    /// A passkey: signs in on its own (with user verification), usually discoverable.
    First,
    /// A second factor after the password.
    Secondary,
}

impl Usage {
    /// `first` or `secondary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Usage::First => "first",
            Usage::Secondary => "secondary",
        }
    }

    /// Parses [`Usage::as_str`]'s names (also `first-factor`, `second-factor`).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "first" | "first-factor" => Some(Usage::First),
            "secondary" | "second-factor" => Some(Usage::Secondary),
            _ => None,
        }
    }
}

/// Who the relying party is for one request: its ID and the origins allowed to speak for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP ID (a host name).
    pub id: String,
    /// Allowed origins, exact `scheme://host[:port]`.
    pub origins: Vec<String>,
}

/// A started ceremony: the options to hand to `navigator.credentials`, and the token that
/// finishes it.
#[derive(Debug)]
pub struct Ceremony {
    /// Opaque, single-use token of the server-side state (256 bits, base64url).
    pub state: CeremonyToken,
    /// `{"publicKey": {...}}`, the JSON form of the creation or request options.
    pub options: serde_json::Value,
    /// When the challenge stops being accepted, ms since the epoch.
    pub expires_at_ms: u64,
}

/// A ceremony's token, handed to the client once.
pub type CeremonyToken = OneTimeToken;

/// One of a user's credentials, as listed to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInfo {
    /// Credential ID, base64url.
    pub id: String,
    /// The name the user gave it.
    pub name: String,
    /// What it is for.
    pub usage: Usage,
    /// Its signature algorithm.
    pub algorithm: Algorithm,
    /// When it was registered, ms since the epoch.
    pub created_at_ms: u64,
    /// When it last signed in or verified, ms since the epoch.
    pub last_used_at_ms: Option<u64>,
    /// The last signature counter seen.
    pub sign_count: u32,
    /// Transports the authenticator reported.
    pub transports: Vec<String>,
    /// `platform` or `cross-platform`, when the browser said.
    pub attachment: Option<String>,
    /// Whether the authenticator keeps it as a discoverable (resident) credential, when known.
    pub discoverable: Option<bool>,
    /// Whether it may be backed up (a synced passkey), fixed when it was created; `None` for
    /// a credential stored before Sesame kept it and not used since.
    pub backup_eligible: Option<bool>,
    /// Whether it is backed up (synced), as of its last use.
    pub backed_up: bool,
}

impl Sesame<'_> {
    /// The relying party for a request that arrived with `host` (the `Host` header): the
    /// configured RP ID and origins, or those of the public URL; only when the public URL is
    /// on loopback does the request's own host decide (so `localhost` and `127.0.0.1` both
    /// work in development, and nothing a remote client sends can move a real deployment).
    pub fn relying_party(&self, host: Option<&str>) -> Result<RelyingParty> {
        let wan = &self.config.webauthn;
        let public = self.config.public_url.as_str();
        let public_host = public
            .split_once("://")
            .map_or(public, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default();
        let (origin, host_port) = match host {
            Some(host) if is_loopback(public_host) && is_loopback(host) && valid_host(host) => {
                let scheme = public.split_once("://").map_or("http", |(s, _)| s);
                (format!("{scheme}://{host}"), host.to_owned())
            }
            _ => (
                public
                    .trim_end_matches('/')
                    .split('/')
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("/"),
                public_host.to_owned(),
            ),
        };
        let id = match &wan.rp_id {
            Some(id) => id.clone(),
            None => strip_port(&host_port).to_owned(),
        };
        let origins = if wan.origins.is_empty() {
            vec![origin]
        } else {
            wan.origins.clone()
        };
        Ok(RelyingParty { id, origins })
    }
}

fn is_loopback(host_port: &str) -> bool {
    matches!(strip_port(host_port), "localhost" | "127.0.0.1" | "[::1]")
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// `host[:port]` without the port (IPv6 literals keep their brackets).
fn strip_port(host_port: &str) -> &str {
    if host_port.starts_with('[') {
        return host_port
            .split_once(']')
            .map_or(host_port, |(h, _)| &host_port[..=h.len()]);
    }
    host_port.split(':').next().unwrap_or(host_port)
}

/// The codecs of this module's stored records, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [crate::records::Codec; 3] = [
    (
        "wan-cred/",
        crate::records::reencode::<credentials::CredentialRecord>,
    ),
    (
        "wan-user/",
        crate::records::reencode::<credentials::HandleRecord>,
    ),
    (
        "wan-ceremony/",
        crate::records::reencode::<ceremony::CeremonyRecord>,
    ),
];

#[cfg(test)]
mod tests;
