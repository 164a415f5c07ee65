use super::*;
use crate::env::Env as _;
use crate::i18n::Language;
use crate::mail::Mail;
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
    assert!(subjects.contains(&"Your password was changed - Sesame".to_owned()));
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
        "Two-factor authentication is on - Sesame",
        "New recovery codes - Sesame",
        "Two-factor authentication is off - Sesame",
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

/// The last mail sent.
fn last_mail(f: &Fixture) -> Mail {
    f.env.outbox.lock().unwrap().last().cloned().unwrap()
}

/// Ada registers, then changes her password in a request answered in `language`, from a known
/// address; the notice that change caused.
fn password_change_notice(f: &Fixture, language: Language) -> Mail {
    let s = f.sesame();
    // The owner's browser speaks `language`: mail to the account follows it.
    s.set_language(language);
    s.register(EMAIL, PW, None).unwrap();
    let issued = s.login(EMAIL, PW, &ClientInfo::default()).unwrap();
    let client = ClientInfo {
        address: Some("192.0.2.9".into()),
        user_agent: None,
    };
    s.change_password(issued.token.expose(), PW, "difference engine", &client)
        .unwrap();
    last_mail(f)
}

#[test]
fn the_notice_is_in_english_without_a_support_line_by_default() {
    let f = Fixture::new();
    let mail = password_change_notice(&f, Language::En);
    assert_eq!(mail.to, EMAIL);
    assert_eq!(
        mail.text,
        "Your Sesame password was changed. The request came from the address 192.0.2.9.\n\n\
         If this was you, no action is needed.\n\n\
         If it was not you, reset your password at http://127.0.0.1:8080/reset now, then sign in \
         at http://127.0.0.1:8080/login and sign out every other session.\n"
    );
}

#[test]
fn a_notice_is_in_the_owners_language_and_names_the_product() {
    let mut f = Fixture::new();
    f.config.branding.product_name = "Acme ID".into();
    f.config.branding.support_url = Some("https://help.example.com/".into());
    let mail = password_change_notice(&f, Language::De);
    assert_eq!(mail.subject, "Ihr Passwort wurde geändert - Acme ID");
    assert!(
        mail.text.starts_with(
            "Ihr Passwort für Acme ID wurde geändert. Die Anfrage kam von der Adresse 192.0.2.9."
        ),
        "{}",
        mail.text
    );
    // The same two links as ever, and nothing else that acts.
    assert!(mail.text.contains("http://127.0.0.1:8080/reset"));
    assert!(mail.text.contains("http://127.0.0.1:8080/login"));
    assert!(!mail.text.contains("token="));
    assert!(!mail.text.contains("difference engine"));
    assert!(!mail.text.contains("Sesame"));
    assert!(
        mail.text
            .ends_with("\n\nHilfe und Support: https://help.example.com/\n"),
        "{}",
        mail.text
    );
}

#[test]
fn the_support_line_appears_only_when_a_support_url_is_set() {
    let mut f = Fixture::new();
    f.config.branding.product_name = "Acme ID".into();
    let mail = password_change_notice(&f, Language::De);
    assert!(mail.text.contains("Acme ID"));
    assert!(!mail.text.contains("Hilfe und Support"), "{}", mail.text);
    assert!(!mail.text.contains("https://help"), "{}", mail.text);
}
