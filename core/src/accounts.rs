//! Accounts: validated identities, registration, administrative creation, password
//! authentication and lookup.
//!
//! The user record and its lookups live here; the rest is split by what it does: what makes
//! an email or username valid and how they are looked up (`identity`), creating accounts
//! (`registration`), checking passwords with their lockout (`sign_in`) and changing them
//! (`password_change`).
//!
//! WIT: `sesame:auth/accounts`.

pub mod settings;

mod identity;
mod password_change;
mod registration;
mod sign_in;

use serde::{Deserialize, Serialize};

use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::records::{self, USER_PREFIX, user_key};
use crate::store::StoreError;

pub(crate) use identity::identity_key;
pub use identity::{Email, MAX_EMAIL_BYTES, MAX_EMAIL_LOCAL_BYTES, USERNAME_CHARS, Username};
pub use registration::{ImportedUser, NewUser};
pub(crate) use sign_in::lock_ms;

/// Most users one `list_users` call returns.
pub const MAX_LIST_USERS: u32 = 500;

/// A user as shown to its owner or an administrator. Holds no secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Random 128-bit identifier, 32 hex digits.
    pub id: String,
    /// Email address as registered (domain lower-cased).
    pub email: String,
    /// Optional username.
    pub username: Option<String>,
    /// Granted roles.
    pub roles: Vec<String>,
    /// Whether the user may sign in.
    pub active: bool,
    /// Creation time, ms since the epoch.
    pub created_at_ms: u64,
    /// When the email address was confirmed.
    pub confirmed_at_ms: Option<u64>,
    /// Sign-in history.
    pub tracking: Tracking,
}

/// The stored form of a user (`user/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UserRecord {
    /// Record schema version.
    pub(crate) v: u32,
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) username: Option<String>,
    /// PHC string.
    pub(crate) password_hash: String,
    pub(crate) roles: Vec<String>,
    pub(crate) active: bool,
    pub(crate) created_at_ms: u64,
    /// When the email address was confirmed.
    #[serde(default)]
    pub(crate) confirmed_at_ms: Option<u64>,
    /// Sign-in history (Flask-Security's "trackable" fields).
    #[serde(default)]
    pub(crate) tracking: Tracking,
    /// Consecutive failures and the lock they caused.
    #[serde(default)]
    pub(crate) lockout: Lockout,
    /// The language of the owner's browser (a tag like `de`) at registration and at each
    /// password sign-in since: mail to the account is written in it, whoever asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) language: Option<String>,
    /// How many times the email address changed (by a confirmed change, a restore or an
    /// administrator). Email-change and restore links name the count they were issued at,
    /// so each works once, and not again after the address went back to what it was.
    #[serde(default)]
    pub(crate) email_epoch: u64,
    /// The last restore: the count its link was issued at, and the count after it. Of the
    /// links issued before it, only older ones still work (the oldest link belongs to whoever
    /// held the account before any of the changes); links issued after it work as usual.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_restore: Option<RestoreMark>,
    /// Sessions and token logins started under a lower count are over. Raised in the very
    /// write that changes the password, and by every "sign out everywhere", so they end in one
    /// write: deleting their records afterwards only gives the space back, and a store that
    /// fails in between cannot leave one alive.
    #[serde(default)]
    pub(crate) session_epoch: u64,
}

/// Where the last restore of an account's address left its links (see
/// [`UserRecord::last_restore`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RestoreMark {
    /// The `email_epoch` the link that restored was issued at.
    pub(crate) used: u64,
    /// The `email_epoch` right after the restore.
    pub(crate) after: u64,
}

impl RestoreMark {
    /// Whether a restore link issued at `epoch` may still act after this restore: issued
    /// since, or older than the link that restored.
    pub(crate) fn allows(self, epoch: u64) -> bool {
        epoch >= self.after || epoch < self.used
    }
}

/// Sign-in history of a user, updated by compare-and-swap at every successful sign-in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    /// Successful sign-ins so far.
    pub login_count: u64,
    /// Time of the latest sign-in, ms since the epoch.
    pub current_login_at_ms: Option<u64>,
    /// Address of the latest sign-in.
    pub current_login_ip: Option<String>,
    /// Time of the sign-in before the latest.
    pub last_login_at_ms: Option<u64>,
    /// Address of the sign-in before the latest.
    pub last_login_ip: Option<String>,
}

