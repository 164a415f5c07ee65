//! A ceremony's server-side state: saved with its challenge when it starts, taken exactly once
//! when it finishes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::verify::Expected;
use super::{Ceremony, CeremonyToken, RelyingParty, Usage, WebAuthnError};
use crate::Sesame;
use crate::error::{Error, Result};
use crate::records::{self, CAS_ATTEMPTS, wan_ceremony_key};
use crate::sessions::SessionInfo;
use crate::store::StoreError;

/// A started ceremony's server-side state (`wan-ceremony/{sha256(token) hex}`, expiring).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CeremonyRecord {
    pub(super) v: u32,
    pub(super) kind: CeremonyKind,
    /// The challenge, base64url.
    pub(super) challenge: String,
    pub(super) rp_id: String,
    pub(super) origins: Vec<String>,
    pub(super) created_at_ms: u64,
}

/// What a ceremony is for, and whom it is bound to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(super) enum CeremonyKind {
    Register {
        user_id: String,
        session_id: String,
        name: String,
        usage: Usage,
    },
    SignIn {
        /// The user named at the start; `None` for a usernameless sign-in.
        user_id: Option<String>,
        /// The identity as typed, which the finishing attempt is throttled by (as `/login`
        /// is); `None` for a usernameless sign-in.
        #[serde(default)]
        identity: Option<String>,
    },
    SecondFactor {
        /// SHA-256 of the pending sign-in's token, hex.
        pending_hash: String,
    },
    Verify {
        user_id: String,
        session_id: String,
    },
}

/// Length of a ceremony token in characters (32 bytes, base64url without padding).
const CEREMONY_TOKEN_CHARS: usize = 43;

impl CeremonyRecord {
    /// The challenge as bytes: what the client data must carry. Stored text that does not
    /// decode (never written by Sesame) reads as no bytes.
    pub(super) fn challenge_bytes(&self) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(&self.challenge).unwrap_or_default()
    }

    /// What an answer to this ceremony must match, given [`CeremonyRecord::challenge_bytes`].
    pub(super) fn expected<'a>(&'a self, challenge: &'a [u8]) -> Expected<'a> {
        Expected {
            challenge,
            rp_id: &self.rp_id,
            origins: &self.origins,
        }
    }
}

/// Refuses a ceremony that `session` did not start: registrations and verifications are
/// bound to the session (and its user) that began them.
pub(super) fn check_session(user_id: &str, session_id: &str, session: &SessionInfo) -> Result<()> {
    if session_id != session.id || user_id != session.user.id {
        return Err(WebAuthnError::WrongCeremony.into());
    }
    Ok(())
}

impl Sesame<'_> {
    /// Saves a new ceremony and returns its token with the options.
    pub(super) fn start_ceremony(
        &self,
        kind: CeremonyKind,
        challenge: [u8; 32],
        rp: &RelyingParty,
        options: serde_json::Value,
    ) -> Result<Ceremony> {
        let token = CeremonyToken::generate(self.host)?;
        let now = self.host.now_ms();
        let ttl = self.config.webauthn.challenge_ms;
        let record = CeremonyRecord {
            v: 1,
            kind,
            challenge: URL_SAFE_NO_PAD.encode(challenge),
            rp_id: rp.id.clone(),
            origins: rp.origins.clone(),
            created_at_ms: now,
        };
        records::save(
            self.store,
            &wan_ceremony_key(token.expose()),
            &record,
            Some(0),
            Some(ttl),
        )?;
        Ok(Ceremony {
            state: token,
            options,
            expires_at_ms: now.saturating_add(ttl),
        })
    }

    /// Loads the ceremony of `token` and deletes it by compare-and-swap, so only one caller
    /// ever gets it: a challenge is answered at most once.
    pub(super) fn take_ceremony(&self, token: &str) -> Result<CeremonyRecord> {
        if token.len() != CEREMONY_TOKEN_CHARS {
            return Err(WebAuthnError::ChallengeUnknown.into());
        }
        let key = wan_ceremony_key(token);
        for _ in 0..CAS_ATTEMPTS {
            let Some((record, version)) = records::load::<CeremonyRecord>(self.store, &key)? else {
                return Err(WebAuthnError::ChallengeUnknown.into());
            };
            match self.store.delete(&key, Some(version)) {
                Ok(true) => return Ok(record),
                Ok(false) => return Err(WebAuthnError::ChallengeUnknown.into()),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention("webauthn ceremony"))
    }
}
