//! Attempt throttling per client address and per account, counted in the store with
//! compare-and-swap, so every node sharing a store shares the counts.
//!
//! The account counter is keyed by the identity as typed (normalised), not by user id, so an
//! unknown account is throttled exactly like a real one and throttling reveals nothing. The
//! address counter is keyed by the address's throttle bucket
//! ([`throttle_bucket`](crate::client_addr::throttle_bucket)): the IPv4 address, or the /64 of
//! an IPv6 address, since one subscriber usually holds a whole /64.
//!
//! # Windows
//!
//! Counts are kept per fixed window (one counter per window number) but judged as a sliding
//! window: an attempt passes while `count(current) + count(previous) × (share of the previous
//! window still inside the last window length, rounded up)` is below the limit. Plain fixed
//! windows let a burst straddling a boundary through twice (the limit just before it, the
//! limit again just after); with the weighted previous window, attempts after a burst pass
//! again only at the limit's average rate, at the price of one more read. (Like any limiter
//! that allows a burst of the limit, a burst followed by attempts at that rate can reach about
//! twice the limit over one window length; what is bounded is the rate.)
//!
//! Each counter lives until two windows after its own has ended: one window because the next
//! window still weighs it, and one more because a request is judged at the time it started
//! (its clock), which can be well before it reaches the store. A counter written with a
//! lifetime ending exactly at its window's end was gone for a request that started just before
//! the boundary and reached the store just after it, which then counted from zero.

use sha2::{Digest, Sha256};

use crate::Sesame;
use crate::error::{Error, Result};
use crate::records::{self, CAS_ATTEMPTS, throttle_key};
use crate::store::StoreError;

/// What is being counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Sign-in attempts from one client address.
    LoginByAddress,
    /// Sign-in attempts naming one account.
    LoginByAccount,
    /// Requests that send mail (registration, reset links) from one client address.
    MailByAddress,
    /// Mailed sign-in codes naming one account (keyed like [`Scope::LoginByAccount`]), so the
    /// feature cannot flood one mailbox.
    MailByAccount,
    /// Dynamic OAuth client registrations from one client address.
    ClientRegistrationByAddress,
    /// Requests to the OAuth token endpoint by one client (per address for public clients).
    TokenByClient,
    /// Failed OAuth client authentications from one client address.
    ClientAuthFailuresByAddress,
    /// Usernameless passkey challenges from one client address: every view of the sign-in
    /// page asks one for passkey autofill, so they are not sign-in attempts (the answer to one
    /// is, at `LoginByAddress`), but each is a stored record, so they are bounded too.
    ChallengeByAddress,
    /// Mails sent to one address at someone's request (a new address to confirm, a
    /// recovered username), whoever asks: the subject is the address.
    MailByRecipient,
    /// Email and username changes asked for by one account (the subject is its user id).
    ChangeByAccount,
}

impl Scope {
    /// Whether the subject is a client address (counted per
    /// [`throttle_bucket`](crate::client_addr::throttle_bucket)) rather than an account.
    fn per_address(self) -> bool {
        match self {
            Scope::LoginByAddress
            | Scope::MailByAddress
            | Scope::ClientRegistrationByAddress
            | Scope::ClientAuthFailuresByAddress
            | Scope::ChallengeByAddress => true,
            Scope::LoginByAccount
            | Scope::MailByAccount
            | Scope::TokenByClient
            | Scope::MailByRecipient
            | Scope::ChangeByAccount => false,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scope::LoginByAddress => "login-ip",
            Scope::LoginByAccount => "login-account",
            Scope::MailByAddress => "mail-ip",
            Scope::MailByAccount => "mail-account",
            Scope::ClientRegistrationByAddress => "client-registration-ip",
            Scope::TokenByClient => "oauth-token-client",
            Scope::ClientAuthFailuresByAddress => "oauth-client-auth-ip",
            Scope::ChallengeByAddress => "passkey-challenge-ip",
            Scope::MailByRecipient => "mail-recipient",
            Scope::ChangeByAccount => "change-account",
        }
    }
}

pub mod limits;

pub use limits::ThrottleLimits;

/// The hashed counter name of `subject` in `scope` (an address bucket or an identity key).
fn subject_hash(scope: Scope, subject: &str) -> String {
    let subject = if scope.per_address() {
        crate::client_addr::throttle_bucket(subject)
    } else {
        crate::accounts::identity_key(subject)
    };
    hex::encode(&Sha256::digest(subject.as_bytes())[..16])
}

