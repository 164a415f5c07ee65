//! The `sesame:auth/two-factor` export called the way an embedding host calls it, against a
//! real SQLite store: enrolment, the pending sign-in, replay, recovery codes and turning it off.

use sesame_tests::totp;

use super::support::{client, instance, pending_login, sqlite_runtime};
use crate::bindings::{two_factor, types};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_through_wit() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("SESAME_SECRET".to_owned(), format!("{}A", "B".repeat(42))),
        ("SESAME_RECOVERY_CODES".to_owned(), "4".to_owned()),
    ];
    let runtime = sqlite_runtime(dir.path(), env);
    let (mut store, service) = instance(&runtime).await;
    let acc = service.sesame_auth_accounts();
    let ses = service.sesame_auth_sessions();
    let tf = service.sesame_auth_two_factor();
    let (email, password) = ("ada@example.com", "analytical engine");

    acc.call_register(&mut store, email, password, None)
        .await
        .unwrap()
        .unwrap();
    // Without two-factor, begin-login signs in directly.
    let two_factor::LoginOutcome::SignedIn(session) = tf
        .call_begin_login(&mut store, email, password, &client())
        .await
        .unwrap()
        .unwrap()
    else {
        panic!("no second factor is set up yet");
    };
    let user_id = session.user.id.clone();
    assert!(
        !tf.call_required(&mut store, &user_id)
            .await
            .unwrap()
            .unwrap()
    );

    // Enrolment: the secret, URI and QR code; a wrong code is invalid-code.
    let enrolment = tf
        .call_start_totp(&mut store, &session.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            enrolment.algorithm.as_str(),
            enrolment.digits,
            enrolment.period_secs
        ),
        ("SHA1", 6, 30)
    );
    assert!(enrolment.otpauth_uri.contains(&enrolment.secret));
    assert!(enrolment.qr_svg.starts_with("<svg"));
    let wrong = tf
        .call_confirm_totp(&mut store, &session.token, "12345")
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(wrong.code, types::ErrorCode::InvalidRequest);
    totp::settle_in_step();
    let step = totp::now_step();
    tf.call_confirm_totp(
        &mut store,
        &session.token,
        &totp::code(&enrolment.secret, step),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        tf.call_required(&mut store, &user_id)
            .await
            .unwrap()
            .unwrap()
    );
    let codes = tf
        .call_generate_recovery_codes(&mut store, &session.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(codes.len(), 4);

    // A password alone no longer yields a session.
    let refused = ses
        .call_login(&mut store, email, password, &client())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.code, types::ErrorCode::SecondFactorRequired);
    let p = pending_login(tf, &mut store, (email, password)).await;
    assert_eq!(
        p.methods,
        [two_factor::Method::Totp, two_factor::Method::RecoveryCode]
    );
    let not_a_session = ses
        .call_validate(&mut store, &p.token)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(not_a_session.code, types::ErrorCode::Unauthenticated);
    // The confirming code is used; the next step's code works once.
    let replay = tf
        .call_complete_totp(
            &mut store,
            &p.token,
            &totp::code(&enrolment.secret, step),
            &client(),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(replay.code, types::ErrorCode::InvalidCode);
    let full = tf
        .call_complete_totp(
            &mut store,
            &p.token,
            &totp::code(&enrolment.secret, step + 1),
            &client(),
        )
        .await
        .unwrap()
        .unwrap();
    ses.call_validate(&mut store, &full.token)
        .await
        .unwrap()
        .unwrap();

    // A recovery code finishes another sign-in, once.
    let p = pending_login(tf, &mut store, (email, password)).await;
    tf.call_complete_recovery(&mut store, &p.token, &codes[0], &client())
        .await
        .unwrap()
        .unwrap();
    let status = tf
        .call_status(&mut store, &full.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.recovery_codes_left, 3);

    // Turning it off needs the password.
    let wrong = tf
        .call_disable(
            &mut store,
            &full.token,
            &two_factor::Reauth::Password("not the password".into()),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(wrong.code, types::ErrorCode::InvalidCredentials);
    tf.call_disable(
        &mut store,
        &full.token,
        &two_factor::Reauth::Password(password.into()),
    )
    .await
    .unwrap()
    .unwrap();
    ses.call_login(&mut store, email, password, &client())
        .await
        .unwrap()
        .unwrap();
}
