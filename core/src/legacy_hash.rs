//! Verifying password hashes made by other systems: bcrypt, passlib's PBKDF2, any argon2 PHC
//! string, and Flask-Security's HMAC pre-hash in front of them.
//!
//! Why: users imported from another system keep their old hash until they next sign in. Sesame
//! checks the password against that hash here, and on success the caller stores a fresh
//! argon2id hash ([`crate::password::Hasher`]), so the migration needs no password reset and
//! the old format disappears one sign-in at a time. Sesame only *verifies* these formats; it
//! never writes them.
//!
//! Every stored hash here came from an import, so it is treated as hostile input: costs are
//! bounded before any work is done ([`MAX_BCRYPT_COST`], [`MAX_PBKDF2_ROUNDS`],
//! [`MAX_ARGON2_M_KIB`], ...), a malformed string is an [`Error::Hashing`] rather than a
//! mismatch or a panic, and digests are compared in constant time.
//!
//! The password must be normalised exactly as the old system normalised it before hashing.
//! Sesame normalises to NFKC; Flask-Security normalises to NFKD by default
//! (`SECURITY_PASSWORD_NORMALIZE_FORM`), so for its users a password with, say, an accented
//! letter only verifies in its NFKD spelling.

use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Longest stored hash looked at, in bytes. The longest legitimate one (passlib PBKDF2 with its
/// maximum 1024-byte salt) is under 1,500; anything longer is refused before parsing.
pub const MAX_STORED_LEN: usize = 2048;

/// Lowest bcrypt cost (log2 of the rounds) that exists; bcrypt itself defines no smaller one.
pub const MIN_BCRYPT_COST: u32 = 4;
/// Highest bcrypt cost accepted. Each step doubles the work: 16 is already seconds of CPU, and
/// an imported hash must not be able to buy unbounded CPU per sign-in attempt. Common defaults
/// are 10 to 12 (passlib and Python's `bcrypt`: 12).
pub const MAX_BCRYPT_COST: u32 = 16;

/// Highest PBKDF2 iteration count accepted, so an imported hash cannot buy unbounded CPU.
/// passlib's defaults are 29,000 (SHA-256) and 25,000 (SHA-512); OWASP's current advice tops out
/// at 600,000 (PBKDF2-HMAC-SHA256).
pub const MAX_PBKDF2_ROUNDS: u32 = 2_000_000;
/// Longest PBKDF2 salt accepted, in bytes: passlib's own maximum (`max_salt_size`). Its default
/// is 16.
pub const MAX_PBKDF2_SALT_BYTES: usize = 1024;

/// Most argon2 memory accepted, in KiB (64 MiB): the default of passlib, argon2-cffi and
/// Flask-Security, and RFC 9106's second recommendation. Bounds the memory and time an imported
/// hash can demand, and stays well inside the host's per-instance memory limit.
pub const MAX_ARGON2_M_KIB: u32 = 65_536;
/// Most argon2 passes accepted (passlib and argon2-cffi default to 3); bounds the time an
/// imported hash can demand.
pub const MAX_ARGON2_T_COST: u32 = 10;
/// Most argon2 lanes accepted (passlib and argon2-cffi default to 4). Lanes run one after
/// another here, so this bounds bookkeeping rather than work.
pub const MAX_ARGON2_P_COST: u32 = 64;

/// bcrypt hashes at most this many password bytes; the rest is ignored, as in every bcrypt.
const BCRYPT_MAX_KEY: usize = 72;
/// bcrypt's salt, in bytes (22 characters of its base64).
const BCRYPT_SALT_BYTES: usize = 16;
/// The part of bcrypt's 24-byte output that the hash string keeps (31 characters).
const BCRYPT_CHECKSUM_BYTES: usize = 23;
/// Length of every bcrypt hash string: `$2b$` + two-digit cost + `$` + salt + checksum.
const BCRYPT_HASH_LEN: usize = 60;

/// How imported base64 is decoded: no padding, and — like Python's `binascii`, which passlib
/// and the C bcrypt implementations behave like — unused low bits of the last character are
/// ignored rather than refused (some old bcrypt generators set them).
const LENIENT_NO_PAD: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::RequireNone)
    .with_decode_allow_trailing_bits(true);
/// bcrypt's own base64 alphabet (`./A-Za-z0-9`).
const BCRYPT_B64: GeneralPurpose = GeneralPurpose::new(&alphabet::BCRYPT, LENIENT_NO_PAD);
/// Standard base64 without padding; passlib's "ab64" is this with `.` in place of `+`.
const STANDARD_B64: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT_NO_PAD);

