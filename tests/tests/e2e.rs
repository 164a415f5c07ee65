//! End to end: the real `sesame` binary, a real SQLite file, real HTTP on loopback. The HTTP
//! behaviour every server shares is the suite `sesame_tests::suites::http`, run here against
//! `sesame serve`; the cases below need what only it has (the admin CLI on the same store, mail
//! delivery, webhooks, its own handling of requests without a Host).

use serde_json::json;
use sesame_tests::accounts::{EMAIL, PASSWORD};
use sesame_tests::mail::{link_path, outbox_mails, smtp_receiver};
use sesame_tests::{
    Host, ROOT_EMAIL, ROOT_PASSWORD, Server, add_root_admin, admin, admin_add_user, sesame_command,
};

sesame_tests::http_suite!(Sesame);

#[test]
fn admin_cli_adds_and_lists_users_through_the_component() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let out = add_root_admin(&db);
    assert!(out.contains(ROOT_EMAIL));

    // The component's rules apply to the CLI too.
    let (ok, _, err) = admin_add_user(&db, "weak@example.com", "short", &[]);
    assert!(!ok);
    assert!(err.contains("at least 8"), "{err}");
    let (ok, _, err) = admin_add_user(&db, ROOT_EMAIL, "another long one", &[]);
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");

    let (ok, out, err) = admin(&db, &["user", "list", "--json"], "");
    assert!(ok, "{err}");
    let users: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["email"], ROOT_EMAIL);
    assert_eq!(users[0]["roles"], json!(["admin"]));

    let server = Server::start(&db);
    let cookie = server.login(ROOT_EMAIL, ROOT_PASSWORD);
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.json()["user"]["roles"], json!(["admin"]));
}

#[test]
fn roles_from_the_cli_drive_forward_auth() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let (ok, _, err) = admin_add_user(&db, EMAIL, PASSWORD, &[]);
    assert!(ok, "{err}");
    let (ok, out, err) = admin(
        &db,
        &[
            "role",
            "add",
            "editor",
            "--permission",
            "posts:write",
            "--permission",
            "posts:read",
        ],
        "",
    );
    assert!(ok, "{err}");
    assert!(out.contains("posts:read, posts:write"), "{out}");
    let (ok, _, err) = admin(
        &db,
        &["user", "grant-role", "--email", EMAIL, "--role", "nosuch"],
        "",
    );
    assert!(!ok && err.contains("no role"), "{err}");
    let (ok, _, err) = admin(
        &db,
        &["user", "grant", "--email", EMAIL, "--role", "editor"],
        "",
    );
    assert!(ok, "{err}");

    let server = Server::start(&db);
    let cookie = server.login(EMAIL, PASSWORD);
    let ok = server.get(
        "/auth/check?role=editor&permission=posts:write",
        &[("cookie", &cookie)],
    );
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-sesame-email"), Some(EMAIL));
    assert_eq!(ok.header("x-sesame-roles"), Some("editor"));
    let missing = server.get(
        "/auth/check?permission=posts:delete",
        &[("cookie", &cookie)],
    );
    assert_eq!(missing.status, 403);
    assert_eq!(server.get("/auth/check", &[]).status, 401);
    let me = server.get("/me", &[("cookie", &cookie)]).json();
    assert_eq!(me["permissions"], json!(["posts:read", "posts:write"]));

    let (ok, _, err) = admin(
        &db,
        &["user", "revoke-role", "--email", EMAIL, "--role", "editor"],
        "",
    );
    assert!(ok, "{err}");
    assert_eq!(
        server
            .get("/auth/check?role=editor", &[("cookie", &cookie)])
            .status,
        403
    );
}

#[test]
fn request_without_host_is_a_clear_400() {
    use std::io::{Read, Write};
    let server = Host::Sesame.start_fresh();
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.0 400"), "{answer}");
    assert!(answer.contains("\"code\":\"invalid-request\""), "{answer}");
}

