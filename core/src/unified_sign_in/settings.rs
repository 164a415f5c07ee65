//! Unified sign-in settings: which ways of signing in a deployment offers. Nothing here
//! depends on how sign-in works, so the configuration can read these without the logic.

use crate::error::{Error, Result};
use crate::settings::{Setting, list, section};

/// A way to sign in, by Flask-Security's names (`SECURITY_US_ENABLED_METHODS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SignInMethod {
    /// A password (`/login`, `/us-signin` with a password as the passcode).
    Password,
    /// A one-time code mailed to the account's address, and the link in the same mail.
    Email,
    /// A code from the account's authenticator app, in place of a password.
    Authenticator,
    /// A passkey (`/wan-signin` without a pending sign-in).
    Passkey,
}

impl SignInMethod {
    /// Every method, in the order answers list them.
    pub const ALL: [SignInMethod; 4] = [
        SignInMethod::Password,
        SignInMethod::Email,
        SignInMethod::Authenticator,
        SignInMethod::Passkey,
    ];

    /// The setting's and the JSON answers' name.
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Email => "email",
            SignInMethod::Authenticator => "authenticator",
            SignInMethod::Passkey => "passkey",
        }
    }

    /// Parses [`SignInMethod::as_str`]'s names.
    pub fn parse(raw: &str) -> Option<Self> {
        SignInMethod::ALL.into_iter().find(|m| m.as_str() == raw)
    }
}

/// Unified sign-in settings, read from `SESAME_US_*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnifiedSignInSettings {
    /// The ways of signing in offered, each at most once, in [`SignInMethod::ALL`]'s order.
    pub methods: Vec<SignInMethod>,
    /// How long a mailed sign-in code works, in ms.
    pub code_ms: u64,
    /// How long the link mailed with it works, in ms (it also ends when the code is used).
    pub link_ms: u64,
}

impl Default for UnifiedSignInSettings {
    /// Passwords and passkeys, as before unified sign-in existed: mailed codes are a choice a
    /// deployment makes (its mail must then be reliable). A code works 10 minutes, its link
    /// 15.
    fn default() -> Self {
        UnifiedSignInSettings {
            methods: vec![SignInMethod::Password, SignInMethod::Passkey],
            code_ms: 10 * 60 * 1000,
            link_ms: 15 * 60 * 1000,
        }
    }
}

impl UnifiedSignInSettings {
    /// Whether `method` is offered.
    pub fn offers(&self, method: SignInMethod) -> bool {
        self.methods.contains(&method)
    }

    /// Whether an account may exist without a password: when some way of signing in needs
    /// none that a new account has (a mailed code).
    pub fn passwordless(&self) -> bool {
        self.offers(SignInMethod::Email)
    }
}

/// The unified sign-in variables.
pub const SETTINGS: &[Setting<UnifiedSignInSettings>] = section! {
    "SESAME_US_METHODS" = "password,passkey", methods <- methods, "comma-separated ways of signing in: password, email (a mailed code and link), authenticator (a TOTP code instead of a password), passkey";
};

/// A comma-separated list of [`SignInMethod`] names: at least one, none unknown.
fn methods(name: &str, value: &str) -> Result<Vec<SignInMethod>> {
    let mut methods = Vec::new();
    for raw in list(value) {
        let method = SignInMethod::parse(raw).ok_or_else(|| {
            Error::Config(format!(
                "{name}: unknown method {raw:?} (password, email, authenticator, passkey)"
            ))
        })?;
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    if methods.is_empty() {
        return Err(Error::Config(format!(
            "{name} must name at least one way of signing in"
        )));
    }
    methods.sort();
    Ok(methods)
}
