//! What can go wrong while setting the sandbox up (never while running an instance: those
//! failures are the calls' own errors, named by [`cause`](crate::cause)).

use std::path::PathBuf;

/// Why the engine, a component or a linker could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The engine refused its configuration, or the host could not reserve its instance pool.
    #[error("cannot create the wasmtime engine: {0:#}")]
    Engine(wasmtime::Error),
    /// The component file could not be read.
    #[error(
        "cannot read the component {} (build it with `cargo build --release --target wasm32-wasip2 -p {built_by}`): {error}",
        path.display()
    )]
    ReadComponent {
        /// The file.
        path: PathBuf,
        /// The Cargo package that builds it.
        built_by: &'static str,
        /// Why.
        error: std::io::Error,
    },
    /// The component is not a valid component for this engine.
    #[error("cannot compile the component {}: {error:#}", path.display())]
    Compile {
        /// The file.
        path: PathBuf,
        /// Why.
        error: wasmtime::Error,
    },
    /// WASI or wasi:http could not be added to a linker.
    #[error("cannot link WASI: {0:#}")]
    Link(wasmtime::Error),
}
