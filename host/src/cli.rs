//! Command-line interface: `sesame serve` and the admin commands.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Args, Parser, Subcommand};

use crate::bindings::{Service, accounts, roles, types};
use crate::engine::Runtime;
use crate::store::{self, StoreBackend, StoreUrl, duration_ms};

mod backup;
mod clients;
mod mail;
mod serve;
mod tokens;
mod users;
mod webhooks;

/// Sesame: authentication as a WebAssembly component.
#[derive(Debug, Parser)]
#[command(name = "sesame", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

impl Cli {
    /// The log format asked for.
    pub(crate) fn log_format(&self) -> LogFormat {
        self.common.log_format
    }
}

/// Options every command shares.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// Where data lives: an SQLite file path (or sqlite:PATH), created on first use; or
    /// postgres://user:password@host:port/db[?schema=NAME] or redis://host:port/[db][?prefix=NAME]
    /// for several nodes sharing one user base.
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

    /// A file holding the master secret (base64url, at least 32 bytes), like SESAME_SECRET.
    /// Given either way, the secret is never written to the store; without it, one is created
    /// and kept in the store.
    #[arg(long, global = true, env = "SESAME_SECRET_FILE", value_name = "FILE")]
    secret_file: Option<PathBuf>,

    /// How log lines are written to standard error: `text` for people, `json` (one object per
    /// line) for log collectors.
    #[arg(long, global = true, env = "SESAME_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,

    /// SMTP relay for Sesame's mail: smtps://[user:password@]host[:465] (implicit TLS) or
    /// smtp://[user:password@]host[:587] (STARTTLS required: nothing is sent in clear text when
    /// the relay does not offer it); smtp://127.0.0.1:25?tls=off for a clear-text relay on
    /// a loopback address. Without it, mail is written to the log in full. Give it in the
    /// environment: on the command line its password shows in `ps`.
    // A string here, parsed after clap: clap's error would echo the URL, password and all.
    #[arg(long, global = true, env = "SESAME_SMTP", hide_env_values = true)]
    smtp: Option<String>,

    /// A PEM CA certificate that the SMTP relay's certificate must chain to, instead of the
    /// system's roots (a relay with a private CA).
    #[arg(long, global = true, env = "SESAME_SMTP_CA_FILE", value_name = "FILE")]
    smtp_ca_file: Option<PathBuf>,

    /// Milliseconds before the first retry of mail the relay did not take; each further retry
    /// waits twice as long (at most 30 minutes).
    #[arg(long, global = true, env = "SESAME_MAIL_RETRY_BASE_MS", default_value_t = duration_ms(crate::mail_queue::DEFAULT_RETRY_BASE), value_parser = clap::value_parser!(u64).range(1..))]
    mail_retry_base_ms: u64,

    /// Delivery attempts before a message is given up, kept as a dead letter in the store
    /// (under mailq/dead/, 30 days) and logged in full.
    #[arg(long, global = true, env = "SESAME_MAIL_MAX_ATTEMPTS", default_value_t = crate::mail_queue::DEFAULT_MAX_ATTEMPTS, value_parser = clap::value_parser!(u32).range(1..=1000))]
    mail_max_attempts: u32,

    /// Sender address of Sesame's mail.
    #[arg(
        long,
        global = true,
        env = "SESAME_MAIL_FROM",
        default_value = "Sesame <sesame@localhost>"
    )]
    mail_from: String,

    /// Also write every outgoing mail as a file into this directory.
    #[arg(long, global = true, env = "SESAME_MAIL_OUTBOX")]
    mail_outbox: Option<PathBuf>,

    /// `serve`: also deliver every account event, signed (Standard Webhooks), to this http://
    /// or https:// URL, beside the endpoints of `sesame webhook add` (events are always
    /// logged). Needs --webhook-secret.
    #[arg(long, global = true, env = "SESAME_WEBHOOK")]
    webhook: Option<crate::webhooks::WebhookUrl>,

    /// The whsec_... secret signing deliveries to --webhook (`sesame webhook new-secret` makes
    /// one); prefer the variable, which other local users cannot read in the process list.
    #[arg(
        long,
        global = true,
        env = "SESAME_WEBHOOK_SECRET",
        hide_env_values = true,
        value_name = "WHSEC"
    )]
    webhook_secret: Option<crate::webhooks::signing::GivenSecret>,

    /// Milliseconds one request may spend running inside the component (time waiting for a core
    /// behind other requests is not counted) before it is stopped and answered with 500.
    #[arg(long, global = true, env = "SESAME_REQUEST_DEADLINE_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    request_deadline_ms: u64,

    /// Component instances (requests in flight) alive at once; the instance pool is sized for
    /// this many.
    #[arg(long, global = true, env = "SESAME_MAX_INSTANCES", default_value_t = crate::sandbox::DEFAULT_MAX_INSTANCES, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_instances: u32,

    /// Requests one component instance serves, one after another, before it is dropped. 1
    /// gives every request a fresh instance (strictest isolation, slowest); an instance that
    /// fails is never reused.
    #[arg(long, global = true, env = "SESAME_REQUESTS_PER_INSTANCE", default_value_t = crate::sandbox::DEFAULT_REQUESTS_PER_INSTANCE, value_parser = clap::value_parser!(u32).range(1..))]
    requests_per_instance: u32,

    /// Instances kept idle between requests, ready for reuse (each holds its memory).
    #[arg(long, global = true, env = "SESAME_IDLE_INSTANCES", default_value_t = crate::sandbox::DEFAULT_IDLE_INSTANCES, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    idle_instances: u32,

    /// Base URL of a breached-password range service (https://api.pwnedpasswords.com, or a
    /// mirror; http:// only on loopback): new passwords whose SHA-1 it lists are refused with
    /// `breached-password`. The host sends it only the first 5 hex digits of the hash (GET
    /// URL/range/PREFIX, with Add-Padding). Also sets the component's SESAME_PWNED_URL.
    #[arg(long, global = true, env = "SESAME_PWNED_URL", value_name = "URL")]
    pwned_url: Option<String>,

    /// Milliseconds one breached-password lookup may take, connection and answer included;
    /// past it the lookup counts as failed (the password is let through and the failure
    /// logged, or refused under SESAME_PWNED_FAIL_CLOSED).
    #[arg(long, global = true, env = "SESAME_PWNED_TIMEOUT_MS", default_value_t = duration_ms(crate::breach::DEFAULT_TIMEOUT), value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pwned_timeout_ms: u64,

    /// Hash passwords inside the component instead of natively on the host: the same hashes,
    /// about half the speed. For hosts that must not run hashing outside the sandbox, and for
    /// comparing the two.
    #[arg(long, global = true, env = "SESAME_GUEST_HASHING")]
    guest_hashing: bool,

    /// Password hashes that may wait for a core while every core hashes; one more is answered
    /// at once with 503 `busy` and Retry-After. Defaults to 4 per core.
    #[arg(long, global = true, env = "SESAME_HASH_QUEUE", value_parser = clap::value_parser!(u32).range(0..=100_000))]
    hash_queue: Option<u32>,

    /// Milliseconds a password hash may wait for a core before its request is answered with
    /// 503 `busy` and Retry-After.
    #[arg(long, global = true, env = "SESAME_HASH_WAIT_MS", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    hash_wait_ms: u64,
}

