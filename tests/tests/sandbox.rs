//! The sandbox around the component, proved with a deliberately hostile one
//! (`tests/misbehaving-guest`) under the real `sesame serve`: a runaway loop, a memory blow-up
//! and a trap each cost only their own request (500, cause in the log, the server keeps serving
//! others), a full instance pool answers 503, instances are reused only after a clean request
//! and with a fresh deadline each time, and the component can reach no file, no socket and no
//! environment variable beyond those the host lists.

use std::fs::File;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sesame_tests::{Reply, Server, misbehaving_component, sesame_bin};

/// `sesame serve` running the hostile component, with its log captured in a file.
struct Hostile {
    server: Server,
    log: PathBuf,
    dir: tempfile::TempDir,
}

impl Hostile {
    /// Starts the server with a clean environment plus `env`, and extra `args`.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Hostile {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("sesame.log");
        let mut cmd = Command::new(sesame_bin());
        cmd.env_clear()
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .arg("--store")
            .arg(dir.path().join("sesame.db"))
            .arg("--component")
            .arg(misbehaving_component())
            .arg("--no-cache")
            .args(args)
            .stderr(Stdio::from(File::create(&log).unwrap()));
        let server = Server::start_command(cmd);
        Hostile { server, log, dir }
    }

    fn get(&self, path: &str) -> Reply {
        self.server.get(path, &[])
    }

    /// The server's log so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// Waits (bounded) until the log has a line with all of `needles`, and returns the log.
    /// The failure is logged before the 500 is sent, so this normally returns at once.
    fn log_line_with(&self, needles: &[&str]) -> String {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log
                .lines()
                .any(|line| needles.iter().all(|n| line.contains(n)))
            {
                return log;
            }
            assert!(
                Instant::now() < until,
                "no log line with {needles:?} in:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The 500 the host answers for a failed instance: the generic fault, nothing from inside.
fn assert_fault(reply: &Reply) {
    assert_eq!(reply.status, 500, "{}", reply.text());
    assert_eq!(reply.error_code(), "internal");
}

/// Asks `path`, which makes the instance fail: the answer is the generic fault, the log has a
/// line with all of `words`, and the next request is answered.
fn fault_costs_only_its_request(hostile: &Hostile, path: &str, words: &[&str]) {
    assert_fault(&hostile.get(path));
    hostile.log_line_with(words);
    assert_eq!(hostile.get("/ok").status, 200);
}

#[test]
fn control_request_answers() {
    let hostile = Hostile::start(&[], &[]);
    let r = hostile.get("/ok");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "ok");
}

#[test]
fn runaway_loop_is_stopped_at_the_deadline_while_others_are_served() {
    let hostile = Hostile::start(&["--request-deadline-ms", "3000"], &[]);
    let spin_done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let spinning = scope.spawn(|| {
            let reply = hostile.get("/spin");
            spin_done.store(true, Ordering::SeqCst);
            reply
        });
        // While the loop burns its instance, other requests still get their own and answer.
        let mut answered_meanwhile = 0;
        while !spin_done.load(Ordering::SeqCst) {
            let r = hostile.get("/ok");
            assert_eq!(r.status, 200, "{}", r.text());
            if !spin_done.load(Ordering::SeqCst) {
                answered_meanwhile += 1;
            }
        }
        assert!(
            answered_meanwhile > 0,
            "no request was answered while the loop ran"
        );
        assert_fault(&spinning.join().unwrap());
    });
    hostile.log_line_with(&["deadline-exceeded", "request deadline"]);
    assert_eq!(hostile.get("/ok").status, 200);
}

#[test]
fn memory_blow_up_is_stopped_at_the_limit() {
    let hostile = Hostile::start(&[], &[]);
    // The failed instance is gone and its memory back in the pool; the next one is fresh.
    fault_costs_only_its_request(&hostile, "/grow", &["memory-limit", "growing memory"]);
    assert_fault(&hostile.get("/grow"));
    assert_eq!(hostile.get("/ok").status, 200);
}

#[test]
fn trap_costs_only_its_request() {
    let hostile = Hostile::start(&[], &[]);
    fault_costs_only_its_request(&hostile, "/trap", &["trap-unreachable", "unreachable"]);
    let log = hostile.log();
    assert!(!log.contains("panicked"), "the host must not panic:\n{log}");
}

