//! What the host's in-process tests share: the component under test, and a runtime with an
//! instance of its typed exports over a store the test chooses.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::Store;

use crate::bindings::{Service, two_factor, types};
use crate::ctx::HostState;
use crate::engine::Runtime;
use crate::events::EventSink;
use crate::outbox::Mailer;
use crate::sandbox::SandboxLimits;
use crate::store::{SqliteBackend, StoreBackend};

/// The `service` component built next to this test binary (`scripts/test` builds it first),
/// or the file `SESAME_COMPONENT` names.
pub(crate) fn service_component() -> PathBuf {
    if let Some(path) = std::env::var_os("SESAME_COMPONENT") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("target/<profile>/deps/<test>");
    target.join("wasm32-wasip2/release/sesame_guest.wasm")
}

/// A runtime for the service component: `backend` as its store, `env` as the component's
/// settings, mail written to `outbox` if given, compiled code cached in `cache` if given.
pub(crate) fn runtime(
    backend: Arc<dyn StoreBackend>,
    env: Vec<(String, String)>,
    outbox: Option<PathBuf>,
    cache: Option<&Path>,
    limits: SandboxLimits,
) -> Runtime {
    let mailer = Mailer::new(
        None,
        None,
        "Sesame <sesame@localhost>",
        outbox,
        crate::queue::RetryPolicy {
            base: std::time::Duration::from_secs(1),
            max_attempts: 3,
        },
    )
    .expect("mailer");
    Runtime::new(
        &service_component(),
        cache,
        backend,
        crate::engine::Outside {
            mailer: Arc::new(mailer),
            events: Arc::new(EventSink::new()),
            breach: Arc::new(crate::breach::BreachLookup::none()),
        },
        env,
        limits,
    )
    .expect("runtime")
}

/// A runtime for the service component over a fresh SQLite store in `dir`, with `env` as the
/// component's settings and the default limits.
pub(crate) fn sqlite_runtime(dir: &Path, env: Vec<(String, String)>) -> Runtime {
    let backend = Arc::new(SqliteBackend::open(&dir.join("sesame.db")).expect("SQLite store"));
    runtime(backend, env, None, None, SandboxLimits::default())
}

/// A fresh instance of the typed exports, with its store.
pub(crate) async fn instance(runtime: &Runtime) -> (Store<HostState>, Service) {
    let (mut store, _) = runtime.new_store();
    let service = runtime
        .service()
        .expect("typed exports")
        .instantiate_async(&mut store)
        .await
        .expect("instantiate");
    (store, service)
}

/// The client every typed call of these tests comes from.
pub(crate) fn client() -> types::ClientInfo {
    types::ClientInfo {
        address: Some("192.0.2.1".into()),
        user_agent: Some("sesame-host-test".into()),
    }
}

/// Starts a sign-in through `sesame:auth/two-factor` for an account with a second factor, and
/// returns the pending sign-in.
pub(crate) async fn pending_login(
    tf: &two_factor::Guest,
    store: &mut Store<HostState>,
    (email, password): (&str, &str),
) -> two_factor::PendingLogin {
    match tf
        .call_begin_login(store, email, password, &client())
        .await
        .expect("begin-login")
        .expect("password accepted")
    {
        two_factor::LoginOutcome::SecondFactor(pending) => pending,
        two_factor::LoginOutcome::SignedIn(_) => panic!("signed in without a second factor"),
    }
}
