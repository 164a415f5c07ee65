//! Password hashing as the host may offer it: the argon2id costs Sesame hashes with, and the
//! small trait through which a host computes hashes natively instead of inside the component.

use crate::env::Env;
use crate::error::Result;
use crate::legacy_hash::HostHash;
use crate::settings::{Setting, number, section};

/// argon2id cost parameters for new password hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for Argon2Params {
    /// OWASP's first recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Argon2Params {
            m_kib: 19_456,
            t: 2,
            p: 1,
        }
    }
}

/// The argon2 cost variables.
pub const SETTINGS: &[Setting<Argon2Params>] = section! {
    "SESAME_ARGON2_M_KIB" = "19456", m_kib <- number, "argon2id memory of new password hashes, in KiB";
    "SESAME_ARGON2_T" = "2", t <- number, "argon2id passes of new password hashes";
    "SESAME_ARGON2_P" = "1", p <- number, "argon2id lanes of new password hashes";
};

/// Native password hashing a host may offer. Both methods default to `None`: core then
/// computes the hash itself, with the same bytes as a result.
pub trait NativeHashing {
    /// Computes argon2id (version 0x13) of `password` and `salt` at `params` into `out`, if the
    /// host offers a native implementation; `None` (the default) makes core compute it itself.
    ///
    /// The bytes must be exactly what the `argon2` crate computes: hashes made either way verify
    /// the other way. A host offers this because the same work inside a component runs about
    /// twice as slowly, and hashing is most of what a sign-in costs. A host whose hashing queue
    /// is full answers `Some(Err(Error::HashingBusy { .. }))` at once, and core passes that on
    /// (a 503 with `Retry-After`), never counting it as a wrong password.
    fn argon2id(
        &self,
        password: &[u8],
        salt: &[u8],
        params: &Argon2Params,
        out: &mut [u8],
    ) -> Option<Result<()>> {
        let _ = (password, salt, params, out);
        None
    }

    /// Computes one hash behind an imported password hash (bcrypt, PBKDF2, argon2 of any
    /// variant) into `out`, if the host offers a native implementation; `None` (the default)
    /// makes core compute it itself. Core has parsed the stored hash and bounded its costs
    /// ([`crate::legacy_hash`]) before asking, and compares the result itself.
    ///
    /// The bytes must be exactly what [`crate::legacy_hash::compute_here`] computes. A host
    /// too busy to hash answers `Some(Err(Error::HashingBusy { .. }))`.
    fn legacy_hash(&self, job: &HostHash<'_>, out: &mut [u8]) -> Option<Result<()>> {
        let _ = (job, out);
        None
    }
}

/// What hashing a password needs from the host: randomness for salts, and native hashing if
/// offered. Every [`Env`] that is also [`NativeHashing`] is one.
pub trait HashingHost: Env + NativeHashing {}

impl<T: Env + NativeHashing + ?Sized> HashingHost for T {}