/// A stored hash in a format other than Sesame's current argon2id PHC string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyScheme {
    /// bcrypt in modular crypt format: `$2b$`, `$2a$` or `$2y$`, cost, salt and checksum.
    /// (`$2x$`, crypt_blowfish's marker for hashes made with its 8-bit bug, is not supported.)
    Bcrypt,
    /// passlib's `pbkdf2_sha256`: `$pbkdf2-sha256$ROUNDS$SALT$CHECKSUM`, salt and checksum in
    /// passlib's "ab64" (base64 with `.` for `+`, unpadded).
    Pbkdf2Sha256,
    /// passlib's `pbkdf2_sha512`: `$pbkdf2-sha512$ROUNDS$SALT$CHECKSUM`, like
    /// [`LegacyScheme::Pbkdf2Sha256`].
    Pbkdf2Sha512,
    /// Any argon2 PHC string: `$argon2id$`, `$argon2i$` or `$argon2d$`, version 0x13 or 0x10
    /// (a missing `v=` means 0x10, as in the reference implementation).
    Argon2,
}

/// Recognises the scheme of a stored hash string by its prefix: `$2b$`, `$2a$` or `$2y$` is
/// bcrypt; `$pbkdf2-sha256$` and `$pbkdf2-sha512$` are passlib's PBKDF2; `$argon2id$`,
/// `$argon2i$` and `$argon2d$` are argon2 PHC strings. Anything else is `None`. Only the prefix is
/// looked at: [`verify_legacy`] still refuses a malformed rest.
pub fn detect(stored: &str) -> Option<LegacyScheme> {
    const PREFIXES: [(&str, LegacyScheme); 8] = [
        ("$2b$", LegacyScheme::Bcrypt),
        ("$2a$", LegacyScheme::Bcrypt),
        ("$2y$", LegacyScheme::Bcrypt),
        ("$pbkdf2-sha256$", LegacyScheme::Pbkdf2Sha256),
        ("$pbkdf2-sha512$", LegacyScheme::Pbkdf2Sha512),
        ("$argon2id$", LegacyScheme::Argon2),
        ("$argon2i$", LegacyScheme::Argon2),
        ("$argon2d$", LegacyScheme::Argon2),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| stored.starts_with(prefix))
        .map(|&(_, scheme)| scheme)
}

/// Verifies `password` (bytes, already normalised by the caller the way the old system
/// normalised it) against `stored`, a hash in any [`LegacyScheme`].
///
/// `Ok(true)` if the password matches, `Ok(false)` if not. [`Error::Hashing`] if `stored` is not
/// a recognised, well-formed hash, or asks for more work than the `MAX_*` limits of this module
/// allow. Digests are compared in constant time.
///
/// bcrypt looks at the first 72 bytes of the password only, as every bcrypt does.
pub fn verify_legacy(password: &[u8], stored: &str) -> Result<bool> {
    if stored.len() > MAX_STORED_LEN {
        return Err(refused(format!(
            "stored hash is {} bytes, more than {MAX_STORED_LEN}",
            stored.len()
        )));
    }
    match detect(stored) {
        Some(LegacyScheme::Bcrypt) => verify_bcrypt(password, stored),
        Some(LegacyScheme::Pbkdf2Sha256) => verify_pbkdf2(password, stored, Digest::Sha256),
        Some(LegacyScheme::Pbkdf2Sha512) => verify_pbkdf2(password, stored, Digest::Sha512),
        Some(LegacyScheme::Argon2) => verify_argon2(password, stored),
        None => Err(refused("unrecognised hash format")),
    }
}

/// Flask-Security's password pre-hash: `base64(HMAC-SHA512(key = SECURITY_PASSWORD_SALT,
/// msg = password))`, standard alphabet with padding (88 characters).
///
/// Flask-Security hashes this, not the raw password, with its configured passlib scheme
/// whenever that scheme is not listed in `SECURITY_PASSWORD_SINGLE_HASH` (the default list names
/// only Django schemes and plaintext, so bcrypt, argon2 and pbkdf2 hashes are all pre-hashed;
/// older releases expressed the same as `SECURITY_PASSWORD_SINGLE_HASH = False`). Pass the result
/// to [`verify_legacy`] together with the stored hash. For a bcrypt hash Flask-Security cuts the
/// pre-hash to 72 bytes, which bcrypt does anyway.
///
/// `password` must be normalised as Flask-Security normalised it: NFKD by default.
pub fn flask_security_prehash(password: &[u8], salt: &str) -> String {
    // HMAC accepts keys of any length, so the fallback never runs; it only avoids a panic path.
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(salt.as_bytes())
        .unwrap_or_else(|_| <Hmac<Sha512> as KeyInit>::new(&Default::default()));
    mac.update(password);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The hash function under a passlib PBKDF2 hash.
#[derive(Debug, Clone, Copy)]
enum Digest {
    Sha256,
    Sha512,
}

impl Digest {
    /// Output length in bytes, which is also the length of passlib's checksum.
    fn len(self) -> usize {
        match self {
            Digest::Sha256 => 32,
            Digest::Sha512 => 64,
        }
    }

    /// The identifier between the first two `$`.
    fn ident(self) -> &'static str {
        match self {
            Digest::Sha256 => "pbkdf2-sha256",
            Digest::Sha512 => "pbkdf2-sha512",
        }
    }
}

