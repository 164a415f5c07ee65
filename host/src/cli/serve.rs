//! `sesame serve`: its options, and the life of a server from start to a graceful stop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use super::{Common, RuntimeSettings, parse_trusted_proxy, runtime};
use crate::store::{StoreBackend, duration_ms};

/// The options of `sesame serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on. Cookies are marked Secure unless this is a loopback address
    /// (put a TLS-terminating proxy in front of any other).
    #[arg(long, env = "SESAME_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,

    /// The address users reach Sesame at, for links in mail. Defaults to http://LISTEN
    /// (with the bound port when LISTEN's port is 0).
    #[arg(long, env = "SESAME_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,

    /// A reverse proxy (address or CIDR block, like 10.0.0.0/8) whose X-Forwarded-For /
    /// Forwarded headers name the client; repeatable. Only when the connection comes from
    /// one of these are the headers read (the right-most address that is not a trusted
    /// proxy is the client); from anyone else they are ignored. Without it, the client is
    /// the connection's peer, so behind a proxy every client would share one throttle.
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "SESAME_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_trusted_proxy
    )]
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,

    /// Access rules for /auth/check (a TOML file, see docs/proxy.md): checked at start, so
    /// a bad rule stops the server with its line and reason, and read again when the file
    /// changes (a bad change is logged and the rules in force stay).
    #[arg(long, value_name = "FILE", env = "SESAME_ACCESS_RULES_FILE")]
    pub(crate) access_rules: Option<PathBuf>,

    /// A directory of page templates (`login.html`, ...; `sesame templates` lists the names)
    /// replacing Sesame's own: read once at start and checked, so a template that does not
    /// parse stops the server with its reason (README, Pages).
    #[arg(long, value_name = "DIR", env = "SESAME_TEMPLATES_DIR")]
    pub(crate) templates: Option<PathBuf>,

    /// Serve Prometheus/OpenMetrics figures at http://ADDR:PORT/metrics (docs/operations.md),
    /// on a listener of their own; off unless given. Keep it on a private address.
    #[arg(long, value_name = "ADDR:PORT", env = "SESAME_METRICS_LISTEN")]
    pub(crate) metrics_listen: Option<SocketAddr>,

    /// Milliseconds a stopping server (SIGTERM, SIGINT) waits for requests in flight to
    /// finish after it stops accepting; past it they are cut off.
    #[arg(long, env = "SESAME_SHUTDOWN_TIMEOUT_MS", default_value_t = duration_ms(DEFAULT_DRAIN), value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) shutdown_timeout_ms: u64,

    #[command(flatten)]
    pub(crate) connections: ConnectionOptions,

    #[command(flatten)]
    pub(crate) webhooks: WebhookOptions,
}

/// How webhooks are delivered (see `crate::webhooks`).
#[derive(Debug, Args)]
pub(crate) struct WebhookOptions {
    /// A PEM file of CA certificates trusted for https:// webhook receivers beside the
    /// system's (a private CA); read at start, so an unusable file stops the server.
    #[arg(long, value_name = "FILE", env = "SESAME_WEBHOOK_CA_FILE")]
    webhook_ca_file: Option<PathBuf>,

    /// Milliseconds before the first retry of a webhook delivery that failed; each further
    /// retry waits twice as long (at most 30 minutes).
    #[arg(long, env = "SESAME_WEBHOOK_RETRY_BASE_MS", default_value_t = duration_ms(crate::webhooks::DEFAULT_RETRY_BASE), value_parser = clap::value_parser!(u64).range(1..))]
    webhook_retry_base_ms: u64,

    /// Attempts before a webhook delivery is given up: kept under hooks/dead/ in the store
    /// for 30 days and logged.
    #[arg(long, env = "SESAME_WEBHOOK_MAX_ATTEMPTS", default_value_t = crate::webhooks::DEFAULT_MAX_ATTEMPTS, value_parser = clap::value_parser!(u32).range(1..=1000))]
    webhook_max_attempts: u32,
}

impl WebhookOptions {
    /// The delivery options, with `--webhook` and `--webhook-secret` from `common`: one
    /// without the other is refused, so no unsigned (or unsent) deliveries go unnoticed.
    fn options(&self, common: &Common) -> Result<crate::webhooks::Options> {
        let flag = match (&common.webhook, &common.webhook_secret) {
            (Some(url), Some(secret)) => {
                let secret = secret
                    .read()
                    .map_err(|why| anyhow!("--webhook-secret (SESAME_WEBHOOK_SECRET): {why}"))?;
                Some((url.clone(), secret))
            }
            (Some(_), None) => bail!(
                "--webhook needs --webhook-secret (SESAME_WEBHOOK_SECRET): deliveries are \
                 signed. `sesame webhook new-secret` makes one for the receiver, or register \
                 the URL with `sesame webhook add URL`"
            ),
            (None, Some(_)) => bail!("--webhook-secret is given without --webhook"),
            (None, None) => None,
        };
        Ok(crate::webhooks::Options {
            flag,
            ca_file: self.webhook_ca_file.clone(),
            policy: crate::queue::RetryPolicy {
                base: Duration::from_millis(self.webhook_retry_base_ms),
                max_attempts: self.webhook_max_attempts,
            },
        })
    }
}

/// The default wait for requests in flight at a stop: longer than any request may take (the
/// component's deadline), short enough for an orchestrator's grace period (30 s by default).
const DEFAULT_DRAIN: Duration = Duration::from_secs(10);

/// How long a stopping server waits for handed-over mail and webhook deliveries to reach the
/// store, and for the webhook delivery under way to end.
const MAIL_FLUSH_LIMIT: Duration = Duration::from_secs(10);

