//! Support for Sesame's end-to-end tests: starts a real server on a free loopback port with its
//! own database, talks to it over real HTTP, and holds the behaviour suites every server runs.
//!
//! Two servers run the shared suites ([`suites`], see [`Host`]): the `sesame` binary with the
//! `sesame:auth/service` component, and `spin-test-host` with the Spin component and the
//! repository's `spin.toml`. The programs and components come from the same cargo target
//! directory as the test executable ([`artifacts`]). `SESAME_BIN` and `SESAME_COMPONENT`
//! override the first pair.

/// The software WebAuthn authenticator the passkey tests answer ceremonies with.
pub use sesame_test_authenticator as authenticator;

pub mod accounts;
pub mod artifacts;
pub mod host;
pub mod mail;
pub mod passkeys;
pub mod provider;
pub mod reply;
pub mod server;
pub mod services;
pub mod suites;
pub mod totp;
pub mod webhooks;

pub use artifacts::{
    component, example_app_component, guard_component, misbehaving_component, repo_root,
    sesame_bin, spin_component, spin_test_host_bin,
};
pub use host::{
    FreshServer, Host, SPIN_TEST_SECRET, postgres_origin, spin_command, spin_command_with_manifest,
    spin_guard_command, spin_manifest_allowing, spin_postgres_command,
};
pub use reply::Reply;
pub use server::{
    ROOT_EMAIL, ROOT_PASSWORD, Server, Signed, add_root_admin, admin, admin_add_user, login_burst,
    sesame_command,
};
