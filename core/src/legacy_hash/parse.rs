//! Taking stored hash strings apart: each format's fields, decoded and checked against the
//! cost limits of [`super`], before any hashing work.

use argon2::{Algorithm, Params, PasswordHash, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{
    BCRYPT_B64, BCRYPT_CHECKSUM_BYTES, BCRYPT_HASH_LEN, BCRYPT_SALT_BYTES, GeneralPurpose,
    LegacyScheme, MAX_ARGON2_M_KIB, MAX_ARGON2_P_COST, MAX_ARGON2_T_COST, MAX_ARGON2_WORK,
    MAX_BCRYPT_COST, MAX_PBKDF2_SALT_BYTES, MAX_STORED_LEN, MIN_BCRYPT_COST, Parsed, Pbkdf2Digest,
    STANDARD_B64, detect, refused,
};
use crate::error::Result;

/// The prefix of Django's default hasher (`PBKDF2PasswordHasher`):
/// `pbkdf2_sha256$ROUNDS$SALT$BASE64`.
pub(super) const DJANGO_PBKDF2_SHA256: &str = "pbkdf2_sha256$";

/// Takes `stored` apart and checks its costs; no hashing work.
pub(super) fn parse(stored: &str) -> Result<Parsed> {
    if stored.len() > MAX_STORED_LEN {
        return Err(refused(format!(
            "stored hash is {} bytes, more than {MAX_STORED_LEN}",
            stored.len()
        )));
    }
    match detect(stored) {
        Some(LegacyScheme::Bcrypt) => bcrypt(stored),
        Some(LegacyScheme::Pbkdf2Sha256) if stored.starts_with(DJANGO_PBKDF2_SHA256) => {
            django_pbkdf2(stored)
        }
        Some(LegacyScheme::Pbkdf2Sha256) => passlib_pbkdf2(stored, Pbkdf2Digest::Sha256),
        Some(LegacyScheme::Pbkdf2Sha512) => passlib_pbkdf2(stored, Pbkdf2Digest::Sha512),
        Some(LegacyScheme::Argon2) => argon2(stored),
        None => Err(refused("unrecognised hash format")),
    }
}

/// bcrypt: `$2b$CC$` + 22 characters of salt + 31 of checksum, in bcrypt's base64.
fn bcrypt(stored: &str) -> Result<Parsed> {
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
    Ok(Parsed::Bcrypt {
        cost,
        salt,
        expected,
    })
}

/// The four `$`-separated fields after the identifier, or why not.
fn four_fields<'a>(stored: &'a str, ident: &str, leading_dollar: bool) -> Result<[&'a str; 4]> {
    let shape = || {
        refused(format!(
            "{ident} hash must be {}{ident}$ROUNDS$SALT$CHECKSUM",
            if leading_dollar { "$" } else { "" }
        ))
    };
    let body = if leading_dollar {
        stored.strip_prefix('$').ok_or_else(shape)?
    } else {
        stored
    };
    let mut fields = body.split('$');
    let (Some(id), Some(rounds), Some(salt), Some(checksum), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(shape());
    };
    if id != ident {
        return Err(refused(format!("expected {ident}, found {id}")));
    }
    Ok([id, rounds, salt, checksum])
}

/// An iteration count written as plain decimal (no sign, no leading zeros), at least 1 and
/// within `digest`'s limit.
fn rounds(text: &str, ident: &str, digest: Pbkdf2Digest) -> Result<u32> {
    if text.is_empty()
        || !text.bytes().all(|b| b.is_ascii_digit())
        || (text.len() > 1 && text.starts_with('0'))
    {
        return Err(refused(format!("{ident} rounds must be a decimal number")));
    }
    let rounds: u32 = text
        .parse()
        .map_err(|_| refused(format!("{ident} rounds are out of range")))?;
    if rounds == 0 {
        return Err(refused(format!("{ident} rounds must be at least 1")));
    }
    let limit = digest.max_rounds();
    if rounds > limit {
        return Err(refused(format!(
            "{ident} rounds {rounds} are above the limit {limit}"
        )));
    }
    Ok(rounds)
}

