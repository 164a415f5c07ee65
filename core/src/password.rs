//! Password hashing (argon2id) and the password policy.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=...`). Verification reads the parameters from the
//! stored string, so hashes made with older settings still verify and are reported as needing
//! a rehash. Unknown accounts get a [`Hasher::dummy_verify`] of the same cost, so response time
//! does not reveal whether an account exists.
//!
//! The argon2id work itself goes through the host's native hashing (`NativeHashing`) when the host offers native hashing,
//! and is done here otherwise; the PHC strings are the same either way. Imported hashes go
//! through it likewise.

pub mod breach;
pub mod settings;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::env::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::hashing::{Argon2Params, HashingHost};
use crate::legacy_hash;

/// Fewest characters a password may have (after NFKC normalisation).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most characters a password may have. Bounds hashing work an attacker can request.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A candidate password, NFKC-normalised, wiped from memory on drop. Never printed.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Normalises `raw` (NFKC) without checking the policy: used to verify an existing password,
    /// which must work even if the policy has since become stricter. Still bounded in length so
    /// a huge input cannot buy a long hash computation.
    pub fn for_verification(raw: &str) -> Result<Self> {
        if raw.chars().count() > MAX_PASSWORD_CHARS * 4 {
            return Err(Error::WrongPassword);
        }
        Ok(Password(Zeroizing::new(raw.nfkc().collect())))
    }

    /// Normalises `raw` and checks the policy for a new password. `identities` are the user's
    /// own email and username, which the password may not be or contain.
    pub fn new_checked(raw: &str, identities: &[&str]) -> Result<Self> {
        let password = Password(Zeroizing::new(raw.nfkc().collect::<String>()));
        let chars = password.0.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(Error::rejected(
                ErrorCode::WeakPassword,
                format!("The password must have at least {MIN_PASSWORD_CHARS} characters."),
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(Error::rejected(
                ErrorCode::WeakPassword,
                format!("The password must have at most {MAX_PASSWORD_CHARS} characters."),
            ));
        }
        let lowered = password.0.to_lowercase();
        if is_common(&lowered) {
            return Err(Error::rejected(
                ErrorCode::WeakPassword,
                "This password is one of the most common ones; choose a less predictable one.",
            ));
        }
        for identity in identities {
            let identity = identity.to_lowercase();
            let local = identity.split('@').next().unwrap_or_default();
            if lowered == identity || (local.chars().count() >= 4 && lowered.contains(local)) {
                return Err(Error::rejected(
                    ErrorCode::WeakPassword,
                    "The password must not contain your email address or username.",
                ));
            }
        }
        Ok(password)
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Marks a stored Flask-Security hash: `$sesame-fs$<base64url salt>$<passlib hash>`. The salt is
/// Flask-Security's `SECURITY_PASSWORD_SALT`, the HMAC key of its pre-hash, kept with each
/// imported hash until the user's next sign-in replaces it with argon2id.
const FLASK_SECURITY_PREFIX: &str = "$sesame-fs$";

/// Wraps a Flask-Security password hash and its application salt for storage.
pub fn flask_security_stored(salt: &str, passlib_hash: &str) -> String {
    format!(
        "{FLASK_SECURITY_PREFIX}{}${passlib_hash}",
        URL_SAFE_NO_PAD.encode(salt.as_bytes())
    )
}

/// Splits a wrapped Flask-Security hash into its salt and passlib hash.
fn parse_flask_security(stored: &str) -> Result<Option<(String, &str)>> {
    let Some(rest) = stored.strip_prefix(FLASK_SECURITY_PREFIX) else {
        return Ok(None);
    };
    let malformed = || Error::Hashing("malformed Flask-Security hash".into());
    let (salt, inner) = rest.split_once('$').ok_or_else(malformed)?;
    let salt = URL_SAFE_NO_PAD.decode(salt).map_err(|_| malformed())?;
    let salt = String::from_utf8(salt).map_err(|_| malformed())?;
    Ok(Some((salt, inner)))
}

/// The bundled list of common passwords and stems (see the file's header for the rule).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Whether `lowered` is a common password, or a common stem followed by up to five digits or
/// symbols.
fn is_common(lowered: &str) -> bool {
    let stem = lowered.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let suffix_chars = lowered.len() - stem.len();
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|common| common == lowered || (common == stem && suffix_chars <= 5))
}

/// What a successful verification found out about the stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct PasswordVerified {
    /// The stored hash used other parameters or another algorithm: store a fresh one.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords with the configured argon2id costs.
#[derive(Debug, Clone)]
pub struct Hasher {
    params: Argon2Params,
    argon2_params: Params,
}

/// Salt length for new hashes, in bytes (the PHC recommendation).
const SALT_BYTES: usize = 16;

/// Output length of new hashes, in bytes (argon2's default).
const OUTPUT_BYTES: usize = Params::DEFAULT_OUTPUT_LEN;

impl Hasher {
    /// A hasher for new hashes at `params`; fails on parameters argon2 rejects.
    pub fn new(params: Argon2Params) -> Result<Self> {
        let argon2_params = Params::new(params.m_kib, params.t, params.p, None)
            .map_err(|e| Error::Config(format!("argon2 parameters: {e}")))?;
        Ok(Hasher {
            params,
            argon2_params,
        })
    }

    /// A new PHC string for `password` with a fresh random salt.
    pub fn hash(&self, password: &Password, host: &dyn HashingHost) -> Result<String> {
        let salt: [u8; SALT_BYTES] = random_array(host)?;
        let mut out = Zeroizing::new([0u8; OUTPUT_BYTES]);
        self.derive(host, password.as_bytes(), &salt, &mut out[..])?;
        let phc = PasswordHash {
            algorithm: argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.argon2_params)
                .map_err(|e| Error::Hashing(e.to_string()))?,
            salt: Some(Salt::new(&salt).map_err(|e| Error::Hashing(e.to_string()))?),
            hash: Some(Output::new(&out[..]).map_err(|e| Error::Hashing(e.to_string()))?),
        };
        Ok(phc.to_string())
    }

    /// Checks `password` against the stored hash.
    ///
    /// A current argon2id hash is verified directly. Anything else (argon2 with other costs,
    /// bcrypt, passlib or Django PBKDF2, or a Flask-Security hash wrapped by
    /// [`flask_security_stored`]) goes through [`crate::legacy_hash`], whose cost limits protect
    /// against imported hashes that would buy unbounded CPU, and whose work the host computes
    /// when it offers native hashing; a match then asks for a rehash.
    ///
    /// [`Error::HashingBusy`] when the host's hashing queue is full: nothing was checked.
    pub fn verify(
        &self,
        password: &Password,
        stored: &str,
        host: &dyn HashingHost,
    ) -> Result<PasswordVerified> {
        if let Some(hash) = PasswordHash::new(stored)
            .ok()
            .filter(|hash| self.is_current(hash))
        {
            let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
                return Err(Error::Hashing(
                    "stored hash lacks its salt or output".into(),
                ));
            };
            let mut out = Zeroizing::new(vec![0u8; expected.len()]);
            self.derive(host, password.as_bytes(), &salt, &mut out)?;
            if !bool::from(out.as_slice().ct_eq(expected.as_bytes())) {
                return Err(Error::WrongPassword);
            }
            return Ok(PasswordVerified {
                needs_rehash: false,
            });
        }
        let native = |job: &legacy_hash::HostHash<'_>, out: &mut [u8]| host.legacy_hash(job, out);
        let matched = match parse_flask_security(stored)? {
            Some((salt, inner)) => {
                // Flask-Security normalises to NFKD; NFKD of our NFKC form equals NFKD of the
                // original, so the pre-hash sees exactly what Flask-Security saw.
                let nfkd: Zeroizing<String> = Zeroizing::new(password.0.nfkd().collect());
                let prehashed =
                    Zeroizing::new(legacy_hash::flask_security_prehash(nfkd.as_bytes(), &salt));
                legacy_hash::verify_legacy_with(prehashed.as_bytes(), inner, &native)?
            }
            None => legacy_hash::verify_legacy_with(password.as_bytes(), stored, &native)?,
        };
        if matched {
            Ok(PasswordVerified { needs_rehash: true })
        } else {
            Err(Error::WrongPassword)
        }
    }

    /// Spends the same work as verifying a password against a current hash, and fails. Used for
    /// unknown or unusable accounts so their answer takes as long as a real one.
    ///
    /// A host too busy to hash makes this [`Error::HashingBusy`], exactly as it makes a real
    /// account's check: under load, unknown and known accounts still answer alike.
    pub fn dummy_verify(&self, password: &Password, host: &dyn HashingHost) -> Error {
        let mut out = Zeroizing::new([0u8; OUTPUT_BYTES]);
        // The result is irrelevant; only the time spent matters (and whether it was spent).
        match self.derive(
            host,
            password.as_bytes(),
            b"sesame-dummy-salt",
            &mut out[..],
        ) {
            Err(busy @ Error::HashingBusy { .. }) => busy,
            _ => Error::UnknownAccount,
        }
    }

    /// argon2id at the configured costs: natively by the host if it offers it, here otherwise.
    fn derive(
        &self,
        host: &dyn HashingHost,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<()> {
        if let Some(done) = host.argon2id(password, salt, &self.params, out) {
            return done;
        }
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            self.argon2_params.clone(),
        )
        .hash_password_into(password, salt, out)
        .map_err(|e| Error::Hashing(e.to_string()))
    }

    fn is_current(&self, hash: &PasswordHash) -> bool {
        if hash.algorithm != argon2::ARGON2ID_IDENT || hash.version != Some(0x13) {
            return false;
        }
        match Params::try_from(hash) {
            Ok(p) => {
                p.m_cost() == self.params.m_kib
                    && p.t_cost() == self.params.t
                    && p.p_cost() == self.params.p
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests;
