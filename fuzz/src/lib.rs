//! What the fuzz targets share: the setups of the passkey ceremonies, made with the software
//! authenticator of Sesame's tests, so that the seeds (`examples/seeds.rs`) and the targets
//! start from the same deterministic state and the seeds' challenges are the ones the targets'
//! ceremonies expect.

pub use sesame_test_authenticator as authenticator;

use authenticator::{Alg, SoftCredential};
use sesame_core::api_keys::CreatedApiKey;
use sesame_core::fuzzing::Harness;
use sesame_core::sessions::{ClientInfo, IssuedSession, SessionInfo};
use sesame_core::tokens::TokenPair;
use sesame_core::webauthn::{RelyingParty, Usage};

/// The account every setup makes.
pub const EMAIL: &str = "ada@example.com";
/// Its password.
pub const PASSWORD: &str = "analytical engine";
/// The host requests name (the default public URL's).
pub const HOST: &str = "127.0.0.1:8080";
/// The origin the browser reports.
pub const ORIGIN: &str = "http://127.0.0.1:8080";

/// A harness with the account and a live session.
pub fn signed_in() -> (Harness, SessionInfo) {
    let (harness, _, info) = registered_and_logged_in();
    (harness, info)
}

/// Every kind of credential the account can hold at once, for targets whose requests use them.
pub struct Credentials {
    /// The harness holding the account.
    pub harness: Harness,
    /// A live session, with its token.
    pub session: IssuedSession,
    /// What validating that session says (its id and CSRF token).
    pub info: SessionInfo,
    /// A live token login.
    pub tokens: TokenPair,
    /// An API key with the scope `users:read`.
    pub api_key: CreatedApiKey,
}

/// A harness with the account holding a session, a token login and an API key.
pub fn with_credentials() -> Credentials {
    let (harness, session, info) = registered_and_logged_in();
    let s = harness.sesame();
    let tokens = s
        .issue_tokens(EMAIL, PASSWORD, &ClientInfo::default())
        .expect("tokens");
    let api_key = s
        .create_api_key("billing", &["users:read".to_owned()])
        .expect("api key");
    Credentials {
        harness,
        session,
        info,
        tokens,
        api_key,
    }
}

fn registered_and_logged_in() -> (Harness, IssuedSession, SessionInfo) {
    let harness = Harness::new();
    let s = harness.sesame();
    s.register(EMAIL, PASSWORD, Some("ada")).expect("register");
    let session = s
        .login(EMAIL, PASSWORD, &ClientInfo::default())
        .expect("login");
    let info = s.validate_session(session.token.expose()).expect("session");
    (harness, session, info)
}

/// The relying party of every ceremony.
pub fn relying_party(harness: &Harness) -> RelyingParty {
    harness
        .sesame()
        .relying_party(Some(HOST))
        .expect("relying party")
}

/// A started registration: the harness, the session, the ceremony's state token and options.
pub fn registration() -> (Harness, SessionInfo, String, serde_json::Value) {
    let (harness, info) = signed_in();
    let ceremony = harness
        .sesame()
        .begin_passkey_registration(&info, "key", Usage::First, &relying_party(&harness))
        .expect("begin registration");
    let state = ceremony.state.expose().to_owned();
    (harness, info, state, ceremony.options)
}

/// The credential the sign-in setup registers.
pub fn credential() -> SoftCredential {
    SoftCredential::new(Alg::Es256, 1)
}

/// A started passkey sign-in for an account with [`credential`] registered: the harness, the
/// state token and the options.
pub fn signin(cred: &mut SoftCredential) -> (Harness, String, serde_json::Value) {
    let (harness, info, state, options) = registration();
    let answer = cred.register(&options, ORIGIN);
    let s = harness.sesame();
    let parsed = serde_json::from_value(answer).expect("registration JSON");
    s.finish_passkey_registration(&info, &state, &parsed)
        .expect("finish registration");
    let ceremony = s
        .begin_passkey_signin(None, &relying_party(&harness))
        .expect("begin sign-in");
    let state = ceremony.state.expose().to_owned();
    (harness, state, ceremony.options)
}
