//! Random secrets Sesame hands a client once (pending sign-ins, WebAuthn ceremonies): 256 bits
//! from the host's generator, base64url, wiped from memory on drop and never printed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
