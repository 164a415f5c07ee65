//! Webhook receivers for the end-to-end tests (tests/tests/webhooks.rs): the Python receiver
//! tests/webhooks/receiver.py, which verifies every delivery with the `standardwebhooks`
//! library (PyPI), run and read from Rust.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a test waits for deliveries to reach the state it expects.
pub const PATIENCE: Duration = Duration::from_secs(45);

/// The Python that runs the receiver, or `None` (the case is skipped) when none is given.
pub fn python() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SESAME_TEST_WEBHOOK_PYTHON") {
        return Some(PathBuf::from(path));
    }
    assert!(
        std::env::var("SESAME_TEST_REQUIRE_WEBHOOKS").as_deref() != Ok("1"),
        "SESAME_TEST_WEBHOOK_PYTHON is unset but SESAME_TEST_REQUIRE_WEBHOOKS=1: run scripts/test-webhooks"
    );
    eprintln!(
        "skipped: SESAME_TEST_WEBHOOK_PYTHON is unset (scripts/test-webhooks sets it up and runs these tests)"
    );
    None
}

/// How a receiver answers.
#[derive(Default, Clone, Copy)]
pub struct Answers {
    /// 503 to every verified delivery until [`Receiver::recover`].
    pub failing: bool,
    /// https:// with a certificate from a throw-away CA ([`Receiver::ca_file`]).
    pub tls: bool,
}

/// A running tests/webhooks/receiver.py, killed when dropped.
pub struct Receiver {
    child: Child,
    /// Where it listens: `http(s)://127.0.0.1:PORT/hooks`.
    pub url: String,
    dir: tempfile::TempDir,
}

impl Receiver {
    /// Starts a receiver with `python` (see [`python`]), answering as `answers` says.
    pub fn start(python: &Path, answers: Answers) -> Receiver {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(python);
        cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("webhooks/receiver.py"))
            .arg("--secret-file")
            .arg(dir.path().join("secret"))
            .arg("--log")
            .arg(dir.path().join("deliveries.jsonl"));
        if answers.failing {
            cmd.arg("--fail-until").arg(dir.path().join("recovered"));
        }
        if answers.tls {
            cmd.arg("--tls-dir").arg(dir.path());
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the receiver said: {line:?}"))
            .to_owned();
        Receiver { child, url, dir }
    }

    /// Gives the receiver the secret to verify with.
    pub fn set_secret(&self, secret: &str) {
        std::fs::write(self.dir.path().join("secret"), secret).unwrap();
    }

    /// From now on it answers 204 to verified deliveries.
    pub fn recover(&self) {
        std::fs::write(self.dir.path().join("recovered"), "").unwrap();
    }

    /// The CA certificate of a TLS receiver.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Every request it got so far, one JSON object each.
    pub fn deliveries(&self) -> Vec<Value> {
        match std::fs::read_to_string(self.dir.path().join("deliveries.jsonl")) {
            Ok(text) => text
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Waits until its requests satisfy `done`; returns them.
    pub fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let until = Instant::now() + PATIENCE;
        loop {
            let deliveries = self.deliveries();
            if done(&deliveries) {
                return deliveries;
            }
            assert!(
                Instant::now() < until,
                "{what}: not within {PATIENCE:?}; deliveries: {deliveries:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The ids of the deliveries the receiver answered with `status`, with how often each.
fn ids_answered(deliveries: &[Value], status: u16) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for delivery in deliveries.iter().filter(|d| d["status"] == status) {
        *ids.entry(delivery["id"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    ids
}

/// The ids the receiver accepted (answered 204), with how often each.
pub fn accepted(deliveries: &[Value]) -> BTreeMap<String, usize> {
    ids_answered(deliveries, 204)
}

/// The ids the receiver refused with 503, with how often each.
pub fn refused(deliveries: &[Value]) -> BTreeMap<String, usize> {
    ids_answered(deliveries, 503)
}

/// The event types of the accepted deliveries, sorted.
pub fn accepted_types(deliveries: &[Value]) -> Vec<String> {
    let mut types: Vec<String> = deliveries
        .iter()
        .filter(|d| d["status"] == 204)
        .map(|d| d["payload"]["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    types
}
