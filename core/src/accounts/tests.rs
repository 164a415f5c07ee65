use super::*;
use crate::Sesame;
use crate::sessions::ClientInfo;
use crate::store::Store;
use crate::testing::Fixture;

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

/// A fixture where ada has registered with the username `ada` too.
fn registered_with_username() -> Fixture {
    let f = Fixture::new();
    f.sesame()
        .register("ada@example.com", "analytical engine", Some("ada"))
        .unwrap();
    f
}

/// Checks a password through [`Sesame::authenticate`] from a client that says nothing about
/// itself.
fn sign_in(s: &Sesame<'_>, identity: &str, password: &str) -> Result<UserRecord> {
    s.authenticate(identity, password, &ClientInfo::default())
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
    let f = registered_with_username();
    let s = f.sesame();
    let by_email = sign_in(&s, "ADA@example.com", "analytical engine").unwrap();
    let by_name = sign_in(&s, "Ada", "analytical engine").unwrap();
    assert_eq!(by_email.id, by_name.id);
    assert!(matches!(
        sign_in(&s, "ada@example.com", "difference engine"),
        Err(Error::WrongPassword)
    ));
    assert!(matches!(
        sign_in(&s, "nobody@example.com", "analytical engine"),
        Err(Error::UnknownAccount)
    ));
}

#[test]
fn registering_a_taken_email_answers_like_a_new_one_and_changes_nothing() {
    let f = Fixture::registered();
    let s = f.sesame();
    s.register("ADA@example.com", "someone else's pw", None)
        .unwrap();
    assert!(sign_in(&s, "ada@example.com", "analytical engine").is_ok());
    assert!(sign_in(&s, "ada@example.com", "someone else's pw").is_err());
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
    set_user(&f, &user.id, |r| r.active = false);
    let err = sign_in(&s, "ada@example.com", "analytical engine").unwrap_err();
    assert!(matches!(err, Error::AccountDisabled));
    assert_eq!(
        crate::AuthError::from(&err),
        crate::AuthError::from(&Error::WrongPassword)
    );
}

#[test]
fn outdated_hashes_are_upgraded_at_login() {
    let f = Fixture::registered();
    let mut stronger = f.config.clone();
    stronger.argon2.m_kib = 128;
    let s2 = Sesame::new(&f.store, &f.env, &stronger).unwrap();
    let user = sign_in(&s2, "ada@example.com", "analytical engine").unwrap();
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
    assert!(sign_in(&s2, "ada@example.com", "analytical engine").is_ok());
}

fn set_user(f: &Fixture, id: &str, change: impl FnOnce(&mut UserRecord)) {
    let key = crate::records::user_key(id);
    let (mut record, v) = crate::records::load::<UserRecord>(&f.store, &key)
        .unwrap()
        .unwrap();
    change(&mut record);
    crate::records::save(&f.store, &key, &record, Some(v), None).unwrap();
}

fn get_user_record(f: &Fixture, id: &str) -> UserRecord {
    crate::records::load::<UserRecord>(&f.store, &crate::records::user_key(id))
        .unwrap()
        .unwrap()
        .0
}

