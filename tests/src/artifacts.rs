//! Where the programs and components under test are: the cargo target directory the test
//! executable runs from (`target/debug/sesame`, `target/debug/spin-test-host`,
//! `target/wasm32-wasip2/release/*.wasm`), which `scripts/test` builds first.

use std::path::{Path, PathBuf};

/// The cargo target directory the tests run from (`.../target`).
pub(crate) fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test> -> target
    exe.ancestors()
        .nth(3)
        .expect("test executable lives in target/<profile>/deps")
        .to_path_buf()
}

/// The compile cache every server in the tests shares, so each compiles a component once.
pub(crate) fn cache_dir() -> PathBuf {
    target_dir().join("sesame-test-cache")
}

/// The native program `name` beside the test executable, built by `cargo build -p package`.
fn native_program(name: &str, package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .join(name);
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/test (or cargo build -p {package})",
        bin.display()
    );
    bin
}

/// The release wasm component `file`, built by `cargo build --target wasm32-wasip2 -p package`.
fn wasm_component(file: &str, package: &str) -> PathBuf {
    let wasm = target_dir().join("wasm32-wasip2/release").join(file);
    assert!(
        wasm.is_file(),
        "{} is missing: run scripts/test (or cargo build --release --target wasm32-wasip2 -p {package})",
        wasm.display()
    );
    wasm
}

/// The `sesame` executable under test (`SESAME_BIN` overrides it).
pub fn sesame_bin() -> PathBuf {
    match std::env::var_os("SESAME_BIN") {
        Some(path) => PathBuf::from(path),
        None => native_program("sesame", "sesame-host"),
    }
}

/// The `spin-test-host` executable that runs the Spin component.
pub fn spin_test_host_bin() -> PathBuf {
    native_program("spin-test-host", "sesame-spin-test-host")
}

/// The `sesame:auth/service` component under test (`SESAME_COMPONENT` overrides it).
pub fn component() -> PathBuf {
    match std::env::var_os("SESAME_COMPONENT") {
        Some(path) => PathBuf::from(path),
        None => wasm_component("sesame_guest.wasm", "sesame-guest"),
    }
}

/// The Spin component under test.
pub fn spin_component() -> PathBuf {
    wasm_component("sesame_spin.wasm", "sesame-spin")
}

/// The guard component that puts Sesame in front of another Spin component (`guard/`).
pub fn guard_component() -> PathBuf {
    wasm_component("sesame_guard.wasm", "sesame-guard")
}

/// The app the spin-guard example protects (`examples/spin-guard/hello`).
pub fn example_app_component() -> PathBuf {
    wasm_component("sesame_example_hello.wasm", "sesame-example-hello")
}

/// The deliberately hostile component (`tests/misbehaving-guest`) the sandbox tests run.
pub fn misbehaving_component() -> PathBuf {
    wasm_component("sesame_misbehaving_guest.wasm", "sesame-misbehaving-guest")
}

/// The repository's root (where `spin.toml` is).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the repository")
        .to_path_buf()
}
