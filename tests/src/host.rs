//! The servers the shared suites (`crate::suites`) run against, and how each is started.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::artifacts::{
    cache_dir, example_app_component, guard_component, repo_root, spin_component,
    spin_test_host_bin,
};
use crate::server::Server;
use crate::services::Shared;

/// The servers the shared suites run against. A test binary runs a whole suite against one
/// (`sesame_tests::http_suite!(Sesame)`), so no server can skip a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// `sesame serve`: the `sesame` binary running the `sesame:auth/service` component.
    Sesame,
    /// The Spin component (`sesame-spin`) under `spin-test-host`, configured by `spin.toml`.
    Spin,
    /// The Spin component keeping its records in PostgreSQL (`store = "postgres"`, through the
    /// test host's `spin:postgres`), a schema of its own on the test server per store file.
    SpinPostgres,
}

impl Host {
    /// Whether this server can run here: [`Host::SpinPostgres`] needs the test PostgreSQL
    /// server (see [`crate::services`]); without it its cases are skipped, or fail when
    /// `SESAME_TEST_REQUIRE_SERVICES=1`.
    pub fn available(self) -> bool {
        match self {
            Host::Sesame | Host::Spin => true,
            Host::SpinPostgres => Shared::Postgres.fresh_store().is_some(),
        }
    }

    /// Starts this server over a fresh SQLite file in a temporary directory of its own.
    pub fn start_fresh(self) -> FreshServer {
        self.start_fresh_with_env(&[])
    }

    /// Like [`Host::start_fresh`], with settings as in [`Host::start_with_env`].
    pub fn start_fresh_with_env(self, env: &[(&str, &str)]) -> FreshServer {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let server = self.start_with_env(&dir.path().join(FreshServer::DB), env);
        FreshServer { server, dir }
    }

    /// Like [`Host::start_fresh_with_env`], with mail written to [`FreshServer::outbox`]
    /// (`SESAME_MAIL_OUTBOX`) instead of the log.
    pub fn start_fresh_with_outbox(self, env: &[(&str, &str)]) -> FreshServer {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let outbox = dir.path().join(FreshServer::OUTBOX);
        let mut all = vec![("SESAME_MAIL_OUTBOX", outbox.to_str().expect("a UTF-8 path"))];
        all.extend_from_slice(env);
        let server = self.start_with_env(&dir.path().join(FreshServer::DB), &all);
        FreshServer { server, dir }
    }

    /// A fresh server whose mail [`FreshServer::mails`] reads: `sesame serve` with an outbox,
    /// the Spin component with its log.
    pub fn start_fresh_reading_mail(self, env: &[(&str, &str)]) -> FreshServer {
        match self {
            Host::Sesame => self.start_fresh_with_outbox(env),
            Host::Spin | Host::SpinPostgres => self.start_fresh_with_env(env),
        }
    }

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
            Host::Spin | Host::SpinPostgres => {
                let mut cmd = match self {
                    Host::SpinPostgres => spin_postgres_command(store),
                    _ => spin_command(store),
                };
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

/// A server over a fresh store, with the temporary directory that holds the store. Dropping it
/// kills the server, then removes the directory.
pub struct FreshServer {
    // Declared first so it is dropped first: the server lets go of the store before it goes.
    server: Server,
    dir: TempDir,
}

impl FreshServer {
    /// The store's file name in [`FreshServer::dir`].
    const DB: &str = "sesame.db";
    /// The outbox directory's name in [`FreshServer::dir`].
    const OUTBOX: &str = "outbox";

    /// The directory holding the store (and, for `sesame serve`, its outbox).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The SQLite file the server runs on.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join(Self::DB)
    }

    /// Where a server from [`Host::start_fresh_with_outbox`] writes its mail.
    pub fn outbox(&self) -> PathBuf {
        self.dir.path().join(Self::OUTBOX)
    }

    /// Every mail the server has sent so far, oldest first, as (recipient, text): from the
    /// outbox of `sesame serve` when it has one, else from the Spin component's log, which
    /// writes each mail as `sesame: mail to=ADDRESS subject="..."` and the text.
    pub fn mails(&self) -> Vec<(String, String)> {
        if self.outbox().is_dir() {
            return crate::mail::outbox_mails(&self.outbox())
                .into_iter()
                .map(|(to, _, text)| (to, text))
                .collect();
        }
        let log = std::fs::read_to_string(self.db().with_extension("log")).unwrap_or_default();
        log.split("sesame: mail to=")
            .skip(1)
            .map(|chunk| {
                let (head, rest) = chunk.split_once('\n').unwrap_or((chunk, ""));
                let to = head
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let text = rest
                    .split("\nsesame: ")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                (to, text)
            })
            .collect()
    }

    /// [`FreshServer::mails`] once the server has stopped writing mail: the Spin component
    /// writes a request's mail after its answer, so a count taken right after an answer may
    /// not hold it yet. Waits until two reads 150 ms apart agree (at most five seconds).
    pub fn settled_mails(&self) -> Vec<(String, String)> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut last = self.mails();
        loop {
            std::thread::sleep(std::time::Duration::from_millis(150));
            let now = self.mails();
            let complete = now.iter().all(|(_, text)| !text.is_empty());
            if (now == last && complete) || std::time::Instant::now() >= deadline {
                return now;
            }
            last = now;
        }
    }

