//! Verifying password hashes made by other systems: bcrypt, passlib's and Django's PBKDF2, any
//! argon2 PHC string, and Flask-Security's HMAC pre-hash in front of them.
//!
//! Why: users imported from another system keep their old hash until they next sign in. Sesame
//! checks the password against that hash here, and on success the caller stores a fresh
//! argon2id hash ([`crate::password::Hasher`]), so the migration needs no password reset and
//! the old format disappears one sign-in at a time. Sesame only *verifies* these formats; it
//! never writes them.
//!
//! Every stored hash here came from an import, so it is treated as hostile input: costs are
//! bounded before any work is done ([`MAX_BCRYPT_COST`], [`MAX_PBKDF2_SHA256_ROUNDS`],
//! [`MAX_ARGON2_WORK`], ...), at import ([`check_importable`]) and again at every verification;
//! a malformed string is an [`Error::Hashing`] rather than a mismatch or a panic, and digests
//! are compared in constant time.
//!
//! The work itself (bcrypt, PBKDF2, argon2) goes to the host when it offers native hashing
//! (the host's native hashing, the `sesame:auth/hashing` import), and is done here otherwise. This
//! module parses, bounds and compares either way: the host only computes.
//!
//! The password must be normalised exactly as the old system normalised it before hashing.
//! Sesame normalises to NFKC; Flask-Security normalises to NFKD by default
//! (`SECURITY_PASSWORD_NORMALIZE_FORM`), so for its users a password with, say, an accented
//! letter only verifies in its NFKD spelling.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The argon2 variant and version of a [`HostHash::Argon2`] job (the `argon2` crate's types).
pub use argon2::{Algorithm as Argon2Algorithm, Version as Argon2Version};

/// Longest stored hash looked at, in bytes. The longest legitimate one (passlib PBKDF2 with its
/// maximum 1024-byte salt) is under 1,500; anything longer is refused before parsing.
pub const MAX_STORED_LEN: usize = 2048;

// The cost limits below admit the defaults of the systems users are imported from and refuse
// more, at import and again at every verification, because a failed sign-in against an
// imported hash costs its full work and an attacker picks which account to try. The worst
// accepted case of each scheme costs under a second per attempt on a 2-core x86-64 server,
// natively and inside the component (figures in docs/security.md, from `bench/legacy_hash`).

/// Lowest bcrypt cost (log2 of the rounds) that exists; bcrypt itself defines no smaller one.
pub const MIN_BCRYPT_COST: u32 = 4;
/// Highest bcrypt cost accepted: 12, the default of passlib, Python's `bcrypt`, Flask-Security
/// (through passlib) and Django's `BCryptSHA256PasswordHasher`. Each step doubles the work.
pub const MAX_BCRYPT_COST: u32 = 12;

/// Highest PBKDF2-HMAC-SHA256 iteration count accepted: Django 6.0's default (1,200,000; 5.2
/// used 1,000,000), above passlib's 29,000 and OWASP's 600,000.
pub const MAX_PBKDF2_SHA256_ROUNDS: u32 = 1_200_000;
/// Highest PBKDF2-HMAC-SHA512 iteration count accepted: OWASP's 210,000, well above passlib's
/// (and so Flask-Security's) 25,000 default. Nothing common uses more with SHA-512.
pub const MAX_PBKDF2_SHA512_ROUNDS: u32 = 210_000;
/// Longest PBKDF2 salt accepted, in bytes: passlib's own maximum (`max_salt_size`). Its default
/// is 16.
pub const MAX_PBKDF2_SALT_BYTES: usize = 1024;

/// Most argon2 memory accepted, in KiB (100 MiB): Django's `Argon2PasswordHasher` default
/// (m=102400, t=2, p=8). passlib, argon2-cffi and Flask-Security default to 64 MiB. Stays well
/// inside the host's per-instance memory limit.
pub const MAX_ARGON2_M_KIB: u32 = 102_400;
/// Most argon2 passes accepted: 10, what Flask-Security configured for passlib's argon2 before
/// it moved to the library defaults (passlib and argon2-cffi: 3; Django: 2).
pub const MAX_ARGON2_T_COST: u32 = 10;
/// Most argon2 work accepted, memory times passes (KiB-passes): Flask-Security's former default
/// of 64 MiB and 10 passes. The memory and pass limits alone would admit 100 MiB at 10 passes,
/// half again as much work as any default asks.
pub const MAX_ARGON2_WORK: u64 = 65_536 * 10;
/// Most argon2 lanes accepted (passlib and argon2-cffi default to 4, Django to 8). Lanes run
/// one after another here, so this bounds bookkeeping rather than work.
pub const MAX_ARGON2_P_COST: u32 = 16;