/// How often expired entries are purged from the store.
const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Bounds on client connections (see `connections`).
#[derive(Debug, Args)]
pub(crate) struct ConnectionOptions {
    /// Milliseconds from a request's first byte until its head and body have arrived whole;
    /// past it the connection is closed.
    #[arg(long, env = "SESAME_REQUEST_READ_TIMEOUT_MS", default_value_t = duration_ms(crate::connections::DEFAULT_REQUEST_READ_TIMEOUT), value_parser = clap::value_parser!(u64).range(1..))]
    request_read_timeout_ms: u64,

    /// Milliseconds a connection may wait for its next request (or its first) before it is
    /// closed.
    #[arg(long, env = "SESAME_IDLE_TIMEOUT_MS", default_value_t = duration_ms(crate::connections::DEFAULT_IDLE_TIMEOUT), value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_ms: u64,

    /// Open client connections at once; more are answered 503 and closed. Lowered at start to
    /// what the open-file limit allows (the soft limit is first raised to the hard one).
    #[arg(long, env = "SESAME_MAX_CONNECTIONS", default_value_t = crate::connections::DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,

    /// Open connections at once from one client address (IPv6: one /64); more are answered
    /// 503 and closed. Behind a reverse proxy every connection comes from the proxy: raise it
    /// to --max-connections there.
    #[arg(long, env = "SESAME_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = crate::connections::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections_per_address: u32,
}

impl ConnectionOptions {
    /// The limits these options ask for, before fitting them to the open-file limit.
    fn limits(&self, trusted_proxies: &[ipnet::IpNet]) -> crate::connections::ConnectionLimits {
        crate::connections::ConnectionLimits {
            request_read_timeout: Duration::from_millis(self.request_read_timeout_ms),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms),
            max_connections: self.max_connections,
            max_per_address: self.max_connections_per_address,
            trusted_proxies: trusted_proxies.to_vec(),
        }
    }
}

/// Serves until SIGTERM or SIGINT, then stops gracefully: no new connections, requests in
/// flight finished (up to `--shutdown-timeout-ms`), handed-over mail and webhook deliveries
/// stored, exit 0.
pub(crate) async fn run(
    common: &Common,
    backend: Arc<dyn StoreBackend>,
    args: ServeArgs,
) -> Result<()> {
    let rules_text = match &args.access_rules {
        Some(path) => {
            if std::env::var_os(crate::access_rules::VARIABLE).is_some() {
                bail!(
                    "give the access rules either in {} or with --access-rules, not both",
                    crate::access_rules::VARIABLE
                );
            }
            Some(crate::access_rules::read(path)?)
        }
        None => None,
    };
    let templates = match &args.templates {
        Some(dir) => {
            if std::env::var_os(crate::templates::VARIABLE).is_some() {
                bail!(
                    "give page templates either in {} or with --templates, not both",
                    crate::templates::VARIABLE
                );
            }
            Some(crate::templates::read(dir)?)
        }
        None => None,
    };
    let webhooks = args.webhooks.options(common)?;
    let open_files = crate::connections::raise_open_files_limit();
    let limits = args
        .connections
        .limits(&args.trusted_proxies)
        .fitted_to(open_files);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let metrics = match args.metrics_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for metrics on {addr}"))?,
        ),
        None => None,
    };
    let bound = listener.local_addr()?;
    let public_url = args.public_url.unwrap_or_else(|| format!("http://{bound}"));
    let secure = !args.listen.ip().is_loopback();
    let mut runtime_settings = RuntimeSettings::new(secure, &public_url, &args.trusted_proxies);
    runtime_settings.access_rules = rules_text.clone();
    runtime_settings.templates = templates;
    runtime_settings.warn_stored_secret = true;
    let runtime = runtime(common, backend.clone(), &runtime_settings).await?;
    runtime.events().start(backend.clone(), webhooks).await?;
    if let (Some(path), Some(text)) = (args.access_rules, rules_text) {
        crate::access_rules::watch(runtime.clone(), path, text);
    }
    // The bound addresses on stdout, the listener's first, so scripts and tests that pass
    // port 0 learn the real ports.
    println!("sesame listening on http://{bound}");
    if let Some(metrics) = metrics {
        if let Ok(addr) = metrics.local_addr() {
            println!("sesame metrics on http://{addr}/metrics");
        }
        tokio::spawn(crate::metrics::serve(metrics));
    }
    let mailer = runtime.mailer().clone();
    let events = runtime.events().clone();
    mailer.start_queue(backend.clone());
    tokio::spawn(purge_loop(backend.clone()));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop_requested().await;
        let _ = stop.send(true);
    });
    let drain = Duration::from_millis(args.shutdown_timeout_ms);
    crate::server::serve(runtime, listener, limits, stopping, drain).await?;
    // Mail handed over by answered requests is stored before the process ends, so a restart
    // loses none.
    if !mailer.flush(MAIL_FLUSH_LIMIT).await {
        tracing::error!("stopping with mail not yet stored in the queue");
    }
    if !events.flush(MAIL_FLUSH_LIMIT).await {
        tracing::error!("stopping with webhook deliveries not yet stored in the queue");
    }
    // The delivery under way ends and is settled, so the next start finds nothing claimed.
    if !events.stop(MAIL_FLUSH_LIMIT).await {
        tracing::error!("stopping with a webhook delivery still under way");
    }
    if let Err(e) = backend.settle().await {
        tracing::warn!(error = %e, "the store could not be settled at stop");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves at SIGINT or SIGTERM (or never, if neither can be watched).
async fn stop_requested() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!("cannot watch for SIGINT and SIGTERM; stop with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

/// Removes expired entries now and then, in the store's own bounded batches.
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
