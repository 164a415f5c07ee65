//! Errors: the detailed [`Error`] for logs and the public [`AuthError`] for callers.
//!
//! `From<&Error> for AuthError` is the one place where detail collapses: an unknown account, a
//! wrong password and a disabled account all become [`ErrorCode::InvalidCredentials`].

use crate::store::StoreError;

/// Result type of sesame-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong inside core, in full detail. Goes to logs, never to clients.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input rejected while parsing; carries the public code and message.
    #[error("{0}")]
    Rejected(AuthError),
    /// No account has this email or username.
    #[error("no such account")]
    UnknownAccount,
    /// The password did not verify.
    #[error("wrong password")]
    WrongPassword,
    /// The email address is already registered.
    #[error("email already registered")]
    EmailTaken,
    /// The username is already taken.
    #[error("username taken")]
    UsernameTaken,
    /// The account is disabled.
    #[error("account disabled")]
    AccountDisabled,
    /// Too many failed attempts; the account is locked until the back-off ends.
    #[error("account locked")]
    AccountLocked,
    /// The session token is unknown, malformed or expired.
    #[error("no valid session: {0}")]
    NoSession(&'static str),
    /// The sign-in in progress (a pending second step, a code sign-in) is unknown, malformed,
    /// used up or expired. Answered like [`Error::NoSession`], but says nothing about the
    /// session the request may carry, which stays as it is.
    #[error("no sign-in in progress: {0}")]
    NoFlow(&'static str),
    /// The store refused or failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A compare-and-swap loop kept losing; the store is under heavy contention.
    #[error("too much contention on {0}")]
    Contention(&'static str),
    /// A stored record could not be decoded; the store holds data this version cannot read.
    #[error("corrupt record under {key}: {reason}")]
    Corrupt {
        /// Which key.
        key: String,
        /// What the decoder said.
        reason: String,
    },
    /// Password hashing failed (bad parameters or a malformed stored hash).
    #[error("password hashing: {0}")]
    Hashing(String),
    /// The configuration the host gave is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// Too many attempts; retry after this long.
    #[error("throttled for {retry_after_ms} ms")]
    Throttled {
        /// Time until the current window ends.
        retry_after_ms: u64,
    },
    /// The request body could not be read to its end (client gone, broken chunked encoding).
    #[error("request body unreadable")]
    BodyUnreadable,
    /// The operating system's random generator failed.
    #[error("random generator unavailable")]
    Random,
    /// The password was right but the user has two-factor on, and this way of signing in
    /// cannot take a second factor.
    #[error("second factor required")]
    SecondFactorRequired,
    /// The host's password-hashing queue is full (or the wait for it ran out): nothing was
    /// checked or changed, and the caller may retry after this long. See `sesame:auth/hashing`.
    #[error("password hashing busy; retry after {retry_after_ms} ms")]
    HashingBusy {
        /// How long the host suggests waiting.
        retry_after_ms: u64,
    },
}

impl Error {
    /// A rejection with a public code and message.
    pub fn rejected(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Rejected(AuthError::new(code, message))
    }
}

/// A machine-readable error code. Spelled in kebab-case exactly like the WIT `error-code` cases.
///
/// Deliberately exhaustive: a new code is a contract change that every adapter must map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Not well-formed.
    InvalidRequest,
    /// JSON syntax error.
    MalformedJson,
    /// Not UTF-8.
    InvalidEncoding,
    /// Content type not accepted.
    UnsupportedMediaType,
    /// Body too large.
    PayloadTooLarge,
    /// Email not acceptable.
    InvalidEmail,
    /// Username not acceptable.
    InvalidUsername,
    /// Password breaks the policy.
    WeakPassword,
    /// Wrong credentials, whatever the reason.
    InvalidCredentials,
    /// Not signed in.
    Unauthenticated,
    /// Not allowed.
    Forbidden,
    /// Missing or wrong anti-CSRF token, or a cross-origin request.
    CsrfRejected,
    /// Too many attempts.
    RateLimited,
    /// An emailed link's token is invalid, expired or used.
    InvalidToken,
    /// No such route or object.
    NotFound,
    /// Wrong method for the route.
    MethodNotAllowed,
    /// Already exists (admin operations).
    AlreadyExists,
    /// Storage unavailable; retry later.
    StoreUnavailable,
    /// Fault inside Sesame.
    Internal,
    /// A second-factor code (TOTP or recovery code) is wrong, expired or already used.
    InvalidCode,
    /// The password was right, but the account has two-factor on and this way of signing in
    /// gives no second factor.
    SecondFactorRequired,
    /// A WebAuthn answer failed a check (origin, RP ID, type, signature, flags, algorithm or
    /// attestation); the message names which.
    WebauthnRejected,
    /// A WebAuthn challenge is unknown, expired, already answered, or was issued to another
    /// session or sign-in.
    ChallengeInvalid,
    /// The credential is not registered, or not to the account signing in.
    UnknownCredential,
    /// The authenticator's signature counter did not grow: it may be cloned.
    SignCountRegression,
    /// A sensitive action needs a recent sign-in or `/wan-verify`.
    ReauthenticationRequired,
    /// The server is at a limit (password checks waiting, or requests in flight); nothing was
    /// done, retry after the time given.
    Busy,
    /// The new password is in the breached-password corpus the deployment checks.
    BreachedPassword,
    /// The breached-password check could not be made and the deployment refuses passwords it
    /// cannot check; nothing was changed, retry later.
    BreachCheckUnavailable,
}

impl ErrorCode {
    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [ErrorCode; 29] = [
        ErrorCode::InvalidRequest,
        ErrorCode::MalformedJson,
        ErrorCode::InvalidEncoding,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::PayloadTooLarge,
        ErrorCode::InvalidEmail,
        ErrorCode::InvalidUsername,
        ErrorCode::WeakPassword,
        ErrorCode::InvalidCredentials,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::CsrfRejected,
        ErrorCode::RateLimited,
        ErrorCode::InvalidToken,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::AlreadyExists,
        ErrorCode::StoreUnavailable,
        ErrorCode::Internal,
        ErrorCode::InvalidCode,
        ErrorCode::SecondFactorRequired,
        ErrorCode::WebauthnRejected,
        ErrorCode::ChallengeInvalid,
        ErrorCode::UnknownCredential,
        ErrorCode::SignCountRegression,
        ErrorCode::ReauthenticationRequired,
        ErrorCode::Busy,
        ErrorCode::BreachedPassword,
        ErrorCode::BreachCheckUnavailable,
    ];

    /// The stable kebab-case spelling used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid-request",
            ErrorCode::MalformedJson => "malformed-json",
            ErrorCode::InvalidEncoding => "invalid-encoding",
            ErrorCode::UnsupportedMediaType => "unsupported-media-type",
            ErrorCode::PayloadTooLarge => "payload-too-large",
            ErrorCode::InvalidEmail => "invalid-email",
            ErrorCode::InvalidUsername => "invalid-username",
            ErrorCode::WeakPassword => "weak-password",
            ErrorCode::InvalidCredentials => "invalid-credentials",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CsrfRejected => "csrf-rejected",
            ErrorCode::RateLimited => "rate-limited",
            ErrorCode::InvalidToken => "invalid-token",
            ErrorCode::NotFound => "not-found",
            ErrorCode::MethodNotAllowed => "method-not-allowed",
            ErrorCode::AlreadyExists => "already-exists",
            ErrorCode::StoreUnavailable => "store-unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::InvalidCode => "invalid-code",
            ErrorCode::SecondFactorRequired => "second-factor-required",
            ErrorCode::WebauthnRejected => "webauthn-rejected",
            ErrorCode::ChallengeInvalid => "challenge-invalid",
            ErrorCode::UnknownCredential => "unknown-credential",
            ErrorCode::SignCountRegression => "sign-count-regression",
            ErrorCode::ReauthenticationRequired => "reauthentication-required",
            ErrorCode::Busy => "busy",
            ErrorCode::BreachedPassword => "breached-password",
            ErrorCode::BreachCheckUnavailable => "breach-check-unavailable",
        }
    }

    /// The HTTP status that carries this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest
            | ErrorCode::MalformedJson
            | ErrorCode::InvalidEncoding
            | ErrorCode::InvalidToken => 400,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::InvalidEmail
            | ErrorCode::InvalidUsername
            | ErrorCode::WeakPassword
            | ErrorCode::BreachedPassword => 422,
            ErrorCode::InvalidCredentials | ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden | ErrorCode::CsrfRejected => 403,
            ErrorCode::RateLimited => 429,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::AlreadyExists => 409,
            ErrorCode::StoreUnavailable | ErrorCode::Busy | ErrorCode::BreachCheckUnavailable => {
                503
            }
            ErrorCode::Internal => 500,
            ErrorCode::InvalidCode => 401,
            ErrorCode::SecondFactorRequired => 403,
            ErrorCode::WebauthnRejected | ErrorCode::ChallengeInvalid => 400,
            ErrorCode::UnknownCredential
            | ErrorCode::SignCountRegression
            | ErrorCode::ReauthenticationRequired => 401,
        }
    }
}

