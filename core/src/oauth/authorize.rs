//! The authorization endpoint's logic: checking a request, deciding what the person must do
//! first, and issuing the code.
//!
//! Checks run in the order RFC 6749 §4.1.2.1 gives: the client and the redirect URI first, and
//! while either is wrong nothing is sent to the redirect URI (an error page instead, so the
//! endpoint is never an open redirector); every later error goes back to the client's redirect
//! URI with `state` and `iss` (RFC 9207).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{OAuthClient, OAuthError, SCOPES, clip};
use crate::Sesame;
use crate::env::random_array;
use crate::error::Result;
use crate::records::{self, oauth_code_key};
use crate::sessions::SessionInfo;

/// Longest `state` and `nonce` accepted, in bytes.
const MAX_ECHOED_BYTES: usize = 1024;

/// What query values are percent-encoded with: everything but the unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An authorization request whose client and redirect URI are known and whose parameters are
/// well formed.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The client.
    pub client: OAuthClient,
    /// The redirect URI, as requested (it matches a registered one).
    pub redirect_uri: String,
    /// The scopes asked for, in the order asked, without repeats.
    pub scopes: Vec<String>,
    /// Echoed back to the client.
    pub state: Option<String>,
    /// Put into the ID token.
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// `prompt` values.
    pub prompt: Vec<String>,
    /// Longest time since the person's authentication the client accepts, in seconds.
    pub max_age_secs: Option<u64>,
    /// The identity the client expects, prefilled on the sign-in form.
    pub login_hint: Option<String>,
    /// The request's parameters, for coming back to it after signing in.
    params: Vec<(String, String)>,
    /// For a request coming back from the re-authentication `prompt=login` asked for: the
    /// time it was sent there, in ms (signed by Sesame, see [`REAUTH_MARK`]); only an
    /// authentication after it answers the prompt.
    authenticated_after_ms: Option<u64>,
}

/// The parameter that marks a request sent to re-authenticate for `prompt=login`: its value
/// is signed by the keyring (purpose [`REAUTH_PURPOSE`]), so it cannot be forged to answer the
/// prompt without a new authentication.
pub(super) const REAUTH_MARK: &str = "sesame_reauth";

/// The signer purpose of [`REAUTH_MARK`].
const REAUTH_PURPOSE: &str = "oauth-prompt-login";

/// How long a re-authentication for `prompt=login` may take, in seconds.
const REAUTH_MAX_AGE_SECS: u64 = 15 * 60;

/// Why an authorization request cannot go on.
#[derive(Debug)]
pub enum AuthorizeRefusal {
    /// The client or its redirect URI is wrong: show this message, never redirect.
    Page(String),
    /// Anything else: send the browser to this URL (the client's redirect URI with `error`).
    Redirect(String),
    /// Sesame failed.
    Sesame(crate::Error),
}

impl From<crate::Error> for AuthorizeRefusal {
    fn from(error: crate::Error) -> Self {
        AuthorizeRefusal::Sesame(error)
    }
}

/// What the browser must do next.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Nobody is signed in: sign in, then come back.
    SignIn,
    /// The session is older than the client accepts, or the client asked to see the person
    /// authenticate: re-authenticate, then come back.
    Reauthenticate,
    /// The person has not let this client have these scopes: ask.
    Consent,
    /// Done: send the browser to this URL (a code, or an error such as `login_required`).
    Redirect(String),
    /// An error for a dynamically registered client, shown instead of redirecting: anyone
    /// can register any https URI, and Sesame must not bounce browsers there unasked
    /// (RFC 9700 §4.11.2).
    ErrorPage(String),
}

/// The stored form of an authorization code (`oauth-code/{sha256}`), living at most 60 s.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CodeRecord {
    pub v: u32,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    pub user_id: String,
    /// The session the person authenticated in; the grant ends with it.
    pub session_id: String,
    /// The session's absolute end.
    pub session_expires_at_ms: u64,
    /// The person's last authentication (`auth_time`).
    pub authenticated_at_ms: u64,
    pub two_factor_at_ms: u64,
    pub second_factor: bool,
    pub methods: Vec<String>,
    /// When the code stops working, ms since the epoch.
    pub expires_at_ms: u64,
    /// Set when the code was exchanged: the login it started. A second exchange ends that
    /// login.
    #[serde(default)]
    pub redeemed_by: Option<String>,
    /// Set when the code was presented again after it was redeemed.
    #[serde(default)]
    pub replayed: bool,
}