/// bcrypt hashes at most this many password bytes; the rest is ignored, as in every bcrypt.
const BCRYPT_MAX_KEY: usize = 72;
/// bcrypt's salt, in bytes (22 characters of its base64).
const BCRYPT_SALT_BYTES: usize = 16;
/// The part of bcrypt's 24-byte output that the hash string keeps (31 characters).
const BCRYPT_CHECKSUM_BYTES: usize = 23;
/// bcrypt's raw output, in bytes.
pub const BCRYPT_OUTPUT_BYTES: usize = 24;
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
    /// PBKDF2-HMAC-SHA256: passlib's `$pbkdf2-sha256$ROUNDS$SALT$CHECKSUM` (salt and checksum
    /// in passlib's "ab64", base64 with `.` for `+`, unpadded), or Django's default
    /// `pbkdf2_sha256$ROUNDS$SALT$CHECKSUM` (the salt's text itself is the salt, the checksum
    /// is padded standard base64).
    Pbkdf2Sha256,
    /// passlib's `pbkdf2_sha512`: `$pbkdf2-sha512$ROUNDS$SALT$CHECKSUM`, like passlib's
    /// [`LegacyScheme::Pbkdf2Sha256`].
    Pbkdf2Sha512,
    /// Any argon2 PHC string: `$argon2id$`, `$argon2i$` or `$argon2d$`, version 0x13 or 0x10
    /// (a missing `v=` means 0x10, as in the reference implementation).
    Argon2,
}

/// Recognises the scheme of a stored hash string by its prefix: `$2b$`, `$2a$` or `$2y$` is
/// bcrypt; `$pbkdf2-sha256$` and `$pbkdf2-sha512$` are passlib's PBKDF2, `pbkdf2_sha256$`
/// Django's; `$argon2id$`, `$argon2i$` and `$argon2d$` are argon2 PHC strings. Anything else is
/// `None`. Only the prefix is looked at: [`check_importable`] and [`verify_legacy`] still
/// refuse a malformed rest.
pub fn detect(stored: &str) -> Option<LegacyScheme> {
    const PREFIXES: [(&str, LegacyScheme); 9] = [
        ("$2b$", LegacyScheme::Bcrypt),
        ("$2a$", LegacyScheme::Bcrypt),
        ("$2y$", LegacyScheme::Bcrypt),
        ("$pbkdf2-sha256$", LegacyScheme::Pbkdf2Sha256),
        ("$pbkdf2-sha512$", LegacyScheme::Pbkdf2Sha512),
        (parse::DJANGO_PBKDF2_SHA256, LegacyScheme::Pbkdf2Sha256),
        ("$argon2id$", LegacyScheme::Argon2),
        ("$argon2i$", LegacyScheme::Argon2),
        ("$argon2d$", LegacyScheme::Argon2),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| stored.starts_with(prefix))
        .map(|&(_, scheme)| scheme)
}

/// The hash function under a PBKDF2 hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pbkdf2Digest {
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Pbkdf2Digest {
    /// Output length in bytes, which is also the length of the stored checksum.
    pub fn output_len(self) -> usize {
        match self {
            Pbkdf2Digest::Sha256 => 32,
            Pbkdf2Digest::Sha512 => 64,
        }
    }

    /// The iteration limit for this digest ([`MAX_PBKDF2_SHA256_ROUNDS`] or
    /// [`MAX_PBKDF2_SHA512_ROUNDS`]).
    pub fn max_rounds(self) -> u32 {
        match self {
            Pbkdf2Digest::Sha256 => MAX_PBKDF2_SHA256_ROUNDS,
            Pbkdf2Digest::Sha512 => MAX_PBKDF2_SHA512_ROUNDS,
        }
    }
}

