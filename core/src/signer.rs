//! Signed, expiring tokens for links (email confirmation, password reset) and for hosts (the
//! WIT `signer` export): HMAC-SHA256 over a purpose, an issue time and a payload, with a key of
//! the current [`crate::keyring`] generation.
//!
//! Format: `base64url(payload) "." issued_at_secs "." base64url(tag)`. The purpose is part of
//! the MAC input, not of the token, so a token signed for one purpose never verifies for
//! another. Verification recomputes the tag and compares in constant time before looking at the
//! payload or the time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// Why a signed token was refused. Callers map every case to one public answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not three dot-separated parts of the right alphabet.
    #[error("malformed signed token")]
    Malformed,
    /// The tag does not match: forged, altered, or signed for another purpose or key.
    #[error("bad signature")]
    BadSignature,
    /// Older than the allowed age (or issued in the future beyond clock skew).
    #[error("signed token expired")]
    Expired,
}

/// Signs and verifies tokens for one purpose.
pub struct Signer {
    key: Zeroizing<[u8; 32]>,
    purpose: String,
}

/// Clock skew tolerated for tokens that appear issued in the future, in seconds.
const MAX_FUTURE_SKEW_SECS: u64 = 60;

impl Signer {
    /// A signer for `purpose` with `key` (one generation's key from the keyring).
    pub fn new(key: Zeroizing<[u8; 32]>, purpose: &str) -> Self {
        Signer {
            key,
            purpose: purpose.to_owned(),
        }
    }

    /// Signs `payload` as issued at `now_secs`.
    pub fn sign(&self, payload: &[u8], now_secs: u64) -> String {
        let body = format!("{}.{now_secs}", URL_SAFE_NO_PAD.encode(payload));
        let tag = self.tag(&body);
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// Checks `token` and returns its payload and issue time if it is authentic and at most
    /// `max_age_secs` old at `now_secs`.
    pub fn verify(
        &self,
        token: &str,
        now_secs: u64,
        max_age_secs: u64,
    ) -> Result<(Vec<u8>, u64), SignatureError> {
        let (body, tag) = token.rsplit_once('.').ok_or(SignatureError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| SignatureError::Malformed)?;
        self.mac(body)
            .verify_slice(&tag)
            .map_err(|_| SignatureError::BadSignature)?;
        let (payload, issued) = body.split_once('.').ok_or(SignatureError::Malformed)?;
        let issued: u64 = issued.parse().map_err(|_| SignatureError::Malformed)?;
        if issued > now_secs.saturating_add(MAX_FUTURE_SKEW_SECS)
            || now_secs.saturating_sub(issued) > max_age_secs
        {
            return Err(SignatureError::Expired);
        }
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| SignatureError::Malformed)?;
        Ok((payload, issued))
    }

    fn tag(&self, body: &str) -> [u8; 32] {
        self.mac(body).finalize().into_bytes().into()
    }

    /// The MAC state over purpose and body; the purpose is NUL-terminated so no purpose is a
    /// prefix of another's input.
    fn mac(&self, body: &str) -> HmacSha256 {
        let mut mac = new_mac(&self.key[..]);
        mac.update(self.purpose.as_bytes());
        mac.update(b"\0");
        mac.update(body.as_bytes());
        mac
    }
}

/// A host's purpose: 1 to 64 characters of a-z, 0-9, '.', '_' and '-'.
fn host_purpose(purpose: &str) -> crate::Result<String> {
    let valid = (1..=64).contains(&purpose.len())
        && purpose
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !valid {
        return Err(crate::Error::rejected(
            crate::ErrorCode::InvalidRequest,
            "A purpose is 1 to 64 characters of a-z, 0-9, '.', '_' and '-'.",
        ));
    }
    // Hosts sign in a namespace of their own, so no host token can ever pass as one of
    // Sesame's own (confirmation or reset links), whatever purpose it names.
    Ok(format!("host:{purpose}"))
}

