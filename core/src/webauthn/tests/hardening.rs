//! What a stranger can learn from the passkey routes, how often they may try, and what the
//! authenticator's flags and encodings must be.

use std::cell::RefCell;

use super::*;
use crate::store::{Entry, MemStore, Page, Store, StoreError, Write};
use sesame_test_authenticator::json_shape;

const NOBODY: &str = "nobody@example.com";
const CAROL: &str = "carol@example.com";

/// A [`Store`] that records which operations a call made, to compare the work of two calls.
struct CountingStore<'s> {
    inner: &'s MemStore,
    ops: RefCell<Vec<&'static str>>,
}

impl Store for CountingStore<'_> {
    fn get(&self, key: &str) -> std::result::Result<Option<Entry>, StoreError> {
        self.ops.borrow_mut().push("get");
        self.inner.get(key)
    }
    fn write(&self, write: Write<'_>) -> std::result::Result<u64, StoreError> {
        self.ops.borrow_mut().push("put");
        self.inner.write(write)
    }
    fn delete(
        &self,
        key: &str,
        expect_version: Option<u64>,
    ) -> std::result::Result<bool, StoreError> {
        self.ops.borrow_mut().push("delete");
        self.inner.delete(key, expect_version)
    }
    fn list(&self, page: Page<'_>) -> std::result::Result<Vec<(String, Entry)>, StoreError> {
        self.ops.borrow_mut().push("scan");
        self.inner.list(page)
    }
}

/// The options of a named sign-in, and the store operations starting it took.
fn begin_named(f: &Fixture, identity: &str) -> (Value, Vec<&'static str>) {
    let counting = CountingStore {
        inner: &f.store,
        ops: RefCell::new(Vec::new()),
    };
    let s = crate::Sesame::new(&counting, &f.env, &f.config).unwrap();
    let ceremony = s.begin_passkey_signin(Some(identity), &rp(f)).unwrap();
    (ceremony.options, counting.ops.into_inner())
}

