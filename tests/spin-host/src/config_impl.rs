//! Implementation of the `wasi:config/store` interface: the component's Spin variables, as
//! Spin resolves them from `spin.toml` (see `manifest.rs`).

use crate::bindings::config::{self, Error};
use crate::ctx::SpinView;

impl config::Host for SpinView<'_> {
    fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, Error>> {
        Ok(Ok(self
            .resources
            .variables
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value.clone())))
    }

    fn get_all(&mut self) -> wasmtime::Result<Result<Vec<(String, String)>, Error>> {
        Ok(Ok(self.resources.variables.clone()))
    }
}
