//! What core needs from its surroundings besides storage: a clock, a random generator, mail and
//! event delivery, and optionally native password hashing.
//!
//! In the component the clock and randomness come from the runtime the component runs in;
//! tests use a fixed clock.

use crate::error::{Error, Result};

/// Clock and cryptographically secure randomness.
///
/// # Example
///
/// ```
/// use sesame_core::env::Env;
/// struct Fixed;
/// impl Env for Fixed {
///     fn now_ms(&self) -> u64 { 1_700_000_000_000 }
///     fn fill_random(&self, buf: &mut [u8]) -> sesame_core::Result<()> {
///         buf.fill(7); // never do this outside tests
///         Ok(())
///     }
///     fn send_mail(&self, mail: &sesame_core::links::Mail) {
///         println!("to {}: {}", mail.to, mail.subject);
///     }
///     fn emit_event(&self, event: &sesame_core::events::Event) {
///         println!("{}", event.kind.as_str());
///     }
/// }
/// assert_eq!(Fixed.now_ms(), 1_700_000_000_000);
/// ```
pub trait Env {
    /// Wall-clock time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Fills `buf` from a cryptographically secure generator, or fails; never falls back to a
    /// weak source.
    fn fill_random(&self, buf: &mut [u8]) -> Result<()>;

    /// Hands an email to the host for delivery. Infallible from core's view: the host logs
    /// what it cannot deliver, and core must answer the same whether or not mail went out (the
    /// answer would otherwise reveal which addresses have accounts).
    fn send_mail(&self, mail: &crate::links::Mail);

    /// Hands an account event to the host (to log, forward to a webhook, ...). Infallible from
    /// core's view, for the same reason as [`Env::send_mail`].
    fn emit_event(&self, event: &crate::events::Event);

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
        params: &crate::config::Argon2Params,
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
    fn legacy_hash(
        &self,
        job: &crate::legacy_hash::HostHash<'_>,
        out: &mut [u8],
    ) -> Option<Result<()>> {
        let _ = (job, out);
        None
    }

    /// `N` random bytes.
    fn random_bytes<const N: usize>(&self) -> Result<[u8; N]>
    where
        Self: Sized,
    {
        let mut buf = [0u8; N];
        self.fill_random(&mut buf)?;
        Ok(buf)
    }
}

/// Random bytes through a `&dyn Env`.
pub(crate) fn random_array<const N: usize>(env: &dyn Env) -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    env.fill_random(&mut buf).map_err(|_| Error::Random)?;
    Ok(buf)
}
