//! Harness for Sesame's end-to-end tests: starts a real server on a free loopback port with its
//! own database, and talks to it over real HTTP.
//!
//! Two servers run the shared HTTP suite (`tests/suite/`, see [`Host`]): the `sesame` binary
//! with the `sesame:auth/service` component, and `spin-test-host` with the Spin component and
//! the repository's `spin.toml`. The binaries and components come from the same cargo target
//! directory as the test executable (`target/debug/sesame`, `target/debug/spin-test-host`,
//! `target/wasm32-wasip2/release/sesame_guest.wasm` and `sesame_spin.wasm`), which
//! `scripts/test` builds first. `SESAME_BIN` and `SESAME_COMPONENT` override the first pair.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test harness: a failure here is a test failure"
)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The software WebAuthn authenticator the passkey tests answer ceremonies with.
pub use sesame_test_authenticator as authenticator;
pub mod services;
pub mod totp;

/// How long a server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The cargo target directory the tests run from (`.../target`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test> -> target
    exe.ancestors()
        .nth(3)
        .expect("test executable lives in target/<profile>/deps")
        .to_path_buf()
}

/// The `sesame` executable under test.
pub fn sesame_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("SESAME_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = profile_dir.join("sesame");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/test (or cargo build -p sesame-host)",
        bin.display()
    );
    bin
}

/// The component under test.
pub fn component() -> PathBuf {
    if let Some(p) = std::env::var_os("SESAME_COMPONENT") {
        return PathBuf::from(p);
    }
    let wasm = target_dir().join("wasm32-wasip2/release/sesame_guest.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run scripts/test (or cargo build --release --target wasm32-wasip2 -p sesame-guest)",
        wasm.display()
    );
    wasm
}

/// A `sesame` command with the test's store (an SQLite path or a store URL), component and a
/// shared compile cache.
pub fn sesame_command(store: &(impl AsRef<OsStr> + ?Sized)) -> Command {
    let mut cmd = Command::new(sesame_bin());
    cmd.arg("--store")
        .arg(store.as_ref())
        .arg("--component")
        .arg(component())
        .arg("--cache-dir")
        .arg(target_dir().join("sesame-test-cache"))
        .env_remove("SESAME_LISTEN")
        .env("RUST_LOG", "warn");
    cmd
}

/// The servers the shared HTTP suite (`tests/suite/*.rs`) runs against. Each test file that
/// mounts a suite sets one as its `HOST`, so no server can skip a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// `sesame serve`: the `sesame` binary running the `sesame:auth/service` component.
    Sesame,
    /// The Spin component (`sesame-spin`) under `spin-test-host`, configured by `spin.toml`.
    Spin,
}

impl Host {
    /// Starts this server on a free loopback port over the SQLite file `store`.
    pub fn start(self, store: &Path) -> Server {
        self.start_with_env(store, &[])
    }

    /// Like [`Host::start`], with settings given as `SESAME_*` variables: environment variables
    /// of `sesame serve`, Spin variables (`SESAME_LOCKOUT_THRESHOLD` is `lockout_threshold`) of
    /// the Spin component, whose log goes to `store` with the extension `log`.
    pub fn start_with_env(self, store: &Path, env: &[(&str, &str)]) -> Server {
        match self {
            Host::Sesame => Server::start_with_env(store, env),
            Host::Spin => {
                let mut cmd = spin_command(store);
                for (name, value) in env {
                    let variable = name
                        .strip_prefix("SESAME_")
                        .unwrap_or_else(|| panic!("{name} is not a Sesame setting"))
                        .to_ascii_lowercase();
                    cmd.arg("--variable").arg(format!("{variable}={value}"));
                }
                // The component logs every mail and account event to stderr (Spin's log),
                // which `sesame serve` keeps at info level; beside the store, not in the
                // test output.
                let log = std::fs::File::create(store.with_extension("log"))
                    .expect("create the component's log file");
                cmd.stderr(log);
                Server::spawn(cmd)
            }
        }
    }
}

/// The master secret the Spin component gets in tests. Fixed, so a restarted server reads what
/// the previous one wrote, as replicas sharing one secret do.
pub const SPIN_TEST_SECRET: &str = "c2VzYW1lLXNwaW4tdGVzdC1zZWNyZXQtMzItYnl0ZXMhIQ";

/// The repository's root (where `spin.toml` is).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the repository")
        .to_path_buf()
}

/// The Spin component under test.
pub fn spin_component() -> PathBuf {
    let wasm = target_dir().join("wasm32-wasip2/release/sesame_spin.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run scripts/test (or cargo build --release --target wasm32-wasip2 -p sesame-spin)",
        wasm.display()
    );
    wasm
}

/// A `spin-test-host` command serving the Spin component with the repository's `spin.toml`
/// on a free loopback port, its `default` database in the SQLite file `store`, the test
/// secret, and plain-HTTP cookies (what `sesame serve` picks on loopback by itself).
pub fn spin_command(store: &Path) -> Command {
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .join("spin-test-host");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/test (or cargo build -p sesame-spin-test-host)",
        bin.display()
    );
    let mut cmd = Command::new(bin);
    cmd.arg("--manifest")
        .arg(repo_root().join("spin.toml"))
        .arg("--component")
        .arg(spin_component())
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--cache-dir")
        .arg(target_dir().join("sesame-test-cache"))
        .arg("--sqlite")
        .arg(format!("default={}", store.display()))
        .arg("--variable")
        .arg(format!("secret={SPIN_TEST_SECRET}"))
        .arg("--variable")
        .arg("cookie_secure=false");
    cmd
}

