//! `spin-test-host`: runs Sesame's Spin component the way `spin up` does, for the tests.
//!
//! The Spin CLI is not installable where Sesame is built and tested, so this host stands in for
//! it: it reads `spin.toml` (triggers and routes, sources, SQLite databases, variables, allowed
//! outbound hosts), provides the Spin interfaces the components import
//! (`fermyon:spin/sqlite@2.0.0` on rusqlite, `spin:postgres/postgres@3.0.0` on tokio-postgres
//! for the hosts `allowed_outbound_hosts` lists, `wasi:config/store` from the resolved
//! variables) besides WASI and wasi:http from wasmtime, and serves the app over HTTP, one fresh instance
//! per request, with Spin's `spin-*` headers (the client's address in `spin-client-addr`).
//! Components reach each other by local service chaining (`http://<id>.spin.internal`) when
//! the manifest allows it. It prints `spin-test-host listening on http://ADDR` once it accepts
//! connections.
//!
//! It is a test tool, not a Spin runtime: no other triggers or interfaces, no route
//! parameters, no runtime configuration file, no outbound network.

mod allowed_hosts;
mod bindings;
mod chaining;
mod config_impl;
mod ctx;
mod manifest;
mod outbound;
mod postgres_impl;
mod routes;
mod runtime;
mod server;
mod sqlite_impl;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::allowed_hosts::AllowedHosts;
use crate::ctx::{Database, SpinResources};

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Serves Sesame's Spin component on wasmtime, as `spin up` would.")]
struct Args {
    /// The Spin manifest.
    #[arg(long, default_value = "spin.toml")]
    manifest: PathBuf,
    /// The component to run instead of the `source` of the one on route `/...` (a build in
    /// another target directory).
    #[arg(long)]
    component: Option<PathBuf>,
    /// The file to run instead of the `source` of component ID, `ID=PATH` (repeatable).
    #[arg(long = "source", value_parser = name_value)]
    sources: Vec<(String, String)>,
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
    let granted: Vec<&String> = app
        .components
        .iter()
        .flat_map(|c| &c.sqlite_databases)
        .collect();
    if let Some(name) = files.keys().find(|n| !granted.contains(n)) {
        bail!("--sqlite {name}=...: no component is granted that database");
    }
    let mut databases = BTreeMap::new();
    for name in granted {
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
    let sandbox = sesame_sandbox::Sandbox::new(sesame_sandbox::Limits::default())?;
    let mut sources: BTreeMap<String, String> = args.sources.into_iter().collect();
    let mut parts = Vec::new();
    let mut routes = Vec::new();
    for (index, component) in app.components.into_iter().enumerate() {
        let catch_all = component.routes.iter().any(|r| r == "/...");
        let source = match (sources.remove(&component.id), &args.component) {
            (Some(path), _) => PathBuf::from(path),
            (None, Some(path)) if catch_all => path.clone(),
            (None, _) => component.source,
        };
        let allowed = Arc::new(
            AllowedHosts::parse(&component.allowed_outbound_hosts)
                .with_context(|| format!("component `{}`", component.id))?,
        );
        let resources = Arc::new(SpinResources {
            databases: databases
                .iter()
                .filter(|(name, _)| component.sqlite_databases.contains(name))
                .map(|(name, db)| (name.clone(), db.clone()))
                .collect(),
            variables: component.variables,
            allowed_outbound_hosts: allowed.clone(),
            postgres: postgres_impl::PostgresPools::default(),
        });
        // The package that builds the repository's own Spin component, else the manifest.
        let built_by = if component.id == "sesame" {
            "sesame-spin"
        } else {
            "the component's build command"
        };
        let runtime = runtime::Runtime::new(
            &sandbox,
            &source,
            built_by,
            args.cache_dir.as_deref(),
            resources,
        )
        .with_context(|| format!("component `{}`", component.id))?;
        routes.extend(component.routes.into_iter().map(|r| (index, r)));
        parts.push(chaining::Part {
            id: component.id,
            runtime,
            allowed_outbound_hosts: allowed,
        });
    }
    if let Some(id) = sources.keys().next() {
        bail!("--source {id}=...: the manifest has no component `{id}`");
    }
    let routes = routes::Routes::new(routes.iter().map(|(i, r)| (*i, r.as_str())))?;
    let app = chaining::Components::new(parts, routes);

    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    tokio.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        server::serve(app, listener).await
    })
}
