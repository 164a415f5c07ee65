//! `sesame:auth/breach-lookup`: the range of a SHA-1 prefix from the configured
//! breached-password service (see `crate::breach`).

use crate::bindings::breach_lookup::{self, LookupError};
use crate::ctx::SesameCtxView;

impl breach_lookup::Host for SesameCtxView<'_> {
    async fn range(
        &mut self,
        prefix: String,
    ) -> wasmtime::Result<Result<Vec<String>, LookupError>> {
        Ok(self.breach.range(self.host_wait, &prefix).await)
    }
}
