//! Creating accounts: self-service registration, administrative creation and import from
//! another system, all through one insertion that claims the email and username.

use serde::Deserialize;

use super::identity::{Email, Username};
use super::{Lockout, Tracking, User, UserRecord, parse_role};
use crate::Sesame;
use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::events::EventKind;
use crate::password::Password;
use crate::records::{self, email_key, user_key, username_key};
use crate::store::StoreError;

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

impl Sesame<'_> {
    /// Self-service registration. Answers the same whether or not the email is taken.
    ///
    /// WIT: `sesame:auth/accounts.register`.
    pub fn register(&self, email: &str, password: &str, username: Option<&str>) -> Result<()> {
        self.register_with(email, Some(password), username)
    }

    /// Self-service registration of an account without a password, which signs in with mailed
    /// codes (and can set a password later through a reset link). Only where the deployment
    /// offers mailed codes (`SESAME_US_METHODS` has `email`); answers like [`Sesame::register`].
    ///
    /// WIT: `sesame:auth/accounts.register-without-password`.
    pub fn register_without_password(&self, email: &str, username: Option<&str>) -> Result<()> {
        if !self.config.unified_sign_in.passwordless() {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "A password is required: this deployment does not offer sign-in by mailed code.",
            ));
        }
        self.register_with(email, None, username)
    }

    fn register_with(
        &self,
        email: &str,
        password: Option<&str>,
        username: Option<&str>,
    ) -> Result<()> {
        if password.is_some() {
            // A password no sign-in would ever take is not stored either.
            self.require_sign_in_method(crate::unified_sign_in::SignInMethod::Password)?;
        }
        // Every registration that passes its checks mails its address (a confirmation, or word
        // that the address or the username is taken): counted per address mailed, whoever asks
        // from wherever, once the input is known good and before anything is looked up, so
        // the count says nothing about the address and a mistyped form costs none of it.
        let recipient = Email::parse(email)?;
        let name = username
            .filter(|u| !u.trim().is_empty())
            .map(Username::parse)
            .transpose()?;
        if let Some(password) = password {
            let mut identities = vec![recipient.as_str()];
            if let Some(name) = &name {
                identities.push(name.as_str());
            }
            Password::new_checked(password, &identities)?;
        }
        self.throttle(crate::throttle::Scope::MailByRecipient, recipient.as_str())?;
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
        self.create(
            &new.email,
            Some(&new.password),
            new.username.as_deref(),
            roles,
        )
    }

    /// Validates and hashes a new user's details, then stores them.
    fn create(
        &self,
        email: &str,
        password: Option<&str>,
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
        // No password: an empty hash, which no password matches (see `verify_user_password`).
        let password_hash = match password {
            Some(password) => {
                let password = Password::new_checked(password, &identities)?;
                self.refuse_breached(&password)?;
                self.hasher.hash(&password, self.host)?
            }
            None => String::new(),
        };
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
        let now = self.host.now_ms();
        Ok(self
            .update_user(&user.id, |r| {
                r.confirmed_at_ms = Some(now);
                Ok(())
            })?
            .public())
    }

    /// Creates the records of a new user: the email claim, then the username claim, then the
    /// user record, the write that makes the account. An account therefore exists only with
    /// both its claims, whatever fails between the writes: a registration cut short leaves at
    /// worst claims naming a record that was never written, which the next registration of
    /// the name takes over ([`Sesame::claim`]), never an account whose name someone else can
    /// claim too.
    fn insert_user(
        &self,
        email: &Email,
        username: Option<&Username>,
        password_hash: String,
        roles: Vec<String>,
        active: bool,
    ) -> Result<User> {
        let id = hex::encode(random_array::<16>(self.host)?);
        let record = UserRecord {
            v: 1,
            id: id.clone(),
            email: email.as_str().to_owned(),
            username: username.map(|u| u.as_str().to_owned()),
            password_hash,
            roles,
            active,
            created_at_ms: self.host.now_ms(),
            confirmed_at_ms: None,
            tracking: Tracking::default(),
            lockout: Lockout::default(),
            language: Some(self.language().tag().to_owned()),
            email_epoch: 0,
            last_restore: None,
            session_epoch: 0,
        };
        let email_claim = email_key(&email.key);
        let Some(email_version) = self.claim(&email_claim, &id)? else {
            return Err(Error::EmailTaken);
        };
        let mut claims = vec![(email_claim, email_version)];
        if let Some(username) = username {
            let username_claim = username_key(&username.key);
            match self.claim(&username_claim, &id) {
                Ok(Some(version)) => claims.push((username_claim, version)),
                outcome => {
                    self.release_claims(&claims);
                    return Err(outcome.err().unwrap_or(Error::UsernameTaken));
                }
            }
        }
        if let Err(e) = records::save(self.store, &user_key(&id), &record, Some(0), None) {
            self.release_claims(&claims);
            return Err(e);
        }
        Ok(record.public())
    }

    /// Claims the name `key` (an email or username index entry) for the account `id`, by
    /// compare-and-swap: when nobody holds it, or when its holder's account record does not
    /// exist (a registration cut short, or one still writing its record, which then finds its
    /// claim gone only if it lost this race). Returns the claim's version, or `None` when an
    /// existing account holds the name.
    pub(crate) fn claim(&self, key: &str, id: &str) -> Result<Option<u64>> {
        for _ in 0..records::CAS_ATTEMPTS {
            let expect = match self.store.get(key)? {
                None => 0,
                Some(held) => {
                    let holder = String::from_utf8_lossy(&held.value).into_owned();
                    if holder == id || self.load_user(&holder)?.is_some() {
                        return Ok(None);
                    }
                    held.version
                }
            };
            match self.store.put(key, id.as_bytes(), Some(expect), None) {
                Ok(version) => return Ok(Some(version)),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Contention("name claim"))
    }

    /// Gives back `claims` (key, version) of a registration that did not finish, each only if
    /// still as written. Best effort: one left behind is taken over by [`Sesame::claim`].
    fn release_claims(&self, claims: &[(String, u64)]) {
        for (key, version) in claims {
            let _ = self.store.delete(key, Some(*version));
        }
    }
}