/// The public face of an error: a code and a message safe to show anyone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct AuthError {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
}

impl AuthError {
    /// Builds an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AuthError {
            code,
            message: message.into(),
        }
    }
}

/// The message every credential failure carries, whatever its cause.
pub const INVALID_CREDENTIALS_MESSAGE: &str = "The email/username or password is not correct.";

impl From<&Error> for AuthError {
    fn from(error: &Error) -> Self {
        match error {
            Error::Rejected(public) => public.clone(),
            Error::UnknownAccount
            | Error::WrongPassword
            | Error::AccountDisabled
            | Error::AccountLocked => {
                AuthError::new(ErrorCode::InvalidCredentials, INVALID_CREDENTIALS_MESSAGE)
            }
            Error::EmailTaken => AuthError::new(
                ErrorCode::AlreadyExists,
                "An account with this email address already exists.",
            ),
            Error::UsernameTaken => {
                AuthError::new(ErrorCode::AlreadyExists, "This username is taken.")
            }
            Error::Throttled { retry_after_ms } => AuthError::new(
                ErrorCode::RateLimited,
                format!(
                    "Too many attempts; try again in {} seconds.",
                    retry_after_ms.div_ceil(1000)
                ),
            ),
            Error::BodyUnreadable => AuthError::new(
                ErrorCode::InvalidRequest,
                "The request body could not be read to its end.",
            ),
            Error::SecondFactorRequired => AuthError::new(
                ErrorCode::SecondFactorRequired,
                "This account has two-factor authentication on: sign in through the two-factor flow.",
            ),
            Error::HashingBusy { retry_after_ms } => AuthError::new(
                ErrorCode::Busy,
                format!(
                    "Sesame is busy checking other passwords; nothing was changed. Try again in {} seconds.",
                    retry_after_ms.div_ceil(1000).max(1)
                ),
            ),
            Error::NoSession(_) | Error::NoFlow(_) => {
                AuthError::new(ErrorCode::Unauthenticated, "You are not signed in.")
            }
            Error::Store(StoreError::Unavailable(_)) | Error::Contention(_) => AuthError::new(
                ErrorCode::StoreUnavailable,
                "Storage is busy or unavailable. Try again shortly; if you were changing something, check whether it took effect.",
            ),
            Error::Store(StoreError::Conflict | StoreError::TooLarge)
            | Error::Corrupt { .. }
            | Error::Hashing(_)
            | Error::Config(_)
            | Error::Random => AuthError::new(
                ErrorCode::Internal,
                "Sesame hit an internal fault; the details are in its log.",
            ),
        }
    }
}

impl From<Error> for AuthError {
    fn from(error: Error) -> Self {
        AuthError::from(&error)
    }
}

impl From<AuthError> for Error {
    fn from(error: AuthError) -> Self {
        Error::Rejected(error)
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// The cases of the WIT `error-code` enum, in their order in `wit/sesame.wit`.
    fn wit_error_codes() -> Vec<String> {
        let wit = include_str!("../../wit/sesame.wit");
        let start = wit
            .find("enum error-code {")
            .expect("the WIT defines error-code");
        let body = &wit[start..];
        let body = &body[body.find('{').unwrap_or(0) + 1..body.find('}').unwrap_or(0)];
        body.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("//"))
            .map(|line| line.trim_end_matches(',').to_owned())
            .collect()
    }

    /// Core's codes are the WIT's, spelled the same, in the same order: the Python and Node
    /// embedding tests hold their tables to the same WIT enum, so no table can drift.
    #[test]
    fn error_codes_are_the_wit_enum() {
        let core: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(core, wit_error_codes());
    }
}
