//! Accounts: validated identities, registration, administrative creation, password
//! authentication and lookup.
//!
//! WIT: `sesame:auth/accounts`.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::Sesame;
use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::password::Password;
use crate::records::{self, email_key, user_key, username_key};
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
            Ok(_) => Ok(()),
            // Same work (the hash was computed) and the same answer as a new account.
            Err(Error::EmailTaken) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Administrative creation; says when the email is taken.
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

    /// Checks an identity (email or username) and password; returns the user record.
    ///
    /// Unknown account, wrong password and disabled account cost the same hashing work and
    /// differ only in the internal [`Error`], which [`crate::AuthError`] collapses.
    pub(crate) fn authenticate(&self, identity: &str, password: &str) -> Result<UserRecord> {
        let password = Password::for_verification(password)?;
        let Some(id) = self.resolve_identity(identity)? else {
            return Err(self.hasher.dummy_verify(&password));
        };
        let Some((user, version)) = self.load_user(&id)? else {
            return Err(self.hasher.dummy_verify(&password));
        };
        let verified = self.hasher.verify(&password, &user.password_hash)?;
        if !user.active {
            return Err(Error::AccountDisabled);
        }
        if verified.needs_rehash {
            self.upgrade_hash(user.clone(), version, &password);
        }
        Ok(user)
    }

    pub(crate) fn load_user(&self, id: &str) -> Result<Option<(UserRecord, u64)>> {
        records::load(self.store, &user_key(id))
    }

    /// Creates the records of a new user: the user first, then the email claim, then the
    /// username claim, each with `expect = absent`. A crash between steps leaves at worst an
    /// unreachable user record, never a claimed email without its user.
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

        let id = hex::encode(random_array::<16>(self.env)?);
        let record = UserRecord {
            v: 1,
            id: id.clone(),
            email: email.as_str().to_owned(),
            username: username.as_ref().map(|u| u.as_str().to_owned()),
            password_hash,
            roles,
            active: true,
            created_at_ms: self.env.now_ms(),
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
        if let Some(username) = &username {
            if let Err(e) =
                self.store
                    .put(&username_key(&username.key), id.as_bytes(), Some(0), None)
            {
                self.store.delete(&email_claim, None)?;
                self.store.delete(&user_key, None)?;
                return Err(match e {
                    StoreError::Conflict => Error::UsernameTaken,
                    other => other.into(),
                });
            }
        }
        Ok(record.public())
    }

    /// Finds the user id an email or username points to. Malformed identities are simply
    /// unknown, so they cost the same as any other miss.
    fn resolve_identity(&self, identity: &str) -> Result<Option<String>> {
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

    /// Replaces an outdated hash after a successful login. Best effort: if the record changed
    /// meanwhile, the next login tries again.
    fn upgrade_hash(&self, mut user: UserRecord, version: u64, password: &Password) {
        if let Ok(hash) = self.hasher.hash(password, self.env) {
            user.password_hash = hash;
            let _ = records::save(self.store, &user_key(&user.id), &user, Some(version), None);
        }
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
mod tests;