impl Common {
    /// How undelivered mail is retried.
    fn retry_policy(&self) -> crate::queue::RetryPolicy {
        crate::queue::RetryPolicy {
            base: Duration::from_millis(self.mail_retry_base_ms),
            max_attempts: self.mail_max_attempts,
        }
    }

    /// The sandbox limits these options ask for.
    fn sandbox_limits(&self) -> crate::sandbox::SandboxLimits {
        crate::sandbox::SandboxLimits {
            request_deadline: Duration::from_millis(self.request_deadline_ms),
            max_instances: self.max_instances,
            requests_per_instance: self.requests_per_instance,
            idle_instances: self.idle_instances,
            native_hashing: !self.guest_hashing,
            hash_queue: crate::hashing::QueueLimits {
                waiting: self.hash_queue.and_then(|n| usize::try_from(n).ok()),
                max_wait: Duration::from_millis(self.hash_wait_ms),
            },
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve Sesame's HTTP routes.
    ///
    /// The component's settings (`SESAME_*` environment variables) are listed under
    /// `sesame serve --help`.
    Serve(serve::ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Read the event journal.
    #[command(subcommand)]
    Events(users::EventsCommand),
    /// The outgoing mail queue and the messages given up on (dead letters).
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Move a master secret that was generated into the store out of it.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Everything Sesame holds about one user, as JSON, without hashes or secrets (a data
    /// access request).
    Export {
        /// The user's id or email.
        #[arg(long)]
        user: String,
    },
    /// Copy an SQLite store to PATH while it serves: a consistent snapshot, checked with
    /// `PRAGMA integrity_check`. PostgreSQL and Redis have their own tools (docs/operations.md).
    Backup {
        /// Where to write the copy; must not exist yet.
        path: PathBuf,
        /// Also copy the master secret a store may hold (generated when no SESAME_SECRET or
        /// --secret-file is given); the backup is then as sensitive as the secret.
        #[arg(long)]
        include_secrets: bool,
    },
    /// Replace the SQLite store's contents with a backup made by `sesame backup`, after
    /// checking it. Stop every node using the store first.
    Restore {
        /// The backup file.
        path: PathBuf,
    },
    /// Manage roles and their permissions.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Manage the keys that sign access tokens and links.
    #[command(subcommand)]
    Keys(tokens::KeysCommand),
    /// Manage service-to-service API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(tokens::ApiKeyCommand),
    /// Manage the OAuth / OpenID Connect clients that sign their users in through Sesame.
    #[command(subcommand)]
    Client(clients::ClientCommand),
    /// Manage the endpoints that receive account events as signed webhooks.
    #[command(subcommand)]
    Webhook(webhooks::WebhookCommand),
    /// Copy every record and the host secrets from one store to another, empty, store (for
    /// example SQLite to PostgreSQL), then verify that both hold the same entries. Stop every
    /// node first: writes made during the copy are not carried over.
    Migrate {
        /// The store to copy from (same forms as --store); left unchanged.
        #[arg(long)]
        from: StoreUrl,
        /// The store to copy into; must hold no entries yet.
        #[arg(long)]
        to: StoreUrl,
    },
    /// List the component's settings (`SESAME_*` variables): name, default and meaning.
    Settings {
        /// Print JSON instead: the list the embedding wrappers check their options against.
        #[arg(long)]
        json: bool,
    },
    /// List the page templates a deployment may replace (`serve --templates DIR`), or write
    /// Sesame's own into a directory to start from.
    Templates {
        /// Write every template into DIR (created if missing; existing files are kept).
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
    },
}

/// `sesame secret`: for a store that holds the generated master secret.
#[derive(Debug, Subcommand)]
enum SecretCommand {
    /// Print the master secret kept in the store (base64url), to put into a secret manager as
    /// SESAME_SECRET or a --secret-file.
    Export,
    /// Delete the master secret from the store, once every node is given it as SESAME_SECRET
    /// or --secret-file; from then on a copy of the store no longer carries it.
    Forget {
        /// Confirm: without the secret given elsewhere, sealed TOTP secrets and signed links
        /// are lost.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
enum RoleCommand {
    /// Create or replace a role.
    Add {
        /// Role name: lower-case letters, digits, `_ : . -`.
        name: String,
        /// A permission the role grants; repeat for several.
        #[arg(long = "permission")]
        permissions: Vec<String>,
        /// What the role is for.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Delete a role.
    Remove {
        /// Role name.
        name: String,
    },
    /// List roles with their permissions.
    List,
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
    /// Import users from another system, one JSON object per line:
    /// {"email": ..., "password_hash": ..., "username": ..., "roles": [...], "active": true}.
    /// Their old hashes (bcrypt, passlib pbkdf2, argon2, Flask-Security) keep working and are
    /// replaced by argon2id at each user's first sign-in.
    Import {
        /// The JSON-lines file, or `-` for standard input.
        file: PathBuf,
        /// Flask-Security's SECURITY_PASSWORD_SALT, for hashes made by Flask-Security.
        #[arg(long, env = "SESAME_FLASK_SECURITY_SALT")]
        flask_security_salt: Option<String>,
    },
    /// Grant a role to a user.
    #[command(name = "grant-role", alias = "grant")]
    Grant {
        /// The user's email.
        #[arg(long)]
        email: String,
        /// The role to grant (must exist).
        #[arg(long)]
        role: String,
    },
    /// Take a role away from a user.
    #[command(name = "revoke-role")]
    RevokeRole {
        /// The user's email.
        #[arg(long)]
        email: String,
        /// The role to take away.
        #[arg(long)]
        role: String,
    },
    /// Disable an account: it cannot sign in, and every session and token login ends now.
    Disable {
        /// The user's email.
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The user's email.
        #[arg(long)]
        email: String,
    },
    /// List users.
    List {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one user (by id or email): account, lockout, permissions and factors.
    Show {
        /// The user's id or email.
        user: String,
    },
    /// Erase a user (by id or email): every record of the account goes; their events stay
    /// under an anonymous id.
    Delete {
        /// The user's id or email.
        user: String,
        /// Confirm: erasing cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// List a user's sessions and token logins.
    Sessions {
        /// The user's id or email.
        user: String,
    },
    /// End a user's sessions: one (`--session ID`) or every session and token login.
    Revoke {
        /// The user's id or email.
        user: String,
        /// The session to end (an id from `sesame user sessions`).
        #[arg(long)]
        session: Option<String>,
    },
}

/// Core's settings the host sets for the component itself (from its own options and store),
/// or keeps from it, rather than passing through from its environment.
const SET_BY_THE_HOST: [&str; 16] = [
    "SESAME_SECRET",
    // `--pwned-url`: the host makes the lookups; the component learns that there is a service.
    "SESAME_PWNED_URL",
    // A directory on the host: `serve --templates` reads it and passes `SESAME_TEMPLATES`.
    "SESAME_TEMPLATES_DIR",
    "SESAME_PUBLIC_URL",
    "SESAME_COOKIE_SECURE",
    "SESAME_TRUSTED_PROXIES",
    // Delivery over HTTP is the Spin component's: `serve` delivers mail over SMTP and events to
    // its own webhooks (reading `SESAME_MAIL_FROM` and `SESAME_WEBHOOK_SECRET` itself), so the
    // component is handed none of these, and no token or secret reaches it.
    "SESAME_MAIL_API_URL",
    "SESAME_MAIL_API_FORMAT",
    "SESAME_MAIL_API_TOKEN",
    "SESAME_MAIL_FROM",
    "SESAME_WEBHOOK_URL",
    "SESAME_WEBHOOK_SECRET",
    "SESAME_OUTBOUND_RETRY_BASE_MS",
    "SESAME_OUTBOUND_MAX_ATTEMPTS",
    "SESAME_OUTBOUND_MAX_PER_HOUR",
    "SESAME_OUTBOUND_EVENTS_PER_HOUR",
];

/// Names of host environment variables passed through to the component (every setting of
/// core's table the host does not set itself); the component sees no others.
fn passed_through() -> impl Iterator<Item = &'static str> {
    sesame_core::config::settings()
        .map(|setting| setting.name)
        .filter(|name| !SET_BY_THE_HOST.contains(name))
}

/// The component's settings for `sesame serve --help`, one entry each, from core's table.
fn component_settings_help() -> String {
    let mut text = String::from(
        "Settings for the component, read from these environment variables when set:\n",
    );
    for setting in sesame_core::config::settings() {
        if SET_BY_THE_HOST.contains(&setting.name) {
            continue;
        }
        text.push_str("  ");
        text.push_str(setting.name);
        if !setting.default.is_empty() {
            text.push_str(" [default: ");
            text.push_str(setting.default);
            text.push(']');
        }
        text.push_str("\n      ");
        text.push_str(setting.doc);
        text.push('\n');
    }
    text
}

/// Core's settings as `sesame settings` prints them: one block each, or a JSON array of
/// `{name, default, doc}`, which `embed/python/sesame/settings.json` and
/// `embed/js/settings.json` hold (a test keeps them equal).
fn settings_listing(json: bool) -> Result<String> {
    if json {
        let list: Vec<serde_json::Value> = sesame_core::config::settings()
            .map(|s| serde_json::json!({"name": s.name, "default": s.default, "doc": s.doc}))
            .collect();
        return Ok(serde_json::to_string_pretty(&list)? + "\n");
    }
    let mut text = String::new();
    for s in sesame_core::config::settings() {
        let default = if s.default.is_empty() { "-" } else { s.default };
        text.push_str(&format!("{}\t{default}\t{}\n", s.name, s.doc));
    }
    Ok(text)
}

impl Cli {
    /// Parses the command line (exiting with clap's message on a bad one), with the
    /// component's settings listed under `sesame serve --help`.
    pub(crate) fn parse_args() -> Cli {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let command = Cli::command().mut_subcommand("serve", |serve| {
            serve.after_long_help(component_settings_help())
        });
        let matches = command.get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// Runs the command.
pub(crate) async fn run(cli: Cli) -> Result<()> {
    let Cli { common, command } = cli;
    if let Command::Migrate { from, to } = &command {
        return migrate(from, to).await;
    }
    if let Command::Backup {
        path,
        include_secrets,
    } = &command
    {
        return backup::backup(&common.store, path, *include_secrets);
    }
    if let Command::Restore { path } = &command {
        return backup::restore(&common.store, path);
    }
    if let Command::Secret(command) = &command {
        let backend = store::open(&common.store)
            .await
            .map_err(|e| anyhow!("cannot open the store {}: {e}", common.store))?;
        return secret_command(&common, &*backend, command).await;
    }
    if let Command::Webhook(command) = &command {
        return webhooks::run(&common, command).await;
    }
    if let Command::Settings { json } = command {
        print!("{}", settings_listing(json)?);
        return Ok(());
    }
    if let Command::Templates { export } = command {
        return crate::templates::list_or_export(export.as_deref());
    }
    let backend = store::open(&common.store)
        .await
        .map_err(|e| anyhow!("cannot open the store {}: {e}", common.store))?;
    match command {
        Command::Migrate { .. } | Command::Settings { .. } | Command::Templates { .. } => {
            dispatched_twice()
        }
        Command::Serve(args) => serve::run(&common, backend, args).await,
        Command::User(UserCommand::Add {
            email,
            username,
            password_stdin: _,
            roles,
        }) => {
            let password = read_password()?;
            let mut admin = Admin::connect(&common, backend).await?;
            let new = accounts::NewUser {
                email,
                password,
                username,
                roles,
            };
            let accounts = admin.service.sesame_auth_accounts();
            let user = accounts
                .call_create_user(&mut admin.store, &new)
                .await?
                .map_err(auth_error)?;
            println!("created user {} <{}>", user.id, user.email);
            Ok(())
        }
        Command::User(UserCommand::List { json }) => {
            let mut admin = Admin::connect(&common, backend).await?;
            let accounts = admin.service.sesame_auth_accounts();
            let mut after = None;
            if !json {
                println!(
                    "{:<32}  {:<32}  {:<16}  {:<6}  roles",
                    "id", "email", "username", "active"
                );
            }
            loop {
                let page = accounts
                    .call_list_users(&mut admin.store, after.as_deref(), 200)
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
        Command::User(UserCommand::Import {
            file,
            flask_security_salt,
        }) => {
            let input = if file.as_os_str() == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                text
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?
            };
            let mut admin = Admin::connect(&common, backend).await?;
            let accounts = admin.service.sesame_auth_accounts();
            let (mut imported, mut failed) = (0usize, 0usize);
            for (number, line) in input
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let user = match serde_json::from_str::<ImportLine>(line) {
                    Ok(line) => line.into_wit(),
                    Err(e) => {
                        eprintln!("line {}: not a user record: {e}", number + 1);
                        failed += 1;
                        continue;
                    }
                };
                match accounts
                    .call_import_user(&mut admin.store, &user, flask_security_salt.as_deref())
                    .await?
                {
                    Ok(_) => imported += 1,
                    Err(e) => {
                        eprintln!(
                            "line {} ({}): {} ({:?})",
                            number + 1,
                            user.email,
                            e.message,
                            e.code
                        );
                        failed += 1;
                    }
                }
            }
            println!("imported {imported} users, {failed} failed");
            if failed > 0 {
                bail!("{failed} lines were not imported");
            }
            Ok(())
        }
        Command::User(UserCommand::Grant { email, role }) => {
            let mut admin = Admin::connect(&common, backend).await?;
            let roles = admin.service.sesame_auth_roles();
            let result = roles.call_grant_role(&mut admin.store, &email, &role).await;
            print_roles(result?)
        }
        Command::User(UserCommand::RevokeRole { email, role }) => {
            let mut admin = Admin::connect(&common, backend).await?;
            let roles = admin.service.sesame_auth_roles();
            let result = roles
                .call_revoke_role(&mut admin.store, &email, &role)
                .await;
            print_roles(result?)
        }
        Command::Role(RoleCommand::Add {
            name,
            permissions,
            description,
        }) => {
            let mut admin = Admin::connect(&common, backend).await?;
            let roles = admin.service.sesame_auth_roles();
            let role = roles::Role {
                name,
                description,
                permissions,
            };
            let role = roles
                .call_put_role(&mut admin.store, &role)
                .await?
                .map_err(auth_error)?;
            println!("role {}: {}", role.name, role.permissions.join(", "));
            Ok(())
        }
        Command::Role(RoleCommand::Remove { name }) => {
            let mut admin = Admin::connect(&common, backend).await?;
            let roles = admin.service.sesame_auth_roles();
            let existed = roles
                .call_delete_role(&mut admin.store, &name)
                .await?
                .map_err(auth_error)?;
            if !existed {
                bail!("there is no role '{name}'");
            }
            println!("role {name} removed");
            Ok(())
        }
        Command::User(UserCommand::Show { user }) => {
            users::show(Admin::connect(&common, backend).await?, &user).await
        }
        Command::User(UserCommand::Delete { user, yes }) => {
            users::delete(Admin::connect(&common, backend).await?, &user, yes).await
        }
        Command::User(UserCommand::Sessions { user }) => {
            users::sessions(Admin::connect(&common, backend).await?, &user).await
        }
        Command::User(UserCommand::Revoke { user, session }) => {
            users::revoke(Admin::connect(&common, backend).await?, &user, session).await
        }
        Command::Events(command) => {
            users::events(Admin::connect(&common, backend).await?, command).await
        }
        Command::Mail(command) => mail::run(Admin::connect(&common, backend).await?, command).await,
        Command::Export { user } => {
            users::export(Admin::connect(&common, backend).await?, &user).await
        }
        Command::Backup { .. }
        | Command::Restore { .. }
        | Command::Secret(_)
        | Command::Webhook(_) => dispatched_twice(),
        Command::User(UserCommand::Disable { email }) => {
            tokens::set_active(Admin::connect(&common, backend).await?, &email, false).await
        }
        Command::User(UserCommand::Enable { email }) => {
            tokens::set_active(Admin::connect(&common, backend).await?, &email, true).await
        }
        Command::Keys(command) => {
            tokens::keys(Admin::connect(&common, backend).await?, command).await
        }
        Command::ApiKey(command) => {
            tokens::api_keys(Admin::connect(&common, backend).await?, command).await
        }
        Command::Client(command) => {
            clients::clients(Admin::connect(&common, backend).await?, command).await
        }
        Command::Role(RoleCommand::List) => {
            let mut admin = Admin::connect(&common, backend).await?;
            let roles = admin.service.sesame_auth_roles();
            for role in roles
                .call_list_roles(&mut admin.store)
                .await?
                .map_err(auth_error)?
            {
                println!("{:<24}  {}", role.name, role.permissions.join(","));
            }
            Ok(())
        }
    }
}

/// `sesame migrate`: copies `from` into `to` and prints what was copied and verified.
async fn migrate(from: &StoreUrl, to: &StoreUrl) -> Result<()> {
    if from == to {
        bail!("--from and --to name the same store");
    }
    let source = store::open(from)
        .await
        .map_err(|e| anyhow!("cannot open {from}: {e}"))?;
    let target = store::open(to)
        .await
        .map_err(|e| anyhow!("cannot open {to}: {e}"))?;
    let copied = store::copy_all(&*source, &*target)
        .await
        .with_context(|| format!("migrating {from} to {to}"))?;
    println!(
        "copied {} records and {} host secrets from {from} to {to}; verified: both hold {} records with identical values",
        copied.records, copied.host_secrets, copied.records
    );
    Ok(())
}

/// `run` answers `migrate` before opening `--store`, so this arm is never taken.
/// Prints the roles a user holds after a grant or a revocation (or the component's refusal).
fn print_roles(answer: std::result::Result<types::User, types::AuthError>) -> Result<()> {
    let user = answer.map_err(auth_error)?;
    println!("{} now has roles: {}", user.email, user.roles.join(", "));
    Ok(())
}

fn dispatched_twice() -> Result<()> {
    bail!("internal error: a command that needs no store reached the store; please report this")
}

/// One line of `sesame user import`. `hash` and `password` are accepted as other names of
/// `password_hash`.
#[derive(serde::Deserialize)]
struct ImportLine {
    email: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(alias = "hash", alias = "password")]
    password_hash: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    confirmed: bool,
}

fn yes() -> bool {
    true
}

impl ImportLine {
    fn into_wit(self) -> accounts::ImportedUser {
        accounts::ImportedUser {
            email: self.email,
            username: self.username,
            password_hash: self.password_hash,
            roles: self.roles,
            active: self.active,
            confirmed: self.confirmed,
        }
    }
}

/// One instance of the component for an admin command, reached through its typed exports.
pub(crate) struct Admin {
    store: wasmtime::Store<crate::ctx::HostState>,
    service: Service,
}

impl Admin {
    async fn connect(common: &Common, backend: Arc<dyn StoreBackend>) -> Result<Self> {
        // Admin commands send no links; the URL only has to be well-formed.
        let runtime = runtime(
            common,
            backend,
            &RuntimeSettings::new(true, "http://127.0.0.1:8080", &[]),
        )
        .await?;
        let (mut store, _) = runtime.new_store();
        let service = runtime.service()?.instantiate_async(&mut store).await?;
        Ok(Admin { store, service })
    }
}

/// The settings the host gives the component beside those passed through from its own
/// environment.
pub(crate) struct RuntimeSettings<'a> {
    cookie_secure: bool,
    public_url: &'a str,
    trusted_proxies: &'a [ipnet::IpNet],
    /// The access rules read from `--access-rules`.
    access_rules: Option<String>,
    /// The page templates read from `--templates`, as `SESAME_TEMPLATES`.
    templates: Option<String>,
    /// Whether to warn when the master secret is kept in the store (`serve` does; the admin
    /// commands, run often, do not repeat it).
    warn_stored_secret: bool,
}

impl<'a> RuntimeSettings<'a> {
    fn new(cookie_secure: bool, public_url: &'a str, trusted_proxies: &'a [ipnet::IpNet]) -> Self {
        RuntimeSettings {
            cookie_secure,
            public_url,
            trusted_proxies,
            access_rules: None,
            templates: None,
            warn_stored_secret: false,
        }
    }
}

/// Prepares the component with its secrets and settings; settings the component would refuse
/// stop the command here, naming the variable, instead of failing every request.
pub(crate) async fn runtime(
    common: &Common,
    backend: Arc<dyn StoreBackend>,
    settings: &RuntimeSettings<'_>,
) -> Result<Runtime> {
    let secret = master_secret(common, &*backend, settings.warn_stored_secret).await?;
    let mut guest_env = vec![
        ("SESAME_SECRET".to_owned(), URL_SAFE_NO_PAD.encode(secret)),
        (
            "SESAME_COOKIE_SECURE".to_owned(),
            settings.cookie_secure.to_string(),
        ),
        (
            "SESAME_PUBLIC_URL".to_owned(),
            settings.public_url.to_owned(),
        ),
    ];
    for name in passed_through() {
        if let Ok(value) = std::env::var(name) {
            guest_env.push((name.to_owned(), value));
        }
    }
    if let Some(url) = &common.pwned_url {
        guest_env.push(("SESAME_PWNED_URL".to_owned(), url.clone()));
    }
    if !settings.trusted_proxies.is_empty() {
        let list: Vec<String> = settings
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        guest_env.push(("SESAME_TRUSTED_PROXIES".to_owned(), list.join(",")));
    }
    if let Some(rules) = &settings.access_rules {
        guest_env.push((crate::access_rules::VARIABLE.to_owned(), rules.clone()));
    }
    if let Some(templates) = &settings.templates {
        guest_env.push((crate::templates::VARIABLE.to_owned(), templates.clone()));
    }
    sesame_core::Config::from_vars(guest_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| match e {
            sesame_core::Error::Config(why) => anyhow!("unusable settings: {why}"),
            other => anyhow!("unusable settings: {other}"),
        })?;
    let component = match &common.component {
        Some(path) => path.clone(),
        None => default_component()?,
    };
    let cache_dir = if common.no_cache {
        None
    } else {
        common.cache_dir.clone().or_else(default_cache_dir)
    };
    let smtp = common
        .smtp
        .as_deref()
        .map(str::parse::<crate::smtp::SmtpUrl>)
        .transpose()
        .map_err(|why| anyhow!("--smtp: {why}"))?;
    let mailer = crate::outbox::Mailer::new(
        smtp.as_ref(),
        common.smtp_ca_file.as_deref(),
        &common.mail_from,
        common.mail_outbox.clone(),
        common.retry_policy(),
    )?;
    let events = crate::events::EventSink::new();
    let breach = match &common.pwned_url {
        Some(url) => {
            crate::breach::BreachLookup::new(url, Duration::from_millis(common.pwned_timeout_ms))?
        }
        None => crate::breach::BreachLookup::none(),
    };
    Runtime::new(
        &component,
        cache_dir.as_deref(),
        backend,
        crate::engine::Outside {
            mailer: Arc::new(mailer),
            events: Arc::new(events),
            breach: Arc::new(breach),
        },
        guest_env,
        common.sandbox_limits(),
    )
}

/// One `--trusted-proxy`: a CIDR block, or a single address (as its /32 or /128), so a typo
/// stops the server at start instead of failing every request.
pub(crate) fn parse_trusted_proxy(item: &str) -> Result<ipnet::IpNet, String> {
    let item = item.trim();
    item.parse::<ipnet::IpNet>()
        .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("'{item}' is not an IP address or CIDR block (like 10.0.0.0/8)"))
}

/// The master secret: the operator's (`SESAME_SECRET` or `--secret-file`), kept out of the
/// store so a copy of the database or a backup does not carry the key to what is sealed and
/// signed in it; or, without one, a secret created at first start and kept in the store's
/// host-only area, so every node on a shared store uses the same one (convenient, but then the
/// store is the secret's only copy; the log says so at every start).
async fn master_secret(
    common: &Common,
    backend: &dyn StoreBackend,
    warn_stored: bool,
) -> Result<Vec<u8>> {
    let stored = backend
        .host_secrets()
        .await
        .map_err(|e| anyhow!("cannot read the store's host secrets: {e}"))?;
    if let Some(given) = operator_secret(common)? {
        if let Some((_, kept)) = stored.iter().find(|(name, _)| name == MASTER_SECRET)
            && kept.as_slice() != given.as_slice()
        {
            bail!(
                "the store holds a generated master secret that differs from the one given \
                 ({SECRET_ENV} / --secret-file): TOTP secrets and signed links made with it \
                 would stop working. Give that secret instead (sesame secret export prints \
                 it), or start without one"
            );
        }
        // The store remembers a fingerprint of the secret it is used with, so a wrong secret
        // is refused at start instead of failing every TOTP check and signed link later.
        let check = secret_check(&given);
        let kept_check = backend
            .host_secret(SECRET_CHECK, check.clone())
            .await
            .map_err(|e| anyhow!("cannot record the master secret's fingerprint: {e}"))?;
        if kept_check != check {
            bail!(
                "this store is used with another master secret than the one given \
                 ({SECRET_ENV} / --secret-file); give that one"
            );
        }
        return Ok(given);
    }
    if stored.iter().any(|(name, _)| name == SECRET_CHECK)
        && !stored.iter().any(|(name, _)| name == MASTER_SECRET)
    {
        bail!(
            "this store's master secret is kept outside it: give it as {SECRET_ENV} or \
             --secret-file"
        );
    }
    if warn_stored {
        tracing::warn!(
            "no {SECRET_ENV} or --secret-file: the master secret is kept in the store, so a copy \
             of the store is a copy of the secret (docs/operations.md)"
        );
    }
    let mut fresh = vec![0u8; 32];
    getrandom::fill(&mut fresh).map_err(|e| anyhow!("no secure random source: {e}"))?;
    backend
        .host_secret(MASTER_SECRET, fresh)
        .await
        .map_err(|e| anyhow!("cannot read or create the master secret: {e}"))
}

/// `sesame secret export|forget`.
async fn secret_command(
    common: &Common,
    backend: &dyn StoreBackend,
    command: &SecretCommand,
) -> Result<()> {
    let stored = backend
        .host_secrets()
        .await
        .map_err(|e| anyhow!("cannot read the store's host secrets: {e}"))?;
    let kept = stored
        .into_iter()
        .find(|(name, _)| name == MASTER_SECRET)
        .map(|(_, value)| value);
    match command {
        SecretCommand::Export => {
            let kept = kept.context("the store holds no master secret")?;
            println!("{}", URL_SAFE_NO_PAD.encode(kept));
        }
        SecretCommand::Forget { yes } => {
            let kept = kept.context("the store holds no master secret")?;
            // Only when the same secret is given elsewhere, or everything sealed with it is
            // lost with it.
            match operator_secret(common)? {
                Some(given) if given == kept => {}
                Some(_) => bail!("the secret given differs from the store's; nothing deleted"),
                None => bail!(
                    "give the same secret as {SECRET_ENV} or --secret-file (sesame secret export \
                     prints it) so this command can check it; nothing deleted"
                ),
            }
            if !yes {
                bail!("run again with --yes to delete the stored copy");
            }
            // The fingerprint first (replacing any other), so from now on a start without the
            // secret is refused rather than generating a new one.
            backend
                .forget_host_secret(SECRET_CHECK)
                .await
                .map_err(|e| anyhow!("cannot replace the master secret's fingerprint: {e}"))?;
            backend
                .host_secret(SECRET_CHECK, secret_check(&kept))
                .await
                .map_err(|e| anyhow!("cannot record the master secret's fingerprint: {e}"))?;
            backend
                .forget_host_secret(MASTER_SECRET)
                .await
                .map_err(|e| anyhow!("cannot delete the stored secret: {e}"))?;
            backend
                .settle()
                .await
                .map_err(|e| anyhow!("cannot checkpoint the store: {e}"))?;
            println!(
                "the store no longer holds the master secret (copies of it taken earlier, and \
                 backups made with --include-secrets, still do)"
            );
        }
    }
    Ok(())
}

/// The host-only row holding a fingerprint of the master secret the store is used with
/// (never the secret: SHA-256 over a label and the secret).
const SECRET_CHECK: &str = "check:master";

/// The fingerprint of `secret` kept under [`SECRET_CHECK`].
fn secret_check(secret: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    hash.update(b"sesame master-secret check v1\0");
    hash.update(secret);
    hash.finalize().to_vec()
}

/// The host secret's name in the store.
const MASTER_SECRET: &str = "secret:master";

/// The variable giving the master secret.
const SECRET_ENV: &str = "SESAME_SECRET";

/// The text of a secret file: at most 4 KiB read (a device or a huge file is refused, not
/// swallowed), with a warning when others may read it.
fn read_secret_file(path: &Path) -> Result<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the secret file {}", path.display()))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        bail!("the secret file {} is not a regular file", path.display());
    }
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(file = %path.display(), "the secret file is readable by others than its owner");
    }
    let mut text = String::new();
    file.take(4096)
        .read_to_string(&mut text)
        .with_context(|| format!("the secret file {} is not text", path.display()))?;
    Ok(text)
}

/// The secret the operator gave, from `--secret-file` or `SESAME_SECRET` (base64url or
/// standard base64, padding allowed, at least 32 bytes), if any.
fn operator_secret(common: &Common) -> Result<Option<Vec<u8>>> {
    let (text, source) = match (&common.secret_file, std::env::var(SECRET_ENV)) {
        (Some(_), Ok(_)) => {
            bail!("give the master secret in {SECRET_ENV} or --secret-file, not both")
        }
        (Some(path), Err(_)) => (read_secret_file(path)?, path.display().to_string()),
        (None, Ok(text)) => (text, SECRET_ENV.to_owned()),
        (None, Err(_)) => return Ok(None),
    };
    // Line-wrapped base64 (as `base64` prints it) is read whole.
    let text: String = text.split_whitespace().collect();
    let text = text.trim_end_matches('=');
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .map_err(|_| anyhow!("the master secret in {source} is not base64"))?;
    if bytes.len() < 32 {
        bail!(
            "the master secret in {source} has {} bytes; it needs at least 32",
            bytes.len()
        );
    }
    Ok(Some(bytes))
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

pub(crate) fn auth_error(e: types::AuthError) -> anyhow::Error {
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

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::{Cli, Command, SET_BY_THE_HOST, component_settings_help, passed_through};

    #[test]
    fn trusted_proxies_are_repeatable_and_checked_at_start() {
        let cli = Cli::try_parse_from([
            "sesame",
            "serve",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--trusted-proxy",
            "192.0.2.1,fd00::/8",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve");
        };
        let list: Vec<String> = args
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(list, ["10.0.0.0/8", "192.0.2.1/32", "fd00::/8"]);
        let bad = Cli::try_parse_from(["sesame", "serve", "--trusted-proxy", "nginx"]);
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("'nginx' is not an IP address")
        );
    }

    /// Every setting of core's table reaches the component, either passed through or set by
    /// the host; and every setting the host sets itself is one core reads.
    #[test]
    fn every_component_setting_reaches_the_component() {
        let passed: Vec<&str> = passed_through().collect();
        for setting in sesame_core::config::settings() {
            assert!(
                passed.contains(&setting.name) != SET_BY_THE_HOST.contains(&setting.name),
                "{} must be either passed through or set by the host",
                setting.name
            );
        }
        for name in SET_BY_THE_HOST {
            assert!(
                sesame_core::config::settings().any(|s| s.name == name),
                "{name} is not a setting of core"
            );
        }
    }

    /// The embedding wrappers check their options against `settings.json`, which must be what
    /// `sesame settings --json` prints from core's table (regenerate both files with it).
    #[test]
    fn the_embedding_wrappers_know_every_setting() {
        let listing = super::settings_listing(true).unwrap();
        for (wrapper, file) in [
            (
                "Python",
                include_str!("../../embed/python/sesame/settings.json"),
            ),
            ("Node", include_str!("../../embed/js/settings.json")),
        ] {
            assert_eq!(
                file, listing,
                "the {wrapper} wrapper's settings.json is stale: `sesame settings --json`"
            );
        }
    }

    /// `sesame serve --help` lists every passed-through setting with its default.
    #[test]
    fn serve_help_lists_the_component_settings() {
        let help = component_settings_help();
        for name in passed_through() {
            assert!(help.contains(name), "{name} missing from the help");
        }
        assert!(
            help.contains("SESAME_ARGON2_M_KIB [default: 19456]"),
            "{help}"
        );
        assert!(!help.contains("SESAME_SECRET"), "{help}");
    }
}
