use sha1::{Digest, Sha1};

use super::*;
use crate::env::Env as _;
use crate::error::AuthError;
use crate::sessions::ClientInfo;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, FixedEnv, Fixture, error_code};

/// A password in the fake corpus.
const BREACHED: &str = "breached but long enough";
/// A password not in it.
const FRESH: &str = "nobody has this one yet";

fn sha1_hex(text: &str) -> String {
    hex::encode_upper(Sha1::digest(text.as_bytes()))
}

/// A range as the service answers it for the prefix of `listed`: a padding line, a few
/// others, and `listed`'s own suffix (lower-case, as some mirrors write it).
fn range_listing(listed: &str) -> Vec<String> {
    let suffix = sha1_hex(listed)[PREFIX_LEN..].to_lowercase();
    vec![
        "0018A45C4D1DEF81644B54AB7F969B88D65:0".to_owned(),
        "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2".to_owned(),
        format!("{suffix}:31337"),
        "011053FD0102E94D6AE2F8B83D76FAF94F6:1".to_owned(),
    ]
}

/// A fixture whose host answers the lookup with `answer`, checking breached passwords.
fn fixture_with(
    answer: impl Fn(&str) -> std::result::Result<Vec<String>, LookupFailure> + Send + Sync + 'static,
    fail_closed: bool,
) -> Fixture {
    let mut f = Fixture::new();
    f.env = FixedEnv::new().with_breach_range(answer);
    f.store.set_now_ms(f.env.now_ms());
    f.config.password.pwned_url = Some("https://range.example".into());
    f.config.password.pwned_fail_closed = fail_closed;
    f
}

/// A host whose corpus lists [`BREACHED`], answering its prefix and an empty range otherwise.
fn corpus_fixture() -> Fixture {
    fixture_with(
        |prefix| {
            if sha1_hex(BREACHED).starts_with(prefix) {
                Ok(range_listing(BREACHED))
            } else {
                Ok(range_listing("something else entirely"))
            }
        },
        false,
    )
}

#[test]
fn a_listed_suffix_matches_in_any_case_and_padding_never_does() {
    let suffix = &sha1_hex(BREACHED)[PREFIX_LEN..];
    assert!(listed(suffix, &range_listing(BREACHED)));
    assert!(!listed(suffix, &range_listing(FRESH)));
    // The same suffix as padding (count 0), malformed, or cut short is not listed.
    assert!(!listed(suffix, &[format!("{suffix}:0")]));
    assert!(!listed(suffix, &[format!("{suffix}:lots")]));
    assert!(!listed(suffix, &[suffix[..34].to_owned() + ":9"]));
    assert!(!listed(suffix, &[format!("{suffix}0:9")]));
    assert!(listed(suffix, &[format!(" {suffix}:9\r")]));
    assert!(!listed(suffix, &[]));
}

#[test]
fn registration_password_change_and_reset_refuse_a_listed_password() {
    let f = corpus_fixture();
    let s = f.sesame();
    let refused = s.register(ADA_EMAIL, BREACHED, None);
    assert_eq!(error_code(refused), ErrorCode::BreachedPassword);
    assert_eq!(ErrorCode::BreachedPassword.http_status(), 422);
    s.register(ADA_EMAIL, ADA_PASSWORD, None).unwrap();

    let issued = s
        .login(ADA_EMAIL, ADA_PASSWORD, &ClientInfo::default())
        .unwrap();
    let change = s.change_password(
        issued.token.expose(),
        ADA_PASSWORD,
        BREACHED,
        &ClientInfo::default(),
    );
    assert_eq!(error_code(change), ErrorCode::BreachedPassword);

    s.request_reset(ADA_EMAIL).unwrap();
    let mail = f.env.outbox.lock().unwrap().last().cloned().unwrap();
    let start = mail.text.find("token=").unwrap() + "token=".len();
    let token = mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        error_code(s.reset_password(&token, BREACHED)),
        ErrorCode::BreachedPassword
    );
    // The refused reset left the link working, for a password not in the corpus.
    s.reset_password(&token, FRESH).unwrap();
    s.login(ADA_EMAIL, FRESH, &ClientInfo::default()).unwrap();
}

#[test]
fn only_five_upper_case_hex_digits_of_the_hash_reach_the_host() {
    let f = corpus_fixture();
    f.sesame().register(ADA_EMAIL, FRESH, None).unwrap();
    let asked = f.env.breach_prefixes.lock().unwrap().clone();
    assert_eq!(asked, [sha1_hex(FRESH)[..PREFIX_LEN].to_owned()]);
    assert!(
        asked[0]
            .chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
    );
}

#[test]
fn an_existing_address_is_refused_alike_so_the_check_reveals_no_account() {
    let f = corpus_fixture();
    let s = f.sesame();
    s.register(ADA_EMAIL, ADA_PASSWORD, None).unwrap();
    let known = s.register(ADA_EMAIL, BREACHED, None).unwrap_err();
    let unknown = s.register("grace@example.com", BREACHED, None).unwrap_err();
    assert_eq!(AuthError::from(&known), AuthError::from(&unknown));
}

#[test]
fn without_a_range_service_nothing_is_asked() {
    let mut f = corpus_fixture();
    f.config.password.pwned_url = None;
    f.sesame().register(ADA_EMAIL, BREACHED, None).unwrap();
    assert!(f.env.breach_prefixes.lock().unwrap().is_empty());
}

#[test]
fn a_failed_lookup_lets_the_password_through_unless_the_deployment_fails_closed() {
    let down = |_: &str| Err(LookupFailure::Unavailable("timed out".into()));
    let open = fixture_with(down, false);
    open.sesame().register(ADA_EMAIL, BREACHED, None).unwrap();

    let closed = fixture_with(down, true);
    let refused = closed.sesame().register(ADA_EMAIL, FRESH, None);
    assert_eq!(error_code(refused), ErrorCode::BreachCheckUnavailable);
    assert_eq!(ErrorCode::BreachCheckUnavailable.http_status(), 503);
    let email = crate::accounts::Email::parse(ADA_EMAIL).unwrap();
    assert!(closed.sesame().user_id_for_email(&email).unwrap().is_none());
}

#[test]
fn a_host_without_the_lookup_counts_as_a_failed_lookup() {
    // As on Spin, or an `embed` host: the URL is set but the host cannot ask.
    let open = fixture_with(|_| Err(LookupFailure::NotConfigured), false);
    open.sesame().register(ADA_EMAIL, BREACHED, None).unwrap();
    let closed = fixture_with(|_| Err(LookupFailure::NotConfigured), true);
    assert_eq!(
        error_code(closed.sesame().register(ADA_EMAIL, FRESH, None)),
        ErrorCode::BreachCheckUnavailable
    );
}
