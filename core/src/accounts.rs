//! Accounts: validated identities, registration, administrative creation, password
//! authentication and lookup.
//!
//! WIT: `sesame:auth/accounts`.

use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use unicode_normalization::UnicodeNormalization;

use crate::Sesame;
use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::password::Password;
use crate::records::{self, email_key, user_key, username_key};
use crate::sessions::ClientInfo;
use crate::store::StoreError;

/// Longest email address accepted (RFC 5321's path limit minus the angle brackets).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest local part of an email address (RFC 5321).
pub const MAX_EMAIL_LOCAL_BYTES: usize = 64;
/// Username length bounds, in characters.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;
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

/// What an administrator supplies to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
    /// Optional username.
    pub username: Option<String>,
    /// Roles to grant.
    pub roles: Vec<String>,
}

/// A user exported from another system, as `sesame user import` reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct ImportedUser {
    /// Email address.
    pub email: String,
    /// Optional username.
    #[serde(default)]
    pub username: Option<String>,
    /// The old system's password hash.
    #[serde(alias = "password")]
    pub password_hash: String,
    /// Role names.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Whether the user may sign in.
    #[serde(default = "default_true")]
    pub active: bool,
    /// Whether the old system had confirmed the email address (recorded as confirmed now).
    #[serde(default)]
    pub confirmed: bool,
}

fn default_true() -> bool {
    true
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

/// A syntactically valid email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    key: String,
}

impl Email {
    /// Validates `raw`: one `@`, a plausible local part (no spaces, controls or quotes), and a
    /// domain of dot-separated labels with at least one dot. The domain is lower-cased;
    /// uniqueness ignores case entirely, as mail providers do in practice.
    pub fn parse(raw: &str) -> Result<Self> {
        let invalid = |why: &str| {
            Error::rejected(
                ErrorCode::InvalidEmail,
                format!("This is not a valid email address: {why}."),
            )
        };
        let trimmed: String = raw.trim().nfc().collect();
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        if trimmed.len() > MAX_EMAIL_BYTES {
            return Err(invalid("it is too long"));
        }
        let Some((local, domain)) = trimmed.rsplit_once('@') else {
            return Err(invalid("it has no @"));
        };
        if local.is_empty() || local.len() > MAX_EMAIL_LOCAL_BYTES {
            return Err(invalid("the part before @ is empty or too long"));
        }
        if local.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || is_invisible_format(c)
                || matches!(c, '@' | '"' | '<' | '>' | ',' | ';' | '\\')
        }) || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
        {
            return Err(invalid(
                "the part before @ has characters that are not allowed",
            ));
        }
        let domain = domain.to_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(invalid("the domain after @ is not valid"));
        }
        let display = format!("{local}@{domain}");
        Ok(Email {
            key: display.to_lowercase(),
            display,
        })
    }

    /// The address as it will be stored and shown.
    pub fn as_str(&self) -> &str {
        &self.display
    }
}

/// Why a stored password is being compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordCheck {
    /// A sign-in: success is recorded in the tracking fields and as `login-succeeded`.
    SignIn,
    /// A signed-in person proving themselves again.
    Reauthentication,
}

/// A valid username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    display: String,
    key: String,
}

impl Username {
    /// Validates `raw` (after NFKC): 3 to 32 letters, digits, `_`, `.` or `-`, starting with a
    /// letter or digit. Never contains `@`, so it cannot be mistaken for an email.
    pub fn parse(raw: &str) -> Result<Self> {
        let name: String = raw.trim().nfkc().collect();
        let count = name.chars().count();
        let ok = USERNAME_CHARS.contains(&count)
            && name.chars().next().is_some_and(char::is_alphanumeric)
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err(Error::rejected(
                ErrorCode::InvalidUsername,
                "A username has 3 to 32 letters, digits, '_', '.' or '-', and starts with a letter or digit.",
            ));
        }
        Ok(Username {
            key: name.to_lowercase(),
            display: name,
        })
    }

    /// The username as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.display
    }
}