impl Sesame<'_> {
    /// Checks an authorization request's parameters (from the query, or the consent form).
    pub fn check_authorization_request(
        &self,
        params: Vec<(String, String)>,
    ) -> std::result::Result<AuthorizationRequest, AuthorizeRefusal> {
        let page = |m: &str| AuthorizeRefusal::Page(m.to_owned());
        let mut seen: Vec<&str> = Vec::new();
        for (name, _) in &params {
            if seen.contains(&name.as_str()) {
                // Which value a client meant is unknowable; before the redirect URI is trusted
                // nothing may be sent to it.
                return Err(page(&format!(
                    "The parameter {} was given more than once.",
                    clip(name)
                )));
            }
            seen.push(name);
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let client_id =
            get("client_id").ok_or_else(|| page("The request names no client (client_id)."))?;
        let Some(client) = self.oauth_client(&client_id)? else {
            return Err(page(
                "The application that sent you here is not known to Sesame.",
            ));
        };
        let requested =
            get("redirect_uri").ok_or_else(|| page("The request has no redirect_uri."))?;
        let Some(redirect_uri) = client.redirect_uri(&requested).map(str::to_owned) else {
            return Err(page(
                "The application asked to send you to an address it has not registered.",
            ));
        };
        let state = get("state");
        // A malformed request goes back to the client, but a dynamically registered client
        // gets no redirect without the person having done anything (see `ErrorPage`).
        let dynamic = client.dynamic;
        let fail = |code: &'static str, description: &str| {
            if dynamic {
                return AuthorizeRefusal::Page(format!(
                    "The application's request is invalid: {description}."
                ));
            }
            AuthorizeRefusal::Redirect(self.error_redirect(
                &redirect_uri,
                code,
                description,
                state.as_deref(),
            ))
        };
        if state.as_ref().is_some_and(|s| s.len() > MAX_ECHOED_BYTES) {
            return Err(fail("invalid_request", "state is longer than 1024 bytes"));
        }
        if get("request").is_some() {
            return Err(fail(
                "request_not_supported",
                "request objects are not supported",
            ));
        }
        if get("request_uri").is_some() {
            return Err(fail(
                "request_uri_not_supported",
                "request_uri is not supported",
            ));
        }
        match get("response_type").as_deref() {
            Some("code") => {}
            Some(_) => {
                return Err(fail(
                    "unsupported_response_type",
                    "only response_type=code is supported",
                ));
            }
            None => return Err(fail("invalid_request", "response_type is missing")),
        }
        if get("response_mode").is_some_and(|m| m != "query") {
            return Err(fail(
                "invalid_request",
                "only response_mode=query is supported",
            ));
        }
        let mut scopes: Vec<String> = Vec::new();
        for scope in get("scope")
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
        {
            if !SCOPES.contains(&scope) || !client.scopes.iter().any(|s| s == scope) {
                return Err(fail(
                    "invalid_scope",
                    &format!(
                        "the scope {} is unknown or not allowed for this client",
                        clip(scope)
                    ),
                ));
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        if scopes.is_empty() {
            return Err(fail("invalid_scope", "scope is missing"));
        }
        let nonce = get("nonce");
        if nonce.as_ref().is_some_and(|n| n.len() > MAX_ECHOED_BYTES) {
            return Err(fail("invalid_request", "nonce is longer than 1024 bytes"));
        }
        let code_challenge = get("code_challenge");
        match (
            code_challenge.as_deref(),
            get("code_challenge_method").as_deref(),
        ) {
            (None, None) if client.confidential => {}
            (None, _) => {
                return Err(fail(
                    "invalid_request",
                    "code_challenge is required (PKCE with S256)",
                ));
            }
            (Some(challenge), Some("S256")) => {
                let well_formed = challenge.len() == 43
                    && challenge
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !well_formed {
                    return Err(fail(
                        "invalid_request",
                        "code_challenge must be the base64url SHA-256 of the verifier",
                    ));
                }
            }
            (Some(_), _) => {
                return Err(fail(
                    "invalid_request",
                    "code_challenge_method must be S256",
                ));
            }
        }
        let prompt: Vec<String> = get("prompt")
            .unwrap_or_default()
            .split(' ')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if prompt
            .iter()
            .any(|p| !["none", "login", "consent", "select_account"].contains(&p.as_str()))
        {
            return Err(fail("invalid_request", "prompt has an unknown value"));
        }
        if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
            return Err(fail(
                "invalid_request",
                "prompt=none cannot be combined with other values",
            ));
        }
        let max_age_secs = match get("max_age") {
            None => None,
            Some(value) => Some(
                value
                    .parse::<u64>()
                    .map_err(|_| fail("invalid_request", "max_age must be a number of seconds"))?,
            ),
        };
        let login_hint = get("login_hint").filter(|h| h.len() <= 320);
        let now_secs = self.host.now_ms() / 1000;
        let authenticated_after_ms = match get(REAUTH_MARK) {
            Some(mark) => self
                .keyring()?
                .verify(REAUTH_PURPOSE, &mark, now_secs, REAUTH_MAX_AGE_SECS)
                .ok()
                .and_then(|(payload, _)| <[u8; 8]>::try_from(payload.as_slice()).ok())
                .map(u64::from_be_bytes),
            None => None,
        };
        Ok(AuthorizationRequest {
            client,
            redirect_uri,
            scopes,
            state,
            nonce,
            code_challenge,
            prompt,
            max_age_secs,
            login_hint,
            params,
            authenticated_after_ms,
        })
    }

    /// Decides what the browser of `session` (`None`: nobody signed in) must do for `request`,
    /// issuing the code when nothing is missing.
    pub fn authorize(
        &self,
        request: &AuthorizationRequest,
        session: Option<&SessionInfo>,
    ) -> Result<AuthorizeOutcome> {
        let silent = request.prompt.iter().any(|p| p == "none");
        let Some(session) = session else {
            return Ok(if silent {
                self.unasked_error(request, "login_required", "nobody is signed in")
            } else {
                AuthorizeOutcome::SignIn
            });
        };
        if let Some(outcome) = self.authentication_needed(request, session, silent)? {
            return Ok(outcome);
        }
        let wants_consent = request.prompt.iter().any(|p| p == "consent");
        if wants_consent || !self.has_consent(&session.user.id, request)? {
            return Ok(if silent {
                self.unasked_error(
                    request,
                    "consent_required",
                    "the user has not allowed this client these scopes",
                )
            } else {
                AuthorizeOutcome::Consent
            });
        }
        self.issue_code(request, session)
            .map(AuthorizeOutcome::Redirect)
    }

    /// What `session` must do first when it is too old for `request` (`prompt=login` not yet
    /// answered, or `max_age` passed): re-authenticate, or with `prompt=none` the
    /// `login_required` error. `None` when it is recent enough.
    fn authentication_needed(
        &self,
        request: &AuthorizationRequest,
        session: &SessionInfo,
        silent: bool,
    ) -> Result<Option<AuthorizeOutcome>> {
        let times = self.authentication_times(session)?;
        let age_secs = self.host.now_ms().saturating_sub(times.any_ms) / 1000;
        let answered = request
            .authenticated_after_ms
            .is_some_and(|after| times.any_ms > after);
        let wants_login = !answered
            && request
                .prompt
                .iter()
                .any(|p| p == "login" || p == "select_account");
        let too_old = request.max_age_secs.is_some_and(|max| age_secs > max);
        if !(wants_login || too_old) {
            return Ok(None);
        }
        Ok(Some(if silent {
            self.unasked_error(
                request,
                "login_required",
                "the sign-in is older than max_age allows",
            )
        } else {
            AuthorizeOutcome::Reauthenticate
        }))
    }

    /// The answer to the consent form: records the consent and issues the code, or sends
    /// `access_denied`. The form only stands for the consent step: a session that the request
    /// finds too old (`prompt=login`, `max_age`) must re-authenticate first, as at the `GET`.
    pub fn answer_consent(
        &self,
        request: &AuthorizationRequest,
        session: &SessionInfo,
        allowed: bool,
    ) -> Result<AuthorizeOutcome> {
        if !allowed {
            return Ok(AuthorizeOutcome::Redirect(self.request_error(
                request,
                "access_denied",
                "the user refused",
            )));
        }
        let silent = request.prompt.iter().any(|p| p == "none");
        if let Some(outcome) = self.authentication_needed(request, session, silent)? {
            return Ok(outcome);
        }
        self.grant_consent(&session.user.id, &request.client.id, &request.scopes)?;
        self.issue_code(request, session)
            .map(AuthorizeOutcome::Redirect)
    }

    /// Issues a code for `request` to the person of `session` and returns the redirect.
    fn issue_code(&self, request: &AuthorizationRequest, session: &SessionInfo) -> Result<String> {
        let times = self.authentication_times(session)?;
        let code = URL_SAFE_NO_PAD.encode(random_array::<32>(self.host)?);
        let ttl = self.config.oauth.code_ttl_ms.clamp(1000, 60_000);
        let record = CodeRecord {
            v: 1,
            client_id: request.client.id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scopes.join(" "),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            user_id: session.user.id.clone(),
            session_id: session.id.clone(),
            session_expires_at_ms: session.expires_at_ms,
            authenticated_at_ms: times.any_ms,
            two_factor_at_ms: times.two_factor_ms,
            second_factor: session.second_factor,
            methods: times
                .latest_proof
                .methods()
                .iter()
                .map(|m| (*m).to_owned())
                .collect(),
            expires_at_ms: self.host.now_ms().saturating_add(ttl),
            redeemed_by: None,
            replayed: false,
        };
        records::save(
            self.store,
            &oauth_code_key(&code_hash(&code)),
            &record,
            Some(0),
            Some(ttl),
        )?;
        let mut params: Vec<(&str, &str)> = vec![("code", &code)];
        if let Some(state) = &request.state {
            params.push(("state", state));
        }
        params.push(("iss", &self.config.public_url));
        Ok(with_query(&request.redirect_uri, &params))
    }

    /// The redirect carrying error `code` for `request`.
    /// An error answered without the person having done anything (`prompt=none`): a
    /// redirect to the client, or for a dynamically registered client a page.
    fn unasked_error(
        &self,
        request: &AuthorizationRequest,
        code: &str,
        description: &str,
    ) -> AuthorizeOutcome {
        if request.client.dynamic {
            AuthorizeOutcome::ErrorPage(format!("The application's request failed: {description}."))
        } else {
            AuthorizeOutcome::Redirect(self.request_error(request, code, description))
        }
    }

    fn request_error(
        &self,
        request: &AuthorizationRequest,
        code: &str,
        description: &str,
    ) -> String {
        self.error_redirect(
            &request.redirect_uri,
            code,
            description,
            request.state.as_deref(),
        )
    }

    fn error_redirect(
        &self,
        redirect_uri: &str,
        code: &str,
        description: &str,
        state: Option<&str>,
    ) -> String {
        let mut params = vec![("error", code), ("error_description", description)];
        if let Some(state) = state {
            params.push(("state", state));
        }
        params.push(("iss", &self.config.public_url));
        with_query(redirect_uri, &params)
    }
}

