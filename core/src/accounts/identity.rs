//! Identities: what makes an email address or a username valid, their normalised forms
//! (which decide uniqueness), and finding the account an identity names.

use unicode_normalization::UnicodeNormalization;

use crate::Sesame;
use crate::error::{Error, ErrorCode, Result};
use crate::records::{email_key, username_key};

/// Longest email address accepted (RFC 5321's path limit minus the angle brackets).
pub const MAX_EMAIL_BYTES: usize = 254;

/// Longest local part of an email address (RFC 5321).
pub const MAX_EMAIL_LOCAL_BYTES: usize = 64;

/// Username length bounds, in characters.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;

/// A syntactically valid email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    /// The lower-cased address: what makes two addresses the same account.
    pub(super) key: String,
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

    /// The key that claims this address for one account.
    pub(crate) fn claim_key(&self) -> String {
        email_key(&self.key)
    }
}

/// A valid username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    display: String,
    /// The lower-cased name: what makes two usernames the same account.
    pub(super) key: String,
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

    /// The key that claims this username for one account.
    pub(crate) fn claim_key(&self) -> String {
        username_key(&self.key)
    }
}

/// An identity as typed at sign-in: an email address when it has an `@`, a username otherwise.
enum Identity {
    Email(Email),
    Username(Username),
}

impl Identity {
    /// Parses `raw` as what it looks like.
    fn parse(raw: &str) -> Result<Self> {
        if raw.contains('@') {
            Email::parse(raw).map(Identity::Email)
        } else {
            Username::parse(raw).map(Identity::Username)
        }
    }

    /// The key claiming it for one account.
    fn claim_key(&self) -> String {
        match self {
            Identity::Email(email) => email_key(&email.key),
            Identity::Username(name) => username_key(&name.key),
        }
    }
}

impl Sesame<'_> {
    /// The id of the user registered with `email`, if any.
    pub(crate) fn user_id_for_email(&self, email: &Email) -> Result<Option<String>> {
        self.claim_owner(&email_key(&email.key))
    }

    /// Finds the user id an email or username points to. Malformed identities are simply
    /// unknown, so they cost the same as any other miss.
    pub(crate) fn resolve_identity(&self, identity: &str) -> Result<Option<String>> {
        match Identity::parse(identity) {
            Ok(identity) => self.claim_owner(&identity.claim_key()),
            Err(_) => Ok(None),
        }
    }

    /// Moves one of `user_id`'s claims (its email or username key) to `new` and changes the
    /// user record with `apply`, under the account's identity lock: the new claim is taken first (failing with `taken` when
    /// another account holds it), the record changed by compare-and-swap, then the claim the
    /// record held *at that write* (`claim_of` reads it) released if it still names the user.
    /// Reading the old claim inside the write, not before it, keeps concurrent changes from
    /// leaving a stale claim behind. A failure after the first step releases the new claim
    /// again (if this call took it).
    pub(crate) fn move_claim(
        &self,
        user_id: &str,
        new: Option<&str>,
        claim_of: impl Fn(&super::UserRecord) -> Option<String>,
        taken: Error,
        apply: impl FnMut(&mut super::UserRecord) -> Result<()>,
    ) -> Result<super::UserRecord> {
        self.with_identity_lock(user_id, || {
            self.move_claim_locked(user_id, new, claim_of, taken, apply)
        })
    }

    fn move_claim_locked(
        &self,
        user_id: &str,
        new: Option<&str>,
        claim_of: impl Fn(&super::UserRecord) -> Option<String>,
        taken: Error,
        mut apply: impl FnMut(&mut super::UserRecord) -> Result<()>,
    ) -> Result<super::UserRecord> {
        let mut took = false;
        if let Some(claim) = new {
            // Free, or held by a registration that never wrote its account: ours now.
            match self.claim(claim, user_id)? {
                Some(_) => took = true,
                None => {
                    if self.claim_owner(claim)?.as_deref() != Some(user_id) {
                        return Err(taken);
                    }
                }
            }
        }
        let mut replaced = None;
        let record = match self.update_user(user_id, |r| {
            replaced = claim_of(r);
            apply(r)
        }) {
            Ok(record) => record,
            Err(e) => {
                if let Some(claim) = new.filter(|_| took) {
                    self.release_claim_of(claim, user_id)?;
                }
                return Err(e);
            }
        };
        if let Some(old) = replaced.filter(|old| Some(old.as_str()) != new) {
            self.release_claim_of(&old, user_id)?;
        }
        Ok(record)
    }

    /// Runs `change` (a move of `user_id`'s email or username claims, or their release) while
    /// holding the account's identity lock, so two such changes never interleave: each reads
    /// the claims the record holds and leaves them matching it. A second change meanwhile is
    /// refused as `busy` (retry shortly) rather than left to race; the lock expires by itself
    /// if its holder dies.
    pub(crate) fn with_identity_lock<T>(
        &self,
        user_id: &str,
        change: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        const LOCK_TTL_MS: u64 = 30_000;
        let key = crate::records::identity_lock_key(user_id);
        let version = match self.store.put(&key, &[], Some(0), Some(LOCK_TTL_MS)) {
            Ok(version) => version,
            Err(crate::store::StoreError::Conflict) => {
                return Err(Error::rejected(
                    crate::ErrorCode::Busy,
                    "Another change to this account's email or username is under way; retry in a moment.",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let outcome = change();
        let _ = self.store.delete(&key, Some(version));
        outcome
    }

    /// Deletes the claim `key` if it still names `user_id`; another account's claim stays.
    pub(crate) fn release_claim_of(&self, key: &str, user_id: &str) -> Result<()> {
        if let Some(entry) = self.store.get(key)?
            && entry.value == user_id.as_bytes()
        {
            match self.store.delete(key, Some(entry.version)) {
                Ok(_) | Err(crate::store::StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// The user id an email or username claim points to, if any.
    fn claim_owner(&self, claim_key: &str) -> Result<Option<String>> {
        Ok(self
            .store
            .get(claim_key)?
            .and_then(|entry| String::from_utf8(entry.value).ok()))
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
    match Identity::parse(identity) {
        Ok(Identity::Email(email)) => format!("email:{}", email.key),
        Ok(Identity::Username(name)) => format!("username:{}", name.key),
        Err(_) => format!("other:{}", identity.trim().to_lowercase()),
    }
}
