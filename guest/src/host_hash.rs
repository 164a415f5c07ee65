//! Core's hashing hooks over the `sesame:auth/hashing` import: core's parsed jobs become WIT
//! calls, and the host's answers become bytes, "compute it yourself" (`None`) or core errors.

use sesame_core::Error;
use sesame_core::hashing::Argon2Params;
use sesame_core::legacy_hash::{Argon2Algorithm, Argon2Version, HostHash, Pbkdf2Digest};

use crate::bindings::wit_hashing as wit;

/// Copies the host's answer into `out`: `None` when the host leaves hashing to the component,
/// [`Error::HashingBusy`] when its queue is full, [`Error::Hashing`] when it refused.
pub(crate) fn fill(
    answer: Result<Option<Vec<u8>>, wit::HashError>,
    out: &mut [u8],
) -> Option<sesame_core::Result<()>> {
    match answer {
        Ok(None) => None,
        Ok(Some(bytes)) if bytes.len() == out.len() => {
            out.copy_from_slice(&bytes);
            Some(Ok(()))
        }
        Ok(Some(_)) => Some(Err(Error::Hashing(
            "the host returned a hash of the wrong length".into(),
        ))),
        Err(wit::HashError::Busy(retry_after_ms)) => Some(Err(Error::HashingBusy {
            retry_after_ms: u64::from(retry_after_ms),
        })),
        Err(wit::HashError::Refused(why)) => {
            Some(Err(Error::Hashing(format!("host hashing: {why}"))))
        }
    }
}

/// A password's argon2id with core's own parameters (version 0x13), by the host: the same
/// call as an imported argon2id hash.
pub(crate) fn argon2id(
    password: &[u8],
    salt: &[u8],
    params: &Argon2Params,
    out: &mut [u8],
) -> Option<sesame_core::Result<()>> {
    let job = HostHash::Argon2 {
        algorithm: Argon2Algorithm::Argon2id,
        version: Argon2Version::V0x13,
        m_kib: params.m_kib,
        t: params.t,
        p: params.p,
        password,
        salt,
    };
    legacy(&job, out)
}

/// One imported hash's computation, by the host.
pub(crate) fn legacy(job: &HostHash<'_>, out: &mut [u8]) -> Option<sesame_core::Result<()>> {
    let len = u32::try_from(out.len()).ok()?;
    let answer = match *job {
        HostHash::Argon2 {
            algorithm,
            version,
            m_kib,
            t,
            p,
            password,
            salt,
        } => {
            let algorithm = match algorithm {
                Argon2Algorithm::Argon2d => wit::Argon2Algorithm::Argon2d,
                Argon2Algorithm::Argon2i => wit::Argon2Algorithm::Argon2i,
                Argon2Algorithm::Argon2id => wit::Argon2Algorithm::Argon2id,
            };
            let params = wit::Argon2Params {
                algorithm,
                version: u32::from(version),
                memory_kib: m_kib,
                iterations: t,
                parallelism: p,
            };
            wit::argon2(params, password, salt, len)
        }
        HostHash::Bcrypt { key, salt, cost } => wit::bcrypt(key, salt, cost),
        HostHash::Pbkdf2 {
            digest,
            password,
            salt,
            rounds,
        } => {
            let digest = match digest {
                Pbkdf2Digest::Sha256 => wit::Pbkdf2Digest::Sha256,
                Pbkdf2Digest::Sha512 => wit::Pbkdf2Digest::Sha512,
            };
            wit::pbkdf2(digest, password, salt, rounds, len)
        }
        // A job this component's glue does not know: compute it in the component.
        _ => return None,
    };
    fill(answer, out)
}
