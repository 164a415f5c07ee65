use serde_json::Value;

use super::wire::{AssertionCredential, RegistrationCredential};
use super::*;
use crate::env::Env as _;
use crate::error::ErrorCode;
use crate::events::EventKind;
use crate::sessions::{ClientInfo, IssuedSession, SessionInfo};
use crate::testing::Fixture;
use crate::testing::base32_decode;
use crate::two_factor::LoginOutcome;

use sesame_test_authenticator::{self as authenticator, Alg, SoftCredential, b64e};

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";
const PW: &str = "analytical engine";
const HOST: &str = "localhost:8080";
const ORIGIN: &str = "http://localhost:8080";

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.sesame().register(ADA, PW, Some("ada")).unwrap();
    f.sesame().register(BOB, PW, None).unwrap();
    f
}

/// A fresh session of `email`'s, with its token.
fn session_with_token(f: &Fixture, email: &str) -> (String, SessionInfo) {
    let issued = f.sesame().login(email, PW, &ClientInfo::default()).unwrap();
    let token = issued.token.expose().to_owned();
    let info = f.sesame().validate_session(&token).unwrap();
    (token, info)
}

fn session(f: &Fixture, email: &str) -> SessionInfo {
    session_with_token(f, email).1
}

/// A fixture in which Ada is signed in, with her session.
fn ada_signed_in() -> (Fixture, SessionInfo) {
    let f = fixture();
    let ada = session(&f, ADA);
    (f, ada)
}

fn rp(f: &Fixture) -> RelyingParty {
    f.sesame().relying_party(Some(HOST)).unwrap()
}

/// The public form of a refusal.
fn refusal<T: std::fmt::Debug, E: std::fmt::Debug + Into<crate::Error>>(
    result: std::result::Result<T, E>,
) -> crate::AuthError {
    crate::AuthError::from(&result.unwrap_err().into())
}

fn code_of<T: std::fmt::Debug, E: std::fmt::Debug + Into<crate::Error>>(
    result: std::result::Result<T, E>,
) -> ErrorCode {
    refusal(result).code
}

fn registration(value: Value) -> RegistrationCredential {
    serde_json::from_value(value).unwrap()
}

fn assertion(value: Value) -> AssertionCredential {
    serde_json::from_value(value).unwrap()
}

/// The base64url challenge of a started ceremony.
fn challenge_of(ceremony: &Ceremony) -> &str {
    ceremony.options["publicKey"]["challenge"].as_str().unwrap()
}

/// Whether an event of `kind` was recorded.
fn recorded(f: &Fixture, kind: EventKind) -> bool {
    f.env.events.lock().unwrap().iter().any(|e| e.kind == kind)
}

/// Starts registering a passkey named `name` for `who`.
fn begin_registration(f: &Fixture, who: &SessionInfo, name: &str) -> Ceremony {
    f.sesame()
        .begin_passkey_registration(who, name, Usage::First, &rp(f))
        .unwrap()
}

/// Finishes `who`'s registration `ceremony` with `answer`.
fn finish_registration(
    s: &Sesame<'_>,
    who: &SessionInfo,
    ceremony: &Ceremony,
    answer: Value,
) -> Result<CredentialInfo> {
    s.finish_passkey_registration(who, ceremony.state.expose(), &registration(answer))
}

/// Finishes a first-factor sign-in `ceremony` with `answer`, from no particular client.
fn finish_signin(s: &Sesame<'_>, ceremony: &Ceremony, answer: Value) -> Result<IssuedSession> {
    s.finish_passkey_signin(
        ceremony.state.expose(),
        &assertion(answer),
        None,
        &ClientInfo::default(),
    )
}

/// Asserts that finishing a first-factor sign-in `ceremony` with `answer` is refused with
/// `code`.
fn assert_signin_refused(f: &Fixture, ceremony: &Ceremony, answer: Value, code: ErrorCode) {
    assert_eq!(code_of(finish_signin(&f.sesame(), ceremony, answer)), code);
}

/// Re-authenticates `who` with `cred`.
fn verify_with(f: &Fixture, who: &SessionInfo, cred: &mut SoftCredential) -> Result<u64> {
    let s = f.sesame();
    let ceremony = s.begin_passkey_verify(who, &rp(f))?;
    let answer = cred.assert(&ceremony.options, ORIGIN);
    s.finish_passkey_verify(who, ceremony.state.expose(), &assertion(answer))
}

/// A fixture in which Ada is signed in and has registered a passkey named "key", made by
/// the software authenticator with `alg` and `seed`.
fn with_passkey(alg: Alg, seed: u8) -> (Fixture, SessionInfo, SoftCredential) {
    let (f, ada) = ada_signed_in();
    let mut cred = SoftCredential::new(alg, seed);
    register(&f, &ada, &mut cred, "key", Usage::First);
    (f, ada, cred)
}

/// Starts a first-factor sign-in naming `identity` or nobody.
fn begin_signin(f: &Fixture, identity: Option<&str>) -> Ceremony {
    f.sesame().begin_passkey_signin(identity, &rp(f)).unwrap()
}

