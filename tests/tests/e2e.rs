//! End to end: the real `sesame` binary, a real SQLite file, real HTTP on loopback. The HTTP
//! behaviour every server shares is `tests/suite/http.rs`, mounted here for `sesame serve`;
//! the cases below need what only it has (the admin CLI on the same store, mail delivery,
//! webhooks, its own handling of requests without a Host).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failure here is a test failure"
)]

use serde_json::json;
use sesame_tests::{Host, Server, admin, sesame_command};

const PW: &str = "analytical engine";

/// The server the shared suite runs against here.
const HOST: Host = Host::Sesame;

#[path = "../suite/http.rs"]
mod http;

#[test]
fn admin_cli_adds_and_lists_users_through_the_component() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let (ok, out, err) = admin(
        &db,
        &[
            "user",
            "add",
            "--email",
            "root@example.com",
            "--password-stdin",
            "--role",
            "admin",
        ],
        "correct horse battery\n",
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("root@example.com"));

    // The component's rules apply to the CLI too.
    let (ok, _, err) = admin(
        &db,
        &[
            "user",
            "add",
            "--email",
            "weak@example.com",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!ok);
    assert!(err.contains("at least 8"), "{err}");
    let (ok, _, err) = admin(
        &db,
        &[
            "user",
            "add",
            "--email",
            "root@example.com",
            "--password-stdin",
        ],
        "another long one\n",
    );
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");

    let (ok, out, err) = admin(&db, &["user", "list", "--json"], "");
    assert!(ok, "{err}");
    let users: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["email"], "root@example.com");
    assert_eq!(users[0]["roles"], json!(["admin"]));

    let server = Server::start(&db);
    let cookie = server.login("root@example.com", "correct horse battery");
    let me = server.get("/me", &[("cookie", &cookie)]);
    assert_eq!(me.json()["user"]["roles"], json!(["admin"]));
}

#[test]
fn roles_from_the_cli_drive_forward_auth() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let (ok, _, err) = admin(
        &db,
        &[
            "user",
            "add",
            "--email",
            "ada@example.com",
            "--password-stdin",
        ],
        "analytical engine\n",
    );
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
        &[
            "user",
            "grant",
            "--email",
            "ada@example.com",
            "--role",
            "nosuch",
        ],
        "",
    );
    assert!(!ok && err.contains("no role"), "{err}");
    let (ok, _, err) = admin(
        &db,
        &[
            "user",
            "grant",
            "--email",
            "ada@example.com",
            "--role",
            "editor",
        ],
        "",
    );
    assert!(ok, "{err}");

    let server = Server::start(&db);
    let cookie = server.login("ada@example.com", PW);
    let ok = server.get(
        "/auth/check?role=editor&permission=posts:write",
        &[("cookie", &cookie)],
    );
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("x-sesame-email"), Some("ada@example.com"));
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
        &[
            "user",
            "revoke",
            "--email",
            "ada@example.com",
            "--role",
            "editor",
        ],
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
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
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
        let wrong = server.post_json(
            "/login",
            &json!({"email": email, "password": "wrong one here"}),
            &[],
        );
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

/// Every mail in the outbox directory, oldest first, as (to, subject, text).
fn mails(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let mut parts = name
            .trim_end_matches(".txt")
            .split('-')
            .map(|n| n.parse::<u64>().unwrap_or(0));
        (parts.next(), parts.nth(1))
    });
    files
        .iter()
        .map(|p| {
            let content = std::fs::read_to_string(p).unwrap();
            let (head, text) = content.split_once("\n\n").unwrap();
            let mut lines = head.lines();
            let to = lines.next().unwrap().trim_start_matches("To: ").to_owned();
            let subject = lines
                .next()
                .unwrap()
                .trim_start_matches("Subject: ")
                .to_owned();
            (to, subject, text.to_owned())
        })
        .collect()
}

