use super::*;
use crate::env::Env as _;
use crate::sessions::ClientInfo;
use crate::testing::Fixture;

const EMAIL: &str = "ada@example.com";
const PW: &str = "analytical engine";

/// The subjects of the mail ada received, and the kinds of events recorded for her.
fn mail_subjects(f: &Fixture) -> Vec<String> {
    f.env
        .outbox
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.to == EMAIL)
        .map(|m| m.subject.clone())
        .collect()
}

fn event_kinds(f: &Fixture) -> Vec<EventKind> {
    f.env
        .events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn password_change_two_factor_and_recovery_codes_each_mail_the_owner_and_leave_an_event() {
    let f = Fixture::new();
    let s = f.sesame();
    s.register(EMAIL, PW, None).unwrap();
    let issued = s.login(EMAIL, PW, &ClientInfo::default()).unwrap();
    let client = ClientInfo {
        address: Some("192.0.2.9".into()),
        user_agent: None,
    };
    let issued = s
        .change_password(issued.token.expose(), PW, "difference engine", &client)
        .unwrap();
    let subjects = mail_subjects(&f);
    assert!(subjects.contains(&"Your password was changed".to_owned()));
    let mail = f.env.outbox.lock().unwrap().last().cloned().unwrap();
    assert!(mail.text.contains("192.0.2.9"));
    assert!(!mail.text.contains("difference engine"));

    let login = s.validate_session(issued.token.expose()).unwrap();
    let enrolment = s.start_totp(&login).unwrap();
    let secret = crate::two_factor::totp::TotpSecret::new(crate::testing::base32_decode(
        enrolment.secret_base32.as_str(),
    ));
    let step = crate::two_factor::totp::step_at(f.env.now_ms() / 1000);
    let code =
        crate::two_factor::totp::code_at(&secret, enrolment.algorithm, enrolment.digits, step);
    s.confirm_totp(&login, &code).unwrap();
    s.generate_recovery_codes(&login).unwrap();
    s.disable_two_factor(
        &login,
        crate::two_factor::Reauth::Password("difference engine"),
        &ClientInfo::default(),
    )
    .unwrap();
    let subjects = mail_subjects(&f);
    for expected in [
        "Two-factor authentication is on",
        "New recovery codes",
        "Two-factor authentication is off",
    ] {
        assert!(
            subjects.contains(&expected.to_owned()),
            "no mail '{expected}'"
        );
    }
    let kinds = event_kinds(&f);
    for expected in [
        EventKind::PasswordChanged,
        EventKind::TwoFactorEnabled,
        EventKind::RecoveryCodesGenerated,
        EventKind::TwoFactorDisabled,
    ] {
        assert!(kinds.contains(&expected), "no event {expected:?}");
    }
}
