//! The `sesame:auth/unified-sign-in` export: each function calls the core operation of the
//! same name.

use sesame_core::unified_sign_in::{LinkOutcome, SignInMethod};

use crate::bindings::exports::sesame::auth::unified_sign_in as wit_us;
use crate::bindings::types as wit;
use crate::two_factor::login_outcome;
use crate::{Component, call, call_for_client};

fn method(m: SignInMethod) -> wit_us::SignInMethod {
    match m {
        SignInMethod::Password => wit_us::SignInMethod::Password,
        SignInMethod::Email => wit_us::SignInMethod::Email,
        SignInMethod::Authenticator => wit_us::SignInMethod::Authenticator,
        SignInMethod::Passkey => wit_us::SignInMethod::Passkey,
    }
}

impl wit_us::Guest for Component {
    fn methods() -> Vec<wit_us::SignInMethod> {
        call("unified-sign-in.methods", |s| Ok(s.sign_in_methods()))
            .unwrap_or_default()
            .into_iter()
            .map(method)
            .collect()
    }

    fn active_methods(user_id: String) -> Result<Vec<wit_us::SignInMethod>, wit::AuthError> {
        call("unified-sign-in.active-methods", |s| {
            s.active_sign_in_methods(&user_id)
        })
        .map(|methods| methods.into_iter().map(method).collect())
    }

    fn send_code(
        identity: String,
        client: wit::ClientInfo,
    ) -> Result<wit_us::CodeSent, wit::AuthError> {
        call_for_client("unified-sign-in.send-code", client, |s, client| {
            s.send_sign_in_code(&identity, client)
        })
        .map(|sent| wit_us::CodeSent {
            token: sent.token.expose().to_owned(),
            device_code: sent.device_code,
            expires_at_ms: sent.expires_at_ms,
        })
    }

    fn sign_in_with_code(
        token: String,
        code: String,
        client: wit::ClientInfo,
    ) -> Result<wit_us::LoginOutcome, wit::AuthError> {
        call_for_client("unified-sign-in.sign-in-with-code", client, |s, client| {
            s.sign_in_with_code(&token, &code, client)
        })
        .map(login_outcome)
    }

    fn sign_in_with_authenticator(
        identity: String,
        code: String,
        client: wit::ClientInfo,
    ) -> Result<wit_us::LoginOutcome, wit::AuthError> {
        call_for_client(
            "unified-sign-in.sign-in-with-authenticator",
            client,
            |s, client| s.sign_in_with_authenticator(&identity, &code, client),
        )
        .map(login_outcome)
    }

    fn open_link(
        link: String,
        token: Option<String>,
        device_code: Option<String>,
        client: wit::ClientInfo,
    ) -> Result<wit_us::LinkOutcome, wit::AuthError> {
        call_for_client("unified-sign-in.open-link", client, |s, client| {
            s.open_sign_in_link(&link, token.as_deref(), device_code.as_deref(), client)
        })
        .map(|outcome| match outcome {
            LinkOutcome::SignedIn(outcome) => wit_us::LinkOutcome::SignedIn(login_outcome(outcome)),
            LinkOutcome::DeviceCodeNeeded => wit_us::LinkOutcome::DeviceCodeNeeded,
        })
    }

    fn register_without_password(
        email: String,
        username: Option<String>,
    ) -> Result<(), wit::AuthError> {
        call("unified-sign-in.register-without-password", |s| {
            s.register_without_password(&email, username.as_deref())
        })
    }
}