#[test]
fn tracking_records_each_sign_in() {
    let f = Fixture::registered();
    let s = f.sesame();
    let first = ClientInfo {
        address: Some("192.0.2.1".into()),
        user_agent: None,
    };
    let second = ClientInfo {
        address: Some("192.0.2.2".into()),
        user_agent: None,
    };
    let u = s
        .authenticate("ada@example.com", "analytical engine", &first)
        .unwrap();
    f.advance(5000);
    let u2 = s
        .authenticate("ada@example.com", "analytical engine", &second)
        .unwrap();
    assert_eq!(u2.tracking.login_count, 2);
    assert_eq!(u2.tracking.current_login_ip.as_deref(), Some("192.0.2.2"));
    assert_eq!(u2.tracking.last_login_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(u2.tracking.last_login_at_ms, u.tracking.current_login_at_ms);
    assert_eq!(get_user_record(&f, &u.id).tracking, u2.tracking);
}

#[test]
fn lockout_after_threshold_with_exponential_back_off() {
    let f = Fixture::registered();
    let s = f.sesame();
    let c = ClientInfo::default();
    let threshold = f.config.lockout.threshold;
    for _ in 0..threshold {
        assert!(matches!(
            s.authenticate("ada@example.com", "wrong wrong", &c),
            Err(Error::WrongPassword)
        ));
    }
    // Locked: even the right password fails, with the public answer of a wrong password.
    let locked = s
        .authenticate("ada@example.com", "analytical engine", &c)
        .unwrap_err();
    assert!(matches!(locked, Error::AccountLocked));
    assert_eq!(
        crate::AuthError::from(&locked),
        crate::AuthError::from(&Error::WrongPassword)
    );
    let id = s.list_users(None, 1).unwrap()[0].id.clone();
    // The right password while locked counted like a wrong one (so the two cost the same
    // store work): the lock already doubled once.
    let first_lock = get_user_record(&f, &id).lockout.locked_until_ms.unwrap() - 1_700_000_000_000;
    assert_eq!(first_lock, 2 * f.config.lockout.base_ms);
    // Another failure doubles the lock again.
    assert!(
        s.authenticate("ada@example.com", "wrong wrong", &c)
            .is_err()
    );
    let second_lock = get_user_record(&f, &id).lockout.locked_until_ms.unwrap() - 1_700_000_000_000;
    assert_eq!(second_lock, 4 * f.config.lockout.base_ms);
    // After the lock ends, the right password works and clears the failures.
    f.advance(second_lock);
    let ok = s
        .authenticate("ada@example.com", "analytical engine", &c)
        .unwrap();
    assert_eq!(ok.lockout, Lockout::default());
}

#[test]
fn lock_never_exceeds_the_maximum() {
    let f = Fixture::registered();
    let s = f.sesame();
    let c = ClientInfo::default();
    for _ in 0..80 {
        let _ = s.authenticate("ada@example.com", "wrong wrong", &c);
    }
    let id = s.list_users(None, 1).unwrap()[0].id.clone();
    let lock = get_user_record(&f, &id).lockout.locked_until_ms.unwrap() - 1_700_000_000_000;
    assert_eq!(lock, f.config.lockout.max_ms);
}

#[test]
fn concurrent_sign_ins_all_count() {
    let f = Fixture::registered();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..25 {
                    f.sesame()
                        .authenticate(
                            "ada@example.com",
                            "analytical engine",
                            &ClientInfo::default(),
                        )
                        .unwrap();
                }
            });
        }
    });
    let id = f.sesame().list_users(None, 1).unwrap()[0].id.clone();
    assert_eq!(get_user_record(&f, &id).tracking.login_count, 200);
}

#[test]
fn imported_users_sign_in_with_their_old_password_and_are_rehashed() {
    let f = Fixture::new();
    let s = f.sesame();
    // Python: bcrypt.hashpw(b"correct horse battery staple", bcrypt.gensalt(rounds=4)).
    let bcrypt = "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO";
    let user = s
        .import_user(
            &ImportedUser {
                email: "old@example.com".into(),
                username: None,
                password_hash: bcrypt.into(),
                roles: vec!["admin".into()],
                active: true,
                confirmed: true,
            },
            None,
        )
        .unwrap();
    assert_eq!(user.roles, ["admin"]);
    assert!(user.confirmed_at_ms.is_some());
    let c = ClientInfo::default();
    assert!(
        s.authenticate("old@example.com", "wrong password", &c)
            .is_err()
    );
    s.authenticate("old@example.com", "correct horse battery staple", &c)
        .unwrap();
    let stored = get_user_record(&f, &user.id).password_hash;
    assert!(
        stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
        "{stored}"
    );
    s.authenticate("old@example.com", "correct horse battery staple", &c)
        .unwrap();

    // Flask-Security-Too 5.9.2, SECURITY_PASSWORD_SALT="pepper-from-config", pbkdf2_sha512.
    let fs = "$pbkdf2-sha512$1000$CMH4X8s5RyilNIZQqtWaMw$xSG3uTg0plzeIpg5ozzFBxB/9p/ZipPdmD.MSEJy2yr3baZLOOybw6kFhm7f.CvJdKthYkbQmpma7PwnZb/exg";
    let imported = ImportedUser {
        email: "flask@example.com".into(),
        username: None,
        password_hash: fs.into(),
        roles: vec![],
        active: true,
        confirmed: false,
    };
    s.import_user(&imported, Some("pepper-from-config"))
        .unwrap();
    s.authenticate("flask@example.com", "correct horse battery staple", &c)
        .unwrap();

    let bad = ImportedUser {
        email: "x@example.com".into(),
        password_hash: "md5$abc".into(),
        ..imported
    };
    assert!(s.import_user(&bad, None).is_err());
}

#[test]
fn account_events_are_recorded_and_handed_to_the_host() {
    let mut f = Fixture::registered();
    f.config.lockout.threshold = 2;
    let s = f.sesame();
    let c = ClientInfo {
        address: Some("192.0.2.9".into()),
        user_agent: None,
    };
    s.authenticate("ada@example.com", "analytical engine", &c)
        .unwrap();
    let _ = s.authenticate("ada@example.com", "wrong wrong", &c);
    let _ = s.authenticate("ada@example.com", "wrong wrong", &c);
    let _ = s.authenticate("nobody@example.com", "wrong wrong", &c);
    let kinds: Vec<&str> = f
        .env
        .events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "registered",
            "login-succeeded",
            "login-failed",
            "login-failed",
            "locked",
            "login-failed"
        ]
    );
    let events = f.env.events.lock().unwrap().clone();
    assert_eq!(events[1].address.as_deref(), Some("192.0.2.9"));
    assert!(
        events[5].user_id.is_none(),
        "unknown accounts have no user id"
    );
    let stored = f.store.scan("event/", None, 100).unwrap();
    assert_eq!(stored.len(), 6);
    for (_, entry) in stored {
        let text = String::from_utf8(entry.value).unwrap();
        assert!(
            !text.contains("wrong wrong") && !text.contains("analytical"),
            "no secrets: {text}"
        );
    }
}

