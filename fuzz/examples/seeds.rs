//! Writes the seed corpora (`corpus/TARGET/seed-*`) from real, valid inputs: requests the
//! routes accept, bodies, a real passkey registration and sign-in made by the software
//! authenticator against the targets' own ceremonies, hashes from the systems Sesame imports
//! from, and the records a real session of use leaves in the store.
//!
//! `cargo run --release --manifest-path fuzz/Cargo.toml --example seeds` (a plain build: the
//! seeds need no instrumentation).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a generator")]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sesame_core::fuzzing::{self, BODY_TYPES, record_codecs};
use sesame_core::sessions::ClientInfo;
use sesame_core::store::Store as _;
use sesame_fuzz::authenticator::{Alg, SoftCredential};

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

fn with_mode(mode: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![mode];
    out.extend_from_slice(bytes);
    out
}

fn http(dir: &Path) {
    let requests: [(&str, &str); 12] = [
        (
            "register",
            "POST /register\ncontent-type: application/json\n\n{\"email\":\"bob@example.com\",\"password\":\"correct horse battery\",\"username\":\"bob\"}",
        ),
        (
            "login-form-html",
            "POST /login\ncontent-type: application/x-www-form-urlencoded\naccept: text/html\norigin: http://127.0.0.1:8080\n\nemail={email}&password=wrong+password",
        ),
        (
            "login-then-me",
            "POST /login\ncontent-type: application/json\n\n{\"email\":\"{email}\",\"password\":\"{password}\",\"include_token\":true}\n=====\nGET /me\nauthorization: Bearer {session}\n\n",
        ),
        (
            "me-cookie",
            "GET /me\ncookie: __Host-sesame_session={session}\n\n",
        ),
        (
            "logout-csrf",
            "POST /logout\ncookie: __Host-sesame_session={session}\nx-csrf-token: {csrf}\n\n",
        ),
        (
            "sessions-revoke",
            "GET /sessions\ncookie: __Host-sesame_session={session}\n\n\n=====\nPOST /sessions/revoke\ncookie: __Host-sesame_session={session}\ncontent-type: application/x-www-form-urlencoded\n\nid={session_id}&csrf_token={csrf}",
        ),
        (
            "refresh",
            "POST /tokens/refresh\ncontent-type: application/json\n\n{\"refresh_token\":\"{refresh}\"}\n=====\nDELETE /tokens\nauthorization: Bearer {access}\n\n",
        ),
        (
            "auth-check",
            "GET /auth/check?scope=users:read\nauthorization: Bearer {api_key}\n\n\n=====\nGET /auth/check?role=admin&permission=users:write\nauthorization: Bearer {access}\n\n",
        ),
        (
            "wan-register",
            "POST /wan-register\nauthorization: Bearer {session}\ncontent-type: application/json\n\n{\"name\":\"laptop\",\"usage\":\"first\"}\n=====\nPOST /wan-signin\ncontent-type: application/json\n\n{\"identity\":\"ada\"}",
        ),
        (
            "tf-setup",
            "POST /tf-setup\nauthorization: Bearer {session}\ncontent-type: application/json\n\n{\"password\":\"{password}\"}\n=====\n:wait: 30000\nGET /tf-setup\naccept: text/html\ncookie: __Host-sesame_session={session}\n\n",
        ),
        (
            "reset-confirm",
            "POST /reset\ncontent-type: application/json\nsesame-client-addr: 192.0.2.1\n\n{\"email\":\"{email}\"}\n=====\nGET /confirm?token=abc\naccept: text/html\n\n",
        ),
        (
            "wrong-method",
            "PUT /login\nhost: 127.0.0.1:8080\n\n\n=====\nGET /.well-known/jwks.json\n\n\n=====\nGET /nowhere?a=%ff\n\n",
        ),
    ];
    for (name, text) in requests {
        write(dir, "http_request", name, text.as_bytes());
    }
}

