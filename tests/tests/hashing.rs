//! Native password hashing under load, and imported hashes' cost limits, against the real
//! `sesame` binary.

use std::sync::{Arc, Barrier};
use std::thread;

use serde_json::json;
use sesame_tests::{Server, admin, sesame_command};

/// Sign-ins sent at once, far more than the cores plus a queue of one can take.
const FLOOD: usize = 32;

#[test]
fn a_flood_of_sign_ins_gets_quick_503s_with_retry_after_never_500s() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let mut cmd = sesame_command(&db);
    cmd.args(["--hash-queue", "1"]).envs([
        // Hashes that take a while, so the flood overlaps; throttles out of the way, so every
        // sign-in reaches the hashing queue (they answer 429 before any hashing otherwise).
        ("SESAME_ARGON2_M_KIB", "65536"),
        ("SESAME_ARGON2_T", "3"),
        ("SESAME_THROTTLE_LOGIN_PER_IP", "100000"),
        ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "100000"),
    ]);
    let server = Arc::new(Server::start_command(cmd));
    server.register("ada@example.com", "analytical engine");

    // The sign-ins, the health checks and this thread start together.
    let start = Arc::new(Barrier::new(FLOOD + 2));
    let sign_ins: Vec<_> = (0..FLOOD)
        .map(|n| {
            let (server, start) = (server.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                // Known and unknown accounts alike: both cost a hash.
                let email = if n % 2 == 0 {
                    "ada@example.com"
                } else {
                    "nobody@example.com"
                };
                let reply = server.attempt_login(email, "analytical engine");
                let code = (reply.status != 200).then(|| reply.error_code());
                (
                    reply.status,
                    code,
                    reply.header("retry-after").map(str::to_owned),
                )
            })
        })
        .collect();
    let health = {
        let (server, start) = (server.clone(), start.clone());
        thread::spawn(move || {
            start.wait();
            (0..5)
                .map(|_| server.get("/healthz", &[]).status)
                .collect::<Vec<_>>()
        })
    };
    start.wait();
    let answers: Vec<_> = sign_ins.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        health.join().unwrap(),
        [200; 5],
        "health checks answer during the flood"
    );

    let mut busy = 0;
    for (status, code, retry_after) in &answers {
        match status {
            200 => {}
            401 => assert_eq!(code.as_deref(), Some("invalid-credentials")),
            503 => {
                busy += 1;
                assert_eq!(code.as_deref(), Some("busy"));
                let seconds: u64 = retry_after
                    .as_deref()
                    .expect("a 503 carries Retry-After")
                    .parse()
                    .unwrap();
                assert!(seconds >= 1);
            }
            other => panic!("sign-in answered {other}: {answers:?}"),
        }
    }
    assert!(busy > 0, "a queue of one turned no one away: {answers:?}");
    assert!(busy < FLOOD, "every sign-in was turned away: {answers:?}");
    // The burst is over: signing in works again, and nothing was locked by it.
    server.login("ada@example.com", "analytical engine");
}

#[test]
fn imports_beyond_the_cost_limits_are_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let lines = [
        // Made by pyca/bcrypt at cost 4, the cost field raised: what a hostile export could hold.
        json!({"email": "b@example.com", "password_hash": "$2b$13$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO"}),
        json!({"email": "d@example.com", "password_hash": "pbkdf2_sha256$1200001$seasalt$6sTlFi4QohxXLuZigqDIUNX8xG9NxrTmV8+flFQdBqE="}),
        json!({"email": "a@example.com", "password_hash": "$argon2id$v=19$m=262144,t=3,p=4$HcNY652TMibEWIuRsnYOYQ$yWXtfp3GCpTYcBfCm+JRf3bdQPQpc8jt9fV1LaC9dwU"}),
    ];
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let (ok, out, err) = admin(&db, &["user", "import", "-"], &input);
    assert!(!ok, "{out}{err}");
    assert!(out.contains("imported 0 users, 3 failed"), "{out}{err}");
    for needle in [
        "bcrypt cost 13 is above the limit 12",
        "rounds 1200001 are above the limit 1200000",
        "memory 262144 KiB is above the limit 102400",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    // Django's own default-cost hash imports and signs in (natively hashed by the host).
    let django = json!({"email": "django@example.com", "password_hash": "pbkdf2_sha256$1200000$seasalt$6sTlFi4QohxXLuZigqDIUNX8xG9NxrTmV8+flFQdBqE="});
    let (ok, out, err) = admin(&db, &["user", "import", "-"], &format!("{django}\n"));
    assert!(
        ok && out.contains("imported 1 users, 0 failed"),
        "{out}{err}"
    );
    let server = Server::start(&db);
    let wrong = server.post_json(
        "/login",
        &json!({"email": "django@example.com", "password": "l\u{e8}tmeinz"}),
        &[],
    );
    assert_eq!(wrong.status, 401);
    server.login("django@example.com", "l\u{e8}tmein");
}