    /// The text of the latest mail to `to`, waiting up to five seconds for one beyond the
    /// first `seen` mails to arrive (the queue may deliver after the answer).
    pub fn mail_to(&self, to: &str, seen: usize) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let mails = self.mails();
            // A mail the component is still writing has its address but not yet its text.
            if let Some((_, text)) = mails.get(seen..).and_then(|new| {
                new.iter()
                    .rev()
                    .find(|(t, text)| t == to && !text.is_empty())
            }) {
                return text.clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no new mail to {to}: {mails:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Deref for FreshServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

/// The master secret the Spin component gets in tests. Fixed, so a restarted server reads what
/// the previous one wrote, as replicas sharing one secret do.
pub const SPIN_TEST_SECRET: &str = "c2VzYW1lLXNwaW4tdGVzdC1zZWNyZXQtMzItYnl0ZXMhIQ";

/// A `spin-test-host` command serving the Spin component with the repository's `spin.toml`
/// on a free loopback port, its `default` database in the SQLite file `store`, the test
/// secret, and plain-HTTP cookies (what `sesame serve` picks on loopback by itself).
pub fn spin_command(store: &Path) -> Command {
    spin_command_with_manifest(&repo_root().join("spin.toml"), store)
}

/// Like [`spin_command`], with the manifest `manifest` (a copy of `spin.toml` a test changed).
pub fn spin_command_with_manifest(manifest: &Path, store: &Path) -> Command {
    let mut cmd = spin_app_command(manifest, store);
    cmd.arg("--component").arg(spin_component());
    cmd
}

/// A `spin-test-host` command serving the app of `manifest` on a free loopback port, with the
/// compile cache, the `default` database in the SQLite file `store`, the test secret and
/// plain-HTTP cookies; the caller names the components' builds.
fn spin_app_command(manifest: &Path, store: &Path) -> Command {
    let mut cmd = Command::new(spin_test_host_bin());
    cmd.arg("--manifest")
        .arg(manifest)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--cache-dir")
        .arg(cache_dir())
        .arg("--sqlite")
        .arg(format!("default={}", store.display()))
        .arg("--variable")
        .arg(format!("secret={SPIN_TEST_SECRET}"))
        .arg("--variable")
        .arg("cookie_secure=false");
    cmd
}

/// A `spin-test-host` command like [`spin_command`], with the component keeping its records in
/// PostgreSQL: the test server's URL with a schema of its own for `store` (named in a file beside
/// it, so a restarted server finds the same records), through a copy of `spin.toml` that lists
/// the server in `allowed_outbound_hosts` as a deployment must.
///
/// # Panics
///
/// When the test PostgreSQL server is not configured ([`Host::available`] says so first).
pub fn spin_postgres_command(store: &Path) -> Command {
    let named = store.with_extension("pgschema");
    let url = match std::fs::read_to_string(&named) {
        Ok(url) => url,
        Err(_) => {
            let url = Shared::Postgres
                .fresh_store()
                .expect("SESAME_TEST_POSTGRES_URL is set");
            std::fs::write(&named, &url).expect("note the schema beside the store");
            url
        }
    };
    let manifest = spin_manifest_allowing(store, &[&postgres_origin(&url)]);
    let mut cmd = spin_command_with_manifest(&manifest, store);
    cmd.arg("--variable")
        .arg("store=postgres")
        .arg("--variable")
        .arg(format!("postgres_url={url}"));
    cmd
}

/// `postgres://host:port` of a PostgreSQL URL, as `allowed_outbound_hosts` lists it.
pub fn postgres_origin(url: &str) -> String {
    let rest = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, hp)| hp);
    if host_port.contains(':') {
        format!("postgres://{host_port}")
    } else {
        format!("postgres://{host_port}:5432")
    }
}

/// A copy of the repository's `spin.toml` beside `store` whose Sesame component may reach
/// `hosts` (its `allowed_outbound_hosts`), everything else unchanged.
pub fn spin_manifest_allowing(store: &Path, hosts: &[&str]) -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join("spin.toml")).expect("read spin.toml");
    let mut manifest: toml::Table = toml::from_str(&text).expect("spin.toml is TOML");
    let component = manifest
        .get_mut("component")
        .and_then(|c| c.get_mut("sesame"))
        .and_then(toml::Value::as_table_mut)
        .expect("spin.toml has [component.sesame]");
    component.insert(
        "allowed_outbound_hosts".to_owned(),
        toml::Value::Array(hosts.iter().map(|h| toml::Value::from(*h)).collect()),
    );
    let path = store.with_extension("spin.toml");
    std::fs::write(
        &path,
        toml::to_string(&manifest).expect("serialise the manifest"),
    )
    .expect("write the manifest copy");
    path
}

/// A `spin-test-host` command serving the Spin app of `manifest` with Sesame in front of it
/// (`examples/spin-guard/spin.toml` or a copy): its components `sesame`, `guard` and `app` from
/// the built `sesame-spin`, `sesame-guard` and `sesame-example-hello`, on a free loopback port,
/// Sesame's `default` database in the SQLite file `store`, the test secret and plain-HTTP
/// cookies.
pub fn spin_guard_command(manifest: &Path, store: &Path) -> Command {
    let mut cmd = spin_app_command(manifest, store);
    cmd.arg("--source")
        .arg(format!("sesame={}", spin_component().display()))
        .arg("--source")
        .arg(format!("guard={}", guard_component().display()))
        .arg("--source")
        .arg(format!("app={}", example_app_component().display()));
    cmd
}
