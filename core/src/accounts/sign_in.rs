//! Checking a password: sign-in and re-authentication, the account lockout, upgrading
//! outdated hashes, and making a miss on an unknown account cost what a wrong password costs.

use sha2::Digest as _;

use super::{Lockout, UserRecord};
use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::password::Password;
use crate::records::{self, shadow_failures_key};
use crate::sessions::ClientInfo;
use crate::{Config, Sesame};

/// Why a stored password is being compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordCheck {
    /// A sign-in: success is recorded in the tracking fields and as `login-succeeded`.
    SignIn,
    /// A signed-in person proving themselves again.
    Reauthentication,
}

impl Sesame<'_> {
    /// Checks an identity (email or username) and password, records the outcome (tracking on
    /// success, failure count and lock on failure) and returns the updated user record.
    ///
    /// Unknown account, wrong password, locked and disabled account cost the same hashing work
    /// and differ only in the internal [`Error`], which [`crate::AuthError`] collapses. The
    /// password is verified even for a locked account, so a lock is not revealed by timing.
    pub(crate) fn authenticate(
        &self,
        identity: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<UserRecord> {
        let password = Password::for_verification(password)?;
        let address = client.address.as_deref();
        let Some(id) = self.resolve_identity(identity)? else {
            return Err(self.unknown_account(identity, &password, address));
        };
        let Some((user, _)) = self.load_user(&id)? else {
            return Err(self.unknown_account(identity, &password, address));
        };
        self.verify_user_password(user, &password, client, PasswordCheck::SignIn)
    }

    /// Checks the password of a known user outside sign-in: re-verification (`/verify`), the
    /// current password of a password change, turning two-factor off. Every such check is a
    /// sign-in attempt: throttled per client address and per account (keyed by the account's
    /// email, as a sign-in with it would be), counted into the account's lockout with its
    /// back-off, and refused while the account is locked, with the same answer as a wrong
    /// password.
    pub(crate) fn check_password_of(
        &self,
        user_id: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<UserRecord> {
        // Where passwords are not a way of signing in, none proves anything later either.
        self.require_sign_in_method(crate::unified_sign_in::SignInMethod::Password)?;
        let Some((user, _)) = self.load_user(user_id)? else {
            return Err(Error::NoSession("user deleted"));
        };
        self.throttle_sign_in(client, Some(&user.email))?;
        let password = Password::for_verification(password)?;
        self.verify_user_password(user, &password, client, PasswordCheck::Reauthentication)
    }

    /// The one place a stored password is compared: counts a failure (and locks), refuses a
    /// locked or disabled account after the same hashing work, upgrades an outdated hash, and
    /// resets the failure count on success (recording the sign-in when `check` is one).
    fn verify_user_password(
        &self,
        user: UserRecord,
        password: &Password,
        client: &ClientInfo,
        check: PasswordCheck,
    ) -> Result<UserRecord> {
        let id = user.id.clone();
        let address = client.address.as_deref();
        // An account without a password: the same hashing work as a wrong password, and the
        // same outcome.
        let compared = if user.password_hash.is_empty() {
            match self.hasher.dummy_verify(password, self.host) {
                busy @ Error::HashingBusy { .. } => Err(busy),
                _ => Err(Error::WrongPassword),
            }
        } else {
            self.hasher.verify(password, &user.password_hash, self.host)
        };
        let verified = match compared {
            Ok(verified) => verified,
            Err(Error::WrongPassword) => {
                self.emit(EventKind::LoginFailed, Some(&id), address);
                if self.record_failure(&id)? {
                    self.emit(EventKind::Locked, Some(&id), address);
                }
                return Err(Error::WrongPassword);
            }
            Err(e) => return Err(e),
        };
        let now = self.host.now_ms();
        if !user.active {
            self.emit(EventKind::LoginFailed, Some(&id), address);
            return Err(Error::AccountDisabled);
        }
        // Hash outside the update loop: it is the expensive part, and the loop may retry.
        let upgraded = if verified.needs_rehash {
            Some(self.hasher.hash(password, self.host)?)
        } else {
            None
        };
        let verified_hash = user.password_hash;
        let language = self.language().tag();
        let updated = self.update_user(&id, |record| {
            // The lock is judged on the record this success is written to, not on the copy
            // read before hashing: of many parallel attempts, once the failures that lock the
            // account are written, no later success can be, so parallel guessing gets no more
            // answers than the lockout allows.
            if record
                .lockout
                .locked_until_ms
                .is_some_and(|until| until > now)
            {
                return Err(Error::AccountLocked);
            }
            if let Some(new_hash) = &upgraded {
                // Only replace the hash that was verified; a concurrent password change wins.
                if record.password_hash == verified_hash {
                    record.password_hash = new_hash.clone();
                }
            }
            if check == PasswordCheck::SignIn {
                record.note_sign_in(now, client.address.as_deref(), language);
            }
            record.lockout = Lockout::default();
            Ok(())
        });
        let updated = match updated {
            Ok(updated) => updated,
            Err(Error::AccountLocked) => {
                // A right password while locked counts like a wrong one, store write and all,
                // so neither the answer nor its timing tells the two apart.
                self.emit(EventKind::LoginFailed, Some(&id), address);
                self.record_failure(&id)?;
                return Err(Error::AccountLocked);
            }
            Err(e) => return Err(e),
        };
        if check == PasswordCheck::SignIn {
            self.emit(EventKind::LoginSucceeded, Some(&id), address);
        }
        Ok(updated)
    }

    /// The failure of a sign-in naming no account, made to cost what a wrong password costs: the
    /// same hashing work, an event, and one compare-and-swap write (a shadow failure counter
    /// keyed by the identity's hash, expiring with the longest lock) standing for the user
    /// record update a real account gets.
    fn unknown_account(&self, identity: &str, password: &Password, address: Option<&str>) -> Error {
        let error = self.hasher.dummy_verify(password, self.host);
        if matches!(error, Error::HashingBusy { .. }) {
            // Refused before any check, as a known account's attempt is: no event, no count.
            return error;
        }
        self.emit(EventKind::LoginFailed, None, address);
        let digest = sha2::Sha256::digest(identity.trim().to_lowercase().as_bytes());
        let key = shadow_failures_key(&hex::encode(&digest[..16]));
        let count = match self.store.get(&key) {
            Ok(Some(entry)) => records::decode::<u64>(&key, &entry.value)
                .map(|n| (n, entry.version))
                .unwrap_or((0, entry.version)),
            _ => (0, 0),
        };
        // Best effort: losing a race here changes nothing a caller can see.
        let _ = records::save(
            self.store,
            &key,
            &(count.0 + 1),
            Some(count.1),
            Some(self.config.lockout.max_ms),
        );
        error
    }

    /// Counts one failed sign-in and locks the account once the threshold is reached, each
    /// further failure doubling the lock (up to the configured maximum). Returns whether this
    /// failure locked the account.
    fn record_failure(&self, id: &str) -> Result<bool> {
        let now = self.host.now_ms();
        let config = self.config;
        self.update_user(id, |record| {
            let lockout = &mut record.lockout;
            lockout.failed_count = lockout.failed_count.saturating_add(1);
            if let Some(lock) = lock_ms(config, lockout.failed_count) {
                lockout.locked_until_ms = Some(now.saturating_add(lock));
            }
            Ok(())
        })
        .map(|record| record.lockout.failed_count == config.lockout.threshold)
    }
}

/// How long the `failures`-th consecutive failure locks, in ms, or `None` below the lockout
/// threshold: the lockout's base time, doubled per failure past the threshold, up to its
/// maximum. Passwords and second factors share this back-off.
pub(crate) fn lock_ms(config: &Config, failures: u32) -> Option<u64> {
    let past_threshold = failures.checked_sub(config.lockout.threshold)?;
    Some(
        config
            .lockout
            .base_ms
            .saturating_mul(1u64 << past_threshold.min(40))
            .min(config.lockout.max_ms),
    )
}