/// One computation behind an imported hash, already parsed and within this module's limits:
/// what the host's native hashing hands a host that hashes natively (`sesame:auth/hashing`). The host
/// only computes; comparing the result with the stored checksum stays here.
///
/// No `Debug`: it holds the password.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum HostHash<'a> {
    /// argon2 of `password` and `salt`.
    Argon2 {
        /// The variant.
        algorithm: Algorithm,
        /// 0x10 or 0x13.
        version: Version,
        /// Memory, in KiB.
        m_kib: u32,
        /// Passes.
        t: u32,
        /// Lanes.
        p: u32,
        /// The password (or Flask-Security's pre-hash of it).
        password: &'a [u8],
        /// The salt.
        salt: &'a [u8],
    },
    /// The raw bcrypt function; the output is [`BCRYPT_OUTPUT_BYTES`] long.
    Bcrypt {
        /// What bcrypt hashes: the password's bytes and a NUL, cut to 72 bytes.
        key: &'a [u8],
        /// The 16-byte salt.
        salt: &'a [u8; BCRYPT_SALT_BYTES],
        /// log2 of the rounds, [`MIN_BCRYPT_COST`] to [`MAX_BCRYPT_COST`].
        cost: u32,
    },
    /// PBKDF2-HMAC of `password` and `salt`.
    Pbkdf2 {
        /// The hash function.
        digest: Pbkdf2Digest,
        /// The password (or Flask-Security's pre-hash of it).
        password: &'a [u8],
        /// The salt.
        salt: &'a [u8],
        /// Iterations, at most [`Pbkdf2Digest::max_rounds`].
        rounds: u32,
    },
}

/// Checks that `stored` can be imported: a recognised, well-formed hash within this module's
/// cost limits. Does no hashing work. The error names the limit an over-costly hash breaks.
///
/// The same checks run again at every [`verify_legacy`], so a hash written to the store some
/// other way is refused there too.
pub fn check_importable(stored: &str) -> Result<LegacyScheme> {
    let scheme = detect(stored).ok_or_else(|| refused("unrecognised hash format"))?;
    parse::parse(stored)?;
    Ok(scheme)
}

/// Verifies `password` (bytes, already normalised by the caller the way the old system
/// normalised it) against `stored`, a hash in any [`LegacyScheme`], computing it here.
///
/// `Ok(true)` if the password matches, `Ok(false)` if not. [`Error::Hashing`] if `stored` is not
/// a recognised, well-formed hash, or asks for more work than the `MAX_*` limits of this module
/// allow. Digests are compared in constant time.
///
/// bcrypt looks at the first 72 bytes of the password only, as every bcrypt does.
pub fn verify_legacy(password: &[u8], stored: &str) -> Result<bool> {
    verify_legacy_with(password, stored, &|_, _| None)
}

