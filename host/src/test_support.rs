//! What the host's in-process tests share: where the component under test is.

use std::path::PathBuf;

/// The `service` component built next to this test binary (`scripts/test` builds it first),
/// or the file `SESAME_COMPONENT` names.
pub(crate) fn service_component() -> PathBuf {
    if let Some(path) = std::env::var_os("SESAME_COMPONENT") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("target/<profile>/deps/<test>");
    target.join("wasm32-wasip2/release/sesame_guest.wasm")
}
