//! Turning TOTP on and off: a new secret shown once as text, URI and QR code, its confirmation
//! by a first valid code, and turning two-factor off after the person proves themselves again.

use zeroize::Zeroizing;

use super::totp::{self, Algorithm, TotpCode, TotpSecret};
use super::{TotpRecord, invalid_code, sealed};
use crate::Sesame;
use crate::accounts::User;
use crate::error::{Error, ErrorCode, Result};
use crate::notices::Notice;
use crate::records::{
    self, recovery_codes_key, second_factor_failures_key, totp_enrolment_key, totp_key,
};
use crate::sessions::{ClientInfo, SessionInfo};
use crate::store::StoreError;

/// A TOTP enrolment to show the user once: the secret, its URI and QR code.
pub struct TotpEnrolment {
    /// The secret in base32, for typing into an app by hand.
    pub secret_base32: Zeroizing<String>,
    /// The `otpauth://` URI the QR code encodes.
    pub otpauth_uri: Zeroizing<String>,
    /// The QR code of the URI as an SVG element, ready to inline in a page.
    pub qr_svg: String,
    /// HMAC hash of the credential.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: u32,
    /// Seconds per step.
    pub period_secs: u64,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpEnrolment")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

/// How a user proves themselves again before turning two-factor off.
#[derive(Debug, Clone, Copy)]
pub enum Reauth<'a> {
    /// The account password.
    Password(&'a str),
    /// A current TOTP code or an unused recovery code.
    Code(&'a str),
    /// The login passed a passkey verification with user verification (`/wan-verify`)
    /// within the freshness window.
    RecentPasskey,
}

impl Sesame<'_> {
    /// Starts a TOTP enrolment: a new secret from the OS generator, kept sealed until a first
    /// valid code confirms it. Starting again replaces an unconfirmed enrolment;
    /// `already-exists` when TOTP is already on (turn it off first). Needs a freshly
    /// authenticated login (`reauthentication-required`): a stale session must not plant a
    /// factor.
    ///
    /// WIT: `sesame:auth/two-factor.start-totp`.
    pub fn start_totp(&self, login: &SessionInfo) -> Result<TotpEnrolment> {
        self.require_fresh(login)?;
        let user = &login.user;
        if self.totp_enabled(&user.id)? {
            return Err(Error::rejected(
                ErrorCode::AlreadyExists,
                "Two-factor authentication is already on; turn it off before setting up a new app.",
            ));
        }
        let tf = &self.config.two_factor;
        let mut bytes = Zeroizing::new(vec![0u8; tf.totp_algorithm.secret_len()]);
        self.host
            .fill_random(&mut bytes)
            .map_err(|_| Error::Random)?;
        let secret = TotpSecret::new(bytes.to_vec());
        let record = TotpRecord {
            v: 1,
            sealed_secret: sealed::seal(&self.config.secret, self.host, &user.id, &secret)?,
            algorithm: tf.totp_algorithm,
            digits: tf.totp_digits,
            last_step: None,
            created_at_ms: self.host.now_ms(),
        };
        records::save(
            self.store,
            &totp_enrolment_key(&user.id),
            &record,
            None,
            Some(tf.enrolment_ms),
        )?;
        self.enrolment_view(user, &secret, &record)
    }

    /// The enrolment in progress, to show its QR code again (for example after a wrong code).
    /// `None` unless the login is fresh: the secret of an enrolment the owner is about to
    /// confirm must not leak to a stale session.
    pub fn current_totp_enrolment(&self, login: &SessionInfo) -> Result<Option<TotpEnrolment>> {
        if self.fresh_until(login)?.is_none() {
            return Ok(None);
        }
        let user = &login.user;
        let Some((record, _)) =
            records::load::<TotpRecord>(self.store, &totp_enrolment_key(&user.id))?
        else {
            return Ok(None);
        };
        let secret = sealed::open(&self.config.secret, &user.id, &record.sealed_secret)?;
        self.enrolment_view(user, &secret, &record).map(Some)
    }

    fn enrolment_view(
        &self,
        user: &User,
        secret: &TotpSecret,
        record: &TotpRecord,
    ) -> Result<TotpEnrolment> {
        let uri = totp::otpauth_uri(
            secret,
            &self.config.two_factor.totp_issuer,
            &user.email,
            record.algorithm,
            record.digits,
        );
        Ok(TotpEnrolment {
            qr_svg: qr_svg(&uri)?,
            secret_base32: secret.to_base32(),
            otpauth_uri: uri,
            algorithm: record.algorithm,
            digits: record.digits,
            period_secs: totp::PERIOD_SECS,
        })
    }

    /// Confirms the enrolment with a first valid code, which turns two-factor on. The code's
    /// step is recorded as used, so it cannot also sign in. `invalid-code` for a wrong code,
    /// `not-found` when no enrolment is in progress (or it expired).
    ///
    /// WIT: `sesame:auth/two-factor.confirm-totp`.
    pub fn confirm_totp(&self, login: &SessionInfo, code: &str) -> Result<()> {
        self.require_fresh(login)?;
        let user = &login.user;
        let key = totp_enrolment_key(&user.id);
        let Some((mut record, version)) = records::load::<TotpRecord>(self.store, &key)? else {
            return Err(Error::rejected(
                ErrorCode::NotFound,
                "No set-up is in progress (or it expired); start again.",
            ));
        };
        let code = TotpCode::parse(code, record.digits)?;
        let secret = sealed::open(&self.config.secret, &user.id, &record.sealed_secret)?;
        let step = self
            .matching_step(&secret, &record, &code)
            .ok_or_else(invalid_code)?;
        record.last_step = Some(step);
        match records::save(self.store, &totp_key(&user.id), &record, Some(0), None) {
            Ok(_) => {}
            Err(Error::Store(StoreError::Conflict)) => {
                return Err(Error::rejected(
                    ErrorCode::AlreadyExists,
                    "Two-factor authentication is already on.",
                ));
            }
            Err(e) => return Err(e),
        }
        // Whoever deletes it, the enrolment is over; a concurrent restart simply stays pending.
        match self.store.delete(&key, Some(version)) {
            Ok(_) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
        self.security_notice(&user.id, Notice::TwoFactorOn, None)
    }

    /// Turns two-factor off after the person proves themselves again, and deletes the TOTP
    /// credential, email as a second factor, any enrolment and the recovery codes. The proof is itself a fresh
    /// authentication: the password (a sign-in attempt in every respect: throttled, counted
    /// into the lockout), a current second factor (counted before it is checked), or a passkey
    /// re-verification with user verification within the freshness window.
    ///
    /// WIT: `sesame:auth/two-factor.disable`.
    pub fn disable_two_factor(
        &self,
        login: &SessionInfo,
        proof: Reauth<'_>,
        client: &ClientInfo,
    ) -> Result<()> {
        let user_id = login.user.id.as_str();
        if !self.totp_enabled(user_id)? && !self.email_factor_enabled(user_id)? {
            return Err(Error::rejected(
                ErrorCode::NotFound,
                "Two-factor authentication is not on.",
            ));
        }
        match proof {
            Reauth::Password(password) => {
                self.check_password_of(user_id, password, client)?;
            }
            // A sign-in alone is not enough here: only an explicit passkey verification with
            // user verification counts, since it stands in for the password.
            Reauth::RecentPasskey => {
                if !self.verified_with_passkey_recently(login)? {
                    return Err(Error::rejected(
                        ErrorCode::ReauthenticationRequired,
                        "Verify with your passkey and its PIN or biometric (/wan-verify), or give your password or a code.",
                    ));
                }
            }
            // A stolen session must not be a way around the per-account limit on guesses.
            // A code proves the factor, not a recent sign-in: a stale session with a leaked
            // code must not drop the account to a password alone.
            Reauth::Code(code) => {
                self.require_fresh(login)?;
                self.reserve_second_factor_attempt(user_id)?;
                self.verify_any_factor(user_id, code)?;
            }
        }
        self.remove_two_factor(user_id)?;
        self.security_notice(user_id, Notice::TwoFactorOff, client.address.as_deref())?;
        Ok(())
    }

    /// Deletes `user_id`'s TOTP credential, any enrolment, the recovery codes and the count of
    /// wrong codes, without telling anyone: the callers have checked who may and tell the
    /// user themselves.
    pub(crate) fn remove_two_factor(&self, user_id: &str) -> Result<()> {
        self.store.delete(&totp_key(user_id), None)?;
        self.store.delete(&totp_enrolment_key(user_id), None)?;
        self.remove_email_factor(user_id)?;
        self.store.delete(&recovery_codes_key(user_id), None)?;
        self.store
            .delete(&second_factor_failures_key(user_id), None)?;
        Ok(())
    }
}

impl Sesame<'_> {
    /// Removes every factor of `user_id` but the password and the address: second factors
    /// ([`Sesame::remove_two_factor`]) and every passkey and security key, with no notice per
    /// item (the caller tells the user once). For an account taken back from whoever moved it.
    pub(crate) fn remove_all_factors(&self, user_id: &str) -> Result<()> {
        self.remove_two_factor(user_id)?;
        for passkey in self.list_passkeys(user_id)? {
            self.remove_passkey_silently(user_id, &passkey.id)?;
        }
        Ok(())
    }
}

/// The QR code of `uri` as an inline `<svg>` element (without the XML prologue).
fn qr_svg(uri: &str) -> Result<String> {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| Error::Config(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}