/// Failed sign-ins in a row and the resulting lock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    /// Consecutive failures since the last success.
    pub failed_count: u32,
    /// Locked until this time, ms since the epoch.
    pub locked_until_ms: Option<u64>,
}

impl UserRecord {
    /// Records a successful sign-in at `now` from `address` in the tracking fields, and the
    /// browser's `language` as the account's.
    pub(crate) fn note_sign_in(&mut self, now: u64, address: Option<&str>, language: &str) {
        let t = &mut self.tracking;
        t.login_count = t.login_count.saturating_add(1);
        t.last_login_at_ms = t.current_login_at_ms.take();
        t.last_login_ip = t.current_login_ip.take();
        t.current_login_at_ms = Some(now);
        t.current_login_ip = address.map(str::to_owned);
        self.language = Some(language.to_owned());
    }

    pub(crate) fn public(&self) -> User {
        User {
            id: self.id.clone(),
            email: self.email.clone(),
            username: self.username.clone(),
            roles: self.roles.clone(),
            active: self.active,
            created_at_ms: self.created_at_ms,
            confirmed_at_ms: self.confirmed_at_ms,
            tracking: self.tracking.clone(),
        }
    }
}

impl Sesame<'_> {
    /// Looks a user up by id.
    ///
    /// WIT: `sesame:auth/accounts.get-user`.
    pub fn get_user(&self, id: &str) -> Result<Option<User>> {
        Ok(self.load_user(id)?.map(|(u, _)| u.public()))
    }

    /// Lists users in id order after `after`.
    ///
    /// WIT: `sesame:auth/accounts.list-users`.
    pub fn list_users(&self, after: Option<&str>, limit: u32) -> Result<Vec<User>> {
        let after_key = after.map(user_key);
        let entries =
            self.store
                .scan(USER_PREFIX, after_key.as_deref(), limit.min(MAX_LIST_USERS))?;
        entries
            .iter()
            .map(|(key, entry)| {
                records::decode::<UserRecord>(key, &entry.value).map(|u| u.public())
            })
            .collect()
    }

    /// Enables or disables the account with `email`. Disabling ends every session and token
    /// login at once; a disabled account cannot sign in and fails like a wrong password.
    ///
    /// WIT: `sesame:auth/accounts.set-active`.
    pub fn set_active(&self, email: &str, active: bool) -> Result<User> {
        let id = self.user_id_by_email(email)?;
        let user = self
            .update_user(&id, |r| {
                r.active = active;
                Ok(())
            })?
            .public();
        if !active {
            self.revoke_all_sessions(&id)?;
        }
        Ok(user)
    }

    pub(crate) fn load_user(&self, id: &str) -> Result<Option<(UserRecord, u64)>> {
        records::load(self.store, &user_key(id))
    }

    /// Applies `change` to the user record with compare-and-swap, re-reading and re-applying on
    /// conflict, so concurrent updates (200 simultaneous sign-ins) all count.
    pub(crate) fn update_user(
        &self,
        id: &str,
        mut change: impl FnMut(&mut UserRecord) -> Result<()>,
    ) -> Result<UserRecord> {
        let key = user_key(id);
        for _ in 0..records::CAS_ATTEMPTS {
            let Some((mut record, version)) = records::load::<UserRecord>(self.store, &key)? else {
                return Err(Error::UnknownAccount);
            };
            change(&mut record)?;
            match records::save(self.store, &key, &record, Some(version), None) {
                Ok(_) => return Ok(record),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("user record"))
    }
}

/// Validates a role name: 1 to 64 characters of `[a-z0-9_:.-]`.
pub fn parse_role(raw: &str) -> Result<String> {
    let ok = (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_:.-".contains(&b));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "A role name has 1 to 64 characters: lower-case letters, digits, '_', ':', '.', '-'.",
        ))
    }
}

#[cfg(test)]
mod interrupted_tests;
#[cfg(test)]
mod tests;