fn allowed(options: &Value) -> Vec<Value> {
    options["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap()
        .clone()
}

/// The backup flags (BE as last known, BS) of the first of `who`'s passkeys.
fn backup_flags(s: &Sesame<'_>, who: &SessionInfo) -> (Option<bool>, bool) {
    let listed = &s.list_passkeys(&who.user.id).unwrap()[0];
    (listed.backup_eligible, listed.backed_up)
}

#[test]
fn a_named_sign_in_looks_alike_for_no_account_no_passkey_and_one_passkey() {
    // Ada has one passkey.
    let (f, _, _) = with_passkey(Alg::Es256, 40);
    // Bob has only a second-factor key, which a first-factor sign-in never offers.
    let bob = session(&f, BOB);
    registered_key(&f, &bob, Alg::Es256, 41, "yubikey", Usage::Secondary);

    // Carol has no credential at all.
    f.sesame().register(CAROL, PW, None).unwrap();

    let (with_one, work_one) = begin_named(&f, ADA);
    let (without, work_without) = begin_named(&f, BOB);
    let (none, work_none) = begin_named(&f, CAROL);
    let (unknown, work_unknown) = begin_named(&f, NOBODY);
    for (options, work) in [
        (&without, &work_without),
        (&none, &work_none),
        (&unknown, &work_unknown),
    ] {
        assert_eq!(json_shape(options), json_shape(&with_one));
        assert_eq!(work, &work_one);
    }
    for options in [&with_one, &without, &none, &unknown] {
        let list = allowed(options);
        assert_eq!(list.len(), 1, "{options}");
        let transports: Vec<&str> = list[0]["transports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(!transports.is_empty(), "{options}");
        assert!(
            transports
                .iter()
                .all(|t| ["usb", "nfc", "ble", "hybrid", "internal"].contains(t)),
            "{options}"
        );
        assert!(authenticator::b64d(list[0]["id"].as_str().unwrap()).len() >= 16);
    }
    // Stable per identity, whatever its case; different between identities.
    assert_eq!(
        allowed(&unknown),
        allowed(&begin_named(&f, " NOBODY@example.com").0)
    );
    assert_eq!(allowed(&without), allowed(&begin_named(&f, BOB).0));
    assert_ne!(allowed(&unknown)[0]["id"], allowed(&without)[0]["id"]);

    // Keyed by the master secret: another deployment makes up other IDs.
    let mut other = Fixture::new();
    other.config.secret = crate::config::MasterSecret::new(vec![7u8; 32]).unwrap();
    assert_ne!(
        allowed(&unknown)[0]["id"],
        allowed(&begin_named(&other, NOBODY).0)[0]["id"]
    );
}

#[test]
fn forged_assertions_answer_alike_for_real_made_up_and_second_factor_credentials() {
    let (f, ada) = ada_signed_in();
    let mut passkey = registered_key(&f, &ada, Alg::Es256, 42, "phone", Usage::First);
    let mut security_key = registered_key(&f, &ada, Alg::Es256, 43, "yubikey", Usage::Secondary);
    let s = f.sesame();
    let answer_of =
        |answer: Value, ceremony: &Ceremony| refusal(finish_signin(&s, ceremony, answer));

    // A real credential with a forged signature.
    let ceremony = begin_signin(&f, Some(ADA));
    let mut forged = passkey.assert(&ceremony.options, ORIGIN);
    flip_signature_bit(&mut forged, 8, 0x40);
    let real = answer_of(forged, &ceremony);

    // The made-up credential offered for an unknown account, answered by some key.
    let ceremony = begin_signin(&f, Some(NOBODY));
    let mut stranger = SoftCredential::new(Alg::Es256, 44);
    stranger.id = authenticator::b64d(allowed(&ceremony.options)[0]["id"].as_str().unwrap());
    let made_up = answer_of(stranger.assert(&ceremony.options, ORIGIN), &ceremony);

    // A second-factor key presented alone, with a valid signature.
    let ceremony = begin_signin(&f, Some(ADA));
    let alone = answer_of(security_key.assert(&ceremony.options, ORIGIN), &ceremony);

    // Ada's passkey carrying somebody else's user handle, without a username.
    let ceremony = begin_signin(&f, None);
    let mut wrong_handle = SoftCredential::new(Alg::Es256, 42);
    wrong_handle.sign_count = 50;
    wrong_handle.user_handle = Some(vec![9; 32]);
    let handle = answer_of(wrong_handle.assert(&ceremony.options, ORIGIN), &ceremony);

    assert_eq!(real.code, ErrorCode::UnknownCredential);
    for other in [&made_up, &alone, &handle] {
        assert_eq!((other.code, &other.message), (real.code, &real.message));
    }
}

#[test]
fn checks_of_the_request_alone_answer_alike_for_real_and_made_up_credentials() {
    let (f, ada) = ada_signed_in();
    registered_key(&f, &ada, Alg::Es256, 45, "phone", Usage::First);
    let s = f.sesame();
    let mut answers = Vec::new();
    for identity in [ADA, NOBODY] {
        let ceremony = begin_signin(&f, Some(identity));
        let mut key = SoftCredential::new(Alg::Es256, 45);
        key.id = authenticator::b64d(allowed(&ceremony.options)[0]["id"].as_str().unwrap());
        key.sign_count = 10;
        let answer = key.assert(&ceremony.options, "https://evil.example");
        let error = finish_signin(&s, &ceremony, answer).unwrap_err();
        answers.push(crate::AuthError::from(&error));
    }
    assert_eq!(answers[0].code, ErrorCode::WebauthnRejected);
    assert!(
        answers[0].message.contains("origin"),
        "{}",
        answers[0].message
    );
    assert_eq!(
        (answers[0].code, &answers[0].message),
        (answers[1].code, &answers[1].message)
    );
}

fn from(address: &str) -> ClientInfo {
    ClientInfo {
        address: Some(address.to_owned()),
        user_agent: None,
    }
}

#[test]
fn passkey_sign_ins_are_throttled_per_address_and_per_account_like_passwords() {
    let mut f = fixture();
    f.config.throttle.login_per_account = 3;
    f.config.throttle.login_per_address = 5;
    let ada = session(&f, ADA);
    let mut passkey = registered_key(&f, &ada, Alg::Es256, 46, "phone", Usage::First);
    let s = f.sesame();

    // Per account, for real and unknown accounts alike, on the counter `/login` uses (Ada's
    // password sign-in above was her first attempt); the address varies so only the account
    // counts.
    for (identity, allowed) in [(ADA, 2), (NOBODY, 3)] {
        for i in 0..allowed {
            s.begin_passkey_signin_from(Some(identity), &rp(&f), &from(&format!("192.0.2.{i}")))
                .unwrap();
        }
        let refused = s.begin_passkey_signin_from(Some(identity), &rp(&f), &from("192.0.2.9"));
        assert_eq!(code_of(refused), ErrorCode::RateLimited, "{identity}");
    }
    assert_eq!(
        code_of(s.login(ADA, PW, &from("192.0.2.10"))),
        ErrorCode::RateLimited
    );

    // Per address. A usernameless start is not an attempt (the sign-in page asks one for
    // passkey autofill at every view), but an address gets at most four times its sign-ins'
    // worth of challenges; the answer to one is the attempt. A named start is an attempt.
    // (Two windows on, so the sliding window no longer weighs the attempts above.)
    f.advance(2 * f.config.throttle.window_ms);
    let client = from("198.51.100.1");
    let mut views = Vec::new();
    for _ in 0..20 {
        views.push(s.begin_passkey_signin_from(None, &rp(&f), &client).unwrap());
    }
    assert_eq!(
        code_of(s.begin_passkey_signin_from(None, &rp(&f), &client)),
        ErrorCode::RateLimited
    );
    // Twenty page views later the address still has all five sign-ins.
    s.login(ADA, PW, &client).unwrap();
    let answer = passkey.assert(&views[0].options, ORIGIN);
    s.finish_passkey_signin(views[0].state.expose(), &assertion(answer), None, &client)
        .unwrap();
    for _ in 0..3 {
        s.begin_passkey_signin_from(Some("someone@example.com"), &rp(&f), &client)
            .unwrap();
    }
    assert_eq!(
        code_of(s.begin_passkey_signin_from(Some("other@example.com"), &rp(&f), &client)),
        ErrorCode::RateLimited
    );
    let ceremony = begin_signin(&f, None);
    let answer = passkey.assert(&ceremony.options, ORIGIN);
    assert_eq!(
        code_of(s.finish_passkey_signin(
            ceremony.state.expose(),
            &assertion(answer),
            None,
            &client
        )),
        ErrorCode::RateLimited
    );

    // Without a name, finishing counts against the user handle sent, from any address.
    f.advance(2 * f.config.throttle.window_ms);
    let mut results = Vec::new();
    for i in 0..4 {
        let ceremony = begin_signin(&f, None);
        let answer = passkey.assert(&ceremony.options, ORIGIN);
        results.push(
            s.finish_passkey_signin(
                ceremony.state.expose(),
                &assertion(answer),
                None,
                &from(&format!("203.0.113.{i}")),
            )
            .map(|_| ()),
        );
    }
    assert!(results[..3].iter().all(Result::is_ok), "{results:?}");
    assert_eq!(code_of(results.pop().unwrap()), ErrorCode::RateLimited);
}

#[test]
fn only_a_verification_with_user_verification_stands_in_for_a_password() {
    let (f, ada) = ada_signed_in();
    let mut key = SoftCredential::new(Alg::Es256, 47);
    key.user_verified = false;
    register(&f, &ada, &mut key, "yubikey", Usage::Secondary);
    let s = f.sesame();
    assert!(!s.verified_with_passkey_recently(&ada).unwrap());
    // A touch: recent, but no knowledge factor.
    verify_with(&f, &ada, &mut key).unwrap();
    assert!(s.fresh_until(&ada).unwrap().is_some());
    assert!(!s.verified_with_passkey_recently(&ada).unwrap());
    // With a PIN: it counts, until the freshness window ends.
    key.user_verified = true;
    verify_with(&f, &ada, &mut key).unwrap();
    assert!(s.verified_with_passkey_recently(&ada).unwrap());
    f.advance(f.config.freshness.window_ms);
    assert!(!s.verified_with_passkey_recently(&ada).unwrap());
}

#[test]
fn backup_flags_are_checked_kept_and_listed() {
    let (f, ada) = ada_signed_in();
    let s = f.sesame();

    // BS without BE is refused at registration and at sign-in.
    let mut odd = SoftCredential::new(Alg::Es256, 48);
    odd.backed_up = true;
    let ceremony = begin_registration(&f, &ada, "odd");
    let answer = odd.register(&ceremony.options, ORIGIN);
    let refused = finish_registration(&s, &ada, &ceremony, answer);
    assert_eq!(code_of(refused), ErrorCode::WebauthnRejected);

    let mut synced = SoftCredential::new(Alg::EdDsa, 49);
    synced.backup_eligible = true;
    let info = register(&f, &ada, &mut synced, "synced", Usage::First);
    assert_eq!((info.backup_eligible, info.backed_up), (Some(true), false));
    // BS follows each use.
    synced.backed_up = true;
    sign_in(&f, None, &mut synced).unwrap();
    assert_eq!(backup_flags(&s, &ada), (Some(true), true));
    synced.backed_up = false;
    sign_in(&f, Some(ADA), &mut synced).unwrap();
    assert!(!s.list_passkeys(&ada.user.id).unwrap()[0].backed_up);

    // BE never changes.
    synced.backup_eligible = false;
    let refused = sign_in(&f, None, &mut synced);
    let error = refusal(refused);
    assert_eq!(error.code, ErrorCode::WebauthnRejected);
    assert!(
        error.message.contains("backup eligibility"),
        "{}",
        error.message
    );
    let mut single = registered_key(&f, &ada, Alg::Es256, 50, "single", Usage::First);
    single.backup_eligible = true;
    assert_sign_in_refused(&f, None, &mut single, ErrorCode::WebauthnRejected);
    single.backup_eligible = false;
    single.backed_up = true;
    assert_sign_in_refused(&f, None, &mut single, ErrorCode::WebauthnRejected);
}

#[test]
fn credentials_stored_without_backup_flags_load_and_learn_them() {
    let (f, ada) = ada_signed_in();
    let mut cred = SoftCredential::new(Alg::Es256, 51);
    cred.backup_eligible = true;
    let info = register(&f, &ada, &mut cred, "old", Usage::First);
    let key = crate::records::wan_credential_key(&info.id);
    let stored = f.store.get(&key).unwrap().unwrap();
    let mut old: Value = serde_json::from_slice(&stored.value).unwrap();
    let fields = old.as_object_mut().unwrap();
    fields.remove("backup_eligible");
    fields.remove("backed_up");
    f.store
        .put(&key, &serde_json::to_vec(&old).unwrap(), None, None)
        .unwrap();
    let s = f.sesame();
    assert_eq!(backup_flags(&s, &ada), (None, false));
    cred.backed_up = true;
    sign_in(&f, None, &mut cred).unwrap();
    assert_eq!(backup_flags(&s, &ada), (Some(true), true));
}

/// Registers `cred` after `bend` rewrote its attestation object.
fn register_bent(
    f: &Fixture,
    who: &SessionInfo,
    cred: &mut SoftCredential,
    bend: impl Fn(Vec<u8>) -> Vec<u8>,
) -> crate::AuthError {
    let s = f.sesame();
    let ceremony = s
        .begin_passkey_registration(who, "bent", Usage::First, &rp(f))
        .unwrap();
    let mut answer = cred.register(&ceremony.options, ORIGIN);
    let object = authenticator::b64d(answer["response"]["attestationObject"].as_str().unwrap());
    answer["response"]["attestationObject"] = b64e(&bend(object)).into();
    let error = finish_registration(&s, who, &ceremony, answer).unwrap_err();
    crate::AuthError::from(&error)
}

fn cbor_bytes(value: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).unwrap();
    out
}

#[test]
fn cbor_with_trailing_bytes_or_repeated_keys_is_refused() {
    use ciborium::Value as Cbor;
    let (f, ada) = ada_signed_in();
    let mut cred = SoftCredential::new(Alg::Es256, 52);

    let trailing = register_bent(&f, &ada, &mut cred, |mut object| {
        object.push(0x00);
        object
    });
    assert_eq!(trailing.code, ErrorCode::WebauthnRejected);
    assert!(
        trailing
            .message
            .contains("attestation object has 1 bytes after"),
        "{}",
        trailing.message
    );

    // `fmt` twice: "none" first, "packed" last.
    let repeated = register_bent(&f, &ada, &mut cred, |object| {
        let Cbor::Map(mut map) = ciborium::de::from_reader::<Cbor, _>(object.as_slice()).unwrap()
        else {
            panic!("a map")
        };
        map.push((Cbor::Text("fmt".into()), Cbor::Text("packed".into())));
        cbor_bytes(&Cbor::Map(map))
    });
    assert_eq!(repeated.code, ErrorCode::WebauthnRejected);
    assert!(
        repeated.message.contains("repeats a map key"),
        "{}",
        repeated.message
    );

    // The COSE key naming its algorithm twice, inside otherwise valid authenticator data.
    let cose = cred.cose_key();
    let Cbor::Map(mut pairs) = ciborium::de::from_reader::<Cbor, _>(cose.as_slice()).unwrap()
    else {
        panic!("a map")
    };
    pairs.push((Cbor::Integer(3.into()), Cbor::Integer((-7).into())));
    let doubled = cbor_bytes(&Cbor::Map(pairs));
    assert_eq!(
        code_of(cose::PublicKey::from_cose(&doubled)),
        ErrorCode::WebauthnRejected
    );
    let data = attested_auth_data(0x41, &cred.id, &doubled);
    assert_eq!(code_of(wire::auth_data(&data)), ErrorCode::WebauthnRejected);
    let mut trailing_key = cose.clone();
    trailing_key.push(0x00);
    assert_eq!(
        code_of(cose::PublicKey::from_cose(&trailing_key)),
        ErrorCode::WebauthnRejected
    );

    // Extensions with a repeated key.
    let mut data = vec![0u8; 32];
    data.push(0x01 | 0x80);
    data.extend_from_slice(&1u32.to_be_bytes());
    data.extend_from_slice(&cbor_bytes(&Cbor::Map(vec![
        (Cbor::Text("credProtect".into()), Cbor::Integer(1.into())),
        (Cbor::Text("credProtect".into()), Cbor::Integer(3.into())),
    ])));
    let error = crate::AuthError::from(&crate::Error::from(wire::auth_data(&data).unwrap_err()));
    assert!(error.message.contains("extensions"), "{}", error.message);

    // The untouched answer still registers.
    register(&f, &ada, &mut cred, "fine", Usage::First);
}
