//! The `sesame:auth/webauthn` export called the way an embedding host calls it, against a
//! real SQLite store, with the software authenticator of the end-to-end tests: register,
//! sign in with and without a username, the second factor, verify, list and delete, and a
//! replayed challenge.

use serde_json::Value;
use sesame_tests::authenticator::{Alg, SoftCredential};

use super::support::{client, instance, pending_login, sqlite_runtime};
use crate::bindings::{two_factor, types, webauthn};

/// The host a browser would have used; the default public URL is on loopback, so it decides.
const HOST: &str = "localhost:8080";
const ORIGIN: &str = "http://localhost:8080";

fn options(ceremony: &webauthn::Ceremony) -> Value {
    serde_json::from_str(&ceremony.options_json).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webauthn_through_wit() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![("SESAME_SECRET".to_owned(), format!("{}A", "C".repeat(42)))];
    let runtime = sqlite_runtime(dir.path(), env);
    let (mut store, service) = instance(&runtime).await;
    let acc = service.sesame_auth_accounts();
    let ses = service.sesame_auth_sessions();
    let tf = service.sesame_auth_two_factor();
    let wan = service.sesame_auth_webauthn();
    let (email, password) = ("ada@example.com", "analytical engine");
    acc.call_register(&mut store, email, password, None)
        .await
        .unwrap()
        .unwrap();
    let session = ses
        .call_login(&mut store, email, password, &client())
        .await
        .unwrap()
        .unwrap();
    let token = session.token.clone();

    // Register a passkey (EdDSA) and a security key (ES256, second factor).
    let mut passkey = SoftCredential::new(Alg::EdDsa, 1);
    let mut key = SoftCredential::new(Alg::Es256, 2);
    for (cred, name, usage) in [
        (&mut passkey, "phone", webauthn::Usage::First),
        (&mut key, "yubikey", webauthn::Usage::Secondary),
    ] {
        let started = wan
            .call_register_begin(&mut store, &token, name, usage, Some(HOST))
            .await
            .unwrap()
            .unwrap();
        let answer = cred.register(&options(&started), ORIGIN);
        let info = wan
            .call_register_finish(&mut store, &token, &started.state, &answer.to_string())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(info.name, name);
        assert_eq!(info.usage, usage);
    }
    let listed = wan
        .call_list_credentials(&mut store, &token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|c| c.algorithm.as_str())
            .collect::<Vec<_>>(),
        ["EdDSA", "ES256"]
    );

    // Usernameless sign-in; replaying the same answer is challenge-invalid.
    let started = wan
        .call_authenticate_begin(&mut store, None, Some(HOST))
        .await
        .unwrap()
        .unwrap();
    let answer = passkey.assert(&options(&started), ORIGIN).to_string();
    let signed_in = wan
        .call_authenticate_finish(&mut store, &started.state, &answer, None, &client())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(signed_in.user.email, email);
    let replay = wan
        .call_authenticate_finish(&mut store, &started.state, &answer, None, &client())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(replay.code, types::ErrorCode::ChallengeInvalid);

    // The security key makes the password alone insufficient; it completes the sign-in.
    let pending = pending_login(tf, &mut store, (email, password)).await;
    assert!(pending.methods.contains(&two_factor::Method::Webauthn));
    let started = wan
        .call_second_factor_begin(&mut store, &pending.token, Some(HOST))
        .await
        .unwrap()
        .unwrap();
    let answer = key.assert(&options(&started), ORIGIN).to_string();
    let session = wan
        .call_authenticate_finish(
            &mut store,
            &started.state,
            &answer,
            Some(&pending.token),
            &client(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.user.email, email);

    // Verify, then delete by name; malformed JSON is a 4xx code, not a trap.
    let started = wan
        .call_verify_begin(&mut store, &token, Some(HOST))
        .await
        .unwrap()
        .unwrap();
    let bad = wan
        .call_verify_finish(&mut store, &token, &started.state, "{not json")
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(bad.code, types::ErrorCode::InvalidRequest);
    let started = wan
        .call_verify_begin(&mut store, &token, Some(HOST))
        .await
        .unwrap()
        .unwrap();
    let answer = passkey.assert(&options(&started), ORIGIN).to_string();
    wan.call_verify_finish(&mut store, &token, &started.state, &answer)
        .await
        .unwrap()
        .unwrap();
    let deleted = wan
        .call_delete(&mut store, &token, "yubikey")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deleted.algorithm, "ES256");
    assert_eq!(
        wan.call_list_credentials(&mut store, &token)
            .await
            .unwrap()
            .unwrap()
            .len(),
        1
    );
}

/// Through the WIT export too, a named sign-in offers one made-up credential for a name that
/// matches nobody, a forged answer to it is `unknown-credential` like one for a real
/// credential, and naming an account is throttled with the limits of a password sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webauthn_through_wit_tells_strangers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("SESAME_SECRET".to_owned(), format!("{}A", "C".repeat(42))),
        (
            "SESAME_THROTTLE_LOGIN_PER_ACCOUNT".to_owned(),
            "3".to_owned(),
        ),
    ];
    let runtime = sqlite_runtime(dir.path(), env);
    let (mut store, service) = instance(&runtime).await;
    let wan = service.sesame_auth_webauthn();
    let nobody = "nobody@example.com";

    let started = wan
        .call_authenticate_begin(&mut store, Some(nobody), Some(HOST))
        .await
        .unwrap()
        .unwrap();
    let allowed = options(&started)["publicKey"]["allowCredentials"].clone();
    assert_eq!(allowed.as_array().unwrap().len(), 1, "{allowed}");
    assert!(!allowed[0]["transports"].as_array().unwrap().is_empty());
    let mut stranger = SoftCredential::new(Alg::Es256, 3);
    stranger.id = sesame_tests::authenticator::b64d(allowed[0]["id"].as_str().unwrap());
    let answer = stranger.assert(&options(&started), ORIGIN).to_string();
    let refused = wan
        .call_authenticate_finish(&mut store, &started.state, &answer, None, &client())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.code, types::ErrorCode::UnknownCredential);

    // Two starts and a finish so far; one more start, then the account limit.
    let again = wan
        .call_authenticate_begin(&mut store, Some(nobody), Some(HOST))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(options(&again)["publicKey"]["allowCredentials"], allowed);
    let throttled = wan
        .call_authenticate_begin(&mut store, Some(nobody), Some(HOST))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(throttled.code, types::ErrorCode::RateLimited);
}
