//! `spin-test-host`: runs Sesame's Spin component the way `spin up` does, for the tests.
//!
//! The Spin CLI is not installable where Sesame is built and tested, so this host stands in for
//! it: it reads `spin.toml` (trigger, source, SQLite databases, variables), provides the Spin
//! interfaces the component imports (`fermyon:spin/sqlite@2.0.0` on rusqlite, `wasi:config/store` from
//! the resolved variables) besides WASI and wasi:http from wasmtime, and serves the component
//! over HTTP, one fresh instance per request, with the client's address in `spin-client-addr`.
//! It prints `spin-test-host listening on http://ADDR` once it accepts connections.
//!
//! It is a test tool, not a Spin runtime: no other triggers, routes or interfaces, no runtime
//! configuration file; outbound HTTP only to what the manifest's `allowed_outbound_hosts`
//! lists, and only plain HTTP (`outbound.rs`).

mod bindings;
mod config_impl;
mod ctx;
mod manifest;
mod outbound;
mod runtime;
mod server;
mod sqlite_impl;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::ctx::{Database, SpinResources};

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Serves Sesame's Spin component on wasmtime, as `spin up` would.")]
struct Args {
    /// The Spin manifest.
    #[arg(long, default_value = "spin.toml")]
    manifest: PathBuf,
    /// The component to run instead of the manifest's `source` (a build in another target
    /// directory).
    #[arg(long)]
    component: Option<PathBuf>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: std::net::SocketAddr,
    /// An application variable, `NAME=VALUE` (repeatable), as `spin up --variable`.
    #[arg(long = "variable", value_parser = name_value)]
    variables: Vec<(String, String)>,
    /// The file behind a SQLite database, `NAME=PATH` (repeatable); a database the manifest
    /// grants without a file here is kept in memory.
    #[arg(long = "sqlite", value_parser = name_value)]
    sqlite: Vec<(String, String)>,
    /// Where compiled components are cached.
    #[arg(long)]
    cache_dir: Option<PathBuf>,
}

fn name_value(arg: &str) -> Result<(String, String), String> {
    arg.split_once('=')
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{arg}` is not NAME=VALUE"))
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spin-test-host: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    let app = manifest::load(&args.manifest, &args.variables)?;
    let files: BTreeMap<String, String> = args.sqlite.into_iter().collect();
    if let Some(name) = files.keys().find(|n| !app.sqlite_databases.contains(n)) {
        bail!("--sqlite {name}=...: the component is not granted that database");
    }
    let mut databases = BTreeMap::new();
    for name in &app.sqlite_databases {
        let database = match files.get(name) {
            Some(path) => {
                // Opened once here only to fail at start on a path that cannot be a database.
                rusqlite::Connection::open(path)
                    .with_context(|| format!("cannot open the SQLite database {path}"))?;
                Database::File(path.into())
            }
            None => Database::Memory(Arc::new(
                Mutex::new(rusqlite::Connection::open_in_memory()?),
            )),
        };
        databases.insert(name.clone(), database);
    }
    let resources = Arc::new(SpinResources {
        databases,
        variables: app.variables,
        allowed_outbound_hosts: Arc::new(outbound::AllowedHosts::parse(
            &app.allowed_outbound_hosts,
        )?),
    });
    let component = args.component.unwrap_or(app.source);
    let runtime = runtime::Runtime::new(&component, args.cache_dir.as_deref(), resources)?;

    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    tokio.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        server::serve(runtime, listener).await
    })
}