#[test]
fn registering_a_taken_username_answers_like_any_registration_and_mails_the_registrant() {
    let f = registered_with_username();
    let s = f.sesame();
    // Same answer as a new account; nothing is created; the registrant hears by mail.
    s.register("grace@example.com", "cobol compiler", Some("Ada"))
        .unwrap();
    assert_eq!(s.list_users(None, 10).unwrap().len(), 1);
    let mail = f.env.outbox.lock().unwrap().last().cloned().unwrap();
    assert_eq!(mail.to, "grace@example.com");
    assert_eq!(mail.subject, "Your account was not created - Sesame");
    // The address stays free for a registration with another username.
    s.register("grace@example.com", "cobol compiler", Some("grace"))
        .unwrap();
    assert_eq!(s.list_users(None, 10).unwrap().len(), 2);

    // Operators who prefer the visible answer turn it on.
    let mut config = crate::testing::test_config();
    config.reveal_taken_usernames = true;
    let revealing = crate::Sesame::new(&f.store, &f.env, &config).unwrap();
    assert!(matches!(
        revealing.register("hopper@example.com", "cobol compiler", Some("ada")),
        Err(Error::UsernameTaken)
    ));
}

#[test]
fn failures_written_while_the_right_password_is_hashed_still_refuse_it() {
    let f = Fixture::new();
    f.sesame()
        .register("ada@example.com", "analytical engine", None)
        .unwrap();
    // The parallel guesser's failures land while the right password is being checked: a host
    // that lets them run while it is being hashed, the window in which parallel requests finish
    // their own attempts. Core still hashes itself.
    let interleave = std::sync::Mutex::new(Some(|| {
        let guesser = f.sesame();
        for _ in 0..f.config.lockout.threshold {
            assert!(
                guesser
                    .login("ada@example.com", "wrong guess!", &ClientInfo::default())
                    .is_err()
            );
        }
    }));
    let racing = crate::testing::FixedEnv::new().with_argon2id(|password, _, _, _| {
        if password == b"analytical engine"
            && let Some(interleave) = interleave.lock().unwrap().take()
        {
            interleave();
        }
        None
    });
    let s = crate::Sesame::new(&f.store, &racing, &f.config).unwrap();
    let answer = s.login(
        "ada@example.com",
        "analytical engine",
        &ClientInfo::default(),
    );
    assert!(
        matches!(answer, Err(Error::AccountLocked)),
        "the right password got through a lock set while it was hashed: {answer:?}"
    );
    // And that attempt counted like a wrong one.
    let (record, _) = f
        .sesame()
        .load_user(&s.list_users(None, 1).unwrap()[0].id)
        .unwrap()
        .unwrap();
    assert_eq!(record.lockout.failed_count, f.config.lockout.threshold + 1);
}

#[test]
fn every_spelling_of_an_identity_shares_one_throttle_count() {
    let f = registered_with_username();
    let s = f.sesame();
    let limit = f.config.throttle.login_per_account;
    // Fullwidth and upper-case spellings reach the same account, so they count together.
    let spellings = [
        "ada",
        "ADA",
        "\u{ff41}da",
        "a\u{ff44}a",
        "ad\u{ff41}",
        "\u{ff21}\u{ff24}\u{ff21}",
    ];
    let mut throttled = false;
    for i in 0..=limit {
        let who = spellings[i as usize % spellings.len()];
        if matches!(
            s.login(who, "wrong guess!", &ClientInfo::default()),
            Err(Error::Throttled { .. })
        ) {
            throttled = true;
        }
    }
    assert!(
        throttled,
        "{} spellings got past a limit of {limit}",
        limit + 1
    );
    assert_eq!(
        identity_key(" Ada@Example.COM "),
        identity_key("ada@example.com")
    );
}

#[test]
fn addresses_with_invisible_characters_are_refused() {
    for bad in [
        "a\u{200b}b@example.com",
        "x\u{feff}y@example.com",
        "z\u{202e}z@example.com",
        "u\u{00ad}@example.com",
        "t\u{e0041}@example.com",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
    }
    assert!(Email::parse("üñï@example.com").is_ok());
}
