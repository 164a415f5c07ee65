//! Generated bindings: the `sesame:auth/service` world with the `http` feature (the default),
//! the `sesame:auth/embed` world without it. Nothing else in the guest calls the generator.

#[allow(
    missing_docs,
    unreachable_pub,
    unsafe_code,
    clippy::all,
    reason = "generated code"
)]
pub(crate) mod generated {
    // wasi:http and the wasi:io types it hands out are the `wasi` crate's, the ones
    // sesame-wasi reads and writes (see its documentation for why one set serves both
    // components).
    #[cfg(feature = "http")]
    wit_bindgen::generate!({
        path: "../wit",
        world: "sesame:auth/service",
        with: {
            "wasi:http/types@0.2.12": ::wasi::http::types,
            "wasi:io/streams@0.2.12": ::wasi::io::streams,
            "wasi:io/error@0.2.12": ::wasi::io::error,
            "wasi:io/poll@0.2.12": ::wasi::io::poll,
        },
        generate_all,
        default_bindings_module: "crate::bindings::generated",
    });

    // Embedding hosts (Python, JavaScript) call the typed exports and supply the store; without
    // wasi:http the component asks them for nothing more than the store, the outbox and WASI.
    #[cfg(not(feature = "http"))]
    wit_bindgen::generate!({
        path: "../wit",
        world: "sesame:auth/embed",
        generate_all,
        default_bindings_module: "crate::bindings::generated",
    });

    // Registers the component type as the implementation of every export.
    use crate::Component;
    export!(Component);
}

pub(crate) use generated::exports;
#[cfg(feature = "http")]
pub(crate) use generated::sesame::auth::breach_lookup as wit_breach_lookup;
#[cfg(feature = "http")]
pub(crate) use generated::sesame::auth::hashing as wit_hashing;
pub(crate) use generated::sesame::auth::outbox as wit_outbox;
pub(crate) use generated::sesame::auth::store as wit_store;
pub(crate) use generated::sesame::auth::types;
