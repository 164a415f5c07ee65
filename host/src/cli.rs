//! Command-line interface: `sesame serve` and the admin commands.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Args, Parser, Subcommand};

use crate::bindings::{accounts, types};
use crate::engine::Runtime;
use crate::store::{self, StoreBackend, StoreUrl};

/// Sesame: authentication as a WebAssembly component.
#[derive(Debug, Parser)]
#[command(name = "sesame", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// Options every command shares.
#[derive(Debug, Args)]
struct Common {
    /// Where data lives: an SQLite file path (or sqlite:PATH). Created on first use.
    #[arg(long, global = true, env = "SESAME_STORE", default_value = "sesame.db")]
    store: StoreUrl,

    /// The Sesame component (.wasm). By default, `sesame.wasm` beside this executable, then the
    /// cargo build output `target/wasm32-wasip2/release/sesame_guest.wasm`.
    #[arg(long, global = true, env = "SESAME_COMPONENT")]
    component: Option<PathBuf>,

    /// Directory for the compiled component, so later starts skip compilation. Defaults to
    /// $XDG_CACHE_HOME/sesame or ~/.cache/sesame.
    #[arg(long, global = true, env = "SESAME_CACHE_DIR")]
    cache_dir: Option<PathBuf>,

    /// Compile the component at every start instead of caching it.
    #[arg(long, global = true)]
    no_cache: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve Sesame's HTTP routes.
    ///
    /// Settings for the component are read from these environment variables when set:
    /// SESAME_ARGON2_M_KIB, SESAME_ARGON2_T, SESAME_ARGON2_P (password hashing cost; defaults
    /// 19456, 2, 1), SESAME_SESSION_IDLE_SECS (default 1800), SESAME_SESSION_ABSOLUTE_SECS
    /// (default 43200).
    Serve {
        /// Address to listen on. Cookies are marked Secure unless this is a loopback address
        /// (put a TLS-terminating proxy in front of any other).
        #[arg(long, env = "SESAME_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user (the password is read from standard input, never from the command line).
    Add {
        /// Email address.
        #[arg(long)]
        email: String,
        /// Optional username.
        #[arg(long)]
        username: Option<String>,
        /// Read the password from standard input (first line). Required, so the password never
        /// appears in the process list or shell history.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// A role to grant; repeat for several.
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// List users.
    List {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Names of host environment variables passed through to the component.
const PASSED_THROUGH: [&str; 5] = [
    "SESAME_ARGON2_M_KIB",
    "SESAME_ARGON2_T",
    "SESAME_ARGON2_P",
    "SESAME_SESSION_IDLE_SECS",
    "SESAME_SESSION_ABSOLUTE_SECS",
];

/// How often expired entries are purged from the store.
const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Runs the command.
pub(crate) async fn run(cli: Cli) -> Result<()> {
    let Cli { common, command } = cli;
    let backend = store::open(&common.store).map_err(|e| anyhow!("cannot open the store: {e}"))?;
    match command {
        Command::Serve { listen } => {
            let runtime = runtime(&common, backend.clone(), !listen.ip().is_loopback()).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            tokio::spawn(purge_loop(backend));
            crate::server::serve(runtime, listener).await
        }
        Command::User(UserCommand::Add {
            email,
            username,
            password_stdin: _,
            roles,
        }) => {
            let password = read_password()?;
            let runtime = runtime(&common, backend, true).await?;
            let mut store = runtime.new_store();
            let service = runtime.pre().instantiate_async(&mut store).await?;
            let new = accounts::NewUser {
                email,
                password,
                username,
                roles,
            };
            let user = service
                .sesame_auth_accounts()
                .call_create_user(&mut store, &new)
                .await?
                .map_err(auth_error)?;
            println!("created user {} <{}>", user.id, user.email);
            Ok(())
        }
        Command::User(UserCommand::List { json }) => {
            let runtime = runtime(&common, backend, true).await?;
            let mut store = runtime.new_store();
            let service = runtime.pre().instantiate_async(&mut store).await?;
            let mut after = None;
            if !json {
                println!(
                    "{:<32}  {:<32}  {:<16}  {:<6}  roles",
                    "id", "email", "username", "active"
                );
            }
            loop {
                let page = service
                    .sesame_auth_accounts()
                    .call_list_users(&mut store, after.as_deref(), 200)
                    .await?
                    .map_err(auth_error)?;
                for user in &page {
                    print_user(user, json);
                }
                match page.last() {
                    Some(last) => after = Some(last.id.clone()),
                    None => break,
                }
            }
            Ok(())
        }
    }
}

/// Prepares the component with its secrets and settings.
async fn runtime(
    common: &Common,
    backend: Arc<dyn StoreBackend>,
    cookie_secure: bool,
) -> Result<Runtime> {
    let secret = master_secret(&*backend).await?;
    let mut guest_env = vec![
        ("SESAME_SECRET".to_owned(), URL_SAFE_NO_PAD.encode(secret)),
        ("SESAME_COOKIE_SECURE".to_owned(), cookie_secure.to_string()),
    ];
    for name in PASSED_THROUGH {
        if let Ok(value) = std::env::var(name) {
            guest_env.push((name.to_owned(), value));
        }
    }
    let component = match &common.component {
        Some(path) => path.clone(),
        None => default_component()?,
    };
    let cache_dir = if common.no_cache {
        None
    } else {
        common.cache_dir.clone().or_else(default_cache_dir)
    };
    Runtime::new(&component, cache_dir.as_deref(), backend, guest_env)
}

/// The master secret, created at first start and kept in the store's host-only area, so every
/// node on a shared store uses the same one.
async fn master_secret(backend: &dyn StoreBackend) -> Result<Vec<u8>> {
    let mut fresh = vec![0u8; 32];
    getrandom::fill(&mut fresh).map_err(|e| anyhow!("no secure random source: {e}"))?;
    backend
        .host_secret("secret:master", fresh)
        .await
        .map_err(|e| anyhow!("cannot read or create the master secret: {e}"))
}

fn default_component() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate this executable")?;
    let exe_dir = exe.parent().unwrap_or(Path::new("."));
    let candidates = [
        exe_dir.join("sesame.wasm"),
        exe_dir.join("../wasm32-wasip2/release/sesame_guest.wasm"),
        PathBuf::from("target/wasm32-wasip2/release/sesame_guest.wasm"),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            anyhow!(
                "no component found (looked at {}); build it with `cargo build --release --target wasm32-wasip2 -p sesame-guest` or pass --component",
                candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            )
        })
}

fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|base| base.join("sesame"))
}

fn read_password() -> Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

fn auth_error(e: types::AuthError) -> anyhow::Error {
    anyhow!("{} ({:?})", e.message, e.code)
}

fn print_user(user: &types::User, json: bool) {
    if json {
        let line = serde_json::json!({
            "id": user.id,
            "email": user.email,
            "username": user.username,
            "roles": user.roles,
            "active": user.active,
            "created_at_ms": user.created_at_ms,
        });
        println!("{line}");
    } else {
        println!(
            "{:<32}  {:<32}  {:<16}  {:<6}  {}",
            user.id,
            user.email,
            user.username.as_deref().unwrap_or("-"),
            user.active,
            user.roles.join(",")
        );
    }
}

async fn purge_loop(backend: Arc<dyn StoreBackend>) {
    let mut interval = tokio::time::interval(PURGE_INTERVAL);
    loop {
        interval.tick().await;
        match backend.purge_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, "expired entries removed"),
            Err(e) => tracing::warn!(error = %e, "purging expired entries failed"),
        }
    }
}
