//! Secrets at rest: XChaCha20-Poly1305 under a key derived from the host's master secret for
//! one purpose, bound to associated data that names what the secret belongs to.
//!
//! The key is HMAC-SHA256(master secret, purpose label), so each purpose has its own key and
//! none equals any other key core derives (session pepper, link signer). The associated data
//! binds a sealed value to its owner: one copied into another record does not open. Nonces are
//! 192 random bits, so random nonces never collide in practice.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::env::{Env, random_array};
use crate::error::{Error, Result};
use crate::settings::MasterSecret;

/// XChaCha20's nonce length.
const NONCE_LEN: usize = 24;

/// One kind of sealed secret: the label its key is derived from, and what the reports of a
/// value that does not open call it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Purpose {
    /// Label of the sealing key (HMAC input).
    pub key_label: &'static [u8],
    /// Prefix of the associated data, before the owner's name.
    pub aad_prefix: &'static [u8],
    /// What the secret is, for error reports.
    pub name: &'static str,
}

/// Seals `plain` for `owner`: `base64url(nonce || ciphertext || tag)`.
pub(crate) fn seal(
    purpose: Purpose,
    master: &MasterSecret,
    env: &dyn Env,
    owner: &str,
    plain: &[u8],
) -> Result<String> {
    let nonce = random_array::<NONCE_LEN>(env)?;
    let aad = [purpose.aad_prefix, owner.as_bytes()].concat();
    let sealed = cipher(purpose, master)
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plain,
                aad: &aad,
            },
        )
        .map_err(|_| Error::Corrupt {
            key: format!("{} of {owner}", purpose.name),
            reason: "encryption failed".into(),
        })?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(URL_SAFE_NO_PAD.encode(out))
}

/// Opens what [`seal`] produced for `owner`. Fails when the text was altered, belongs to
/// another owner, or was sealed under another master secret or purpose.
pub(crate) fn open(
    purpose: Purpose,
    master: &MasterSecret,
    owner: &str,
    sealed: &str,
) -> Result<Zeroizing<Vec<u8>>> {
    let unreadable = |reason: &str| Error::Corrupt {
        key: format!("{} of {owner}", purpose.name),
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
    let aad = [purpose.aad_prefix, owner.as_bytes()].concat();
    cipher(purpose, master)
        .decrypt(
            &XNonce::from(nonce_bytes),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| unreadable("does not open (altered, other owner, or other master secret)"))
}

fn cipher(purpose: Purpose, master: &MasterSecret) -> XChaCha20Poly1305 {
    let mut key = Zeroizing::new([0u8; 32]);
    // HMAC accepts keys of any length; the fallback (never taken) would only yield a key that
    // opens nothing sealed before.
    if let Ok(mut mac) = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(master.expose()) {
        mac.update(purpose.key_label);
        key.copy_from_slice(&mac.finalize().into_bytes());
    }
    XChaCha20Poly1305::new(&Key::from(*key))
}
