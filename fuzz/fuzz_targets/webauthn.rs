//! WebAuthn parsing: client data JSON, authenticator data, attestation objects, COSE keys, and
//! whole registration and sign-in answers finished against a real ceremony. Input: a byte
//! choosing what the rest is (see [`Mode`]), then the bytes.
//!
//! Checked:
//! - nothing panics, and every refusal of a ceremony is a 4xx;
//! - client data that parses says exactly what its JSON says (type, origin, `crossOrigin`, and
//!   the challenge re-encodes to the same base64url);
//! - authenticator data that parses re-encodes from its parts to the same bytes (RP ID hash,
//!   flags, counter, attested credential), with only extensions after them, and only when the
//!   flags announce them;
//! - an attestation object's authenticator data, and the COSE key inside, parse the same way;
//! - a COSE key that parses never verifies an empty or all-zero signature;
//! - a registration answer that finishes names the ceremony's challenge in its client data and
//!   leaves the credential listed; a sign-in answer that finishes signs in the account;
//! - core's pure verification, called directly with what the ceremony expects, agrees with the
//!   ceremony: a registration finishes exactly when it verifies, and is refused with the same
//!   code and message when it does not; a sign-in refused by the checks of the request alone
//!   is refused alike by the ceremony, and one that signs in also verifies with the
//!   credential's key.

#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use sesame_core::fuzzing::{self, AuthData};
use sesame_core::sessions::ClientInfo;
use sesame_core::webauthn::verify::{
    AssertionPolicy, Expected, RegistrationPolicy, check_assertion, verify_registration,
};
use sesame_core::webauthn::wire::{parse_assertion, parse_registration};
use sesame_core::webauthn::{RelyingParty, WebAuthnError};
use sesame_core::{AuthError, Error};

/// What the bytes after the first are.
#[derive(Debug)]
enum Mode {
    ClientData,
    AuthData,
    AttestationObject,
    CoseKey,
    Registration,
    Assertion,
}

const MODES: [Mode; 6] = [
    Mode::ClientData,
    Mode::AuthData,
    Mode::AttestationObject,
    Mode::CoseKey,
    Mode::Registration,
    Mode::Assertion,
];

fn client_data(bytes: &[u8]) {
    let Ok(parsed) = fuzzing::client_data(bytes) else {
        return;
    };
    // serde skips members it does not read without checking their `\u` escapes, so accepted
    // client data may still be JSON that `Value` refuses (a lone surrogate in an extra member).
    // Harmless (the signature covers the bytes as sent), and nothing to compare against.
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    assert_eq!(json["type"].as_str(), Some(parsed.kind.as_str()));
    assert_eq!(json["origin"].as_str(), Some(parsed.origin.as_str()));
    assert_eq!(
        json.get("crossOrigin")
            .and_then(|c| c.as_bool())
            .unwrap_or(false),
        parsed.cross_origin
    );
    let challenge = json["challenge"].as_str().expect("a string challenge");
    assert_eq!(
        URL_SAFE_NO_PAD.encode(&parsed.challenge),
        challenge.trim_end_matches('=')
    );
}

