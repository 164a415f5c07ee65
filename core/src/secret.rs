//! Random secrets Sesame hands a client once (pending sign-ins, WebAuthn ceremonies): 256 bits
//! from the host's generator, base64url, wiped from memory on drop and never printed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::env::{Env, random_array};
use crate::error::Result;

/// A fresh random token. Only its hash is ever stored; `Debug` hides it.
pub struct OneTimeToken(Zeroizing<String>);

impl OneTimeToken {
    /// 32 random bytes, as 43 base64url characters.
    pub(crate) fn generate(env: &dyn Env) -> Result<Self> {
        Ok(OneTimeToken(Zeroizing::new(
            URL_SAFE_NO_PAD.encode(random_array::<32>(env)?),
        )))
    }

    /// The token text, to hand to the client once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeToken(..)")
    }
}

/// `digits` random decimal digits (at most 18): a code a person types. The bias of reducing a
/// 64-bit number modulo 10^digits is below 10⁻¹¹ for 8 digits.
pub(crate) fn decimal_code(env: &dyn Env, digits: u32) -> Result<String> {
    let value = u64::from_le_bytes(random_array::<8>(env)?) % 10u64.pow(digits.min(18));
    Ok(format!("{value:0width$}", width = digits as usize))
}

/// The SHA-256 (hex) of a typed code under the secret or id it belongs to. Under a secret the
/// store never holds (a pending token), the stored digest cannot be searched for the code.
pub(crate) fn code_digest(under: &str, code: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(under.as_bytes());
    digest.update(b"\n");
    digest.update(code.trim().as_bytes());
    hex::encode(digest.finalize())
}

/// Constant-time equality of a stored and a computed digest.
pub(crate) fn digests_match(stored: &str, computed: &str) -> bool {
    bool::from(stored.as_bytes().ct_eq(computed.as_bytes()))
}
