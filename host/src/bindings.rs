//! Generated host bindings for the `sesame:auth/service` world. Nothing else in the host calls
//! `bindgen!`.

#[allow(missing_docs, unreachable_pub, clippy::all, reason = "generated code")]
mod generated {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "sesame:auth/service",
        imports: { default: async | trappable },
        exports: { default: async },
        require_store_data_send: true,
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
    });
}

#[cfg(test)]
pub(crate) use generated::exports::sesame::auth::tokens;
#[cfg(test)]
pub(crate) use generated::exports::sesame::auth::two_factor;
#[cfg(test)]
pub(crate) use generated::exports::sesame::auth::webauthn;
pub(crate) use generated::exports::sesame::auth::{accounts, admin, oauth_clients, roles, routes};
pub(crate) use generated::sesame::auth::{breach_lookup, hashing, outbox, store, types};
pub(crate) use generated::{Service, ServicePre};
