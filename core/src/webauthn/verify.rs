//! Verification of what authenticators answer, as WebAuthn Level 3 §7.1 (registration) and
//! §7.2 (authentication) describe it: the answer and what the ceremony expects go in, a
//! verified credential or assertion (or the [`WebAuthnError`] refusing it) comes out.
//!
//! Nothing here reads a store, a clock or a [`crate::Sesame`]: the ceremonies
//! (`registration.rs`, `signin.rs`) load what is expected, call these, and keep what they
//! return. That also lets the fuzz targets drive verification directly.
//!
//! [`WebAuthnError`]: super::WebAuthnError

mod assertion;
mod checks;
mod registration;

pub use assertion::{AssertionPolicy, CheckedAssertion, VerifiedAssertion, check_assertion};
pub use registration::{RegistrationPolicy, VerifiedCredential, verify_registration};

/// What a ceremony expects of an answer: the challenge it issued and the relying party that
/// issued it.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The challenge, as bytes.
    pub challenge: &'a [u8],
    /// The RP ID the authenticator data must hash.
    pub rp_id: &'a str,
    /// The origins the client data may name.
    pub origins: &'a [String],
}
