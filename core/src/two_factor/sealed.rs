//! TOTP secrets at rest: XChaCha20-Poly1305 under a key derived from the host's master secret,
//! bound to the user they belong to.
//!
//! The key is HMAC-SHA256(master secret, [`KEY_LABEL`]), so it never equals any other key core
//! derives (session pepper, link signer). The user id is the associated data: a sealed secret
//! copied into another user's record does not open. Nonces are 192 random bits, so random
//! nonces never collide in practice.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::totp::TotpSecret;
use crate::env::{Env, random_array};
use crate::error::{Error, Result};
use crate::settings::MasterSecret;

/// Purpose label of the TOTP sealing key.
const KEY_LABEL: &[u8] = b"sesame totp-secret aead v1";
/// Prefix of the associated data, so the ciphertext is bound to this use and this user.
const AAD_PREFIX: &[u8] = b"sesame:totp-secret:v1:";
/// XChaCha20's nonce length.
const NONCE_LEN: usize = 24;

/// Seals `secret` for `user_id`: `base64url(nonce || ciphertext || tag)`.
pub(crate) fn seal(
    master: &MasterSecret,
    env: &dyn Env,
    user_id: &str,
    secret: &TotpSecret,
) -> Result<String> {
    let nonce = random_array::<NONCE_LEN>(env)?;
    let aad = associated_data(user_id);
    let sealed = cipher(master)
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: secret.expose(),
                aad: &aad,
            },
        )
        .map_err(|_| Error::Corrupt {
            key: format!("totp secret of {user_id}"),
            reason: "encryption failed".into(),
        })?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(URL_SAFE_NO_PAD.encode(out))
}

/// Opens what [`seal`] produced for `user_id`. Fails when the text was altered, belongs to
/// another user, or was sealed under another master secret.
pub(crate) fn open(master: &MasterSecret, user_id: &str, sealed: &str) -> Result<TotpSecret> {
    let unreadable = |reason: &str| Error::Corrupt {
        key: format!("totp secret of {user_id}"),
        reason: reason.to_owned(),
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(sealed)
        .map_err(|_| unreadable("not base64url"))?;
    if bytes.len() < NONCE_LEN {
        return Err(unreadable("too short"));
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let mut nonce_bytes = [0u8; NONCE_LEN];
    nonce_bytes.copy_from_slice(nonce);
    let aad = associated_data(user_id);
    let plain = cipher(master)
        .decrypt(
            &XNonce::from(nonce_bytes),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| unreadable("does not open (altered, other user, or other master secret)"))?;
    Ok(TotpSecret::new(plain))
}

fn associated_data(user_id: &str) -> Vec<u8> {
    [AAD_PREFIX, user_id.as_bytes()].concat()
}

fn cipher(master: &MasterSecret) -> XChaCha20Poly1305 {
    let mut key = Zeroizing::new([0u8; 32]);
    // HMAC accepts keys of any length; the fallback (never taken) would only yield a key that
    // opens nothing sealed before.
    if let Ok(mut mac) = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(master.expose()) {
        mac.update(KEY_LABEL);
        key.copy_from_slice(&mac.finalize().into_bytes());
    }
    XChaCha20Poly1305::new(&Key::from(*key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FixedEnv;

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