/// Re-encodes authenticator data from its parts, without extensions.
fn encode(parsed: &AuthData) -> Vec<u8> {
    let mut out = parsed.rp_id_hash.to_vec();
    out.push(parsed.flags);
    out.extend_from_slice(&parsed.sign_count.to_be_bytes());
    if let Some((aaguid, id, key)) = &parsed.attested {
        out.extend_from_slice(aaguid);
        out.extend_from_slice(&u16::try_from(id.len()).expect("short id").to_be_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(key);
    }
    out
}

fn auth_data(bytes: &[u8]) {
    let Ok(parsed) = fuzzing::auth_data(bytes) else {
        return;
    };
    assert_eq!(parsed.attested.is_some(), parsed.flags & 0x40 != 0);
    let encoded = encode(&parsed);
    assert!(bytes.starts_with(&encoded), "{parsed:?} from {bytes:?}");
    if parsed.flags & 0x80 == 0 {
        assert_eq!(encoded.len(), bytes.len(), "trailing bytes accepted");
    } else {
        assert!(
            encoded.len() < bytes.len(),
            "extensions announced, none sent"
        );
    }
    if let Some((_, id, key)) = &parsed.attested {
        assert!((1..=1023).contains(&id.len()));
        cose_key(key);
    }
}

fn attestation_object(bytes: &[u8]) {
    if let Ok((_, _, data)) = fuzzing::attestation_object(bytes) {
        auth_data(&data);
    }
}

fn cose_key(bytes: &[u8]) {
    if fuzzing::cose_key(bytes).is_ok() {
        assert!(fuzzing::cose_verify(bytes, b"message", &[]).is_err());
        assert!(fuzzing::cose_verify(bytes, b"message", &[0; 64]).is_err());
        assert!(fuzzing::cose_verify(bytes, b"message", &[0; 256]).is_err());
    }
}

/// A refusal must be the client's fault.
fn refused(error: &Error) {
    let public = AuthError::from(error);
    assert!(
        (400..500).contains(&public.code.http_status()),
        "{error:?} is not a 4xx"
    );
}

/// The challenge of a ceremony's options, decoded.
fn challenge(options: &serde_json::Value) -> Vec<u8> {
    let text = options["publicKey"]["challenge"]
        .as_str()
        .expect("challenge");
    URL_SAFE_NO_PAD.decode(text).expect("base64url challenge")
}

/// What a ceremony of `rp` with `challenge` expects.
fn expected<'a>(rp: &'a RelyingParty, challenge: &'a [u8]) -> Expected<'a> {
    Expected {
        challenge,
        rp_id: &rp.id,
        origins: &rp.origins,
    }
}

/// The public form of a refusal by pure verification, as a ceremony would tell it.
fn told(refusal: WebAuthnError) -> AuthError {
    AuthError::from(&Error::from(refusal))
}

fn registration(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(credential) = parse_registration(text) else {
        return;
    };
    let (harness, info, state, options) = sesame_fuzz::registration();
    let rp = sesame_fuzz::relying_party(&harness);
    let challenge = challenge(&options);
    let verified = verify_registration(
        &credential,
        &expected(&rp, &challenge),
        &RegistrationPolicy {
            attestation_formats: &harness.config().webauthn.attestation_formats,
            user_verification: true,
        },
    );
    let s = harness.sesame();
    let finished = s.finish_passkey_registration(&info, &state, &credential);
    match (&finished, verified) {
        (Ok(created), Ok(verified)) => assert_eq!(created.id, URL_SAFE_NO_PAD.encode(&verified.id)),
        (Err(e), Err(refusal)) => assert_eq!(AuthError::from(e), told(refusal)),
        (finished, verified) => panic!("the ceremony says {finished:?}, verification {verified:?}"),
    }
    match finished {
        Ok(created) => {
            let data = URL_SAFE_NO_PAD
                .decode(credential.response.client_data_json.trim_end_matches('='))
                .expect("accepted, so base64url");
            let parsed = fuzzing::client_data(&data).expect("accepted, so client data");
            let challenge = options["publicKey"]["challenge"]
                .as_str()
                .expect("challenge");
            assert_eq!(URL_SAFE_NO_PAD.encode(&parsed.challenge), challenge);
            let listed = s.list_passkeys(&info.user.id).expect("list");
            assert!(listed.iter().any(|c| c.id == created.id));
        }
        Err(e) => refused(&e),
    }
}

fn assertion(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(credential) = parse_assertion(text) else {
        return;
    };
    let mut registered = sesame_fuzz::credential();
    let (harness, state, options) = sesame_fuzz::signin(&mut registered);
    let rp = sesame_fuzz::relying_party(&harness);
    let challenge = challenge(&options);
    // A sign-in without a username: user verification and a user handle are required.
    let checked = check_assertion(
        &credential,
        &expected(&rp, &challenge),
        AssertionPolicy {
            user_verification: true,
            user_handle_required: true,
        },
    );
    let s = harness.sesame();
    match s.finish_passkey_signin(&state, &credential, None, &ClientInfo::default()) {
        Ok(session) => {
            assert_eq!(session.user.email, sesame_fuzz::EMAIL);
            let checked = checked.expect("signed in, so the request checks pass");
            assert_eq!(checked.credential_id, registered.id);
            checked
                .verify_signature(&registered.cose_key())
                .expect("signed in, so the signature verifies");
        }
        Err(e) => {
            refused(&e);
            if let Err(refusal) = checked {
                assert_eq!(AuthError::from(&e), told(refusal));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match MODES[usize::from(mode) % MODES.len()] {
        Mode::ClientData => client_data(rest),
        Mode::AuthData => auth_data(rest),
        Mode::AttestationObject => attestation_object(rest),
        Mode::CoseKey => cose_key(rest),
        Mode::Registration => registration(rest),
        Mode::Assertion => assertion(rest),
    }
});
