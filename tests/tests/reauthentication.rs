//! Re-authentication and password checks end to end against the real `sesame` binary: the
//! shared suite `tests/suite/reauthentication.rs`, mounted for `sesame serve`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failure here is a test failure"
)]

use sesame_tests::Host;

/// The server the shared suite runs against here.
const HOST: Host = Host::Sesame;

#[path = "../suite/reauthentication.rs"]
mod reauthentication;