impl Sesame<'_> {
    /// Counts one sign-in attempt: per client address (when the adapter knows it) and, when
    /// one is named, per account. Every way of proving who one is (a password at sign-in or
    /// again later, a passkey) counts here, with the same limits and the same counters.
    pub(crate) fn throttle_sign_in(
        &self,
        client: &crate::sessions::ClientInfo,
        account: Option<&str>,
    ) -> Result<()> {
        if let Some(address) = &client.address {
            self.throttle(Scope::LoginByAddress, address)?;
        }
        if let Some(account) = account {
            self.throttle(Scope::LoginByAccount, account)?;
        }
        Ok(())
    }

    /// Counts one attempt in `scope` for `subject` (an identity, or a client address for the
    /// per-address scopes); fails with [`Error::Throttled`] once the allowance of the sliding
    /// window ending now is used up.
    pub(crate) fn throttle(&self, scope: Scope, subject: &str) -> Result<()> {
        let limits = self.config.throttle;
        let limit = match scope {
            Scope::LoginByAddress => limits.login_per_address,
            Scope::LoginByAccount => limits.login_per_account,
            Scope::MailByAddress | Scope::ClientRegistrationByAddress => {
                limits.register_per_address
            }
            Scope::MailByAccount => limits.mail_per_account,
            Scope::TokenByClient => limits.token_per_client,
            Scope::ClientAuthFailuresByAddress => limits.login_per_address,
            // Four page views for every sign-in attempt allowed: people reload and go back.
            Scope::ChallengeByAddress => limits.login_per_address.saturating_mul(4),
            Scope::MailByRecipient => limits.mail_per_recipient,
            Scope::ChangeByAccount => limits.changes_per_account,
        };
        let window_ms = limits.window_ms.max(1);
        let now = self.host.now_ms();
        let window = now / window_ms;
        let elapsed_ms = now % window_ms;
        let subject_hash = subject_hash(scope, subject);
        let key_of = |window: u64| throttle_key(scope.name(), &subject_hash, window);
        let key = key_of(window);
        let previous = match window.checked_sub(1) {
            Some(before) => self.count(&key_of(before))?.0,
            None => 0,
        };
        // See the module documentation: this window, the next that weighs it, and one more for
        // requests that reach the store late.
        let ttl_ms = (window_ms - elapsed_ms).saturating_add(window_ms.saturating_mul(2));
        for _ in 0..CAS_ATTEMPTS {
            let (count, version) = self.count(&key)?;
            let weighted = Weighted {
                previous,
                current: count,
                elapsed_ms,
                window_ms,
            };
            if !weighted.below(limit) {
                return Err(Error::Throttled {
                    retry_after_ms: weighted.retry_after_ms(limit),
                });
            }
            match records::save(self.store, &key, &(count + 1), Some(version), Some(ttl_ms)) {
                Ok(_) => return Ok(()),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("throttle counter"))
    }

    /// Gives back one attempt counted in `scope` for `subject` in the current window: for
    /// checks that are counted before they are made (so parallel requests cannot all be
    /// checked) but that spend the allowance only when they fail.
    pub(crate) fn refund(&self, scope: Scope, subject: &str) -> Result<()> {
        let window_ms = self.config.throttle.window_ms.max(1);
        let now = self.host.now_ms();
        let key = throttle_key(scope.name(), &subject_hash(scope, subject), now / window_ms);
        for _ in 0..CAS_ATTEMPTS {
            let (count, version) = self.count(&key)?;
            if count == 0 {
                return Ok(());
            }
            let ttl_ms = (window_ms - now % window_ms).saturating_add(window_ms.saturating_mul(2));
            match records::save(self.store, &key, &(count - 1), Some(version), Some(ttl_ms)) {
                Ok(_) => return Ok(()),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("throttle counter"))
    }

    /// The count under `key` and its version (0 when absent).
    fn count(&self, key: &str) -> Result<(u64, u64)> {
        Ok(match self.store.get(key)? {
            Some(entry) => (records::decode::<u64>(key, &entry.value)?, entry.version),
            None => (0, 0),
        })
    }
}

/// The counts a sliding window is judged on.
#[derive(Debug, Clone, Copy)]
struct Weighted {
    /// Attempts in the previous fixed window.
    previous: u64,
    /// Attempts so far in the current fixed window.
    current: u64,
    /// How far into the current window now is.
    elapsed_ms: u64,
    /// Window length.
    window_ms: u64,
}

impl Weighted {
    /// The previous window's share of the sliding window `remaining_ms` long that reaches
    /// into it, rounded up: a burst just before a boundary still counts whole just after it.
    fn previous_share(self, remaining_ms: u128) -> u128 {
        (u128::from(self.previous) * remaining_ms).div_ceil(u128::from(self.window_ms))
    }

    /// Whether one more attempt is allowed: `current + ⌈previous × (window − elapsed) /
    /// window⌉` is below `limit`.
    fn below(self, limit: u64) -> bool {
        let remaining = u128::from(self.window_ms - self.elapsed_ms);
        u128::from(self.current) + self.previous_share(remaining) < u128::from(limit)
    }

    /// How long until an attempt would be allowed again, if no other is made meanwhile (at
    /// least 1 ms).
    fn retry_after_ms(self, limit: u64) -> u64 {
        let window = u128::from(self.window_ms);
        let remaining = u128::from(self.window_ms - self.elapsed_ms);
        let limit = u128::from(limit);
        let (current, previous) = (u128::from(self.current), u128::from(self.previous));
        // With `count` attempts in the window before, an attempt passes once at most
        // `room` are left in it for it to weigh: count × remaining' ≤ room × window.
        let longest_remaining = |count: u128, room: u128| match count {
            0 => window,
            count => (room * window / count).min(window),
        };
        let wait = if current < limit {
            // This window's count fits; wait until the previous one weighs little enough.
            let fits = longest_remaining(previous, limit - current - 1);
            remaining.saturating_sub(fits).max(1)
        } else {
            // Past this window's end it becomes the previous one, with nothing after it yet.
            let fits = longest_remaining(current, limit.saturating_sub(1));
            remaining + (window - fits).max(1)
        };
        u64::try_from(wait).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests;
