//! What each instance has on the host side besides the sandbox's own state, and the view that
//! lends it to the `spin:sqlite`, `spin:postgres` and `wasi:config` implementations.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sesame_sandbox::InstanceState;
use wasmtime::component::{HasData, ResourceTable};

use crate::allowed_hosts::AllowedHosts;
use crate::postgres_impl::PostgresPools;

/// The data of one instance's store: the sandbox's WASI state with the Spin resources.
pub(crate) type HostState = InstanceState<Instance>;

/// What one instance has of its own beside the sandbox's state.
pub(crate) struct Instance {
    /// The resources of its component.
    pub(crate) resources: Arc<SpinResources>,
    /// Its outgoing requests (local service chaining, `chaining.rs`).
    pub(crate) outgoing: crate::chaining::Outgoing,
}

/// What every instance shares: the databases the manifest grants, the resolved component
/// variables, the hosts it may reach, and the PostgreSQL pools.
pub(crate) struct SpinResources {
    /// Databases by the name the component passes to `connection.open`.
    pub(crate) databases: BTreeMap<String, Database>,
    /// The component's variables, templates already resolved.
    pub(crate) variables: Vec<(String, String)>,
    /// Where the component may send requests or connect (`allowed_outbound_hosts`).
    pub(crate) allowed_outbound_hosts: Arc<AllowedHosts>,
    /// Pooled PostgreSQL connections, per address.
    pub(crate) postgres: PostgresPools,
}

impl SpinResources {
    /// The hosts the component may reach.
    pub(crate) fn allowed_outbound_hosts(&self) -> &AllowedHosts {
        &self.allowed_outbound_hosts
    }
}

/// A database the component may open.
#[derive(Clone)]
pub(crate) enum Database {
    /// A file: every `open` gets a connection of its own, with SQLite's defaults (rollback
    /// journal unless the file says otherwise, no busy timeout), as Spin's local databases do.
    /// Concurrent requests then contend for the file's locks exactly as under `spin up`.
    File(std::path::PathBuf),
    /// In memory: one connection shared by every instance (an in-memory database cannot be
    /// opened twice), each statement run under its lock. Not a concurrency test bed.
    Memory(Arc<Mutex<rusqlite::Connection>>),
}

/// What the `spin:sqlite` and `wasi:config` implementations borrow from [`HostState`].
pub(crate) struct SpinView<'a> {
    /// Open connections (resources handed to the component).
    pub(crate) table: &'a mut ResourceTable,
    /// Databases and variables.
    pub(crate) resources: &'a SpinResources,
}

/// Lends what the Spin interface implementations need.
pub(crate) fn spin(state: &mut HostState) -> SpinView<'_> {
    let parts = state.host_parts();
    SpinView {
        table: parts.table,
        resources: &parts.host.resources,
    }
}

/// Marker tying the Spin host traits to [`SpinView`] in the linker.
pub(crate) struct Spin;

impl HasData for Spin {
    type Data<'a> = SpinView<'a>;
}
