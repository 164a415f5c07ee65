//! Password hashing (argon2id) and the password policy.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=...`). Verification reads the parameters from the
//! stored string, so hashes made with older settings still verify and are reported as needing
//! a rehash. Unknown accounts get a [`Hasher::dummy_verify`] of the same cost, so response time
//! does not reveal whether an account exists.

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::config::Argon2Params;
use crate::env::{Env, random_array};
use crate::error::{Error, ErrorCode, Result};
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
    argon2: Argon2<'static>,
}

/// Salt length for new hashes, in bytes (the PHC recommendation).
const SALT_BYTES: usize = 16;

impl Hasher {
    /// A hasher for new hashes at `params`; fails on parameters argon2 rejects.
    pub fn new(params: Argon2Params) -> Result<Self> {
        let argon_params = Params::new(params.m_kib, params.t, params.p, None)
            .map_err(|e| Error::Config(format!("argon2 parameters: {e}")))?;
        Ok(Hasher {
            params,
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params),
        })
    }

    /// A new PHC string for `password` with a fresh random salt.
    pub fn hash(&self, password: &Password, env: &dyn Env) -> Result<String> {
        let salt: [u8; SALT_BYTES] = random_array(env)?;
        let hash = self
            .argon2
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|e| Error::Hashing(e.to_string()))?;
        Ok(hash.to_string())
    }

    /// Checks `password` against the stored hash.
    ///
    /// A current argon2id hash is verified directly. Anything else (argon2 with other costs,
    /// bcrypt, passlib PBKDF2, or a Flask-Security hash wrapped by [`flask_security_stored`])
    /// goes through [`crate::legacy_hash`], whose cost limits protect against imported hashes
    /// that would buy unbounded CPU; a match then asks for a rehash.
    pub fn verify(&self, password: &Password, stored: &str) -> Result<PasswordVerified> {
        if let Some(hash) = PasswordHash::new(stored)
            .ok()
            .filter(|hash| self.is_current(hash))
        {
            self.argon2
                .verify_password(password.as_bytes(), &hash)
                .map_err(|e| match e {
                    argon2::password_hash::Error::PasswordInvalid => Error::WrongPassword,
                    other => Error::Hashing(other.to_string()),
                })?;
            return Ok(PasswordVerified {
                needs_rehash: false,
            });
        }
        let matched = match parse_flask_security(stored)? {
            Some((salt, inner)) => {
                // Flask-Security normalises to NFKD; NFKD of our NFKC form equals NFKD of the
                // original, so the pre-hash sees exactly what Flask-Security saw.
                let nfkd: Zeroizing<String> = Zeroizing::new(password.0.nfkd().collect());
                let prehashed =
                    Zeroizing::new(legacy_hash::flask_security_prehash(nfkd.as_bytes(), &salt));
                legacy_hash::verify_legacy(prehashed.as_bytes(), inner)?
            }
            None => legacy_hash::verify_legacy(password.as_bytes(), stored)?,
        };
        if matched {
            Ok(PasswordVerified { needs_rehash: true })
        } else {
            Err(Error::WrongPassword)
        }
    }

    /// Spends the same work as verifying a password against a current hash, and fails. Used for
    /// unknown or unusable accounts so their answer takes as long as a real one.
    pub fn dummy_verify(&self, password: &Password) -> Error {
        let mut out = Zeroizing::new([0u8; 32]);
        // The result is irrelevant; only the time spent matters.
        let _ =
            self.argon2
                .hash_password_into(password.as_bytes(), b"sesame-dummy-salt", &mut out[..]);
        Error::UnknownAccount
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
mod tests {
    use super::*;
    use crate::testing::FixedEnv;

    fn cheap() -> Argon2Params {
        Argon2Params {
            m_kib: 64,
            t: 1,
            p: 1,
        }
    }

    #[test]
    fn hash_then_verify_and_reject_wrong() {
        let hasher = Hasher::new(cheap()).unwrap();
        let pw = Password::new_checked("correct horse", &[]).unwrap();
        let stored = hasher.hash(&pw, &FixedEnv::new()).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(!hasher.verify(&pw, &stored).unwrap().needs_rehash);
        let wrong = Password::for_verification("correct horsE").unwrap();
        assert!(matches!(
            hasher.verify(&wrong, &stored),
            Err(Error::WrongPassword)
        ));
    }

    #[test]
    fn other_parameters_verify_but_need_rehash() {
        let old = Hasher::new(Argon2Params {
            m_kib: 32,
            t: 1,
            p: 1,
        })
        .unwrap();
        let pw = Password::new_checked("correct horse", &[]).unwrap();
        let stored = old.hash(&pw, &FixedEnv::new()).unwrap();
        let verified = Hasher::new(cheap()).unwrap().verify(&pw, &stored).unwrap();
        assert!(verified.needs_rehash);
    }

    #[test]
    fn nfkc_makes_equivalent_spellings_equal() {
        let hasher = Hasher::new(cheap()).unwrap();
        // U+FB01 LATIN SMALL LIGATURE FI normalises to "fi".
        let pw = Password::new_checked("\u{FB01}nal answer", &[]).unwrap();
        let stored = hasher.hash(&pw, &FixedEnv::new()).unwrap();
        let other = Password::for_verification("final answer").unwrap();
        assert!(hasher.verify(&other, &stored).is_ok());
    }

    #[test]
    fn policy_names_the_rule() {
        let short = Password::new_checked("short", &[]).unwrap_err();
        assert!(short.to_string().contains("at least 8"));
        let long = Password::new_checked(&"x".repeat(129), &[]).unwrap_err();
        assert!(long.to_string().contains("at most 128"));
        let own = Password::new_checked("alice-rocks-99", &["alice@example.com"]).unwrap_err();
        assert!(own.to_string().contains("email address or username"));
        assert!(Password::new_checked("a perfectly fine one", &["bob@example.com"]).is_ok());
        for common in [
            "password",
            "Password1",
            "welcome2024!",
            "12345678",
            "qwertyuiop",
            "iloveyou!!",
        ] {
            let err = Password::new_checked(common, &[]).unwrap_err();
            assert!(err.to_string().contains("most common"), "{common}: {err}");
        }
        // A common stem inside a longer passphrase is fine, as is a long suffix.
        assert!(Password::new_checked("password manager in use", &[]).is_ok());
        assert!(Password::new_checked("dragon-fruit-salad", &[]).is_ok());
    }

    #[test]
    fn legacy_hashes_verify_and_ask_for_a_rehash() {
        let hasher = Hasher::new(cheap()).unwrap();
        let pw = Password::for_verification("correct horse battery staple").unwrap();
        // Made by Python `bcrypt.hashpw(pw, bcrypt.gensalt(rounds=4))` (legacy_hash fixtures).
        let bcrypt = "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO";
        assert!(hasher.verify(&pw, bcrypt).unwrap().needs_rehash);
        let wrong = Password::for_verification("correct horse battery").unwrap();
        assert!(matches!(
            hasher.verify(&wrong, bcrypt),
            Err(Error::WrongPassword)
        ));
    }

    #[test]
    fn flask_security_wrapped_hashes_verify() {
        let hasher = Hasher::new(cheap()).unwrap();
        let pw = Password::for_verification("correct horse battery staple").unwrap();
        // Flask-Security-Too 5.9.2, SECURITY_PASSWORD_SALT="pepper-from-config",
        // pbkdf2_sha512 at 1000 rounds (legacy_hash fixtures).
        let inner = "$pbkdf2-sha512$1000$CMH4X8s5RyilNIZQqtWaMw$xSG3uTg0plzeIpg5ozzFBxB/9p/ZipPdmD.MSEJy2yr3baZLOOybw6kFhm7f.CvJdKthYkbQmpma7PwnZb/exg";
        let stored = flask_security_stored("pepper-from-config", inner);
        assert!(hasher.verify(&pw, &stored).unwrap().needs_rehash);
        let other_salt = flask_security_stored("another-salt", inner);
        assert!(matches!(
            hasher.verify(&pw, &other_salt),
            Err(Error::WrongPassword)
        ));
        assert!(matches!(
            hasher.verify(&pw, "$sesame-fs$!!$x"),
            Err(Error::Hashing(_))
        ));
    }

    #[test]
    fn malformed_stored_hash_is_not_a_match() {
        let hasher = Hasher::new(cheap()).unwrap();
        let pw = Password::new_checked("correct horse", &[]).unwrap();
        assert!(matches!(
            hasher.verify(&pw, "not a hash"),
            Err(Error::Hashing(_))
        ));
    }
}