/// How a host computes a [`HostHash`] natively: `Some(result)` when it did (or was too busy
/// to: [`Error::HashingBusy`]), `None` when it offers no native hashing and the work is done
/// here. A function rather than the host's trait, so this module needs nothing above it.
pub type NativeCompute<'h> = &'h dyn Fn(&HostHash<'_>, &mut [u8]) -> Option<Result<()>>;

/// [`verify_legacy`], with the hash computed by `native` when the host offers it and here
/// otherwise. A host that is too busy to hash answers [`Error::HashingBusy`], which is passed
/// on: nothing was checked.
pub fn verify_legacy_with(
    password: &[u8],
    stored: &str,
    native: NativeCompute<'_>,
) -> Result<bool> {
    let parsed = parse::parse(stored)?;
    let mut bcrypt_key = Zeroizing::new([0u8; BCRYPT_MAX_KEY]);
    // Each scheme's job, how many bytes it computes, and the stored checksum to compare them
    // with.
    let (job, out_len, expected): (HostHash<'_>, usize, &[u8]) = match &parsed {
        Parsed::Bcrypt {
            cost,
            salt,
            expected,
        } => {
            // bcrypt's key is the password as a C string: its bytes and a terminating NUL, cut
            // to 72 bytes. At least the NUL is always there, as the raw function requires a
            // non-empty key.
            for (dst, src) in bcrypt_key.iter_mut().zip(password) {
                *dst = *src;
            }
            let used = password.len().saturating_add(1).min(BCRYPT_MAX_KEY);
            let key = bcrypt_key
                .get(..used)
                .ok_or_else(|| refused("bcrypt key preparation failed"))?;
            let job = HostHash::Bcrypt {
                key,
                salt,
                cost: *cost,
            };
            (job, BCRYPT_OUTPUT_BYTES, expected)
        }
        Parsed::Pbkdf2 {
            digest,
            rounds,
            salt,
            expected,
        } => {
            let job = HostHash::Pbkdf2 {
                digest: *digest,
                password,
                salt,
                rounds: *rounds,
            };
            (job, digest.output_len(), expected)
        }
        Parsed::Argon2 {
            algorithm,
            version,
            params,
            salt,
            expected,
        } => {
            let job = HostHash::Argon2 {
                algorithm: *algorithm,
                version: *version,
                m_kib: params.m_cost(),
                t: params.t_cost(),
                p: params.p_cost(),
                password,
                salt,
            };
            (job, expected.len(), expected)
        }
    };
    let mut buffer = Zeroizing::new([0u8; 64]);
    let out = buffer
        .get_mut(..out_len)
        .ok_or_else(|| refused("hash output is longer than 64 bytes"))?;
    compute(&job, out, native)?;
    matches(out, expected)
}

/// Whether the first `expected.len()` bytes of `computed` are `expected`, in constant time.
fn matches(computed: &[u8], expected: &[u8]) -> Result<bool> {
    let computed = computed
        .get(..expected.len())
        .ok_or_else(|| refused("computed hash is shorter than the stored one"))?;
    Ok(computed.ct_eq(expected).into())
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

/// The error for a stored hash that is malformed or asks for too much work.
fn refused(reason: impl Into<String>) -> Error {
    Error::Hashing(reason.into())
}

/// A stored hash taken apart, its costs checked: everything needed to verify it.
enum Parsed {
    /// bcrypt.
    Bcrypt {
        /// log2 of the rounds.
        cost: u32,
        /// The salt.
        salt: [u8; BCRYPT_SALT_BYTES],
        /// The stored checksum (23 of bcrypt's 24 output bytes).
        expected: [u8; BCRYPT_CHECKSUM_BYTES],
    },
    /// PBKDF2, passlib's or Django's.
    Pbkdf2 {
        /// The hash function.
        digest: Pbkdf2Digest,
        /// Iterations.
        rounds: u32,
        /// The salt.
        salt: Vec<u8>,
        /// The stored checksum, [`Pbkdf2Digest::output_len`] bytes.
        expected: Vec<u8>,
    },
    /// argon2.
    Argon2 {
        /// The variant.
        algorithm: Algorithm,
        /// The version.
        version: Version,
        /// Memory, passes and lanes.
        params: Params,
        /// The salt.
        salt: Vec<u8>,
        /// The stored output.
        expected: Vec<u8>,
    },
}

/// Computes `job` into `out`: by the host if it offers it, here otherwise.
fn compute(job: &HostHash<'_>, out: &mut [u8], native: NativeCompute<'_>) -> Result<()> {
    match native(job, out) {
        Some(done) => done,
        None => compute_here(job, out),
    }
}

/// Computes `job` into `out` inside this process (the component, when the host hashes nothing).
pub fn compute_here(job: &HostHash<'_>, out: &mut [u8]) -> Result<()> {
    match *job {
        HostHash::Bcrypt { key, salt, cost } => {
            if key.is_empty()
                || key.len() > BCRYPT_MAX_KEY
                || !(MIN_BCRYPT_COST..32).contains(&cost)
            {
                return Err(refused("bcrypt inputs out of range"));
            }
            let output = Zeroizing::new(bcrypt::bcrypt(cost, *salt, key));
            if out.len() != output.len() {
                return Err(refused("bcrypt output is 24 bytes"));
            }
            out.copy_from_slice(&output[..]);
            Ok(())
        }
        HostHash::Pbkdf2 {
            digest,
            password,
            salt,
            rounds,
        } => match digest {
            Pbkdf2Digest::Sha256 => pbkdf2::pbkdf2::<Hmac<Sha256>>(password, salt, rounds, out),
            Pbkdf2Digest::Sha512 => pbkdf2::pbkdf2::<Hmac<Sha512>>(password, salt, rounds, out),
        }
        .map_err(|e| refused(format!("pbkdf2: {e}"))),
        HostHash::Argon2 {
            algorithm,
            version,
            m_kib,
            t,
            p,
            password,
            salt,
        } => {
            let params = Params::new(m_kib, t, p, Some(out.len()))
                .map_err(|e| refused(format!("argon2 parameters: {e}")))?;
            Argon2::new(algorithm, version, params)
                .hash_password_into(password, salt, out)
                .map_err(|e| refused(format!("argon2: {e}")))
        }
    }
}

mod parse;
#[cfg(test)]
mod tests;
