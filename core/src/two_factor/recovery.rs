//! Recovery codes: the way back in when the authenticator app is lost.
//!
//! A set is [`crate::Config`]'s `two_factor.recovery_codes` codes of 80 random bits each,
//! written as four groups of four base32 letters (`abcd-efgh-ijkl-mnop`). They are shown once;
//! the store keeps only HMAC-SHA256 tags under a key derived from the master secret and bound
//! to the user (`recovery/{user id}`), so a stolen database yields no usable code and 80 bits
//! make guessing hopeless without a slow hash. Using a code removes its tag by compare-and-swap,
//! so each code works exactly once even when submitted twice at the same moment. A new set
//! replaces the old one entirely.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::records::{self, CAS_ATTEMPTS, recovery_codes_key};
use crate::sessions::SessionInfo;

use super::{invalid_code, totp::base32_encode};

/// Most codes one set may hold.
pub const MAX_CODES: u32 = super::settings::MAX_RECOVERY_CODES;
/// Random bytes per code (80 bits).
const CODE_BYTES: usize = 10;
/// Characters of a code without its dashes.
const CODE_CHARS: usize = 16;
/// Purpose label of the tag key.
const KEY_LABEL: &[u8] = b"sesame recovery-code v1";

/// A set of recovery codes just generated: the only time they exist in clear.
pub struct RecoveryCodes(pub Vec<Zeroizing<String>>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({} codes)", self.0.len())
    }
}

/// The stored set: tags of the unused codes.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecoveryRecord {
    v: u32,
    created_at_ms: u64,
    /// Hex HMAC tags of the codes not yet used.
    unused: Vec<String>,
}

impl Sesame<'_> {
    /// Generates a new set of recovery codes, replacing (and so invalidating) any old set.
    /// Only for users with two-factor on: `invalid-request` otherwise. Needs a freshly
    /// authenticated login (`reauthentication-required`).
    ///
    /// WIT: `sesame:auth/two-factor.generate-recovery-codes`.
    pub fn generate_recovery_codes(&self, login: &SessionInfo) -> Result<RecoveryCodes> {
        self.require_fresh(login)?;
        let user_id = login.user.id.as_str();
        if !self.two_factor_required(user_id)? {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "Set up an authenticator app first; recovery codes back it up.",
            ));
        }
        let count = self.config.two_factor.recovery_codes as usize;
        let mut codes = Vec::with_capacity(count);
        let mut unused = Vec::with_capacity(count);
        for _ in 0..count {
            let mut raw = Zeroizing::new([0u8; CODE_BYTES]);
            self.host
                .fill_random(&mut raw[..])
                .map_err(|_| Error::Random)?;
            let plain = Zeroizing::new(base32_encode(&raw[..]).to_ascii_lowercase());
            unused.push(self.recovery_tag(user_id, &plain));
            let grouped: String = plain
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-");
            codes.push(Zeroizing::new(grouped));
        }
        let record = RecoveryRecord {
            v: 1,
            created_at_ms: self.host.now_ms(),
            unused,
        };
        records::save(
            self.store,
            &recovery_codes_key(user_id),
            &record,
            None,
            None,
        )?;
        self.security_notice(
            user_id,
            crate::notices::Notice::RecoveryCodesRegenerated,
            None,
        )?;
        Ok(RecoveryCodes(codes))
    }

    /// How many recovery codes the user has left.
    pub fn recovery_codes_left(&self, user_id: &str) -> Result<u32> {
        Ok(
            records::load::<RecoveryRecord>(self.store, &recovery_codes_key(user_id))?
                .map_or(0, |(r, _)| {
                    u32::try_from(r.unused.len()).unwrap_or(u32::MAX)
                }),
        )
    }

    /// Uses up one recovery code: removes its tag by compare-and-swap, so of two requests with
    /// the same code exactly one succeeds. `invalid-code` for an unknown or used code,
    /// `invalid-request` for one that cannot be a recovery code.
    pub(crate) fn consume_recovery_code(&self, user_id: &str, code: &str) -> Result<()> {
        let normalised = normalise(code)?;
        let tag = self.recovery_tag(user_id, &normalised);
        let key = recovery_codes_key(user_id);
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut record, version)) = records::load::<RecoveryRecord>(self.store, &key)?
            else {
                return Err(invalid_code());
            };
            let position = record
                .unused
                .iter()
                .position(|t| bool::from(t.as_bytes().ct_eq(tag.as_bytes())));
            let Some(position) = position else {
                return Err(invalid_code());
            };
            record.unused.swap_remove(position);
            match records::save(self.store, &key, &record, Some(version), None) {
                Ok(_) => return Ok(()),
                Err(Error::Store(crate::store::StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("recovery codes"))
    }

    /// HMAC-SHA256(key derived from the master secret, user id NUL code), hex.
    fn recovery_tag(&self, user_id: &str, normalised: &str) -> String {
        let mut key = Zeroizing::new([0u8; 32]);
        if let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(self.config.secret.expose())
        {
            mac.update(KEY_LABEL);
            key.copy_from_slice(&mac.finalize().into_bytes());
        }
        match <Hmac<Sha256> as KeyInit>::new_from_slice(&key[..]) {
            Ok(mut mac) => {
                mac.update(user_id.as_bytes());
                mac.update(b"\0");
                mac.update(normalised.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        }
    }
}

/// Lower-cases a typed code and drops dashes and spaces; refuses anything that is not 16
/// base32 letters.
fn normalise(raw: &str) -> Result<Zeroizing<String>> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let ok = cleaned.len() == CODE_CHARS
        && cleaned
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
    if !ok {
        return Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "A recovery code is 16 letters and digits, like abcd-efgh-ijkl-mnop.",
        ));
    }
    Ok(Zeroizing::new(cleaned))
}

/// The codec of the stored recovery codes, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODEC: records::Codec = (
    records::RECOVERY_PREFIX,
    records::reencode::<RecoveryRecord>,
);
