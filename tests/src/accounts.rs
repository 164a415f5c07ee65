//! The accounts the tests sign in with, and token logins over HTTP.

use serde_json::{Value, json};

use crate::host::{FreshServer, Host};
use crate::reply::Reply;
use crate::server::Server;

/// The test account most cases register.
pub const EMAIL: &str = "ada@example.com";

/// A second account, for what one account must not see of another.
pub const OTHER_EMAIL: &str = "bob@example.com";

/// The password the test accounts register with: long enough for every policy in the tests.
pub const PASSWORD: &str = "analytical engine";

/// Starts `host` over a fresh store under the settings `env`, with each of `emails` registered
/// with [`PASSWORD`].
pub fn with_accounts(host: Host, env: &[(&str, &str)], emails: &[&str]) -> FreshServer {
    let server = host.start_fresh_with_env(env);
    for email in emails {
        server.register(email, PASSWORD);
    }
    server
}

/// Signs [`EMAIL`] in for tokens with [`PASSWORD`]; asserts 200 and returns the answer.
pub fn tokens(server: &Server) -> Value {
    let r = server.post_credentials("/tokens", EMAIL, PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// `Bearer <token>` for an `authorization` header.
pub fn bearer(token: &Value) -> String {
    format!("Bearer {}", token.as_str().unwrap())
}

/// Rotates `refresh_token`.
pub fn refresh(server: &Server, refresh_token: &Value) -> Reply {
    server.post_json(
        "/tokens/refresh",
        &json!({"refresh_token": refresh_token}),
        &[],
    )
}