/// Registers `cred` for the session's user with `usage`.
fn register(
    f: &Fixture,
    who: &SessionInfo,
    cred: &mut SoftCredential,
    name: &str,
    usage: Usage,
) -> CredentialInfo {
    let s = f.sesame();
    let ceremony = s
        .begin_passkey_registration(who, name, usage, &rp(f))
        .unwrap();
    let answer = cred.register(&ceremony.options, ORIGIN);
    finish_registration(&s, who, &ceremony, answer).unwrap()
}

/// A software authenticator made with `alg` and `seed`, its credential registered for the
/// session's user as `name` with `usage`.
fn registered_key(
    f: &Fixture,
    who: &SessionInfo,
    alg: Alg,
    seed: u8,
    name: &str,
    usage: Usage,
) -> SoftCredential {
    let mut cred = SoftCredential::new(alg, seed);
    register(f, who, &mut cred, name, usage);
    cred
}

/// Signs in with `cred`, naming `identity` or nobody.
fn sign_in(
    f: &Fixture,
    identity: Option<&str>,
    cred: &mut SoftCredential,
) -> Result<IssuedSession> {
    let s = f.sesame();
    let ceremony = s.begin_passkey_signin(identity, &rp(f))?;
    let answer = cred.assert(&ceremony.options, ORIGIN);
    finish_signin(&s, &ceremony, answer)
}

/// Asserts that a sign-in with `cred`, naming `identity` or nobody, is refused with `code`.
fn assert_sign_in_refused(
    f: &Fixture,
    identity: Option<&str>,
    cred: &mut SoftCredential,
    code: ErrorCode,
) {
    assert_eq!(code_of(sign_in(f, identity, cred)), code);
}

/// Flips bits of one byte of an assertion's signature: a forgery of a real credential.
fn flip_signature_bit(answer: &mut Value, byte: usize, bits: u8) {
    let mut signature = authenticator::b64d(answer["response"]["signature"].as_str().unwrap());
    signature[byte] ^= bits;
    answer["response"]["signature"] = b64e(&signature).into();
}

/// Authenticator data with `flags` and an attested credential of `id` and `cose_key` (the
/// attested-data flag is the caller's to set).
fn attested_auth_data(flags: u8, id: &[u8], cose_key: &[u8]) -> Vec<u8> {
    let mut data = vec![0u8; 32];
    data.push(flags);
    data.extend_from_slice(&1u32.to_be_bytes());
    data.extend_from_slice(&[0; 16]);
    data.extend_from_slice(&(id.len() as u16).to_be_bytes());
    data.extend_from_slice(id);
    data.extend_from_slice(cose_key);
    data
}

#[test]
fn every_algorithm_registers_and_signs_in_with_and_without_a_username() {
    for (seed, alg) in [Alg::Es256, Alg::EdDsa, Alg::Rs256].into_iter().enumerate() {
        let f = fixture();
        let ada = session(&f, ADA);
        let mut cred = SoftCredential::new(alg, seed as u8);
        let info = register(&f, &ada, &mut cred, "laptop", Usage::First);
        assert_eq!(info.algorithm.cose_id(), cred_alg(alg));
        let by_name = sign_in(&f, Some("ada"), &mut cred).unwrap();
        assert_eq!(by_name.user.email, ADA);
        let usernameless = sign_in(&f, None, &mut cred).unwrap();
        assert_eq!(usernameless.user.email, ADA);
        let listed = f.sesame().list_passkeys(&ada.user.id).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, "laptop");
        assert_eq!(listed[0].last_used_at_ms, Some(f.env.now_ms()));
        assert_eq!(listed[0].sign_count, 2);
        assert_eq!(listed[0].discoverable, Some(true));
    }
}

fn cred_alg(alg: Alg) -> i64 {
    match alg {
        Alg::Es256 => -7,
        Alg::EdDsa => -8,
        Alg::Rs256 => -257,
    }
}

#[test]
fn packed_self_attestation_is_accepted_and_the_policy_can_refuse_it() {
    let (f, ada) = ada_signed_in();
    let mut cred = SoftCredential::new(Alg::Es256, 1);
    cred.attestation = "packed";
    register(&f, &ada, &mut cred, "packed key", Usage::First);

    let mut f = fixture();
    f.config.webauthn.attestation_formats = vec![AttestationFormat::None];
    let ada = session(&f, ADA);
    let s = f.sesame();
    let ceremony = begin_registration(&f, &ada, "k");
    let answer = cred.register(&ceremony.options, ORIGIN);
    let refused = finish_registration(&s, &ada, &ceremony, answer);
    assert_eq!(code_of(refused), ErrorCode::WebauthnRejected);
}