/// passlib PBKDF2: `$pbkdf2-sha256$ROUNDS$SALT$CHECKSUM` (or `-sha512`).
fn passlib_pbkdf2(stored: &str, digest: Pbkdf2Digest) -> Result<Parsed> {
    let ident = match digest {
        Pbkdf2Digest::Sha256 => "pbkdf2-sha256",
        Pbkdf2Digest::Sha512 => "pbkdf2-sha512",
    };
    let [_, rounds_text, salt, checksum] = four_fields(stored, ident, true)?;
    let rounds = rounds(rounds_text, ident, digest)?;
    let salt_too_long = || {
        refused(format!(
            "{ident} salt is longer than {MAX_PBKDF2_SALT_BYTES} bytes"
        ))
    };
    if salt.len() > MAX_PBKDF2_SALT_BYTES.div_ceil(3) * 4 {
        return Err(salt_too_long());
    }
    let salt = ab64_decode(salt, "salt")?;
    if salt.len() > MAX_PBKDF2_SALT_BYTES {
        return Err(salt_too_long());
    }
    if checksum.len() > digest.output_len().div_ceil(3) * 4 {
        return Err(refused(format!("{ident} checksum has the wrong length")));
    }
    let expected = ab64_decode(checksum, "checksum")?;
    pbkdf2(ident, digest, rounds, salt, expected)
}

/// Django's PBKDF2: `pbkdf2_sha256$ROUNDS$SALT$CHECKSUM`, where the salt is used as the text it
/// is (Django salts are alphanumeric) and the checksum is padded standard base64.
fn django_pbkdf2(stored: &str) -> Result<Parsed> {
    let ident = "pbkdf2_sha256";
    let digest = Pbkdf2Digest::Sha256;
    let [_, rounds_text, salt, checksum] = four_fields(stored, ident, false)?;
    let rounds = rounds(rounds_text, ident, digest)?;
    if salt.is_empty() || salt.len() > MAX_PBKDF2_SALT_BYTES {
        return Err(refused(format!(
            "{ident} salt must have 1 to {MAX_PBKDF2_SALT_BYTES} bytes"
        )));
    }
    let expected = STANDARD
        .decode(checksum)
        .map_err(|e| refused(format!("{ident} checksum is not valid base64: {e}")))?;
    pbkdf2(ident, digest, rounds, salt.as_bytes().to_vec(), expected)
}

/// A PBKDF2 hash of either dialect from its decoded fields, once the checksum is as long as
/// `digest`'s output.
fn pbkdf2(
    ident: &str,
    digest: Pbkdf2Digest,
    rounds: u32,
    salt: Vec<u8>,
    expected: Vec<u8>,
) -> Result<Parsed> {
    if expected.len() != digest.output_len() {
        return Err(refused(format!(
            "{ident} checksum is {} bytes, expected {}",
            expected.len(),
            digest.output_len()
        )));
    }
    Ok(Parsed::Pbkdf2 {
        digest,
        rounds,
        salt,
        expected,
    })
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
fn argon2(stored: &str) -> Result<Parsed> {
    let hash = PasswordHash::new(stored).map_err(|e| refused(format!("argon2: {e}")))?;
    let algorithm = Algorithm::try_from(hash.algorithm.as_str())
        .map_err(|e| refused(format!("argon2 algorithm: {e}")))?;
    // The reference implementation reads a PHC string without `v=` as version 0x10.
    let version = match hash.version {
        None => Version::V0x10,
        Some(v) => Version::try_from(v).map_err(|e| refused(format!("argon2 version: {e}")))?,
    };
    let params = Params::try_from(&hash).map_err(|e| refused(format!("argon2 parameters: {e}")))?;
    let (m_kib, t, p) = (params.m_cost(), params.t_cost(), params.p_cost());
    let work = u64::from(m_kib) * u64::from(t);
    // Checked in this order, so the error names the first limit broken.
    let limits = [
        (
            u64::from(m_kib),
            u64::from(MAX_ARGON2_M_KIB),
            "memory",
            "KiB is",
        ),
        (u64::from(t), u64::from(MAX_ARGON2_T_COST), "passes", "are"),
        (work, MAX_ARGON2_WORK, "work m*t =", "KiB-passes is"),
        (u64::from(p), u64::from(MAX_ARGON2_P_COST), "lanes", "are"),
    ];
    for (value, limit, what, is) in limits {
        if value > limit {
            return Err(refused(format!(
                "argon2 {what} {value} {is} above the limit {limit}"
            )));
        }
    }
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return Err(refused("argon2 hash lacks its salt or output"));
    };
    let expected = expected.as_bytes().to_vec();
    if expected.len() > 64 {
        return Err(refused("argon2 output is longer than 64 bytes"));
    }
    Ok(Parsed::Argon2 {
        algorithm,
        version,
        params,
        salt: salt.as_ref().to_vec(),
        expected,
    })
}
