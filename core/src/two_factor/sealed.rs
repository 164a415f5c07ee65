//! TOTP secrets at rest: XChaCha20-Poly1305 under a key derived from the host's master secret,
//! bound to the user they belong to.
//!
//! Sealed as [`crate::sealed`] describes, with the user id as the owner: a sealed secret copied
//! into another user's record does not open.

use zeroize::Zeroizing;

use super::totp::TotpSecret;
use crate::env::Env;
use crate::error::Result;
use crate::sealed::{self, Purpose};
use crate::settings::MasterSecret;

/// TOTP secrets' sealing key label and associated-data prefix.
const TOTP_SECRET: Purpose = Purpose {
    key_label: b"sesame totp-secret aead v1",
    aad_prefix: b"sesame:totp-secret:v1:",
    name: "totp secret",
};

/// Seals `secret` for `user_id`: `base64url(nonce || ciphertext || tag)`.
pub(crate) fn seal(
    master: &MasterSecret,
    env: &dyn Env,
    user_id: &str,
    secret: &TotpSecret,
) -> Result<String> {
    sealed::seal(TOTP_SECRET, master, env, user_id, secret.expose())
}

/// Opens what [`seal`] produced for `user_id`. Fails when the text was altered, belongs to
/// another user, or was sealed under another master secret.
pub(crate) fn open(master: &MasterSecret, user_id: &str, sealed: &str) -> Result<TotpSecret> {
    let plain: Zeroizing<Vec<u8>> = sealed::open(TOTP_SECRET, master, user_id, sealed)?;
    Ok(TotpSecret::new(plain.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FixedEnv;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn round_trip_bound_to_user_and_key() {
        let env = FixedEnv::new();
        let master = MasterSecret::new(vec![1; 32]).unwrap();
        let other = MasterSecret::new(vec![2; 32]).unwrap();
        let secret = TotpSecret::new(b"12345678901234567890".to_vec());
        let sealed = seal(&master, &env, "alice", &secret).unwrap();
        assert_eq!(
            open(&master, "alice", &sealed).unwrap().expose(),
            secret.expose()
        );
        assert!(open(&master, "bob", &sealed).is_err(), "bound to the user");
        assert!(open(&other, "alice", &sealed).is_err(), "bound to the key");
        let mut tampered = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(open(&master, "alice", &URL_SAFE_NO_PAD.encode(tampered)).is_err());
        assert!(!sealed.contains(secret.to_base32().as_str()));
        for junk in ["", "!!", "AAAA"] {
            assert!(open(&master, "alice", junk).is_err());
        }
        let again = seal(&master, &env, "alice", &secret).unwrap();
        assert_ne!(sealed, again, "a fresh nonce every time");
    }
}