#[test]
fn full_instance_pool_answers_busy_and_recovers() {
    let hostile = Hostile::start(
        &["--max-instances", "1", "--request-deadline-ms", "3000"],
        &[],
    );
    let spin_done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let spinning = scope.spawn(|| {
            // An /ok below may hold the only slot at the moment the loop asks for it; the
            // loop then is the one refused, and simply asks again.
            let reply = loop {
                let reply = hostile.get("/spin");
                if reply.status != 503 {
                    break reply;
                }
            };
            spin_done.store(true, Ordering::SeqCst);
            reply
        });
        // The one slot is held by the loop as soon as it starts; until then /ok may still win
        // the slot, so wait for the first refusal.
        let mut refused = None;
        while refused.is_none() && !spin_done.load(Ordering::SeqCst) {
            let r = hostile.get("/ok");
            if r.status != 200 {
                refused = Some(r);
            }
        }
        let refused = refused.expect("a request was refused while the only slot was taken");
        assert_eq!(refused.status, 503, "{}", refused.text());
        assert_eq!(refused.error_code(), "busy");
        assert_eq!(refused.header("retry-after"), Some("1"));
        assert_fault(&spinning.join().unwrap());
    });
    hostile.log_line_with(&["instance-pool-exhausted"]);
    // The slot is free again once the loop's instance is gone.
    assert_eq!(hostile.get("/ok").status, 200);
}

/// `/count` on some instance: how many requests that instance has received, and whether it
/// was poisoned by an earlier `/poison`.
fn count(hostile: &Hostile) -> (u64, bool) {
    let r = hostile.get("/count");
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    let (poisoned, n) = match text.strip_prefix("poisoned ") {
        Some(n) => (true, n),
        None => (false, text.as_str()),
    };
    (n.parse().unwrap(), poisoned)
}

#[test]
fn instances_are_reused_across_requests() {
    let hostile = Hostile::start(&[], &[]);
    // An instance goes back to the idle list just after its answer is sent, so a request that
    // follows at once may still get a fresh one; a bounded run of them must see reuse.
    let highest = (0..200)
        .map(|_| count(&hostile).0)
        .find(|n| *n >= 3)
        .unwrap_or(0);
    assert!(highest >= 3, "no instance served three requests in 200");
}

#[test]
fn one_request_per_instance_gives_every_request_a_fresh_instance() {
    let hostile = Hostile::start(&["--requests-per-instance", "1"], &[]);
    for _ in 0..20 {
        assert_eq!(count(&hostile), (1, false));
    }
}

#[test]
fn an_instance_that_failed_is_never_reused() {
    let hostile = Hostile::start(&["--idle-instances", "2"], &[]);
    for _ in 0..10 {
        // The idle instance (if any) takes the poison and traps; it must not come back.
        count(&hostile);
        assert_fault(&hostile.get("/poison"));
    }
    for _ in 0..50 {
        let (n, poisoned) = count(&hostile);
        assert!(!poisoned, "a trapped instance answered request {n}");
    }
}

#[test]
fn each_request_on_a_reused_instance_gets_the_whole_deadline() {
    // 300 ms of work per request against a 1 s deadline: fine for one request, fatal if the
    // deadline kept counting across the requests one instance serves.
    let hostile = Hostile::start(
        &["--request-deadline-ms", "1000", "--idle-instances", "1"],
        &[],
    );
    let mut reused = false;
    for _ in 0..30 {
        let r = hostile.get("/busy?ms=300");
        assert_eq!(r.status, 200, "{}", r.text());
        let n: u64 = r.text().strip_prefix("request ").unwrap().parse().unwrap();
        if n >= 5 {
            reused = true;
            break;
        }
    }
    assert!(reused, "no instance served five requests in thirty");
}

#[test]
fn component_cannot_read_files_next_to_the_database() {
    let hostile = Hostile::start(&[], &[]);
    let secret = hostile.dir.path().join("secret.txt");
    std::fs::write(&secret, "sandbox-canary-4f1c").unwrap();
    let absolute = secret.to_str().unwrap().replace('/', "%2F");
    for path in [
        absolute.as_str(),
        "secret.txt",
        "sesame.db",
        "%2Fetc%2Fpasswd",
    ] {
        let r = hostile.get(&format!("/read?path={path}"));
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.text();
        assert!(body.starts_with("denied:"), "read {path}: {body}");
        assert!(!body.contains("sandbox-canary"), "read {path}: {body}");
    }
}

#[test]
fn component_sees_only_the_listed_environment() {
    let hostile = Hostile::start(
        &[],
        &[
            ("SESAME_LOCKOUT_THRESHOLD", "7"),
            ("SESAME_SANDBOX_CANARY", "must-not-leak"),
            ("HOME", "/root"),
            ("PATH", "/usr/bin:/bin"),
        ],
    );
    let r = hostile.get("/env");
    assert_eq!(r.status, 200);
    let names: Vec<String> = r.text().lines().map(str::to_owned).collect();
    // What the host passes: its settings for the component and the one listed pass-through.
    assert_eq!(
        names,
        [
            "SESAME_COOKIE_SECURE",
            "SESAME_LOCKOUT_THRESHOLD",
            "SESAME_PUBLIC_URL",
            "SESAME_SECRET",
        ]
    );
}

#[test]
fn component_cannot_open_sockets() {
    let hostile = Hostile::start(&[], &[]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let r = hostile.get(&format!("/connect?addr={addr}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().starts_with("denied:"), "{}", r.text());
    // Nothing reached the listener: the refusal came before any packet left.
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the component connected: {other:?}"),
    }
}