#[test]
fn a_forged_packed_signature_is_refused() {
    let (f, ada) = ada_signed_in();
    let s = f.sesame();
    let mut cred = SoftCredential::new(Alg::EdDsa, 2);
    cred.attestation = "packed";
    let ceremony = begin_registration(&f, &ada, "k");
    let mut answer = cred.register(&ceremony.options, ORIGIN);
    // Change the client data after signing: the attestation no longer covers it.
    let original = answer["response"]["clientDataJSON"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut tampered: Value = serde_json::from_slice(&authenticator::b64d(&original)).unwrap();
    tampered["extra"] = Value::String("added later".into());
    answer["response"]["clientDataJSON"] = b64e(&serde_json::to_vec(&tampered).unwrap()).into();
    let refused = finish_registration(&s, &ada, &ceremony, answer);
    assert_eq!(code_of(refused), ErrorCode::WebauthnRejected);
}

#[test]
fn a_challenge_is_answered_once() {
    let (f, _, mut cred) = with_passkey(Alg::Es256, 3);
    let s = f.sesame();
    let ceremony = begin_signin(&f, None);
    let answer = cred.assert(&ceremony.options, ORIGIN);
    finish_signin(&s, &ceremony, answer.clone()).unwrap();
    assert_signin_refused(&f, &ceremony, answer, ErrorCode::ChallengeInvalid);
}

#[test]
fn a_challenge_expires() {
    let (f, _, mut cred) = with_passkey(Alg::Es256, 4);
    let ceremony = begin_signin(&f, Some(ADA));
    let answer = cred.assert(&ceremony.options, ORIGIN);
    f.advance(f.config.webauthn.challenge_ms);
    assert_signin_refused(&f, &ceremony, answer, ErrorCode::ChallengeInvalid);
}

#[test]
fn an_answer_to_another_challenge_is_refused() {
    let (f, _, mut cred) = with_passkey(Alg::Es256, 5);
    let ceremony = begin_signin(&f, None);
    let answer = cred.assert_for("localhost", &b64e(&[7; 32]), ORIGIN);
    assert_signin_refused(&f, &ceremony, answer, ErrorCode::ChallengeInvalid);
}

#[test]
fn a_registration_is_bound_to_the_session_that_started_it() {
    let (f, ada) = ada_signed_in();
    let other_ada_session = session(&f, ADA);
    let s = f.sesame();
    let mut cred = SoftCredential::new(Alg::Es256, 6);
    let ceremony = begin_registration(&f, &ada, "key");
    let answer = cred.register(&ceremony.options, ORIGIN);
    let refused = finish_registration(&s, &other_ada_session, &ceremony, answer);
    assert_eq!(code_of(refused), ErrorCode::ChallengeInvalid);
    assert!(s.list_passkeys(&ada.user.id).unwrap().is_empty());
}

#[test]
fn wrong_origin_rp_id_or_ceremony_type_is_refused() {
    let (f, _, mut cred) = with_passkey(Alg::Es256, 7);
    let s = f.sesame();

    let ceremony = begin_signin(&f, None);
    let answer = cred.assert(&ceremony.options, "http://evil.example");
    let refused = finish_signin(&s, &ceremony, answer);
    let error = refusal(refused);
    assert_eq!(error.code, ErrorCode::WebauthnRejected);
    assert!(error.message.contains("origin"), "{}", error.message);

    let ceremony = begin_signin(&f, None);
    let challenge = challenge_of(&ceremony).to_owned();
    let answer = cred.assert_for("evil.example", &challenge, ORIGIN);
    let refused = finish_signin(&s, &ceremony, answer);
    assert!(refusal(refused).message.contains("RP ID"));

    // A registration's client data cannot answer a sign-in.
    let ceremony = begin_signin(&f, None);
    let mut answer = cred.assert(&ceremony.options, ORIGIN);
    let challenge = challenge_of(&ceremony);
    answer["response"]["clientDataJSON"] = b64e(&authenticator::client_data(
        "webauthn.create",
        challenge,
        ORIGIN,
    ))
    .into();
    assert_signin_refused(&f, &ceremony, answer, ErrorCode::WebauthnRejected);
}

#[test]
fn a_bad_signature_is_refused() {
    let (f, _, mut cred) = with_passkey(Alg::Rs256, 8);
    let ceremony = begin_signin(&f, None);
    let mut answer = cred.assert(&ceremony.options, ORIGIN);
    flip_signature_bit(&mut answer, 10, 1);
    // Told like an unknown credential: a forger learns nothing about which IDs exist.
    assert_signin_refused(&f, &ceremony, answer, ErrorCode::UnknownCredential);
}

#[test]
fn unknown_and_other_users_credentials_never_sign_in() {
    let (f, ada) = ada_signed_in();
    let bob = session(&f, BOB);
    let mut ada_key = registered_key(&f, &ada, Alg::Es256, 9, "ada's", Usage::First);
    let bob_key = registered_key(&f, &bob, Alg::EdDsa, 10, "bob's", Usage::First);

    let mut stranger = SoftCredential::new(Alg::Es256, 11);
    stranger.user_handle = ada_key.user_handle.clone();
    assert_sign_in_refused(&f, None, &mut stranger, ErrorCode::UnknownCredential);

    // Asked for bob, answered with ada's passkey.
    assert_sign_in_refused(&f, Some(BOB), &mut ada_key, ErrorCode::UnknownCredential);

    // Ada's credential carrying bob's user handle.
    let mut forged = SoftCredential::new(Alg::Es256, 9);
    forged.user_handle = bob_key.user_handle.clone();
    forged.sign_count = 100;
    assert_sign_in_refused(&f, None, &mut forged, ErrorCode::UnknownCredential);

    // Usernameless without a user handle.
    ada_key.send_user_handle = false;
    assert_sign_in_refused(&f, None, &mut ada_key, ErrorCode::WebauthnRejected);
    ada_key.send_user_handle = true;
    assert_eq!(sign_in(&f, None, &mut ada_key).unwrap().user.email, ADA);
}

#[test]
fn a_counter_that_does_not_grow_is_refused_and_recorded() {
    let (f, ada, mut cred) = with_passkey(Alg::Es256, 12);
    sign_in(&f, None, &mut cred).unwrap();
    sign_in(&f, None, &mut cred).unwrap();
    cred.sign_count = 0; // a clone that started from an older copy
    assert_sign_in_refused(&f, None, &mut cred, ErrorCode::SignCountRegression);
    assert!(recorded(&f, EventKind::PasskeySignCountRegression));
    assert_eq!(
        f.sesame().list_passkeys(&ada.user.id).unwrap()[0].sign_count,
        2
    );

    let mut f = fixture();
    f.config.webauthn.sign_count_policy = SignCountPolicy::Flag;
    let ada = session(&f, ADA);
    register(&f, &ada, &mut cred, "key", Usage::First);
    cred.sign_count = 5;
    sign_in(&f, None, &mut cred).unwrap();
    cred.sign_count = 1;
    assert_eq!(sign_in(&f, None, &mut cred).unwrap().user.email, ADA);
    assert!(recorded(&f, EventKind::PasskeySignCountRegression));
}

#[test]
fn counters_that_stay_at_zero_are_fine() {
    let (f, ada) = ada_signed_in();
    let mut cred = SoftCredential::new(Alg::EdDsa, 13);
    cred.counting = false;
    register(&f, &ada, &mut cred, "synced passkey", Usage::First);
    sign_in(&f, None, &mut cred).unwrap();
    sign_in(&f, None, &mut cred).unwrap();
}

#[test]
fn the_user_handle_is_random_and_per_user() {
    let (f, ada) = ada_signed_in();
    let bob = session(&f, BOB);
    let a = begin_registration(&f, &ada, "k");
    let b = begin_registration(&f, &bob, "k");
    let handle_a = a.options["publicKey"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let handle_b = b.options["publicKey"]["user"]["id"].as_str().unwrap();
    assert_eq!(authenticator::b64d(&handle_a).len(), 32);
    assert_ne!(handle_a, handle_b);
    for leak in [ADA, ada.user.id.as_str(), "ada"] {
        assert!(!handle_a.contains(&b64e(leak.as_bytes())));
        assert!(!String::from_utf8_lossy(&authenticator::b64d(&handle_a)).contains(leak));
    }
    // Stable across ceremonies.
    let again = begin_registration(&f, &ada, "k");
    assert_eq!(
        again.options["publicKey"]["user"]["id"].as_str().unwrap(),
        handle_a
    );
}

#[test]
fn a_credential_id_belongs_to_one_user_only() {
    let (f, ada) = ada_signed_in();
    let bob = session(&f, BOB);
    let mut cred = registered_key(&f, &ada, Alg::Es256, 14, "key", Usage::First);
    let s = f.sesame();
    let ceremony = begin_registration(&f, &bob, "key");
    let answer = cred.register(&ceremony.options, ORIGIN);
    let refused = finish_registration(&s, &bob, &ceremony, answer);
    assert_eq!(code_of(refused), ErrorCode::AlreadyExists);
    assert!(s.list_passkeys(&bob.user.id).unwrap().is_empty());
    assert_eq!(s.list_passkeys(&ada.user.id).unwrap().len(), 1);
}

#[test]
fn first_factor_needs_user_verification_and_a_passkey_usage() {
    let (f, ada) = ada_signed_in();
    let mut key = registered_key(&f, &ada, Alg::Es256, 15, "yubikey", Usage::Secondary);
    assert_sign_in_refused(&f, Some(ADA), &mut key, ErrorCode::UnknownCredential);

    let mut passkey = registered_key(&f, &ada, Alg::Es256, 16, "phone", Usage::First);
    passkey.user_verified = false;
    assert_sign_in_refused(&f, None, &mut passkey, ErrorCode::WebauthnRejected);
}

#[test]
fn a_secondary_key_is_the_second_factor_after_the_password() {
    let (f, ada) = ada_signed_in();
    let mut key = SoftCredential::new(Alg::EdDsa, 17);
    key.user_verified = false;
    register(&f, &ada, &mut key, "yubikey", Usage::Secondary);
    let s = f.sesame();
    assert_eq!(
        code_of(s.login(ADA, PW, &ClientInfo::default())),
        ErrorCode::SecondFactorRequired
    );
    let LoginOutcome::SecondFactor(pending) =
        s.begin_login(ADA, PW, &ClientInfo::default()).unwrap()
    else {
        panic!("a password alone must not sign in");
    };
    assert!(
        pending
            .methods
            .contains(&crate::two_factor::Method::Webauthn)
    );
    let token = pending.token.expose();

    // Without the pending sign-in that asked, the ceremony cannot finish.
    let ceremony = s.begin_passkey_second_factor(token, &rp(&f)).unwrap();
    let answer = key.assert(&ceremony.options, ORIGIN);
    assert_signin_refused(&f, &ceremony, answer, ErrorCode::ChallengeInvalid);

    let ceremony = s.begin_passkey_second_factor(token, &rp(&f)).unwrap();
    let answer = key.assert(&ceremony.options, ORIGIN);
    let session = s
        .finish_passkey_signin(
            ceremony.state.expose(),
            &assertion(answer),
            Some(token),
            &ClientInfo::default(),
        )
        .unwrap();
    assert_eq!(session.user.email, ADA);
    // The pending sign-in is used up.
    assert!(s.pending_user(token).is_err());
}

#[test]
fn another_users_key_cannot_be_the_second_factor() {
    let (f, ada) = ada_signed_in();
    let bob = session(&f, BOB);
    registered_key(&f, &ada, Alg::Es256, 18, "ada", Usage::Secondary);
    let mut bob_key = registered_key(&f, &bob, Alg::Es256, 19, "bob", Usage::Secondary);
    let s = f.sesame();
    let LoginOutcome::SecondFactor(pending) =
        s.begin_login(ADA, PW, &ClientInfo::default()).unwrap()
    else {
        panic!("two-factor");
    };
    let token = pending.token.expose();
    let ceremony = s.begin_passkey_second_factor(token, &rp(&f)).unwrap();
    let answer = bob_key.assert_for("localhost", challenge_of(&ceremony), ORIGIN);
    let refused = s.finish_passkey_signin(
        ceremony.state.expose(),
        &assertion(answer),
        Some(token),
        &ClientInfo::default(),
    );
    assert_eq!(code_of(refused), ErrorCode::UnknownCredential);
}

#[test]
fn sensitive_actions_need_a_fresh_session_and_verify_renews_it() {
    let (f, ada) = ada_signed_in();
    let mut cred = SoftCredential::new(Alg::Es256, 20);
    let info = register(&f, &ada, &mut cred, "key", Usage::First);
    f.advance(f.config.freshness.window_ms);
    let s = f.sesame();
    assert_eq!(
        code_of(s.delete_passkey(&ada, &info.id)),
        ErrorCode::ReauthenticationRequired
    );
    assert_eq!(
        code_of(s.begin_passkey_registration(&ada, "second", Usage::First, &rp(&f))),
        ErrorCode::ReauthenticationRequired
    );
    let ceremony = s.begin_passkey_verify(&ada, &rp(&f)).unwrap();
    let answer = cred.assert(&ceremony.options, ORIGIN);
    let until = s
        .finish_passkey_verify(&ada, ceremony.state.expose(), &assertion(answer))
        .unwrap();
    assert_eq!(until, f.env.now_ms() + f.config.freshness.window_ms);
    let deleted = s.delete_passkey(&ada, "key").unwrap();
    assert_eq!(deleted.id, info.id);
    assert!(s.list_passkeys(&ada.user.id).unwrap().is_empty());
    assert_sign_in_refused(&f, None, &mut cred, ErrorCode::UnknownCredential);
}

#[test]
fn a_verification_is_bound_to_its_session_and_cannot_delete_others_keys() {
    let (f, ada) = ada_signed_in();
    let bob = session(&f, BOB);
    let mut ada_key = SoftCredential::new(Alg::Es256, 21);
    let info = register(&f, &ada, &mut ada_key, "ada", Usage::First);
    let s = f.sesame();
    let ceremony = s.begin_passkey_verify(&ada, &rp(&f)).unwrap();
    let answer = ada_key.assert(&ceremony.options, ORIGIN);
    let refused = s.finish_passkey_verify(&bob, ceremony.state.expose(), &assertion(answer));
    assert_eq!(code_of(refused), ErrorCode::ChallengeInvalid);
    assert_eq!(
        code_of(s.delete_passkey(&bob, &info.id)),
        ErrorCode::NotFound
    );
    assert_eq!(s.list_passkeys(&ada.user.id).unwrap().len(), 1);
}

#[test]
fn an_unknown_user_gets_a_stable_made_up_credential() {
    let f = fixture();
    let s = f.sesame();
    let one = s
        .begin_passkey_signin(Some("nobody@example.com"), &rp(&f))
        .unwrap();
    let two = s
        .begin_passkey_signin(Some("Nobody@example.com"), &rp(&f))
        .unwrap();
    let allowed = |c: &Ceremony| c.options["publicKey"]["allowCredentials"].clone();
    assert_eq!(allowed(&one).as_array().unwrap().len(), 1);
    assert_eq!(allowed(&one), allowed(&two));
}

#[test]
fn names_are_checked_and_unique_per_user() {
    let (f, ada) = ada_signed_in();
    let s = f.sesame();
    for bad in ["", "   ", &"x".repeat(65), "a\u{0}b"] {
        assert_eq!(
            code_of(s.begin_passkey_registration(&ada, bad, Usage::First, &rp(&f))),
            ErrorCode::InvalidRequest
        );
    }
    registered_key(&f, &ada, Alg::Es256, 22, "Laptop", Usage::First);
    assert_eq!(
        code_of(s.begin_passkey_registration(&ada, "laptop", Usage::First, &rp(&f))),
        ErrorCode::AlreadyExists
    );
}

#[test]
fn malformed_answers_are_4xx() {
    let (f, ada) = ada_signed_in();
    let s = f.sesame();
    let garbage = [
        serde_json::json!({"rawId": "!!", "type": "public-key", "response": {"clientDataJSON": "e30", "attestationObject": "oA"}}),
        serde_json::json!({"rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "e30", "attestationObject": "oA"}}),
        serde_json::json!({"rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "bm90IGpzb24", "attestationObject": "_w"}}),
    ];
    for answer in garbage {
        let ceremony = begin_registration(&f, &ada, "k");
        let error = finish_registration(&s, &ada, &ceremony, answer).unwrap_err();
        let status = crate::AuthError::from(&error).code.http_status();
        assert!((400..500).contains(&status), "{error:?}");
    }
    assert_eq!(
        code_of(s.finish_passkey_verify(
            &ada,
            "short",
            &assertion(SoftCredential::new(Alg::Es256, 1).assert_for("x", "AA", ORIGIN))
        )),
        ErrorCode::ChallengeInvalid
    );
}

#[test]
fn authenticator_data_parsing_finds_the_key_before_extensions() {
    let cred = SoftCredential::new(Alg::Es256, 23);
    let mut data = attested_auth_data(0x41 | 0x80, &cred.id, &cred.cose_key());
    data.extend_from_slice(&[0xa0]); // empty extensions map
    let parsed = wire::auth_data(&data).unwrap();
    assert_eq!(parsed.attested.unwrap().public_key, cred.cose_key());
    data.push(0);
    assert!(wire::auth_data(&data).is_err());
}

#[test]
fn the_relying_party_follows_the_deployment() {
    let mut f = fixture();
    f.config.public_url = "https://auth.example.com".into();
    let rp = f.sesame().relying_party(Some("localhost:9")).unwrap();
    assert_eq!(rp.id, "auth.example.com");
    assert_eq!(rp.origins, ["https://auth.example.com"]);
    f.config.webauthn.rp_id = Some("example.com".into());
    f.config.webauthn.origins = vec!["https://app.example.com".into()];
    let rp = f.sesame().relying_party(Some("auth.example.com")).unwrap();
    assert_eq!(
        (rp.id.as_str(), rp.origins.as_slice()),
        ("example.com", &["https://app.example.com".to_owned()][..])
    );
    f.config.public_url = "http://127.0.0.1:8080".into();
    f.config.webauthn = WebAuthnConfig::default();
    let rp = f.sesame().relying_party(Some("localhost:8080")).unwrap();
    assert_eq!(
        (rp.id.as_str(), rp.origins[0].as_str()),
        ("localhost", ORIGIN)
    );
}

#[test]
fn a_recent_passkey_verification_turns_two_factor_off_and_a_sign_in_alone_does_not() {
    use crate::two_factor::{Reauth, totp};
    let (f, ada) = ada_signed_in();
    let s = f.sesame();
    let enrolment = s.start_totp(&ada).unwrap();
    let secret = totp::TotpSecret::new(base32_decode(&enrolment.secret_base32));
    let step = totp::step_at(f.env.now_ms() / 1000);
    let code = totp::code_at(&secret, enrolment.algorithm, enrolment.digits, step);
    s.confirm_totp(&ada, &code).unwrap();
    let mut cred = registered_key(&f, &ada, Alg::Es256, 24, "key", Usage::First);

    // Freshly signed in, but not verified with the passkey: refused.
    assert_eq!(
        code_of(s.disable_two_factor(&ada, Reauth::RecentPasskey, &ClientInfo::default())),
        ErrorCode::ReauthenticationRequired
    );
    // Another user's verification does not count for ada's login.
    let bob = session(&f, BOB);
    let mut bob_key = registered_key(&f, &bob, Alg::Es256, 25, "key", Usage::First);
    verify_with(&f, &bob, &mut bob_key).unwrap();
    assert_eq!(
        code_of(s.disable_two_factor(&ada, Reauth::RecentPasskey, &ClientInfo::default())),
        ErrorCode::ReauthenticationRequired
    );

    verify_with(&f, &ada, &mut cred).unwrap();
    s.disable_two_factor(&ada, Reauth::RecentPasskey, &ClientInfo::default())
        .unwrap();
    assert!(!s.two_factor_required(&ada.user.id).unwrap());

    // The verification expires with the freshness window.
    f.advance(f.config.freshness.window_ms);
    assert!(!s.verified_with_passkey_recently(&ada).unwrap());
}

#[test]
fn a_recent_passkey_verification_replaces_the_current_password_for_a_change() {
    let f = fixture();
    let (token, ada) = session_with_token(&f, ADA);
    let s = f.sesame();
    let mut cred = registered_key(&f, &ada, Alg::EdDsa, 26, "key", Usage::First);
    let new = "difference engine";
    assert_eq!(
        code_of(s.change_password_after_passkey(&token, new, &ClientInfo::default())),
        ErrorCode::ReauthenticationRequired
    );
    verify_with(&f, &ada, &mut cred).unwrap();
    s.change_password_after_passkey(&token, new, &ClientInfo::default())
        .unwrap();
    assert!(s.login(ADA, new, &ClientInfo::default()).is_ok());
    assert!(s.login(ADA, PW, &ClientInfo::default()).is_err());
}

#[test]
fn a_credential_may_be_as_large_as_a_request_body_and_no_larger() {
    assert_eq!(wire::MAX_CREDENTIAL_JSON_BYTES, crate::http::MAX_BODY_BYTES);
    let padded = format!(
        r#"{{"rawId":"AA","type":"public-key","response":{{"clientDataJSON":"","authenticatorData":"","signature":""}},"pad":"{}"}}"#,
        "a".repeat(wire::MAX_CREDENTIAL_JSON_BYTES)
    );
    assert_eq!(
        code_of(wire::parse_assertion(&padded)),
        ErrorCode::PayloadTooLarge
    );
}

#[test]
fn verification_needs_no_store_and_no_sesame() {
    let mut cred = SoftCredential::new(Alg::EdDsa, 60);
    let challenge = [3u8; 32];
    let origins = [ORIGIN.to_owned()];
    let expected = verify::Expected {
        challenge: &challenge,
        rp_id: "localhost",
        origins: &origins,
    };
    let creation = serde_json::json!({
        "rp": {"id": "localhost"},
        "user": {"id": b64e(&[1; 32])},
        "challenge": b64e(&challenge),
    });
    let policy = verify::RegistrationPolicy {
        attestation_formats: &[AttestationFormat::None],
        user_verification: true,
    };
    let answer = registration(cred.register(&creation, ORIGIN));
    let created = verify::verify_registration(&answer, &expected, &policy).unwrap();
    assert_eq!(
        (created.id.as_slice(), created.public_key),
        (cred.id.as_slice(), cred.cose_key())
    );

    let request = serde_json::json!({"rpId": "localhost", "challenge": b64e(&challenge)});
    let answer = assertion(cred.assert(&request, ORIGIN));
    let policy = verify::AssertionPolicy {
        user_verification: true,
        user_handle_required: true,
    };
    let checked = verify::check_assertion(&answer, &expected, policy).unwrap();
    assert_eq!(checked.user_handle.as_deref(), Some(&[1u8; 32][..]));
    let other_key = SoftCredential::new(Alg::EdDsa, 61).cose_key();
    assert_eq!(
        checked.verify_signature(&other_key).unwrap_err(),
        WebAuthnError::UnknownCredential
    );
    assert_eq!(
        checked
            .verify_signature(&cred.cose_key())
            .unwrap()
            .sign_count,
        1
    );
}

#[test]
fn refusals_keep_their_codes_and_messages() {
    use WebAuthnError as E;
    for (refusal, code, message) in [
        (
            E::TooManyCredentials,
            ErrorCode::InvalidRequest,
            "At most 32 credentials per account; delete one first.",
        ),
        (
            E::InvalidName,
            ErrorCode::InvalidRequest,
            "Give the credential a name of 1 to 64 characters.",
        ),
        (
            E::NotBase64("rawId"),
            ErrorCode::InvalidRequest,
            "'rawId' is not base64url.",
        ),
        (
            E::UnknownCredential,
            ErrorCode::UnknownCredential,
            "This passkey or security key is not registered for this account, or its answer does not verify.",
        ),
        (
            E::BackupEligibilityChanged,
            ErrorCode::WebauthnRejected,
            "This credential's backup eligibility changed since it was registered, which an authenticator never does; sign in another way.",
        ),
        (
            E::CborTrailingBytes("attestation object", 1),
            ErrorCode::WebauthnRejected,
            "The attestation object has 1 bytes after its end.",
        ),
        (
            E::NoSuchCredential,
            ErrorCode::NotFound,
            "You have no credential with this ID or name.",
        ),
    ] {
        let told = crate::AuthError::from(&crate::Error::from(refusal));
        assert_eq!((told.code, told.message.as_str()), (code, message));
    }
}

/// Found by the `webauthn` fuzz target: serde reads a struct from a JSON array too, so
/// `["webauthn.get", challenge, origin]` passed as client data.
#[test]
fn client_data_and_credentials_must_be_json_objects() {
    let array = br#"["webauthn.get","AAAA","http://localhost:8080"]"#;
    assert_eq!(
        code_of(wire::client_data(array)),
        ErrorCode::WebauthnRejected
    );
    let object = br#" {"type":"webauthn.get","challenge":"AAAA","origin":"http://localhost:8080"}"#;
    let parsed = wire::client_data(object).unwrap();
    assert_eq!(parsed.kind, "webauthn.get");
    let credential =
        r#"["AAAA","public-key",{"clientDataJSON":"","authenticatorData":"","signature":""}]"#;
    assert_eq!(
        code_of(wire::parse_assertion(credential)),
        ErrorCode::InvalidRequest
    );
}

#[test]
fn a_passkey_touch_without_user_verification_refreshes_but_does_not_replace_the_password() {
    let f = fixture();
    let (token, ada) = session_with_token(&f, ADA);
    let s = f.sesame();
    let mut cred = registered_key(&f, &ada, Alg::Es256, 27, "key", Usage::First);
    f.advance(f.config.freshness.window_ms);
    assert!(s.fresh_until(&ada).unwrap().is_none());
    // A touch alone (user present, not verified).
    cred.user_verified = false;
    verify_with(&f, &ada, &mut cred).unwrap();
    // Possession is enough to count as fresh for adding a key...
    assert!(s.fresh_until(&ada).unwrap().is_some());
    // ...but not to stand in for the password.
    assert!(!s.verified_with_passkey_recently(&ada).unwrap());
    assert_eq!(
        code_of(s.change_password_after_passkey(
            &token,
            "difference engine",
            &ClientInfo::default()
        )),
        ErrorCode::ReauthenticationRequired
    );
    // With user verification it does.
    cred.user_verified = true;
    verify_with(&f, &ada, &mut cred).unwrap();
    assert!(s.verified_with_passkey_recently(&ada).unwrap());
    s.change_password_after_passkey(&token, "difference engine", &ClientInfo::default())
        .unwrap();
}

mod hardening;

#[test]
fn a_registration_started_fresh_cannot_be_finished_stale() {
    let mut f = fixture();
    // Shorter than the challenge's life, which is the window this closes.
    f.config.freshness.window_ms = 60_000;
    let ada = session(&f, ADA);
    let s = f.sesame();
    let mut cred = SoftCredential::new(Alg::Es256, 28);
    let ceremony = begin_registration(&f, &ada, "late");
    f.advance(f.config.freshness.window_ms);
    let answer = cred.register(&ceremony.options, ORIGIN);
    assert_eq!(
        code_of(finish_registration(&s, &ada, &ceremony, answer)),
        ErrorCode::ReauthenticationRequired
    );
    assert!(s.list_passkeys(&ada.user.id).unwrap().is_empty());
}

/// WebAuthn allows credential IDs of up to 1023 bytes, more than a store key holds once the
/// user's index prefix is added: the longest storable one registers, a longer one is a clear
/// 400 that leaves nothing behind.
#[test]
fn a_credential_id_too_long_to_store_is_refused_as_the_requests_fault() {
    let (f, ada) = ada_signed_in();
    let s = f.sesame();
    let index_prefix = crate::records::wan_user_credential_key(&ada.user.id, "").len();
    let longest = (crate::store::MAX_KEY_BYTES - index_prefix) * 3 / 4;

    let mut fits = SoftCredential::new(Alg::Es256, 71);
    fits.id = vec![7; longest];
    register(&f, &ada, &mut fits, "fits", Usage::First);

    let mut too_long = SoftCredential::new(Alg::Es256, 72);
    too_long.id = vec![8; longest + 1];
    let ceremony = begin_registration(&f, &ada, "too long");
    let answer = too_long.register(&ceremony.options, ORIGIN);
    let refused = refusal(finish_registration(&s, &ada, &ceremony, answer));
    assert_eq!(refused.code, ErrorCode::WebauthnRejected);
    assert!(
        refused
            .message
            .contains(&format!("at most {longest} bytes")),
        "{}",
        refused.message
    );
    let names: Vec<String> = s
        .list_passkeys(&ada.user.id)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["fits"]);
}

#[test]
fn undoing_an_address_change_removes_the_passkeys_the_mover_could_have_added() {
    let (f, ada, mut cred) = with_passkey(Alg::Es256, 41);
    let s = f.sesame();
    s.request_email_change(&ada, "thief@example.net", &ClientInfo::default())
        .unwrap();
    let restore = {
        let outbox = f.env.outbox.lock().unwrap();
        let marker = "/change-email/restore?token=";
        let text = &outbox
            .iter()
            .rev()
            .find(|m| m.text.contains(marker))
            .expect("the notice to the old address")
            .text;
        let start = text.find(marker).unwrap() + marker.len();
        text[start..].split_whitespace().next().unwrap().to_owned()
    };
    s.restore_email(&restore).unwrap();
    assert!(s.list_passkeys(&ada.user.id).unwrap().is_empty());
    // The key that was registered no longer signs anyone in.
    let ceremony = begin_signin(&f, None);
    let answer = cred.assert(&ceremony.options, ORIGIN);
    assert!(finish_signin(&s, &ceremony, answer).is_err());
}
