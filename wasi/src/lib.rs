//! sesame-wasi: what Sesame's two WebAssembly components share around sesame-core.
//!
//! Both the `sesame:auth/service` component (`sesame-guest`) and the Spin component
//! (`sesame-spin`) answer `wasi:http` requests with core's router, take time and randomness
//! from WASI and write faults to their runtime's log. That glue is written once here:
//!
//! - [`http`]: a `wasi:http` request becomes core's [`Request`](sesame_core::http::Request)
//!   (head, bounded body, peer address) and core's response goes back on the wire;
//! - [`request`]: the decisions about those bytes, free of any binding, so they are tested
//!   natively;
//! - [`env`]: the WASI clock and random generator, and the [`Env`](sesame_core::Env)s that log
//!   mail and events or queue them for delivery over HTTP;
//! - [`outgoing`]: a bounded POST through `wasi:http/outgoing-handler`, and a delivery pass
//!   of the queue through it;
//! - [`log`]: what a component writes to its runtime's log.
//!
//! # One set of wasi:http bindings
//!
//! Both components use the `wasi:http` bindings of the `wasi` crate (pinned at 0.13.1, the
//! version spin-sdk 5.2 hands its `wasi:io` streams out as), so [`http`] works on real
//! binding types instead of a trait over two look-alike sets. The Spin component exports its
//! handler with that crate's `wasi::http::proxy::export!` (spin-sdk's `#[http_component]`
//! would hand over spin-sdk's own copies of the types); the service component maps the
//! `wasi:http` and `wasi:io` interfaces of its world onto the same crate with wit-bindgen's
//! `with` option. The crate speaks `wasi:http@0.2.0` while the service world says `@0.2.12`:
//! the component linker merges semver-compatible imports into the newer one, and 0.2.12 only
//! adds to 0.2.0, so every call made here exists under either version.
//!
//! Natively the bindings compile to stubs, which is what lets [`request`]'s tests run with
//! the rest of the workspace's; nothing here is meant to run outside wasm32-wasip2.

pub mod env;
pub mod http;
pub mod log;
pub mod outgoing;
pub mod request;
