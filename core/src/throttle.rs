//! Attempt throttling per client address and per account, in fixed windows counted in the
//! store with compare-and-swap, so every node sharing a store shares the counts.
//!
//! The account counter is keyed by the identity as typed (normalised), not by user id, so an
//! unknown account is throttled exactly like a real one and throttling reveals nothing.

use sha2::{Digest, Sha256};

use crate::Sesame;
use crate::error::{Error, Result};
use crate::records::{self, CAS_ATTEMPTS};
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
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::LoginByAddress => "login-ip",
            Scope::LoginByAccount => "login-account",
            Scope::MailByAddress => "mail-ip",
        }
    }
}

/// Attempts allowed per window for each scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Window length in ms.
    pub window_ms: u64,
    /// Sign-ins per window from one address.
    pub login_per_address: u64,
    /// Sign-ins per window naming one account.
    pub login_per_account: u64,
    /// Mail-sending requests (registrations, reset links) per window from one address.
    pub register_per_address: u64,
}

impl Default for ThrottleLimits {
    /// One minute windows: 30 sign-ins per address, 10 per account, 10 registrations per
    /// address. Far above what a person types, far below what guessing needs.
    fn default() -> Self {
        ThrottleLimits {
            window_ms: 60_000,
            login_per_address: 30,
            login_per_account: 10,
            register_per_address: 10,
        }
    }
}

impl Sesame<'_> {
    /// Counts one attempt in `scope` for `subject`; fails with [`Error::Throttled`] once the
    /// window's allowance is used up.
    pub(crate) fn throttle(&self, scope: Scope, subject: &str) -> Result<()> {
        let limits = self.config.throttle;
        let limit = match scope {
            Scope::LoginByAddress => limits.login_per_address,
            Scope::LoginByAccount => limits.login_per_account,
            Scope::MailByAddress => limits.register_per_address,
        };
        let window_ms = limits.window_ms.max(1);
        let now = self.env.now_ms();
        let window = now / window_ms;
        let retry_after_ms = (window + 1) * window_ms - now;
        let subject_hash =
            hex::encode(&Sha256::digest(subject.trim().to_lowercase().as_bytes())[..16]);
        let key = format!("throttle/{}/{subject_hash}/{window}", scope.name());
        for _ in 0..CAS_ATTEMPTS {
            let (count, version) = match self.store.get(&key)? {
                Some(entry) => (records::decode::<u64>(&key, &entry.value)?, entry.version),
                None => (0, 0),
            };
            if count >= limit {
                return Err(Error::Throttled { retry_after_ms });
            }
            match records::save(
                self.store,
                &key,
                &(count + 1),
                Some(version),
                Some(retry_after_ms),
            ) {
                Ok(_) => return Ok(()),
                Err(Error::Store(StoreError::Conflict)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::Contention("throttle counter"))
    }
}