#[test]
fn import_users_from_flask_security_and_bcrypt() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    // Hashes made by the real libraries (see core/src/legacy_hash/tests.rs for the scripts):
    // Python bcrypt 5.0 at cost 4, and Flask-Security-Too 5.9.2 (pbkdf2_sha512, 1000 rounds,
    // SECURITY_PASSWORD_SALT="pepper-from-config"), both of "correct horse battery staple".
    // The salt applies to every line of a file: one file per source application.
    let bcrypt = json!({"email": "bcrypt@example.com", "password_hash": "$2b$04$OV452AaV43VVJErTpGlhlupGr89XGXeOStZF5n2jSC2B7Pz5xTnOO", "roles": ["admin"], "active": true, "confirmed": true});
    let flask = json!({"email": "flask@example.com", "hash": "$pbkdf2-sha512$1000$CMH4X8s5RyilNIZQqtWaMw$xSG3uTg0plzeIpg5ozzFBxB/9p/ZipPdmD.MSEJy2yr3baZLOOybw6kFhm7f.CvJdKthYkbQmpma7PwnZb/exg"});
    let plain_file = dir.path().join("plain.jsonl");
    std::fs::write(&plain_file, format!("{bcrypt}\n")).unwrap();
    let (ok, out, err) = admin(&db, &["user", "import", plain_file.to_str().unwrap()], "");
    assert!(
        ok && out.contains("imported 1 users, 0 failed"),
        "{out}{err}"
    );
    let (ok, out, err) = admin(
        &db,
        &[
            "user",
            "import",
            "-",
            "--flask-security-salt",
            "pepper-from-config",
        ],
        &format!("{flask}\n"),
    );
    assert!(
        ok && out.contains("imported 1 users, 0 failed"),
        "{out}{err}"
    );

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"email\": \"x@example.com\", \"password_hash\": \"md5$nope\"}\nnot json\n",
    )
    .unwrap();
    let (ok, _, err) = admin(&db, &["user", "import", bad.to_str().unwrap()], "");
    assert!(!ok);
    assert!(err.contains("line 1") && err.contains("line 2"), "{err}");

    let server = Server::start(&db);
    for email in ["bcrypt@example.com", "flask@example.com"] {
        let wrong = server.attempt_login(email, "wrong one here");
        assert_eq!(wrong.status, 401);
        let cookie = server.login(email, "correct horse battery staple");
        let me = server.get("/me", &[("cookie", &cookie)]).json();
        // Only the bcrypt line said "confirmed": true.
        assert_eq!(
            me["user"]["confirmed_at_ms"].is_u64(),
            email.starts_with("bcrypt"),
            "{me}"
        );
        // The second sign-in runs on the fresh argon2id hash.
        server.login(email, "correct horse battery staple");
    }
}

#[test]
fn confirmation_and_reset_links_from_the_outbox() {
    let server = Host::Sesame.start_fresh_with_outbox(&[]);
    let outbox = server.outbox();
    server.register(EMAIL, PASSWORD);
    let sent = outbox_mails(&outbox);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, EMAIL);
    let confirm = link_path(&sent[0].2, &server.base);
    assert!(confirm.starts_with("/confirm?token="), "{confirm}");
    let r = server.get(&confirm, &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    // The link proves a mailbox, not a sign-in: nothing of the account, and only once.
    assert_eq!(r.json(), json!({"status": "confirmed"}));
    server
        .get(&confirm, &[])
        .assert_failure(400, "invalid-token");

    // Registering the address again mails its owner, not the caller.
    server.register(EMAIL, "somebody else's try");
    assert!(outbox_mails(&outbox)[1].1.contains("tried to register"));

    let session = server.login(EMAIL, PASSWORD);
    let unknown = server.post_json("/reset", &json!({"email": "nobody@example.com"}), &[]);
    let known = server.post_json("/reset", &json!({"email": EMAIL}), &[]);
    assert_eq!(
        (unknown.status, unknown.body.clone()),
        (known.status, known.body.clone())
    );
    assert_eq!(known.status, 202);
    let sent = outbox_mails(&outbox);
    assert_eq!(sent.len(), 3, "only the real account got a reset mail");
    let reset = link_path(&sent[2].2, &server.base);
    let token = reset.trim_start_matches("/reset?token=").to_owned();
    let page = server.get(&reset, &[("accept", "text/html")]);
    assert!(page.text().contains("name=\"token\""));

    let r = server.post_json(
        "/reset",
        &json!({"token": token, "password": "difference engine"}),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        server.get("/me", &[("cookie", &session)]).status,
        401,
        "a reset ends every session"
    );
    server.login(EMAIL, "difference engine");
    let again = server.post_json(
        "/reset",
        &json!({"token": token, "password": "third password here"}),
        &[],
    );
    again.assert_failure(400, "invalid-token");
}

#[test]
fn reset_link_expires() {
    let server = Host::Sesame.start_fresh_with_outbox(&[("SESAME_RESET_LINK_MAX_AGE_SECS", "1")]);
    let outbox = server.outbox();
    server.register(EMAIL, PASSWORD);
    let known = server.post_json("/reset", &json!({"email": EMAIL}), &[]);
    assert_eq!(known.status, 202);
    let reset = link_path(&outbox_mails(&outbox)[1].2, &server.base);
    let token = reset.trim_start_matches("/reset?token=").to_owned();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let late = server.post_json(
        "/reset",
        &json!({"token": token, "password": "difference engine"}),
        &[],
    );
    late.assert_failure(400, "invalid-token");
    // The password did not change.
    server.login(EMAIL, PASSWORD);
}