/// A running server (`sesame serve` or the Spin test host). Killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    agent: ureq::Agent,
}

impl Server {
    /// Starts `sesame serve` on a free loopback port over the store `store` (an SQLite path or a
    /// store URL).
    pub fn start(store: &(impl AsRef<OsStr> + ?Sized)) -> Server {
        Self::start_with_env(store, &[])
    }

    /// Like [`Server::start`], with extra environment variables.
    pub fn start_with_env(store: &(impl AsRef<OsStr> + ?Sized), env: &[(&str, &str)]) -> Server {
        let mut cmd = sesame_command(store);
        cmd.envs(env.iter().copied()).stderr(Stdio::inherit());
        Self::start_command(cmd)
    }

    /// Runs `cmd serve --listen 127.0.0.1:0` (a command from [`sesame_command`], adjusted by the
    /// caller: another component, options, environment or where its log goes).
    pub fn start_command(mut cmd: Command) -> Server {
        cmd.args(["serve", "--listen", "127.0.0.1:0"]);
        Self::spawn(cmd)
    }

    /// Runs `cmd`, a server that prints `... listening on http://ADDR` as its first line.
    pub fn spawn(mut cmd: Command) -> Server {
        cmd.stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn the server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_else(|_| {
            panic!("the server did not report its address within {START_TIMEOUT:?}")
        });
        let base = line
            .split_once(" listening on ")
            .map(|(_, base)| base.to_owned())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        Server { child, base, agent }
    }

    /// Stops the server (SIGKILL: nothing may depend on a clean shutdown).
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's process id (to read its memory use, for instance).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a request and collects the answer.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let url = format!("{}{}", self.base, path);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(body.to_vec()).expect("request");
        let started = Instant::now();
        let mut response = self
            .agent
            .run(request)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let elapsed = started.elapsed();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .read_to_end(&mut body)
            .expect("read body");
        Reply {
            status,
            headers,
            body,
            elapsed,
        }
    }

    /// GET with optional headers.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, headers, b"")
    }

    /// POST a JSON value, with optional extra headers.
    pub fn post_json(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send("POST", path, &all, body.to_string().as_bytes())
    }

    /// Registers `email` with `password` over HTTP, asserting the generic 202.
    pub fn register(&self, email: &str, password: &str) {
        let r = self.post_json(
            "/register",
            &serde_json::json!({"email": email, "password": password}),
            &[],
        );
        assert_eq!(r.status, 202, "register {email}: {}", r.text());
    }

    /// Signs `email` in over HTTP and fetches the session's CSRF token from `/me`: what a
    /// browser holds after signing in.
    pub fn sign_in(&self, email: &str, password: &str) -> Signed {
        let cookie = self.login(email, password);
        let csrf = self.get("/me", &[("cookie", &cookie)]).json()["csrf_token"]
            .as_str()
            .expect("/me names the CSRF token")
            .to_owned();
        Signed { cookie, csrf }
    }

    /// POSTs JSON as `who`: with its session cookie and CSRF token.
    pub fn post_signed(&self, who: &Signed, path: &str, body: &Value) -> Reply {
        self.post_json(
            path,
            body,
            &[("cookie", &who.cookie), ("x-csrf-token", &who.csrf)],
        )
    }

    /// Logs in over HTTP and returns the `name=value` cookie pair.
    pub fn login(&self, email: &str, password: &str) -> String {
        let r = self.post_json(
            "/login",
            &serde_json::json!({"email": email, "password": password}),
            &[],
        );
        assert_eq!(r.status, 200, "login {email}: {}", r.text());
        r.cookie_pair().expect("login sets a cookie")
    }
}

/// A signed-in browser: its session cookie pair and the CSRF token that goes with it.
pub struct Signed {
    /// `name=value` of the session cookie.
    pub cookie: String,
    /// The session's CSRF token, sent as `x-csrf-token`.
    pub csrf: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Time from sending to the response head.
    pub elapsed: Duration,
}

impl Reply {
    /// First value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Body as JSON (panics with the body if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `error.code` of a JSON error body.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {}", self.text()))
            .to_owned()
    }

    /// `name=value` of the Set-Cookie header.
    pub fn cookie_pair(&self) -> Option<String> {
        self.header("set-cookie")
            .map(|c| c.split(';').next().unwrap_or_default().to_owned())
    }
}

/// Runs an admin command with `stdin` as input; returns (success, stdout, stderr).
pub fn admin(
    store: &(impl AsRef<OsStr> + ?Sized),
    args: &[&str],
    stdin: &str,
) -> (bool, String, String) {
    let mut child = sesame_command(store)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sesame");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The deliberately hostile component (`tests/misbehaving-guest`) the sandbox tests run.
pub fn misbehaving_component() -> PathBuf {
    let wasm = target_dir().join("wasm32-wasip2/release/sesame_misbehaving_guest.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run scripts/test (or cargo build --release --target wasm32-wasip2 -p sesame-misbehaving-guest)",
        wasm.display()
    );
    wasm
}
