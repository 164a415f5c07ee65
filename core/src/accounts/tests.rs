use super::*;
use crate::Sesame;
use crate::config::Config;
use crate::store::{MemStore, Store};
use crate::testing::{FixedEnv, test_config};

struct Fixture {
    store: MemStore,
    env: FixedEnv,
    config: Config,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            store: MemStore::new(),
            env: FixedEnv::new(),
            config: test_config(),
        }
    }
    fn sesame(&self) -> Sesame<'_> {
        Sesame::new(&self.store, &self.env, &self.config).unwrap()
    }
}

#[test]
fn email_validation() {
    assert_eq!(
        Email::parse(" Ada@Example.COM ").unwrap().as_str(),
        "Ada@example.com"
    );
    for bad in [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "a b@example.com",
        "ada@exa_mple.com",
        "ada@-x.com",
        "a..b@example.com",
    ] {
        let err = Email::parse(bad).unwrap_err();
        assert_eq!(AuthErrorCode::of(&err), ErrorCode::InvalidEmail, "{bad:?}");
    }
    let long = format!("{}@example.com", "a".repeat(65));
    assert!(Email::parse(&long).is_err());
}

struct AuthErrorCode;
impl AuthErrorCode {
    fn of(e: &Error) -> ErrorCode {
        crate::AuthError::from(e).code
    }
}

#[test]
fn username_validation() {
    assert_eq!(Username::parse("Ada_99").unwrap().as_str(), "Ada_99");
    for bad in ["ab", "_ada", "ada lovelace", "ada@x", &"a".repeat(33)] {
        assert!(Username::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn register_then_authenticate() {
    let f = Fixture::new();
    let s = f.sesame();
    s.register("ada@example.com", "analytical engine", Some("ada"))
        .unwrap();
    let by_email = s
        .authenticate("ADA@example.com", "analytical engine")
        .unwrap();
    let by_name = s.authenticate("Ada", "analytical engine").unwrap();
    assert_eq!(by_email.id, by_name.id);
    assert!(matches!(
        s.authenticate("ada@example.com", "difference engine"),
        Err(Error::WrongPassword)
    ));
    assert!(matches!(
        s.authenticate("nobody@example.com", "analytical engine"),
        Err(Error::UnknownAccount)
    ));
}

#[test]
fn registering_a_taken_email_answers_like_a_new_one_and_changes_nothing() {
    let f = Fixture::new();
    let s = f.sesame();
    s.register("ada@example.com", "analytical engine", None)
        .unwrap();
    s.register("ADA@example.com", "someone else's pw", None)
        .unwrap();
    assert!(
        s.authenticate("ada@example.com", "analytical engine")
            .is_ok()
    );
    assert!(
        s.authenticate("ada@example.com", "someone else's pw")
            .is_err()
    );
    assert_eq!(s.list_users(None, 10).unwrap().len(), 1);
}

#[test]
fn admin_creation_reports_taken_email_and_username() {
    let f = Fixture::new();
    let s = f.sesame();
    let new = NewUser {
        email: "ada@example.com".into(),
        password: "analytical engine".into(),
        username: Some("ada".into()),
        roles: vec!["admin".into()],
    };
    let user = s.create_user(&new).unwrap();
    assert_eq!(user.roles, ["admin"]);
    assert!(matches!(s.create_user(&new), Err(Error::EmailTaken)));
    let other = NewUser {
        email: "grace@example.com".into(),
        ..new.clone()
    };
    assert!(matches!(s.create_user(&other), Err(Error::UsernameTaken)));
    // The failed attempt left nothing behind: grace's email is free again.
    let other = NewUser {
        username: None,
        ..other
    };
    s.create_user(&other).unwrap();
    assert_eq!(s.list_users(None, 10).unwrap().len(), 2);
    let bad_role = NewUser {
        email: "x@example.com".into(),
        roles: vec!["Not A Role".into()],
        ..other
    };
    assert!(s.create_user(&bad_role).is_err());
}

#[test]
fn list_users_pages() {
    let f = Fixture::new();
    let s = f.sesame();
    for i in 0..5 {
        s.register(&format!("u{i}@example.com"), "long enough pw", None)
            .unwrap();
    }
    let first = s.list_users(None, 3).unwrap();
    assert_eq!(first.len(), 3);
    let rest = s.list_users(Some(&first[2].id), 3).unwrap();
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|u| first.iter().all(|f| f.id != u.id)));
}

#[test]
fn disabled_accounts_fail_like_wrong_passwords() {
    let f = Fixture::new();
    let s = f.sesame();
    let user = s
        .create_user(&NewUser {
            email: "ada@example.com".into(),
            password: "analytical engine".into(),
            username: None,
            roles: vec![],
        })
        .unwrap();
    let key = crate::records::user_key(&user.id);
    let (mut record, v) = crate::records::load::<UserRecord>(&f.store, &key)
        .unwrap()
        .unwrap();
    record.active = false;
    crate::records::save(&f.store, &key, &record, Some(v), None).unwrap();
    let err = s
        .authenticate("ada@example.com", "analytical engine")
        .unwrap_err();
    assert!(matches!(err, Error::AccountDisabled));
    assert_eq!(
        crate::AuthError::from(&err),
        crate::AuthError::from(&Error::WrongPassword)
    );
}

#[test]
fn outdated_hashes_are_upgraded_at_login() {
    let f = Fixture::new();
    let s = f.sesame();
    s.register("ada@example.com", "analytical engine", None)
        .unwrap();
    let mut stronger = f.config.clone();
    stronger.argon2.m_kib = 128;
    let s2 = Sesame::new(&f.store, &f.env, &stronger).unwrap();
    let user = s2
        .authenticate("ada@example.com", "analytical engine")
        .unwrap();
    let stored = f
        .store
        .get(&crate::records::user_key(&user.id))
        .unwrap()
        .unwrap();
    let record: UserRecord = serde_json::from_slice(&stored.value).unwrap();
    assert!(
        record.password_hash.contains("m=128,"),
        "{}",
        record.password_hash
    );
    assert!(
        s2.authenticate("ada@example.com", "analytical engine")
            .is_ok()
    );
}
