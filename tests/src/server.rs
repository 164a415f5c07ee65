//! A running server and the HTTP client the tests drive it with: requests, sign-in, the session
//! cookie and its CSRF token, and the admin CLI on the same store.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::artifacts::{cache_dir, component, sesame_bin};
use crate::reply::Reply;

/// How long a server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A `sesame` command with the test's store (an SQLite path or a store URL), component and a
/// shared compile cache.
pub fn sesame_command(store: &(impl AsRef<OsStr> + ?Sized)) -> Command {
    let mut cmd = Command::new(sesame_bin());
    cmd.arg("--store")
        .arg(store.as_ref())
        .arg("--component")
        .arg(component())
        .arg("--cache-dir")
        .arg(cache_dir())
        .env_remove("SESAME_LISTEN")
        .env("RUST_LOG", "warn");
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

    /// Asks the server to stop (SIGTERM) and waits for it to exit; its exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        self.child.wait().expect("wait for the server")
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

    /// Sends a body-less request with `access_token` (a JSON string, as token answers hold it)
    /// as the bearer token.
    pub fn send_with_token(&self, method: &str, path: &str, access_token: &Value) -> Reply {
        let token = access_token
            .as_str()
            .unwrap_or_else(|| panic!("not a token: {access_token}"));
        self.send(
            method,
            path,
            &[("authorization", &format!("Bearer {token}"))],
            b"",
        )
    }

    /// GET with `access_token` as the bearer token (see [`Server::send_with_token`]).
    pub fn get_with_token(&self, path: &str, access_token: &Value) -> Reply {
        self.send_with_token("GET", path, access_token)
    }

    /// POST a JSON value, with optional extra headers.
    pub fn post_json(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send("POST", path, &all, body.to_string().as_bytes())
    }

    /// POSTs `{"email", "password"}` to `path` (`/login`, `/register`, `/tokens`): the form
    /// every password route takes.
    pub fn post_credentials(&self, path: &str, email: &str, password: &str) -> Reply {
        self.post_json(path, &json!({"email": email, "password": password}), &[])
    }

    /// Tries to sign in with `email` and `password`; whatever the answer.
    pub fn attempt_login(&self, email: &str, password: &str) -> Reply {
        self.post_credentials("/login", email, password)
    }

    /// Registers `email` with `password` over HTTP, asserting the generic 202.
    pub fn register(&self, email: &str, password: &str) {
        let r = self.post_credentials("/register", email, password);
        assert_eq!(r.status, 202, "register {email}: {}", r.text());
    }

    /// Signs `email` in over HTTP and fetches the session's CSRF token from `/me`: what a
    /// browser holds after signing in.
    pub fn sign_in(&self, email: &str, password: &str) -> Signed {
        self.signed(self.login(email, password))
    }

    /// The browser holding the session cookie pair `cookie`, with the CSRF token `/me` names.
    pub fn signed(&self, cookie: String) -> Signed {
        let csrf = self.get("/me", &[("cookie", &cookie)]).json()["csrf_token"]
            .as_str()
            .expect("/me names the CSRF token")
            .to_owned();
        Signed { cookie, csrf }
    }

    /// POSTs JSON with `who`'s session cookie but without its CSRF token, as a forged
    /// cross-site request would.
    pub fn post_without_csrf(&self, who: &Signed, path: &str, body: &Value) -> Reply {
        self.post_json(path, body, &[("cookie", &who.cookie)])
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
        let r = self.attempt_login(email, password);
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

/// Runs `sesame user add --email <email> --password-stdin <extra...>` with `password` on stdin;
/// returns what [`admin`] does.
pub fn admin_add_user(
    store: &(impl AsRef<OsStr> + ?Sized),
    email: &str,
    password: &str,
    extra: &[&str],
) -> (bool, String, String) {
    let mut args = vec!["user", "add", "--email", email, "--password-stdin"];
    args.extend_from_slice(extra);
    admin(store, &args, &format!("{password}\n"))
}

/// The administrator [`add_root_admin`] creates.
pub const ROOT_EMAIL: &str = "root@example.com";
/// Its password.
pub const ROOT_PASSWORD: &str = "correct horse battery";

/// Creates the account [`ROOT_EMAIL`] with the role `admin` in a fresh store through the admin
/// CLI, asserts that it worked and returns what the CLI printed.
pub fn add_root_admin(store: &(impl AsRef<OsStr> + ?Sized)) -> String {
    let (ok, out, err) = admin_add_user(store, ROOT_EMAIL, ROOT_PASSWORD, &["--role", "admin"]);
    assert!(ok, "{out}{err}");
    out
}

/// Sends `count` concurrent sign-ins for `email` with `password`, spread over `servers` in
/// turn (nodes or replicas sharing one store); returns the statuses. A sign-in refused for
/// hashing load (`503 busy`, nothing counted) is retried, as its Retry-After asks.
pub fn login_burst(servers: &[&Server], count: usize, email: &str, password: &str) -> Vec<u16> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .map(|i| {
                let server = servers[i % servers.len()];
                scope.spawn(move || {
                    loop {
                        let r = server.attempt_login(email, password);
                        if r.status == 503 && r.error_code() == "busy" {
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            continue;
                        }
                        return r.status;
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
