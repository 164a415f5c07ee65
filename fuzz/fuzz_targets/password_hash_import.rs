//! Imported password hashes (`sesame_core::legacy_hash`): bcrypt, passlib PBKDF2 and argon2
//! PHC strings. Input: a byte choosing the mode, then
//! - mode 0: `STORED \0 PASSWORD`, an arbitrary stored hash and password;
//! - mode 1: a scheme byte, a cost byte, 16 salt bytes and the password, from which the target
//!   writes a genuine hash with the reference implementations (the `bcrypt`, `pbkdf2` and
//!   `argon2` crates) in the format the exporting systems use.
//!
//! Checked:
//! - nothing panics; a hash longer than `MAX_STORED_LEN` or of no known scheme is refused, and
//!   every refusal is `Error::Hashing`;
//! - a genuine hash verifies its password and refuses another one, directly and behind
//!   Flask-Security's HMAC pre-hash.
//!
//! Stored hashes whose cost is below the import limits but too dear to fuzz (bcrypt above cost
//! 6, PBKDF2 above 20,000 rounds, argon2 above 1 MiB or 2 passes) are only parsed as far as
//! `detect`; those above the limits are still checked to be refused.

#![no_main]

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::engine::{GeneralPurpose, general_purpose::NO_PAD};
use hmac::Hmac;
use libfuzzer_sys::fuzz_target;
use sesame_core::Error;
use sesame_core::legacy_hash::{
    LegacyScheme, MAX_ARGON2_M_KIB, MAX_ARGON2_P_COST, MAX_ARGON2_T_COST, MAX_ARGON2_WORK,
    MAX_BCRYPT_COST, MAX_PBKDF2_SHA256_ROUNDS, MAX_PBKDF2_SHA512_ROUNDS, MAX_STORED_LEN, detect,
    flask_security_prehash, verify_legacy,
};
use sha2::{Sha256, Sha512};

const BCRYPT_B64: GeneralPurpose = GeneralPurpose::new(&alphabet::BCRYPT, NO_PAD);

/// The number after `name=` in an argon2 parameter list, if it reads as one.
fn argon2_param(stored: &str, name: &str) -> Option<u64> {
    let params = stored
        .split('$')
        .find(|f| f.contains("m=") || f.contains("t="))?;
    params
        .split(',')
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
}

/// Whether verifying `stored` is cheap enough to run on every input: low costs, or costs
/// above Sesame's limits (refused before any work).
fn affordable(stored: &str) -> bool {
    match detect(stored) {
        Some(LegacyScheme::Bcrypt) => stored
            .get(4..6)
            .and_then(|c| c.parse::<u32>().ok())
            .is_none_or(|cost| cost <= 6 || cost > MAX_BCRYPT_COST),
        Some(scheme @ (LegacyScheme::Pbkdf2Sha256 | LegacyScheme::Pbkdf2Sha512)) => {
            // passlib's `$pbkdf2-sha256$ROUNDS$..`, Django's `pbkdf2_sha256$ROUNDS$..`.
            let rounds_at = if stored.starts_with('$') { 2 } else { 1 };
            let limit = if scheme == LegacyScheme::Pbkdf2Sha256 {
                MAX_PBKDF2_SHA256_ROUNDS
            } else {
                MAX_PBKDF2_SHA512_ROUNDS
            };
            stored
                .split('$')
                .nth(rounds_at)
                .and_then(|r| r.parse::<u64>().ok())
                .is_none_or(|rounds| rounds <= 20_000 || rounds > u64::from(limit))
        }
        Some(LegacyScheme::Argon2) => {
            let m = argon2_param(stored, "m").unwrap_or(0);
            let t = argon2_param(stored, "t").unwrap_or(0);
            let p = argon2_param(stored, "p").unwrap_or(0);
            (m <= 1024 && t <= 2 && p <= 4)
                || m > u64::from(MAX_ARGON2_M_KIB)
                || t > u64::from(MAX_ARGON2_T_COST)
                || p > u64::from(MAX_ARGON2_P_COST)
                || m.saturating_mul(t) > MAX_ARGON2_WORK
        }
        None => true,
    }
}

