//! RFC 6238 time-based one-time passwords over RFC 4226 HOTP, the base32 secret encoding
//! authenticator apps expect, and the `otpauth://` enrolment URI.
//!
//! The code of one step is computed by the `totp-rs` crate; which steps are tried, how a typed
//! code is compared (in constant time, here) and which step counts as used stay in Sesame, so
//! the replay rule can record the step that matched. The URI is built here, in the exact form
//! authenticator apps have been given so far.
//!
//! Pure functions: no store, no clock. Policy (skew, replay, attempts) lives in the parent
//! module.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

/// Seconds per TOTP step (RFC 6238's default, what every authenticator app assumes).
pub const PERIOD_SECS: u64 = 30;

pub use super::settings::Algorithm;

/// A TOTP shared secret. Wiped on drop; `Debug` hides it.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// Wraps raw secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        TotpSecret(Zeroizing::new(bytes))
    }

    /// The raw bytes, for sealing and for computing codes.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret in unpadded RFC 4648 base32, as typed into or scanned by an authenticator.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(base32_encode(&self.0))
    }
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// A code as typed by a user: only digits, exactly as many as configured. Spaces and dashes
/// (as apps display `123 456`) are dropped before checking.
#[derive(Clone)]
pub struct TotpCode(Zeroizing<String>);

impl TotpCode {
    /// Validates the shape of `raw` for `digits`-digit codes; anything else is `invalid-request`.
    pub fn parse(raw: &str, digits: u32) -> Result<Self> {
        let cleaned: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if cleaned.len() != digits as usize || !cleaned.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                format!("A code from the authenticator app is {digits} digits."),
            ));
        }
        Ok(TotpCode(Zeroizing::new(cleaned)))
    }

    /// Whether this is the code `expected`, compared in constant time.
    pub(crate) fn matches(&self, expected: &str) -> bool {
        self.0.as_bytes().ct_eq(expected.as_bytes()).into()
    }
}

impl std::fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpCode(..)")
    }
}

/// The TOTP step (RFC 6238 `T`) a Unix time falls in.
pub fn step_at(unix_secs: u64) -> u64 {
    unix_secs / PERIOD_SECS
}

/// The same hash as `totp-rs` names it.
fn hotp_algorithm(algorithm: Algorithm) -> totp_rs::Algorithm {
    match algorithm {
        Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
    }
}

/// The `digits`-digit code of `secret` at `step` (RFC 4226 HOTP with counter = step).
///
/// Codes have 1 to 9 digits (a `u32` holds no more); a credential claiming any other count can
/// only come from an altered record, and gets an empty code, which no typed code matches.
pub fn code_at(secret: &TotpSecret, algorithm: Algorithm, digits: u32, step: u64) -> String {
    let Some(digits) = u8::try_from(digits).ok().filter(|d| (1..=9).contains(d)) else {
        return String::new();
    };
    // `totp-rs` wipes its copy of the secret when the generator is dropped (its `zeroize`
    // feature). Skew 0: the parent module picks the steps, so it knows which one matched.
    let generator = totp_rs::Builder::new()
        .with_algorithm(hotp_algorithm(algorithm))
        .with_digits(digits)
        .with_skew(0)
        .with_step_duration(PERIOD_SECS)
        .with_secret(totp_rs::Secret::new(secret.expose().into()))
        .build_noncompliant();
    generator
        .generate(step.saturating_mul(PERIOD_SECS))
        .to_string()
}

/// Characters escaped in the label and issuer of an `otpauth://` URI.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// The Key Uri Format authenticator apps scan:
/// `otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=...&digits=...&period=30`.
pub fn otpauth_uri(
    secret: &TotpSecret,
    issuer: &str,
    account: &str,
    algorithm: Algorithm,
    digits: u32,
) -> Zeroizing<String> {
    let issuer = utf8_percent_encode(issuer, URI_COMPONENT).to_string();
    let account = utf8_percent_encode(account, URI_COMPONENT).to_string();
    Zeroizing::new(format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm={}&digits={digits}&period={PERIOD_SECS}",
        secret.to_base32().as_str(),
        algorithm.as_str()
    ))
}

/// Unpadded RFC 4648 base32, upper case.
pub fn base32_encode(bytes: &[u8]) -> String {
    base32::encode(base32::Alphabet::Rfc4648 { padding: false }, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: 8-digit codes for the three reference seeds.
    #[test]
    fn rfc_6238_appendix_b_vectors() {
        let sha1 = TotpSecret::new(b"12345678901234567890".to_vec());
        let sha256 = TotpSecret::new(b"12345678901234567890123456789012".to_vec());
        let sha512 = TotpSecret::new(
            b"1234567890123456789012345678901234567890123456789012345678901234".to_vec(),
        );
        let table: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_111_111_111, "14050471", "67062674", "99943326"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (2_000_000_000, "69279037", "90698825", "38618901"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        for (time, c1, c256, c512) in table {
            let step = step_at(time);
            assert_eq!(code_at(&sha1, Algorithm::Sha1, 8, step), c1, "SHA1 {time}");
            assert_eq!(
                code_at(&sha256, Algorithm::Sha256, 8, step),
                c256,
                "SHA256 {time}"
            );
            assert_eq!(
                code_at(&sha512, Algorithm::Sha512, 8, step),
                c512,
                "SHA512 {time}"
            );
        }
    }

    /// RFC 4226 Appendix D: 6-digit HOTP values for counters 0 and 9.
    #[test]
    fn rfc_4226_six_digit_values() {
        let secret = TotpSecret::new(b"12345678901234567890".to_vec());
        assert_eq!(code_at(&secret, Algorithm::Sha1, 6, 0), "755224");
        assert_eq!(code_at(&secret, Algorithm::Sha1, 6, 9), "520489");
    }

    /// A digit count no `u32` code can have (only an altered record holds one) yields no code
    /// rather than a panic.
    #[test]
    fn impossible_digit_counts_give_no_code() {
        let secret = TotpSecret::new(b"12345678901234567890".to_vec());
        for digits in [0, 10, 300] {
            assert_eq!(code_at(&secret, Algorithm::Sha1, digits, 1), "", "{digits}");
        }
        assert_eq!(code_at(&secret, Algorithm::Sha1, 9, 0).len(), 9);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn codes_must_have_the_configured_shape() {
        assert!(TotpCode::parse("123456", 6).is_ok());
        assert!(TotpCode::parse("123 456", 6).is_ok());
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", "12345678"] {
            let err = TotpCode::parse(bad, 6).unwrap_err();
            assert_eq!(
                crate::AuthError::from(&err).code,
                ErrorCode::InvalidRequest,
                "{bad:?}"
            );
        }
        assert!(TotpCode::parse("12345678", 8).is_ok());
    }

    #[test]
    fn uri_names_issuer_account_and_parameters() {
        let secret = TotpSecret::new(b"12345678901234567890".to_vec());
        let uri = otpauth_uri(
            &secret,
            "Acme Corp",
            "ada@example.com",
            Algorithm::Sha256,
            8,
        );
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/Acme%20Corp:ada@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Corp&algorithm=SHA256&digits=8&period=30"
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret(..)");
    }
}