/// The error for a stored hash that is malformed or asks for too much work.
fn refused(reason: impl Into<String>) -> Error {
    Error::Hashing(reason.into())
}

/// bcrypt: `$2b$CC$` + 22 characters of salt + 31 of checksum, in bcrypt's base64.
fn verify_bcrypt(password: &[u8], stored: &str) -> Result<bool> {
    if stored.len() != BCRYPT_HASH_LEN || !stored.is_ascii() {
        return Err(refused(format!(
            "bcrypt hash must be {BCRYPT_HASH_LEN} ASCII characters"
        )));
    }
    let field = |range: std::ops::Range<usize>| {
        stored
            .get(range)
            .ok_or_else(|| refused("bcrypt hash is malformed"))
    };
    let cost_digits = field(4..6)?;
    if field(6..7)? != "$" || !cost_digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused("bcrypt cost must be two digits followed by '$'"));
    }
    let cost: u32 = cost_digits
        .parse()
        .map_err(|_| refused("bcrypt cost is not a number"))?;
    if cost < MIN_BCRYPT_COST {
        return Err(refused(format!(
            "bcrypt cost {cost} is below the minimum {MIN_BCRYPT_COST}"
        )));
    }
    if cost > MAX_BCRYPT_COST {
        return Err(refused(format!(
            "bcrypt cost {cost} is above the limit {MAX_BCRYPT_COST}"
        )));
    }
    let salt: [u8; BCRYPT_SALT_BYTES] = decode_exact(&BCRYPT_B64, field(7..29)?, "bcrypt salt")?;
    let expected: [u8; BCRYPT_CHECKSUM_BYTES] =
        decode_exact(&BCRYPT_B64, field(29..BCRYPT_HASH_LEN)?, "bcrypt checksum")?;

    // bcrypt's key is the password as a C string: its bytes and a terminating NUL, cut to 72
    // bytes. At least the NUL is always there, as the raw function requires a non-empty key.
    let mut key = Zeroizing::new([0u8; BCRYPT_MAX_KEY]);
    for (dst, src) in key.iter_mut().zip(password) {
        *dst = *src;
    }
    let used = password.len().saturating_add(1).min(BCRYPT_MAX_KEY);
    let key_bytes = key
        .get(..used)
        .ok_or_else(|| refused("bcrypt key preparation failed"))?;
    let output = Zeroizing::new(bcrypt::bcrypt(cost, salt, key_bytes));
    let Some(computed) = output.get(..BCRYPT_CHECKSUM_BYTES) else {
        return Err(refused("bcrypt output is too short"));
    };
    Ok(computed.ct_eq(&expected[..]).into())
}

