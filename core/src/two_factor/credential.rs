//! The confirmed TOTP credential: whether a user has one, and accepting its codes at most once.

use super::totp::{self, TotpCode, TotpSecret};
use super::{TotpRecord, invalid_code, sealed};
use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::records::{self, CAS_ATTEMPTS, totp_key};
use crate::store::StoreError;

impl Sesame<'_> {
    /// Whether the user has a confirmed TOTP credential.
    pub(crate) fn totp_enabled(&self, user_id: &str) -> Result<bool> {
        Ok(self.store.get(&totp_key(user_id))?.is_some())
    }

    /// Accepts a TOTP code for the user's credential at most once: finds a step within ±1 of
    /// now, later than the last used one, whose code matches, and records it as used by
    /// compare-and-swap. Of two racing requests with one code, the second re-reads the record,
    /// sees the step used, and fails.
    pub(crate) fn verify_totp(&self, user_id: &str, code: &str) -> Result<()> {
        let key = totp_key(user_id);
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut record, version)) = records::load::<TotpRecord>(self.store, &key)? else {
                return Err(Error::rejected(
                    ErrorCode::InvalidRequest,
                    "This account has no authenticator app set up.",
                ));
            };
            let code = TotpCode::parse(code, record.digits)?;
            let secret = sealed::open(&self.config.secret, user_id, &record.sealed_secret)?;
            let step = self
                .matching_step(&secret, &record, &code)
                .ok_or_else(invalid_code)?;
            record.last_step = Some(step);
            match records::save(self.store, &key, &record, Some(version), None) {
                Ok(_) => return Ok(()),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("totp credential"))
    }

    /// The step within ±1 of now, after the last used one, whose code is `code`. Every
    /// candidate is computed and compared, so timing does not tell which step matched.
    pub(super) fn matching_step(
        &self,
        secret: &TotpSecret,
        record: &TotpRecord,
        code: &TotpCode,
    ) -> Option<u64> {
        let now_step = totp::step_at(self.host.now_ms() / 1000);
        let mut found = None;
        for step in now_step.saturating_sub(1)..=now_step.saturating_add(1) {
            let expected = totp::code_at(secret, record.algorithm, record.digits, step);
            let fresh = record.last_step.is_none_or(|last| step > last);
            if code.matches(&expected) && fresh && found.is_none() {
                found = Some(step);
            }
        }
        found
    }

    /// Accepts either a TOTP code or a recovery code (used up), for re-authentication.
    pub(super) fn verify_any_factor(&self, user_id: &str, code: &str) -> Result<()> {
        let digits_only = code
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .all(|c| c.is_ascii_digit());
        if digits_only {
            self.verify_totp(user_id, code)
        } else {
            self.consume_recovery_code(user_id, code)
        }
    }
}