fn arbitrary_hash(rest: &[u8]) {
    let (stored, password) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b""[..]),
    };
    let Ok(stored) = std::str::from_utf8(stored) else {
        return;
    };
    if !affordable(stored) {
        return;
    }
    match verify_legacy(password, stored) {
        Ok(_) => {
            assert!(stored.len() <= MAX_STORED_LEN);
            assert!(detect(stored).is_some());
        }
        Err(Error::Hashing(_)) => {}
        Err(other) => panic!("{other:?} for {stored:?}"),
    }
}

/// A genuine hash of `password` in the scheme `scheme` chooses.
fn genuine(scheme: u8, cost: u8, salt: &[u8; 16], password: &[u8]) -> String {
    match scheme % 5 {
        0 => {
            let prefix = ["2a", "2b", "2y"][usize::from(cost / 2 % 3)];
            let cost = 4 + u32::from(cost % 2);
            let mut key: Vec<u8> = password.iter().copied().take(71).collect();
            key.push(0);
            if password.len() >= 72 {
                key[71] = password[71];
            }
            let out = bcrypt::bcrypt(cost, *salt, &key);
            format!(
                "${prefix}${cost:02}${}{}",
                BCRYPT_B64.encode(salt),
                BCRYPT_B64.encode(&out[..23])
            )
        }
        1 | 2 => {
            let rounds = 1 + u32::from(cost % 64);
            let salt = &salt[..usize::from(cost % 17)];
            let ab64 = |b: &[u8]| STANDARD_NO_PAD.encode(b).replace('+', ".");
            if scheme % 5 == 1 {
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2::<Hmac<Sha256>>(password, salt, rounds, &mut out).expect("pbkdf2");
                format!("$pbkdf2-sha256${rounds}${}${}", ab64(salt), ab64(&out))
            } else {
                let mut out = [0u8; 64];
                pbkdf2::pbkdf2::<Hmac<Sha512>>(password, salt, rounds, &mut out).expect("pbkdf2");
                format!("$pbkdf2-sha512${rounds}${}${}", ab64(salt), ab64(&out))
            }
        }
        _ => {
            let (algorithm, name) = [
                (Algorithm::Argon2id, "argon2id"),
                (Algorithm::Argon2i, "argon2i"),
                (Algorithm::Argon2d, "argon2d"),
            ][usize::from(cost % 3)];
            let m = 8 + u32::from(cost % 8);
            let params = Params::new(m, 1, 1, Some(32)).expect("params");
            let mut out = [0u8; 32];
            Argon2::new(algorithm, Version::V0x13, params)
                .hash_password_into(password, salt, &mut out)
                .expect("argon2");
            format!(
                "${name}$v=19$m={m},t=1,p=1${}${}",
                STANDARD_NO_PAD.encode(salt),
                STANDARD_NO_PAD.encode(out)
            )
        }
    }
}

fn roundtrip(rest: &[u8]) {
    let [scheme, cost, rest @ ..] = rest else {
        return;
    };
    let Some((salt, password)) = rest.split_first_chunk::<16>() else {
        return;
    };
    let stored = genuine(*scheme, *cost, salt, password);
    assert!(
        matches!(verify_legacy(password, &stored), Ok(true)),
        "{stored}"
    );
    let mut other = password.to_vec();
    // bcrypt reads 72 bytes at most: change one it reads.
    match other.first_mut() {
        Some(b) => *b ^= 1,
        None => other.push(b'x'),
    }
    assert!(
        matches!(verify_legacy(&other, &stored), Ok(false)),
        "{stored}"
    );

    let salt_text = String::from_utf8_lossy(&salt[..8]);
    let prehash = flask_security_prehash(password, &salt_text);
    let stored = genuine(*scheme, *cost, salt, prehash.as_bytes());
    assert!(
        matches!(verify_legacy(prehash.as_bytes(), &stored), Ok(true)),
        "{stored}"
    );
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 0 => arbitrary_hash(rest),
        Some((_, rest)) => roundtrip(rest),
        None => {}
    }
});