impl crate::Sesame<'_> {
    /// Signs `payload` for a host, under `purpose`, with the current key generation.
    ///
    /// WIT: `sesame:auth/signer.sign`.
    pub fn sign_for_host(&self, purpose: &str, payload: &[u8]) -> crate::Result<String> {
        let purpose = host_purpose(purpose)?;
        Ok(self
            .keyring()?
            .signer(&purpose)
            .sign(payload, self.host.now_ms() / 1000))
    }

    /// Verifies a token signed by [`Self::sign_for_host`] for `purpose`, at most
    /// `max_age_secs` old; returns the payload and the issue time in seconds.
    ///
    /// WIT: `sesame:auth/signer.verify`.
    pub fn verify_for_host(
        &self,
        purpose: &str,
        token: &str,
        max_age_secs: u64,
    ) -> crate::Result<(Vec<u8>, u64)> {
        let purpose = host_purpose(purpose)?;
        self.keyring()?
            .verify(&purpose, token, self.host.now_ms() / 1000, max_age_secs)
            .map_err(|e| {
                crate::Error::rejected(
                    crate::ErrorCode::InvalidToken,
                    match e {
                        SignatureError::Expired => "The signed token has expired.",
                        _ => "The signed token is malformed or its signature does not verify.",
                    },
                )
            })
    }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail; the fallback keeps it panic-free.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()))
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;

    fn secret(byte: u8) -> Zeroizing<[u8; 32]> {
        Zeroizing::new([byte; 32])
    }

    #[test]
    fn round_trip_and_expiry() {
        let s = Signer::new(secret(1), "reset");
        let token = s.sign(b"user-42", 1000);
        assert_eq!(
            s.verify(&token, 1000 + 3600, 3600).unwrap(),
            (b"user-42".to_vec(), 1000)
        );
        assert_eq!(
            s.verify(&token, 1000 + 3601, 3600),
            Err(SignatureError::Expired)
        );
        let future = s.sign(b"x", 5000);
        assert_eq!(s.verify(&future, 1000, 3600), Err(SignatureError::Expired));
    }

    #[test]
    fn host_tokens_cannot_pass_as_sesame_links() {
        let f = crate::testing::Fixture::new();
        let sesame = f.sesame();
        let token = sesame.sign_for_host("reset-password", b"user-42").unwrap();
        assert_eq!(
            sesame
                .verify_for_host("reset-password", &token, 60)
                .unwrap()
                .0,
            b"user-42"
        );
        // Sesame's own reset purpose does not accept it.
        assert!(
            sesame
                .keyring()
                .unwrap()
                .verify("reset-password", &token, f.env.now_ms() / 1000, 60)
                .is_err()
        );
        assert!(sesame.verify_for_host("other", &token, 60).is_err());
        assert!(sesame.sign_for_host("Bad Purpose", b"").is_err());
        f.advance(61_000);
        let err = f.sesame().verify_for_host("reset-password", &token, 60);
        assert_eq!(
            crate::AuthError::from(err.unwrap_err()).code,
            crate::ErrorCode::InvalidToken
        );
    }

    #[test]
    fn purpose_key_and_content_are_bound() {
        let reset = Signer::new(secret(1), "reset");
        let confirm = Signer::new(secret(1), "confirm");
        let other_key = Signer::new(secret(2), "reset");
        let token = reset.sign(b"user-42", 1000);
        assert_eq!(
            confirm.verify(&token, 1000, 60),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(
            other_key.verify(&token, 1000, 60),
            Err(SignatureError::BadSignature)
        );
        let (_, rest) = token.split_once('.').unwrap();
        let altered = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(b"user-43"));
        assert_eq!(
            reset.verify(&altered, 1000, 60),
            Err(SignatureError::BadSignature)
        );
        let later = token.replace(".1000.", ".2000.");
        assert_eq!(
            reset.verify(&later, 2000, 60),
            Err(SignatureError::BadSignature)
        );
        for junk in ["", "a", "a.b", "a.b.c", "..", "!!.1.!!"] {
            assert!(reset.verify(junk, 1000, 60).is_err(), "{junk:?}");
        }
    }
}
