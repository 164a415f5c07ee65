//! `sesame`: the Sesame authentication server and its admin CLI.
//!
//! The server runs the Sesame WebAssembly component on wasmtime; every rule of authentication
//! lives in that component. This binary supplies what the component may not have itself: a
//! listening socket, durable storage, secrets and configuration. The admin commands call the
//! component's typed exports too, so a user created from the CLI passes the same validation as
//! one created over HTTP.

mod access_rules;
mod bindings;
mod breach;
mod cli;
mod connections;
mod ctx;
mod engine;
mod events;
mod hashing;
mod imports;
mod instances;
mod mail_queue;
mod metrics;
mod outbox;
mod queue;
mod sandbox;
mod server;
mod smtp;
mod store;
mod templates;
#[cfg(test)]
mod tests;
mod webhooks;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse_args();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format() {
        cli::LogFormat::Text => logs.init(),
        // Fields at the top level of each object, so collectors index `request_id`,
        // `route`, `status` and `user_id` without unnesting.
        cli::LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sesame: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sesame: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