/// One request a [`webhook_receiver`] got: its headers (names in lower case) and body.
struct Delivery {
    headers: std::collections::HashMap<String, String>,
    body: String,
}

/// A minimal webhook receiver on a loopback port: answers 204 to every request and sends each
/// one down the channel.
fn webhook_receiver() -> (String, std::sync::mpsc::Receiver<Delivery>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut headers = std::collections::HashMap::new();
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        reader.read_line(&mut line).unwrap();
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':') {
                            headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
                        }
                    }
                    let length = headers["content-length"].parse().unwrap();
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let body = String::from_utf8(body).unwrap();
                    let _ = tx.send(Delivery { headers, body });
                    let mut writer = &stream;
                    writer
                        .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                        .unwrap();
                }
            });
        }
    });
    (url, rx)
}

/// `--webhook` with `--webhook-secret`: every event arrives as JSON, signed as Standard
/// Webhooks say (checked here with HMAC-SHA256 over `{id}.{timestamp}.{body}`; the
/// `standardwebhooks` library checks it in tests/tests/webhooks.rs).
#[test]
fn account_events_reach_the_webhook() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use hmac::{KeyInit, Mac};
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let (url, deliveries) = webhook_receiver();
    let server = Host::Sesame
        .start_fresh_with_env(&[("SESAME_WEBHOOK", &url), ("SESAME_WEBHOOK_SECRET", SECRET)]);
    server.register(EMAIL, PASSWORD);
    let wrong = server.attempt_login(EMAIL, "not the one");
    assert_eq!(wrong.status, 401);
    server.login(EMAIL, PASSWORD);
    let key = STANDARD.decode(&SECRET["whsec_".len()..]).unwrap();
    let mut kinds = Vec::new();
    let mut ids = std::collections::HashSet::new();
    while kinds.len() < 3 {
        let delivery = deliveries
            .recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("only these events arrived: {kinds:?}"));
        let header = |name: &str| delivery.headers[name].clone();
        assert_eq!(header("content-type"), "application/json");
        let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{timestamp}.{}", delivery.body).as_bytes());
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        assert_eq!(header("webhook-signature"), expected);
        assert!(ids.insert(id), "one id per event");
        let event: serde_json::Value = serde_json::from_str(&delivery.body).unwrap();
        assert_eq!(
            event["data"]["user_id"].as_str().map(str::len),
            Some(32),
            "{event}"
        );
        assert!(
            !delivery.body.contains("not the one"),
            "no secrets in events"
        );
        kinds.push(event["type"].as_str().unwrap().to_owned());
    }
    kinds.sort();
    assert_eq!(kinds, ["login-failed", "login-succeeded", "registered"]);
}

#[test]
fn mail_goes_out_through_smtp_when_configured() {
    let (url, messages) = smtp_receiver();
    let server = Host::Sesame.start_fresh_with_env(&[("SESAME_SMTP", &url)]);
    server.register(EMAIL, PASSWORD);
    let message = messages
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the confirmation mail reached the SMTP server");
    assert!(message.contains(&format!("To: {EMAIL}")), "{message}");
    assert!(
        message.contains("Subject: Confirm your email address"),
        "{message}"
    );
    // Quoted-printable may wrap the link; its start is intact.
    assert!(message.contains("/confirm?token="), "{message}");
}

#[test]
fn trusted_proxy_flag_names_each_client() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let mut cmd = sesame_command(&db);
    cmd.env("SESAME_THROTTLE_LOGIN_PER_IP", "2").args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--trusted-proxy",
        "127.0.0.1/32",
    ]);
    let server = Server::spawn(cmd);
    server.register(EMAIL, PASSWORD);
    let login = |email: &str, password: &str, client: &str| {
        server.post_json(
            "/login",
            &json!({"email": email, "password": password}),
            &[("x-forwarded-for", client)],
        )
    };
    assert_eq!(
        login("a@example.com", "wrong wrong", "192.0.2.1").status,
        401
    );
    assert_eq!(
        login("b@example.com", "wrong wrong", "192.0.2.1").status,
        401
    );
    assert_eq!(
        login("c@example.com", "wrong wrong", "192.0.2.1").status,
        429
    );
    // Another client behind the same proxy signs in, and its session records its address.
    let r = login(EMAIL, PASSWORD, "2001:db8::7, 192.0.2.2");
    assert_eq!(r.status, 200, "{}", r.text());
    let cookie = r.cookie_pair().unwrap();
    let list = server.get("/sessions", &[("cookie", &cookie)]).json();
    assert_eq!(list["sessions"][0]["address"], "192.0.2.2");

    // A bad block stops the server at start, naming it.
    let out = sesame_command(&db)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--trusted-proxy",
            "10.0.0.0/33",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'10.0.0.0/33' is not an IP address"), "{err}");
}
