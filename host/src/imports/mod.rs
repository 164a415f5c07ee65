//! The host side of the component's `sesame:auth` imports: each implementation lends the call
//! to the part of the host that does the work (the store back end, the mailer and event sink,
//! native hashing, the breached-password lookup) through [`SesameCtxView`](crate::ctx::SesameCtxView).

mod breach;
mod hashing;
mod outbox;
mod store;