/// The path and query of the first link in a mail, relative to the server.
fn link_path(text: &str, base: &str) -> String {
    let start = text.find(base).expect("a link to this server");
    text[start + base.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn confirmation_and_reset_links_from_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let server = Server::start_with_env(
        &dir.path().join("sesame.db"),
        &[("SESAME_MAIL_OUTBOX", outbox.to_str().unwrap())],
    );
    server.register("ada@example.com", PW);
    let sent = mails(&outbox);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "ada@example.com");
    let confirm = link_path(&sent[0].2, &server.base);
    assert!(confirm.starts_with("/confirm?token="), "{confirm}");
    let r = server.get(&confirm, &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["user"]["confirmed_at_ms"].is_u64());

    // Registering the address again mails its owner, not the caller.
    server.register("ada@example.com", "somebody else's try");
    assert!(mails(&outbox)[1].1.contains("tried to register"));

    let session = server.login("ada@example.com", PW);
    let unknown = server.post_json("/reset", &json!({"email": "nobody@example.com"}), &[]);
    let known = server.post_json("/reset", &json!({"email": "ada@example.com"}), &[]);
    assert_eq!(
        (unknown.status, unknown.body.clone()),
        (known.status, known.body.clone())
    );
    assert_eq!(known.status, 202);
    let sent = mails(&outbox);
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
    server.login("ada@example.com", "difference engine");
    let again = server.post_json(
        "/reset",
        &json!({"token": token, "password": "third password here"}),
        &[],
    );
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (400, "invalid-token")
    );
}

#[test]
fn reset_link_expires() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let server = Server::start_with_env(
        &dir.path().join("sesame.db"),
        &[
            ("SESAME_MAIL_OUTBOX", outbox.to_str().unwrap()),
            ("SESAME_RESET_LINK_MAX_AGE_SECS", "1"),
        ],
    );
    server.register("ada@example.com", PW);
    let known = server.post_json("/reset", &json!({"email": "ada@example.com"}), &[]);
    assert_eq!(known.status, 202);
    let reset = link_path(&mails(&outbox)[1].2, &server.base);
    let token = reset.trim_start_matches("/reset?token=").to_owned();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let late = server.post_json(
        "/reset",
        &json!({"token": token, "password": "difference engine"}),
        &[],
    );
    assert_eq!(
        (late.status, late.error_code().as_str()),
        (400, "invalid-token")
    );
    // The password did not change.
    server.login("ada@example.com", PW);
}

/// A minimal webhook receiver on a loopback port: answers 204 to every request and sends each
/// JSON body down the channel.
fn webhook_receiver() -> (String, std::sync::mpsc::Receiver<serde_json::Value>) {
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
                    let mut length = 0usize;
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
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let _ = tx.send(serde_json::from_slice(&body).unwrap());
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

#[test]
fn account_events_reach_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let (url, events) = webhook_receiver();
    let server = Server::start_with_env(&dir.path().join("sesame.db"), &[("SESAME_WEBHOOK", &url)]);
    server.register("ada@example.com", PW);
    let wrong = server.post_json(
        "/login",
        &json!({"email": "ada@example.com", "password": "not the one"}),
        &[],
    );
    assert_eq!(wrong.status, 401);
    server.login("ada@example.com", PW);
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        let event = events
            .recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("only these events arrived: {kinds:?}"));
        assert_eq!(event["user_id"].as_str().map(str::len), Some(32), "{event}");
        assert!(
            !event.to_string().contains("not the one"),
            "no secrets in events"
        );
        kinds.push(event["kind"].as_str().unwrap().to_owned());
    }
    kinds.sort();
    assert_eq!(kinds, ["login-failed", "login-succeeded", "registered"]);
}

/// A minimal SMTP server on a loopback port: accepts every message and sends its DATA down the
/// channel. Enough of RFC 5321 for a real client (lettre) to deliver to it.
fn smtp_receiver() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                writer.write_all(b"220 sesame-test ESMTP\r\n").unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-sesame-test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            writer.write_all(b"354 go ahead\r\n").unwrap();
                            let mut message = String::new();
                            loop {
                                line.clear();
                                reader.read_line(&mut line).unwrap();
                                if line == ".\r\n" {
                                    break;
                                }
                                message.push_str(&line);
                            }
                            let _ = tx.send(message);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            writer.write_all(b"221 bye\r\n").unwrap();
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    writer.write_all(reply).unwrap();
                }
            });
        }
    });
    (url, rx)
}

#[test]
fn mail_goes_out_through_smtp_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let (url, messages) = smtp_receiver();
    let server = Server::start_with_env(&dir.path().join("sesame.db"), &[("SESAME_SMTP", &url)]);
    server.register("ada@example.com", PW);
    let message = messages
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the confirmation mail reached the SMTP server");
    assert!(message.contains("To: ada@example.com"), "{message}");
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
    server.register("ada@example.com", PW);
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
    let r = login("ada@example.com", PW, "2001:db8::7, 192.0.2.2");
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
