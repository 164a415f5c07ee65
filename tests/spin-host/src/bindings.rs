//! Generated host bindings for the Spin interfaces the component imports (`wit/world.wit`).
//! Nothing else in the test host calls `bindgen!`.

#[allow(missing_docs, unreachable_pub, clippy::all, reason = "generated code")]
mod generated {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "sesame:spin-test-host/spin-imports",
        // PostgreSQL calls do network I/O: async, so a waiting statement holds no thread.
        imports: {
            "spin:postgres/postgres": async | trappable,
            default: trappable,
        },
        with: {
            "fermyon:spin/sqlite.connection": crate::sqlite_impl::Connection,
            "spin:postgres/postgres.connection": crate::postgres_impl::PgConnection,
        },
    });
}

pub(crate) use generated::fermyon::spin::sqlite;
pub(crate) use generated::spin::postgres::postgres;
pub(crate) use generated::wasi::config::store as config;