/// passlib PBKDF2: `$pbkdf2-sha256$ROUNDS$SALT$CHECKSUM` (or `-sha512`).
fn verify_pbkdf2(password: &[u8], stored: &str, digest: Digest) -> Result<bool> {
    let ident = digest.ident();
    let mut fields = stored.split('$');
    let (Some(""), Some(id), Some(rounds), Some(salt), Some(checksum), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(refused(format!(
            "{ident} hash must be ${ident}$ROUNDS$SALT$CHECKSUM"
        )));
    };
    if id != ident {
        return Err(refused(format!("expected {ident}, found {id}")));
    }
    // Plain decimal, as passlib writes it: no sign, no leading zeros.
    if rounds.is_empty()
        || !rounds.bytes().all(|b| b.is_ascii_digit())
        || (rounds.len() > 1 && rounds.starts_with('0'))
    {
        return Err(refused(format!("{ident} rounds must be a decimal number")));
    }
    let rounds: u32 = rounds
        .parse()
        .map_err(|_| refused(format!("{ident} rounds are out of range")))?;
    if rounds == 0 {
        return Err(refused(format!("{ident} rounds must be at least 1")));
    }
    if rounds > MAX_PBKDF2_ROUNDS {
        return Err(refused(format!(
            "{ident} rounds {rounds} are above the limit {MAX_PBKDF2_ROUNDS}"
        )));
    }
    if salt.len() > MAX_PBKDF2_SALT_BYTES.div_ceil(3) * 4 {
        return Err(refused(format!(
            "{ident} salt is longer than {MAX_PBKDF2_SALT_BYTES} bytes"
        )));
    }
    let salt = ab64_decode(salt, "salt")?;
    if salt.len() > MAX_PBKDF2_SALT_BYTES {
        return Err(refused(format!(
            "{ident} salt is longer than {MAX_PBKDF2_SALT_BYTES} bytes"
        )));
    }
    if checksum.len() > digest.len().div_ceil(3) * 4 {
        return Err(refused(format!("{ident} checksum has the wrong length")));
    }
    let expected = ab64_decode(checksum, "checksum")?;
    if expected.len() != digest.len() {
        return Err(refused(format!(
            "{ident} checksum is {} bytes, expected {}",
            expected.len(),
            digest.len()
        )));
    }

    let mut buffer = Zeroizing::new([0u8; 64]);
    let Some(computed) = buffer.get_mut(..digest.len()) else {
        return Err(refused("pbkdf2 output buffer too small"));
    };
    match digest {
        Digest::Sha256 => pbkdf2::pbkdf2::<Hmac<Sha256>>(password, &salt, rounds, computed),
        Digest::Sha512 => pbkdf2::pbkdf2::<Hmac<Sha512>>(password, &salt, rounds, computed),
    }
    .map_err(|e| Error::Hashing(format!("{ident}: {e}")))?;
    Ok(computed.ct_eq(&expected).into())
}

/// Decodes passlib's "ab64": standard base64 with `.` instead of `+` and no padding.
fn ab64_decode(field: &str, what: &str) -> Result<Vec<u8>> {
    if field.contains(['+', '=']) {
        return Err(refused(format!(
            "pbkdf2 {what} is not passlib ab64 (has '+' or '=')"
        )));
    }
    STANDARD_B64
        .decode(field.replace('.', "+"))
        .map_err(|e| refused(format!("pbkdf2 {what} is not valid ab64: {e}")))
}

/// Decodes `field` into exactly `N` bytes.
fn decode_exact<const N: usize>(
    engine: &GeneralPurpose,
    field: &str,
    what: &str,
) -> Result<[u8; N]> {
    let bytes = engine
        .decode(field)
        .map_err(|e| refused(format!("{what} is not valid base64: {e}")))?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| refused(format!("{what} is {} bytes, expected {N}", bytes.len())))
}

/// Any argon2 PHC string, with its own algorithm, version and parameters.
fn verify_argon2(password: &[u8], stored: &str) -> Result<bool> {
    let hash = PasswordHash::new(stored).map_err(|e| refused(format!("argon2: {e}")))?;
    let algorithm = Algorithm::try_from(hash.algorithm.as_str())
        .map_err(|e| refused(format!("argon2 algorithm: {e}")))?;
    // The reference implementation reads a PHC string without `v=` as version 0x10.
    let version = match hash.version {
        None => Version::V0x10,
        Some(v) => Version::try_from(v).map_err(|e| refused(format!("argon2 version: {e}")))?,
    };
    let params = Params::try_from(&hash).map_err(|e| refused(format!("argon2 parameters: {e}")))?;
    if params.m_cost() > MAX_ARGON2_M_KIB {
        return Err(refused(format!(
            "argon2 memory {} KiB is above the limit {MAX_ARGON2_M_KIB}",
            params.m_cost()
        )));
    }
    if params.t_cost() > MAX_ARGON2_T_COST {
        return Err(refused(format!(
            "argon2 passes {} are above the limit {MAX_ARGON2_T_COST}",
            params.t_cost()
        )));
    }
    if params.p_cost() > MAX_ARGON2_P_COST {
        return Err(refused(format!(
            "argon2 lanes {} are above the limit {MAX_ARGON2_P_COST}",
            params.p_cost()
        )));
    }
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return Err(refused("argon2 hash lacks its salt or output"));
    };
    let expected = expected.as_bytes();
    let mut buffer = Zeroizing::new([0u8; 64]);
    let Some(computed) = buffer.get_mut(..expected.len()) else {
        return Err(refused("argon2 output is longer than 64 bytes"));
    };
    Argon2::new(algorithm, version, params)
        .hash_password_into(password, salt, computed)
        .map_err(|e| refused(format!("argon2: {e}")))?;
    Ok(computed.ct_eq(expected).into())
}

#[cfg(test)]
mod tests;
