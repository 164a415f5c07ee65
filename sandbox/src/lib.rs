//! The sandbox every host of Sesame's components runs them in: `sesame serve`, the Spin test
//! host and the instantiation benchmark all build their engine, load their component, link
//! WASI and make their stores here, so all of them run under the same limits.
//!
//! The component is untrusted code. Whatever one call makes it do (loop for ever, allocate
//! without end, trap), the cost is that call's instance: it is stopped with an error whose
//! [`cause`] names why, and every other instance goes on. What bounds it:
//! - memory, tables and core instances per component instance ([`MAX_INSTANCE_MEMORY`],
//!   [`MAX_CORE_OBJECTS`]), from a fixed pool of [`Limits::max_instances`] slots;
//! - running time per request ([`Limits::request_deadline`]), counted by a [`RunClock`] on the
//!   engine's epoch, which also makes a busy instance yield to other tasks every
//!   [`EPOCH_TICK`];
//! - WASI with no files, sockets or inherited environment, and wasi:http that refuses every
//!   outgoing request (only the Spin test host lets some through, to the hosts a manifest
//!   allows, as Spin does).

mod clock;
mod component;
mod deadline;
mod engine;
mod error;
mod failure;
mod limits;
mod sandbox;
mod state;

pub use clock::{DeadlineExceeded, RunClock};
pub use error::SandboxError;
pub use failure::{cause, is_pool_exhausted};
pub use limits::{
    DEFAULT_MAX_INSTANCES, DEFAULT_REQUEST_DEADLINE, EPOCH_TICK, Limits, MAX_CORE_OBJECTS,
    MAX_INSTANCE_MEMORY,
};
pub use sandbox::Sandbox;
pub use state::{HostParts, InstanceState};