fn bodies(dir: &Path) {
    let index = |name: &str| BODY_TYPES.iter().position(|t| *t == name).unwrap() as u8;
    let bodies: [(&str, u8, &str); 8] = [
        (
            "register",
            0,
            r#"{"email":"ada@example.com","password":"analytical engine","username":"ada"}"#,
        ),
        (
            "login",
            1,
            "email=ada%40example.com&password=analytical+engine",
        ),
        (
            "change",
            0,
            r#"{"password":"a","new_password":"b","new_password_confirm":"b"}"#,
        ),
        ("refresh", 2, r#"{"refresh_token":"x"}"#),
        ("reset", 1, "token=t&password=p&password_confirm=p"),
        ("wan-signin", 0, r#"{"identity":"ada","tf_token":null}"#),
        ("tf-code", 0, r#"{"code":"123456","include_token":true}"#),
        ("wan-delete", 4, "id=abc&name=laptop"),
    ];
    for (name, content_type, body) in bodies {
        let mut bytes = vec![index(name), content_type];
        bytes.extend_from_slice(body.as_bytes());
        write(dir, "json_bodies", name, &bytes);
    }
}

fn webauthn(dir: &Path) {
    // A registration answer to the target's own ceremony (mode 4), and its parts (modes 0-3).
    let (_, _, _, options) = sesame_fuzz::registration();
    let mut cred = sesame_fuzz::credential();
    let answer = cred.register(&options, sesame_fuzz::ORIGIN);
    // The target's ceremony is deterministic: the seed must finish it.
    let (harness, info, state, _) = sesame_fuzz::registration();
    harness
        .sesame()
        .finish_passkey_registration(
            &info,
            &state,
            &serde_json::from_value(answer.clone()).unwrap(),
        )
        .expect("the registration seed finishes the target's ceremony");
    write(
        dir,
        "webauthn",
        "registration",
        &with_mode(4, answer.to_string().as_bytes()),
    );
    let field = |v: &serde_json::Value, name: &str| {
        URL_SAFE_NO_PAD
            .decode(v["response"][name].as_str().unwrap())
            .unwrap()
    };
    write(
        dir,
        "webauthn",
        "client-data-create",
        &with_mode(0, &field(&answer, "clientDataJSON")),
    );
    let attestation = field(&answer, "attestationObject");
    write(
        dir,
        "webauthn",
        "attestation-none",
        &with_mode(2, &attestation),
    );
    let (_, _, data) = fuzzing::attestation_object(&attestation).unwrap();
    write(dir, "webauthn", "auth-data-attested", &with_mode(1, &data));

    let mut packed = SoftCredential::new(Alg::EdDsa, 2);
    packed.attestation = "packed";
    let answer = packed.register(&options, sesame_fuzz::ORIGIN);
    write(
        dir,
        "webauthn",
        "attestation-packed",
        &with_mode(2, &field(&answer, "attestationObject")),
    );
    for (name, alg) in [
        ("es256", Alg::Es256),
        ("eddsa", Alg::EdDsa),
        ("rs256", Alg::Rs256),
    ] {
        let key = SoftCredential::new(alg, 3).cose_key();
        write(
            dir,
            "webauthn",
            &format!("cose-{name}"),
            &with_mode(3, &key),
        );
    }

    // A sign-in answer to the target's own sign-in ceremony (mode 5), and its parts.
    let mut cred = sesame_fuzz::credential();
    let (_, _, options) = sesame_fuzz::signin(&mut cred);
    let answer = cred.assert(&options, sesame_fuzz::ORIGIN);
    let (harness, state, _) = sesame_fuzz::signin(&mut sesame_fuzz::credential());
    harness
        .sesame()
        .finish_passkey_signin(
            &state,
            &serde_json::from_value(answer.clone()).unwrap(),
            None,
            &ClientInfo::default(),
        )
        .expect("the sign-in seed finishes the target's ceremony");
    write(
        dir,
        "webauthn",
        "assertion",
        &with_mode(5, answer.to_string().as_bytes()),
    );
    write(
        dir,
        "webauthn",
        "client-data-get",
        &with_mode(0, &field(&answer, "clientDataJSON")),
    );
    write(
        dir,
        "webauthn",
        "auth-data-assertion",
        &with_mode(1, &field(&answer, "authenticatorData")),
    );
}

fn hashes(dir: &Path) {
    // From passlib, Python's bcrypt and Flask-Security (core/src/legacy_hash/tests.rs).
    let stored: [(&str, &str); 6] = [
        (
            "bcrypt-2b",
            "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO",
        ),
        (
            "bcrypt-2y",
            "$2y$04$x/pBzdBp70zZQ58qZxkuZeupNZwqZ9tD/fWNb2SqVsEuI6IOspQJu",
        ),
        (
            "pbkdf2-sha256",
            "$pbkdf2-sha256$1000$DIFQylnLeS.l1No7p3RO6Q$06idtxsGmaRm.ggppK5sNBNOLI4eiq7QZ5293ct2kk0",
        ),
        (
            "pbkdf2-sha512",
            "$pbkdf2-sha512$1000$OifkPGcMIYRwbk1JaQ1hzA$7Piykm3WVSrRIbgj304DiJhzOZPkAfarskOj5pHjM2svLSztf21bZg6uIyvyE9g9M3QJDnS4GinKPeXz2f6ejg",
        ),
        (
            "argon2id",
            "$argon2id$v=19$m=256,t=2,p=2$HcNY652TMibEWIuRsnYOYQ$yWXtfp3GCpTYcBfCm+JRf3bdQPQpc8jt9fV1LaC9dwU",
        ),
        (
            "argon2id-flask",
            "$argon2id$v=19$m=256,t=1,p=1$c+69t7b2HuP8vzfmPCdkLA$p8PXsngrIDAxhnqNqZ0CqPPnRzPBx/oW15DLvyY+SPg",
        ),
    ];
    for (name, hash) in stored {
        let mut bytes = vec![0];
        bytes.extend_from_slice(hash.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(b"correct horse battery staple");
        write(dir, "password_hash_import", name, &bytes);
    }
    for (name, scheme) in [
        ("genuine-bcrypt", 0u8),
        ("genuine-pbkdf2", 1),
        ("genuine-argon2", 3),
    ] {
        let mut bytes = vec![1, scheme, 7];
        bytes.extend_from_slice(b"0123456789abcdef");
        bytes.extend_from_slice("pässword".as_bytes());
        write(dir, "password_hash_import", name, &bytes);
    }
}

fn records(dir: &Path) {
    // The store after a session of use: account, session, token login, API key, passkey.
    let mut cred = sesame_fuzz::credential();
    let (harness, state, options) = sesame_fuzz::signin(&mut cred);
    let s = harness.sesame();
    s.issue_tokens(
        sesame_fuzz::EMAIL,
        sesame_fuzz::PASSWORD,
        &ClientInfo::default(),
    )
    .unwrap();
    s.create_api_key("billing", &["users:read".to_owned()])
        .unwrap();
    s.put_role(&sesame_core::roles::Role {
        name: "admin".to_owned(),
        description: "Administrators".to_owned(),
        permissions: vec!["users:write".to_owned()],
    })
    .unwrap();
    s.grant_role(sesame_fuzz::EMAIL, "admin").unwrap();
    let answer = cred.assert(&options, sesame_fuzz::ORIGIN);
    let parsed = serde_json::from_value(answer).unwrap();
    s.finish_passkey_signin(&state, &parsed, None, &ClientInfo::default())
        .unwrap();
    let codecs = record_codecs();
    let mut written = std::collections::BTreeSet::new();
    for (key, entry) in harness.store().scan("", None, 1000).unwrap() {
        let Some(i) = codecs.iter().position(|(p, _)| key.starts_with(p)) else {
            continue;
        };
        if written.insert(codecs[i].0) {
            let name = codecs[i].0.trim_end_matches('/');
            write(dir, "store_values", name, &with_mode(i as u8, &entry.value));
        }
    }
    write(dir, "store_values", "planted-empty", &[0x80]);
    write(dir, "store_values", "planted-object", b"\x81{\"v\":1}");
}

fn main() {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    http(&dir);
    bodies(&dir);
    webauthn(&dir);
    hashes(&dir);
    records(&dir);
}
