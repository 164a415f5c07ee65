//! The clock and the random generator core runs on: the two things every operation may need
//! from its surroundings besides storage. Mail, events and native hashing reach core through
//! traits of their own (`Mailer`, `EventSink`, `NativeHashing`), so this ground knows nothing
//! of them.
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
/// }
/// assert_eq!(Fixed.now_ms(), 1_700_000_000_000);
/// ```
pub trait Env {
    /// Wall-clock time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Fills `buf` from a cryptographically secure generator, or fails; never falls back to a
    /// weak source.
    fn fill_random(&self, buf: &mut [u8]) -> Result<()>;

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
