//! Generated bindings for the `sesame:auth/service` world. Nothing else in the guest calls the
//! generator.

#[allow(
    missing_docs,
    unreachable_pub,
    unsafe_code,
    clippy::all,
    reason = "generated code"
)]
pub(crate) mod generated {
    wit_bindgen::generate!({
        path: "../wit",
        world: "sesame:auth/service",
        generate_all,
        default_bindings_module: "crate::bindings::generated",
    });

    // Registers the component type as the implementation of every export.
    use crate::Component;
    export!(Component);
}

pub(crate) use generated::exports;
pub(crate) use generated::sesame::auth::outbox as wit_outbox;
pub(crate) use generated::sesame::auth::store as wit_store;
pub(crate) use generated::sesame::auth::types;
pub(crate) use generated::wasi;
