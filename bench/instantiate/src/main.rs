//! `sesame-bench`: the two measurements that need no HTTP server.
//!
//! - Instantiation: how long a fresh instance of the Sesame component takes from its
//!   `InstancePre`, in the sandbox `sesame serve` runs it in (`sesame-sandbox`: pooling
//!   allocator, memory and instance limits, epoch deadline, async). This is the per-request
//!   overhead of isolation.
//! - The same core operations (password login, session check) run natively through
//!   `sesame-core` and inside the component through its typed exports, both over
//!   `sesame_core::MemStore`, so the difference is the cost of running in the sandbox.
//!
//! Usage: `sesame-bench --component PATH [--json]`. Timings only; `bench/run` calls this.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use sesame_core::{Config, Env, MemStore, Sesame, Store as _};
use std::path::Path;
use std::sync::Arc;

use sesame_sandbox::{InstanceState, Limits, Sandbox};
use wasmtime::component::HasData;

#[allow(missing_docs, unreachable_pub, clippy::all, reason = "generated code")]
mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "sesame:auth/service",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
    });
}

use generated::ServicePre;
use generated::exports::sesame::auth::accounts::NewUser;
use generated::sesame::auth::{hashing, outbox, store, types};

/// The benchmark's account.
const EMAIL: &str = "bench@example.com";
/// Its password.
const PASSWORD: &str = "correct horse battery staple";
/// A fixed 32-byte master secret (base64url), the same natively and in the guest.
const SECRET: &str = "c2VzYW1lLWJlbmNoLXNlY3JldC0zMi1ieXRlcy1sb25nISE";

/// What the benchmark's instances share: the in-memory store the guest talks to.
struct BenchHost {
    store: Arc<MemStore>,
}

/// Marker tying the `sesame:auth` imports to [`BenchHost`].
struct Bench;

impl HasData for Bench {
    type Data<'a> = &'a mut BenchHost;
}

impl store::Host for &mut BenchHost {
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

impl outbox::Host for &mut BenchHost {
    async fn send_mail(&mut self, _mail: outbox::Mail) -> wasmtime::Result<()> {
        Ok(())
    }

    async fn emit_event(&mut self, _event: outbox::Event) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl types::Host for &mut BenchHost {}

/// The service component's native hashing, declined (`none`): the guest then hashes itself,
/// which is what comparing it with core run natively measures.
impl hashing::Host for &mut BenchHost {
    async fn argon2id(
        &mut self,
        _password: Vec<u8>,
        _salt: Vec<u8>,
        _memory_kib: u32,
        _iterations: u32,
        _parallelism: u32,
        _output_len: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, String>> {
        Ok(Ok(None))
    }

    async fn argon2(
        &mut self,
        _params: hashing::Argon2Params,
        _password: Vec<u8>,
        _salt: Vec<u8>,
        _output_len: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, hashing::HashError>> {
        Ok(Ok(None))
    }

    async fn bcrypt(
        &mut self,
        _key: Vec<u8>,
        _salt: Vec<u8>,
        _cost: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, hashing::HashError>> {
        Ok(Ok(None))
    }

    async fn pbkdf2(
        &mut self,
        _digest: hashing::Pbkdf2Digest,
        _password: Vec<u8>,
        _salt: Vec<u8>,
        _rounds: u32,
        _output_len: u32,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, hashing::HashError>> {
        Ok(Ok(None))
    }
}

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

/// No breached-password corpus: the benchmark sets none.
impl sesame_core::BreachLookup for NativeEnv {}

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

    // In the component: the typed exports over another MemStore, in the sandbox `sesame serve`
    // runs its component in (same engine, pool, limits and request deadline).
    let sandbox = Sandbox::new(Limits::default())?;
    let compiled = sandbox.load_component(Path::new(&component), "sesame-guest", None)?;
    let mut linker = sandbox.linker::<BenchHost>()?;
    store::add_to_linker::<_, Bench>(&mut linker, InstanceState::host)?;
    outbox::add_to_linker::<_, Bench>(&mut linker, InstanceState::host)?;
    types::add_to_linker::<_, Bench>(&mut linker, InstanceState::host)?;
    hashing::add_to_linker::<_, Bench>(&mut linker, InstanceState::host)?;
    let pre = ServicePre::new(linker.instantiate_pre(&compiled)?)?;
    let guest_store = Arc::new(MemStore::new());
    let new_store = || {
        sandbox.new_store(
            settings().as_slice(),
            BenchHost {
                store: guest_store.clone(),
            },
        )
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
    // Every call below is one request, as `sesame serve` serves them: each starts with its
    // whole deadline.
    Sandbox::begin_request(&mut store);
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
        Sandbox::begin_request(&mut store);
        sessions
            .call_login(&mut store, EMAIL, PASSWORD, &wit_client)
            .await?
            .map_err(|e| anyhow!("{e:?}"))?;
        let started = Instant::now();
        for _ in 0..20 {
            Sandbox::begin_request(&mut store);
            sessions
                .call_login(&mut store, EMAIL, PASSWORD, &wit_client)
                .await?
                .map_err(|e| anyhow!("{e:?}"))?;
        }
        started.elapsed() / 20
    };
    Sandbox::begin_request(&mut store);
    let guest_token = sessions
        .call_login(&mut store, EMAIL, PASSWORD, &wit_client)
        .await?
        .map_err(|e| anyhow!("{e:?}"))?
        .token;
    let guest_validate = {
        let started = Instant::now();
        for _ in 0..20_000 {
            Sandbox::begin_request(&mut store);
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
