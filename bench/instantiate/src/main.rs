//! `sesame-bench`: the two measurements that need no HTTP server.
//!
//! - Instantiation: how long a fresh instance of the Sesame component takes from its
//!   `InstancePre`, on an engine configured as `sesame serve` configures its own (pooling
//!   allocator, epoch interruption, async). This is the per-request overhead of isolation.
//! - The same core operations (password login, session check) run natively through
//!   `sesame-core` and inside the component through its typed exports, both over
//!   `sesame_core::MemStore`, so the difference is the cost of running in the sandbox.
//!
//! Usage: `sesame-bench --component PATH [--json]`. Timings only; `bench/run` calls this.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use sesame_core::{Config, Env, MemStore, Sesame, Store as _};
use wasmtime::component::{Component, HasData, Linker, ResourceTable};
use wasmtime::{
    Config as EngineConfig, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
    Store,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

#[allow(missing_docs, unreachable_pub, clippy::all, reason = "generated code")]
mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "sesame:auth/embed",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

use generated::EmbedPre;
use generated::exports::sesame::auth::accounts::NewUser;
use generated::sesame::auth::{outbox, store, types};

/// The benchmark's account.
const EMAIL: &str = "bench@example.com";
/// Its password.
const PASSWORD: &str = "correct horse battery staple";
/// A fixed 32-byte master secret (base64url), the same natively and in the guest.
const SECRET: &str = "c2VzYW1lLWJlbmNoLXNlY3JldC0zMi1ieXRlcy1sb25nISE";

/// Per-instance state: WASI (nothing granted) and the in-memory store the guest talks to.
struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    /// The typed exports never make HTTP requests; refuse any.
    hooks: NoOutgoingRequests,
    store: std::sync::Arc<MemStore>,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Refuses outgoing HTTP requests, as `sesame serve` does.
struct NoOutgoingRequests;

/// What an outgoing request would resolve to (the shape `WasiHttpHooks` fixes).
type OutgoingFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<wasmtime_wasi_http::WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl wasmtime_wasi_http::WasiHttpHooks for NoOutgoingRequests {
    fn send_request(
        &mut self,
        _request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> OutgoingFuture {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

/// Marker tying the `sesame:auth` imports to [`State`].
struct Bench;

impl HasData for Bench {
    type Data<'a> = &'a mut State;
}

impl store::Host for &mut State {
    async fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<store::Entry>, store::StoreError>> {
        Ok(self.store.get(&key).map(|e| e.map(entry)).map_err(error))
    }

    async fn put(
        &mut self,
        key: String,
        value: Vec<u8>,
        expect_version: Option<u64>,
        ttl_ms: Option<u64>,
    ) -> wasmtime::Result<Result<u64, store::StoreError>> {
        Ok(self
            .store
            .put(&key, &value, expect_version, ttl_ms)
            .map_err(error))
    }

    async fn delete(
        &mut self,
        key: String,
        expect_version: Option<u64>,
    ) -> wasmtime::Result<Result<bool, store::StoreError>> {
        Ok(self.store.delete(&key, expect_version).map_err(error))
    }

    async fn scan(
        &mut self,
        prefix: String,
        after: Option<String>,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<(String, store::Entry)>, store::StoreError>> {
        Ok(self
            .store
            .scan(&prefix, after.as_deref(), limit)
            .map(|list| list.into_iter().map(|(k, e)| (k, entry(e))).collect())
            .map_err(error))
    }
}

impl outbox::Host for &mut State {
    async fn send_mail(&mut self, _mail: outbox::Mail) -> wasmtime::Result<()> {
        Ok(())
    }

    async fn emit_event(&mut self, _event: outbox::Event) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl types::Host for &mut State {}

fn entry(e: sesame_core::store::Entry) -> store::Entry {
    store::Entry {
        value: e.value,
        version: e.version,
    }
}

fn error(e: sesame_core::store::StoreError) -> store::StoreError {
    match e {
        sesame_core::store::StoreError::Conflict => store::StoreError::Conflict,
        sesame_core::store::StoreError::Unavailable(why) => store::StoreError::Unavailable(why),
        sesame_core::store::StoreError::TooLarge => store::StoreError::TooLarge,
    }
}

/// The engine as `sesame serve` builds it (host/src/sandbox.rs): pooling, epochs, async.
fn engine() -> Result<Engine> {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(256)
        .max_core_instances_per_component(32)
        .max_memories_per_component(32)
        .max_tables_per_component(32)
        .total_core_instances(256 * 32)
        .total_memories(512)
        .total_tables(1024)
        .total_stacks(256)
        .max_memory_size(128 << 20)
        .linear_memory_keep_resident(1 << 20)
        .pagemap_scan(Enabled::Auto)
        .table_keep_resident(64 << 10)
        .async_stack_keep_resident(64 << 10);
    let mut config = EngineConfig::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Ok(Engine::new(&config)?)
}

/// Native time and wall-clock system time, as the guest sees them through WASI.
struct NativeEnv;

impl Env for NativeEnv {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    fn fill_random(&self, buf: &mut [u8]) -> sesame_core::Result<()> {
        getrandom::fill(buf).map_err(|_| sesame_core::Error::Random)
    }
}

/// Mail and events go nowhere: the benchmark measures the rules, not delivery.
impl sesame_core::Mailer for NativeEnv {
    fn send_mail(&self, _mail: &sesame_core::mail::Mail) {}
}

impl sesame_core::EventSink for NativeEnv {
    fn emit_event(&self, _event: &sesame_core::events::Event) {}
}

/// Core hashes in-process, as the guest does without the host's hashing import.
impl sesame_core::NativeHashing for NativeEnv {}

/// The settings both sides run with: benchmark argon2id costs, throttles out of the way.
fn settings() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SESAME_SECRET", SECRET),
        ("SESAME_COOKIE_SECURE", "false"),
        ("SESAME_ARGON2_M_KIB", "19456"),
        ("SESAME_ARGON2_T", "2"),
        ("SESAME_ARGON2_P", "1"),
        ("SESAME_THROTTLE_LOGIN_PER_IP", "100000000"),
        ("SESAME_THROTTLE_LOGIN_PER_ACCOUNT", "100000000"),
    ]
}

/// Mean time of `f` over `n` runs after one warm-up run.
fn mean<F: FnMut() -> Result<()>>(n: u32, mut f: F) -> Result<Duration> {
    f()?;
    let started = Instant::now();
    for _ in 0..n {
        f()?;
    }
    Ok(started.elapsed() / n)
}

/// Same, for async work.
async fn mean_async<F, Fut>(n: u32, mut f: F) -> Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    f().await?;
    let started = Instant::now();
    for _ in 0..n {
        f().await?;
    }
    Ok(started.elapsed() / n)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut component = None;
    let mut json = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--component" => component = args.next(),
            "--json" => json = true,
            other => return Err(anyhow!("unknown argument {other}")),
        }
    }
    let component = component.context("--component PATH is required")?;

    // Native: core over MemStore.
    let config = Config::from_vars(settings()).map_err(|e| anyhow!("{e}"))?;
    let native_store = MemStore::new();
    let env = NativeEnv;
    let sesame = Sesame::new(&native_store, &env, &config).map_err(|e| anyhow!("{e}"))?;
    sesame
        .create_user(&sesame_core::accounts::NewUser {
            email: EMAIL.into(),
            password: PASSWORD.into(),
            username: None,
            roles: vec![],
        })
        .map_err(|e| anyhow!("{e}"))?;
    let client = sesame_core::sessions::ClientInfo {
        address: Some("127.0.0.1".into()),
        user_agent: None,
    };
    let native_login = mean(20, || {
        sesame
            .login(EMAIL, PASSWORD, &client)
            .map(drop)
            .map_err(|e| anyhow!("{e}"))
    })?;
    let token = sesame
        .login(EMAIL, PASSWORD, &client)
        .map_err(|e| anyhow!("{e}"))?
        .token;
    let native_validate = mean(20_000, || {
        sesame
            .validate_session(token.expose())
            .map(drop)
            .map_err(|e| anyhow!("{e}"))
    })?;

    // In the component: the typed exports over another MemStore.
    let engine = engine()?;
    let bytes = std::fs::read(&component).with_context(|| format!("cannot read {component}"))?;
    let compiled = Component::new(&engine, bytes)?;
    let mut linker = Linker::<State>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::bindings::http::types::add_to_linker::<_, wasmtime_wasi_http::WasiHttp>(
        &mut linker,
        &(&wasmtime_wasi_http::p2::bindings::LinkOptions::default()).into(),
        |s: &mut State| s.http(),
    )?;
    store::add_to_linker::<_, Bench>(&mut linker, |s| s)?;
    outbox::add_to_linker::<_, Bench>(&mut linker, |s| s)?;
    types::add_to_linker::<_, Bench>(&mut linker, |s| s)?;
    // The service component imports native hashing; declining it (`none`) makes the guest hash
    // itself, which is what this comparison measures.
    linker
        .root()
        .instance("sesame:auth/hashing@0.1.0")?
        .func_wrap(
            "argon2id",
            |_cx, _args: (Vec<u8>, Vec<u8>, u32, u32, u32, u32)| {
                Ok((Ok::<Option<Vec<u8>>, String>(None),))
            },
        )?;
    let pre = EmbedPre::new(linker.instantiate_pre(&compiled)?)?;
    let guest_store = std::sync::Arc::new(MemStore::new());
    let new_store = || {
        let mut wasi = WasiCtx::builder();
        for (k, v) in settings() {
            wasi.env(k, v);
        }
        let mut store = Store::new(
            &engine,
            State {
                wasi: wasi.build(),
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
                hooks: NoOutgoingRequests,
                store: guest_store.clone(),
            },
        );
        store.set_epoch_deadline(u64::MAX / 2);
        store
    };

    let instantiate = mean_async(2_000, || {
        let pre = pre.clone();
        let mut store = new_store();
        async move {
            pre.instantiate_async(&mut store).await?;
            Ok(())
        }
    })
    .await?;

    let mut store = new_store();
    let guest = pre.instantiate_async(&mut store).await?;
    guest
        .sesame_auth_accounts()
        .call_create_user(
            &mut store,
            &NewUser {
                email: EMAIL.into(),
                password: PASSWORD.into(),
                username: None,
                roles: vec![],
            },
        )
        .await?
        .map_err(|e| anyhow!("{e:?}"))?;
    let wit_client = types::ClientInfo {
        address: Some("127.0.0.1".into()),
        user_agent: None,
    };
    let sessions = guest.sesame_auth_sessions();
    let guest_login = {
        sessions
            .call_login(&mut store, EMAIL, PASSWORD, &wit_client)
            .await?
            .map_err(|e| anyhow!("{e:?}"))?;
        let started = Instant::now();
        for _ in 0..20 {
            sessions
                .call_login(&mut store, EMAIL, PASSWORD, &wit_client)
                .await?
                .map_err(|e| anyhow!("{e:?}"))?;
        }
        started.elapsed() / 20
    };
    let guest_token = sessions
        .call_login(&mut store, EMAIL, PASSWORD, &wit_client)
        .await?
        .map_err(|e| anyhow!("{e:?}"))?
        .token;
    let guest_validate = {
        let started = Instant::now();
        for _ in 0..20_000 {
            sessions
                .call_validate(&mut store, &guest_token)
                .await?
                .map_err(|e| anyhow!("{e:?}"))?;
        }
        started.elapsed() / 20_000
    };

    let report = serde_json::json!({
        "instantiate_us": us(instantiate),
        "operations": [
            {"name": "login (argon2id + session)", "native_us": us(native_login), "guest_us": us(guest_login)},
            {"name": "session check", "native_us": us(native_validate), "guest_us": us(guest_validate)},
        ],
    });
    if json {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}
