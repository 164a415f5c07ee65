//! Crash safety: `sesame serve` killed with SIGKILL in the middle of a write load
//! (registrations, sign-ins, TOTP enrolments) loses none of the writes its clients saw
//! acknowledged, and its SQLite store opens clean afterwards.
//!
//! The load is bounded: four clients write until enough of each kind is acknowledged (or a
//! minute passes), the server is killed while they are still writing, and every client stops
//! at its first failed request.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sesame_tests::accounts::PASSWORD;
use sesame_tests::totp;
use sesame_tests::{Server, sesame_command};

const CLIENTS: usize = 4;
/// Kill once this many registrations, sessions and enrolments have been acknowledged.
const WANT_REGISTERED: usize = 24;
const WANT_ENROLLED: usize = 3;
/// Upper bound on the load phase, whatever happens.
const LOAD_LIMIT: Duration = Duration::from_secs(60);

const ENV: [(&str, &str); 5] = [
    ("SESAME_ARGON2_M_KIB", "1024"),
    ("SESAME_ARGON2_T", "1"),
    ("SESAME_THROTTLE_LOGIN_PER_IP", "100000"),
    ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "100000"),
    ("SESAME_THROTTLE_REGISTER_PER_IP", "100000"),
];

/// Writes the server acknowledged before it died.
#[derive(Default)]
struct Acknowledged {
    /// Accounts whose registration was answered 202.
    registered: Vec<String>,
    /// Sessions whose sign-in was answered 200: (email, cookie pair).
    sessions: Vec<(String, String)>,
    /// Accounts whose TOTP enrolment was confirmed.
    enrolled: Vec<String>,
}

/// A client's view of one answer; `None` once the server is gone.
struct Answer {
    status: u16,
    body: Value,
    cookie: Option<String>,
}

/// A plain HTTP client that reports a dead server instead of panicking.
struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    fn new(base: &str) -> Client {
        Client {
            base: base.to_owned(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .new_agent(),
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Option<Answer> {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("accept", "application/json");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut response = self.agent.run(builder.body(body).ok()?).ok()?;
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(|c| c.split(';').next().unwrap_or_default().to_owned());
        let text = response.body_mut().read_to_string().ok()?;
        Some(Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            cookie,
        })
    }
}

/// One client's write loop: register, sign in, and every third account turn TOTP on. Stops at
/// the first request that gets no answer.
fn write_load(base: &str, client_no: usize, stop: &AtomicBool, acked: &Mutex<Acknowledged>) {
    let client = Client::new(base);
    for i in 0u64.. {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let email = format!("c{client_no}-{i}@example.com");
        let account = json!({"email": email, "password": PASSWORD});
        let Some(r) = client.send("POST", "/register", Some(&account), &[]) else {
            return;
        };
        assert_eq!(r.status, 202, "register: {}", r.body);
        acked.lock().unwrap().registered.push(email.clone());

        let Some(r) = client.send("POST", "/login", Some(&account), &[]) else {
            return;
        };
        assert_eq!(r.status, 200, "login: {}", r.body);
        let cookie = r.cookie.expect("a session cookie");
        acked
            .lock()
            .unwrap()
            .sessions
            .push((email.clone(), cookie.clone()));

        if !i.is_multiple_of(3) {
            continue;
        }
        let Some(me) = client.send("GET", "/me", None, &[("cookie", &cookie)]) else {
            return;
        };
        let csrf = me.body["csrf_token"]
            .as_str()
            .expect("csrf token")
            .to_owned();
        let signed = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
        let Some(started) = client.send(
            "POST",
            "/tf-setup",
            Some(&json!({"setup": "authenticator"})),
            &signed,
        ) else {
            return;
        };
        assert_eq!(started.status, 200, "tf-setup: {}", started.body);
        let secret = started.body["secret"].as_str().expect("secret").to_owned();
        let code = totp::code(&secret, totp::now_step());
        let Some(confirmed) =
            client.send("POST", "/tf-setup", Some(&json!({"code": code})), &signed)
        else {
            return;
        };
        // A step boundary between computing and checking the code is still inside the
        // window; anything else is a failure of the flow, not of crash safety.
        assert_eq!(
            confirmed.status, 200,
            "tf-setup confirm: {}",
            confirmed.body
        );
        acked.lock().unwrap().enrolled.push(email);
    }
}

#[test]
fn sigkill_mid_write_load_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sesame.db");
    let server = Server::start_with_env(&db, &ENV);
    let base = server.base.clone();
    let stop = AtomicBool::new(false);
    let acked = Mutex::new(Acknowledged::default());

    std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|n| {
                scope.spawn({
                    let (base, stop, acked) = (&base, &stop, &acked);
                    move || write_load(base, n, stop, acked)
                })
            })
            .collect();
        let until = Instant::now() + LOAD_LIMIT;
        loop {
            let enough = {
                let a = acked.lock().unwrap();
                a.registered.len() >= WANT_REGISTERED && a.enrolled.len() >= WANT_ENROLLED
            };
            if enough || Instant::now() > until {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // SIGKILL while the clients are still writing: no shutdown path runs.
        server.stop();
        stop.store(true, Ordering::SeqCst);
        for client in clients {
            client.join().unwrap();
        }
    });

    let acked = acked.into_inner().unwrap();
    assert!(
        acked.registered.len() >= WANT_REGISTERED && acked.enrolled.len() >= WANT_ENROLLED,
        "the load did not get far enough to test anything: {} registered, {} enrolled",
        acked.registered.len(),
        acked.enrolled.len()
    );

    // The file is consistent before Sesame touches it again.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    let server = Server::start_with_env(&db, &ENV);
    for email in &acked.registered {
        let r = server.attempt_login(email, PASSWORD);
        assert_eq!(r.status, 200, "{email} after the crash: {}", r.text());
        let needs_code = r.json()["tf_required"] == true;
        assert_eq!(
            needs_code,
            acked.enrolled.contains(email),
            "{email}: two-factor state after the crash"
        );
    }
    for (email, cookie) in &acked.sessions {
        let r = server.get("/me", &[("cookie", cookie), ("accept", "application/json")]);
        assert_eq!(
            r.status,
            200,
            "{email}'s session after the crash: {}",
            r.text()
        );
        assert_eq!(r.json()["user"]["email"], email.as_str());
    }
    // The admin side opens the same store cleanly too.
    let listed = sesame_command(&db)
        .envs(ENV)
        .args(["user", "list"])
        .output()
        .unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
}