impl AuthorizationRequest {
    /// The query to come back to the request with after the person signed in (again): the
    /// same parameters, and for `prompt=login` a signed mark of now, so that only an
    /// authentication made from now on answers the prompt.
    pub fn resume_query(&self, sesame: &Sesame<'_>) -> Result<String> {
        let mut params: Vec<(String, String)> = self
            .params
            .iter()
            .filter(|(name, _)| name != REAUTH_MARK)
            .cloned()
            .collect();
        if self
            .prompt
            .iter()
            .any(|p| p == "login" || p == "select_account")
        {
            let now_ms = sesame.host.now_ms();
            let mark = sesame
                .keyring()?
                .signer(REAUTH_PURPOSE)
                .sign(&now_ms.to_be_bytes(), now_ms / 1000);
            params.push((REAUTH_MARK.to_owned(), mark));
        }
        Ok(params
            .iter()
            .map(|(name, value)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(name, QUERY_VALUE),
                    utf8_percent_encode(value, QUERY_VALUE)
                )
            })
            .collect::<Vec<_>>()
            .join("&"))
    }

    /// The request's parameters, for the consent form's hidden fields.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
}

/// Hex SHA-256 of a code: the key it is stored under.
pub(super) fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// `uri` with `params` added to its query.
pub(crate) fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_owned();
    let mut separator = if uri.contains('?') { '&' } else { '?' };
    for (name, value) in params {
        out.push(separator);
        out.push_str(name);
        out.push('=');
        out.push_str(&utf8_percent_encode(value, QUERY_VALUE).to_string());
        separator = '&';
    }
    out
}

/// Keeps [`OAuthError`] in this module's vocabulary for the token endpoint.
pub(super) fn refused_code() -> OAuthError {
    OAuthError::invalid_grant(
        "The authorization code is unknown, expired, used or not for this client.",
    )
}

/// The codec of stored authorization codes, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [records::Codec; 1] = [(
    crate::records::OAUTH_CODE_PREFIX,
    records::reencode::<CodeRecord>,
)];