impl Sesame<'_> {
    /// Self-service registration. Answers the same whether or not the email is taken.
    ///
    /// WIT: `sesame:auth/accounts.register`.
    pub fn register(&self, email: &str, password: &str, username: Option<&str>) -> Result<()> {
        match self.create(email, password, username, Vec::new()) {
            Ok(user) => {
                self.emit(EventKind::Registered, Some(&user.id), None);
                self.send_confirmation(&user)
            }
            // Same work (the hash was computed) and the same answer as a new account; the
            // owner of the address hears about it instead.
            Err(Error::EmailTaken) => {
                self.send_already_registered(&Email::parse(email)?);
                Ok(())
            }
            // A taken username would otherwise tell anyone which usernames exist. The account
            // is not created; the address's owner is told by mail to pick another name.
            Err(Error::UsernameTaken) if !self.config.reveal_taken_usernames => {
                self.send_username_taken(&Email::parse(email)?);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Administrative creation; says when the email or username is taken.
    ///
    /// WIT: `sesame:auth/accounts.create-user`.
    pub fn create_user(&self, new: &NewUser) -> Result<User> {
        let roles = new
            .roles
            .iter()
            .map(|r| parse_role(r))
            .collect::<Result<Vec<_>>>()?;
        self.create(&new.email, &new.password, new.username.as_deref(), roles)
    }

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
        let entries = self
            .store
            .scan("user/", after_key.as_deref(), limit.min(MAX_LIST_USERS))?;
        entries
            .iter()
            .map(|(key, entry)| {
                records::decode::<UserRecord>(key, &entry.value).map(|u| u.public())
            })
            .collect()
    }

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
        let verified = match self.hasher.verify(password, &user.password_hash, self.env) {
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
        let now = self.env.now_ms();
        if !user.active {
            self.emit(EventKind::LoginFailed, Some(&id), address);
            return Err(Error::AccountDisabled);
        }
        // Hash outside the update loop: it is the expensive part, and the loop may retry.
        let upgraded = if verified.needs_rehash {
            Some(self.hasher.hash(password, self.env)?)
        } else {
            None
        };
        let verified_hash = user.password_hash;
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
                let t = &mut record.tracking;
                t.login_count = t.login_count.saturating_add(1);
                t.last_login_at_ms = t.current_login_at_ms.take();
                t.last_login_ip = t.current_login_ip.take();
                t.current_login_at_ms = Some(now);
                t.current_login_ip = client.address.clone();
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
        let error = self.hasher.dummy_verify(password, self.env);
        if matches!(error, Error::HashingBusy { .. }) {
            // Refused before any check, as a known account's attempt is: no event, no count.
            return error;
        }
        self.emit(EventKind::LoginFailed, None, address);
        let digest = sha2::Sha256::digest(identity.trim().to_lowercase().as_bytes());
        let key = format!("shadow-failures/{}", hex::encode(&digest[..16]));
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
            Some(self.config.lockout_max_ms),
        );
        error
    }

    /// Counts one failed sign-in and locks the account once the threshold is reached, each
    /// further failure doubling the lock (up to the configured maximum). Returns whether this
    /// failure locked the account.
    fn record_failure(&self, id: &str) -> Result<bool> {
        let now = self.env.now_ms();
        let config = self.config;
        self.update_user(id, |record| {
            let lockout = &mut record.lockout;
            lockout.failed_count = lockout.failed_count.saturating_add(1);
            if lockout.failed_count >= config.lockout_threshold {
                let doublings = (lockout.failed_count - config.lockout_threshold).min(40);
                let lock = config
                    .lockout_base_ms
                    .saturating_mul(1u64 << doublings)
                    .min(config.lockout_max_ms);
                lockout.locked_until_ms = Some(now.saturating_add(lock));
            }
            Ok(())
        })
        .map(|record| record.lockout.failed_count == config.lockout_threshold)
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

    /// Changes the password of the signed-in user after checking the current one, ends every
    /// session of the user, and returns a fresh session for the caller.
    ///
    /// WIT: `sesame:auth/accounts.change-password`.
    pub fn change_password(
        &self,
        token: &str,
        current: &str,
        new: &str,
        client: &ClientInfo,
    ) -> Result<crate::sessions::IssuedSession> {
        self.replace_password(token, Some(current), new, client)
    }

    /// Like [`Sesame::change_password`] without the current password, for a session that
    /// passed a passkey verification (`/wan-verify`) within the freshness window; otherwise
    /// `reauthentication-required`.
    pub fn change_password_after_passkey(
        &self,
        token: &str,
        new: &str,
        client: &ClientInfo,
    ) -> Result<crate::sessions::IssuedSession> {
        self.replace_password(token, None, new, client)
    }

    /// The shared body of both password changes: `current` is checked when given, otherwise
    /// a recent passkey verification of this session must exist.
    fn replace_password(
        &self,
        token: &str,
        current: Option<&str>,
        new: &str,
        client: &ClientInfo,
    ) -> Result<crate::sessions::IssuedSession> {
        let info = self.validate_credential(token)?;
        let user_id = info.user.id.clone();
        // The record as the check left it (it may have upgraded the hash).
        let record = match current {
            Some(current) => self.check_password_of(&user_id, current, client)?,
            None if self.verified_with_passkey_recently(&info)? => {
                let Some((record, _)) = self.load_user(&user_id)? else {
                    return Err(Error::NoSession("user deleted"));
                };
                record
            }
            None => {
                return Err(Error::rejected(
                    ErrorCode::ReauthenticationRequired,
                    "Give your current password, or verify with your passkey (/wan-verify, with its PIN or biometric) first.",
                ));
            }
        };
        let mut identities = vec![record.email.as_str()];
        if let Some(u) = &record.username {
            identities.push(u.as_str());
        }
        let new = Password::new_checked(new, &identities)?;
        let new_hash = self.hasher.hash(&new, self.env)?;
        let verified_hash = record.password_hash;
        self.update_user(&user_id, |r| {
            if r.password_hash != verified_hash {
                // Changed by someone else since we verified: refuse rather than overwrite.
                return Err(Error::rejected(
                    ErrorCode::InvalidCredentials,
                    "The password was changed meanwhile; sign in again.",
                ));
            }
            r.password_hash = new_hash.clone();
            Ok(())
        })?;
        self.revoke_all_sessions(&user_id)?;
        self.security_notice(
            &user_id,
            crate::notices::Notice::PasswordChanged,
            client.address.as_deref(),
        )?;
        // The replacement keeps the factors of the session it replaces.
        let proof = if info.second_factor {
            crate::sessions::SignInProof::MultiFactor
        } else {
            crate::sessions::SignInProof::OneFactor
        };
        self.issue_session(info.user, client, proof)
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

    /// Validates and hashes a new user's details, then stores them.
    fn create(
        &self,
        email: &str,
        password: &str,
        username: Option<&str>,
        roles: Vec<String>,
    ) -> Result<User> {
        let email = Email::parse(email)?;
        let username = username
            .filter(|u| !u.trim().is_empty())
            .map(Username::parse)
            .transpose()?;
        let mut identities = vec![email.as_str()];
        if let Some(u) = &username {
            identities.push(u.as_str());
        }
        let password = Password::new_checked(password, &identities)?;
        let password_hash = self.hasher.hash(&password, self.env)?;
        self.insert_user(&email, username.as_ref(), password_hash, roles, true)
    }

    /// Imports a user from another system with their existing password hash (bcrypt, passlib
    /// PBKDF2, argon2, or Flask-Security's scheme when `flask_security_salt` is given). The hash
    /// is replaced by argon2id at the user's first sign-in.
    ///
    /// WIT: `sesame:auth/accounts.import-user`.
    pub fn import_user(
        &self,
        user: &ImportedUser,
        flask_security_salt: Option<&str>,
    ) -> Result<User> {
        let imported_confirmed = user.confirmed;
        let email = Email::parse(&user.email)?;
        let username = user
            .username
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(Username::parse)
            .transpose()?;
        let roles = user
            .roles
            .iter()
            .map(|r| parse_role(r))
            .collect::<Result<Vec<_>>>()?;
        if crate::legacy_hash::detect(&user.password_hash).is_none()
            || user.password_hash.len() > crate::legacy_hash::MAX_STORED_LEN
        {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "The password hash is not bcrypt, passlib pbkdf2-sha256/sha512, Django \
                 pbkdf2_sha256 or argon2.",
            ));
        }
        // Malformed hashes and costs beyond Sesame's limits are refused now, naming the limit,
        // rather than failing at the user's first sign-in.
        crate::legacy_hash::check_importable(&user.password_hash).map_err(|e| {
            let why = match &e {
                Error::Hashing(why) => why.clone(),
                other => other.to_string(),
            };
            Error::rejected(
                ErrorCode::InvalidRequest,
                format!("The password hash cannot be imported: {why}."),
            )
        })?;
        let stored = match flask_security_salt {
            Some(salt) => crate::password::flask_security_stored(salt, &user.password_hash),
            None => user.password_hash.clone(),
        };
        let user = self.insert_user(&email, username.as_ref(), stored, roles, user.active)?;
        if !imported_confirmed {
            return Ok(user);
        }
        let now = self.env.now_ms();
        Ok(self
            .update_user(&user.id, |r| {
                r.confirmed_at_ms = Some(now);
                Ok(())
            })?
            .public())
    }

    /// Creates the records of a new user: the user first, then the email claim, then the
    /// username claim, each with `expect = absent`. A crash between steps leaves at worst an
    /// unreachable user record, never a claimed email without its user.
    fn insert_user(
        &self,
        email: &Email,
        username: Option<&Username>,
        password_hash: String,
        roles: Vec<String>,
        active: bool,
    ) -> Result<User> {
        let id = hex::encode(random_array::<16>(self.env)?);
        let record = UserRecord {
            v: 1,
            id: id.clone(),
            email: email.as_str().to_owned(),
            username: username.map(|u| u.as_str().to_owned()),
            password_hash,
            roles,
            active,
            created_at_ms: self.env.now_ms(),
            confirmed_at_ms: None,
            tracking: Tracking::default(),
            lockout: Lockout::default(),
        };
        let user_key = user_key(&id);
        records::save(self.store, &user_key, &record, Some(0), None)?;

        let email_claim = email_key(&email.key);
        match self.store.put(&email_claim, id.as_bytes(), Some(0), None) {
            Ok(_) => {}
            Err(StoreError::Conflict) => {
                self.store.delete(&user_key, None)?;
                return Err(Error::EmailTaken);
            }
            Err(e) => {
                self.store.delete(&user_key, None)?;
                return Err(e.into());
            }
        }
        let username_claim = username.map(|u| {
            self.store
                .put(&username_key(&u.key), id.as_bytes(), Some(0), None)
        });
        if let Some(Err(e)) = username_claim {
            self.store.delete(&email_claim, None)?;
            self.store.delete(&user_key, None)?;
            return Err(match e {
                StoreError::Conflict => Error::UsernameTaken,
                other => other.into(),
            });
        }
        Ok(record.public())
    }

    /// The id of the user registered with `email`, if any.
    pub(crate) fn user_id_for_email(&self, email: &Email) -> Result<Option<String>> {
        match self.store.get(&email_key(&email.key))? {
            Some(entry) => Ok(String::from_utf8(entry.value).ok()),
            None => Ok(None),
        }
    }

    /// Finds the user id an email or username points to. Malformed identities are simply
    /// unknown, so they cost the same as any other miss.
    pub(crate) fn resolve_identity(&self, identity: &str) -> Result<Option<String>> {
        let key = if identity.contains('@') {
            match Email::parse(identity) {
                Ok(email) => email_key(&email.key),
                Err(_) => return Ok(None),
            }
        } else {
            match Username::parse(identity) {
                Ok(name) => username_key(&name.key),
                Err(_) => return Ok(None),
            }
        };
        match self.store.get(&key)? {
            Some(entry) => Ok(String::from_utf8(entry.value).ok()),
            None => Ok(None),
        }
    }
}

/// Whether `c` is a Unicode format character (general category Cf): zero-width spaces and
/// joiners, bidirectional overrides and isolates, the byte-order mark, the soft hyphen, tag
/// characters. They are invisible, so an address holding one looks exactly like another
/// person's, and a right-to-left override can reorder what an operator reads.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// The identity as Sesame looks it up (an email's or a username's normalised key, NFKC and
/// case-folded), for counting attempts per account: every spelling that reaches one account
/// (`ada`, `ADA`, fullwidth `ａｄａ`) shares one count. Identities that are neither (they name no
/// account) count as typed, trimmed and lower-cased.
pub(crate) fn identity_key(identity: &str) -> String {
    let parsed = if identity.contains('@') {
        Email::parse(identity).map(|email| format!("email:{}", email.key))
    } else {
        Username::parse(identity).map(|name| format!("username:{}", name.key))
    };
    parsed.unwrap_or_else(|_| format!("other:{}", identity.trim().to_lowercase()))
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
mod tests;
