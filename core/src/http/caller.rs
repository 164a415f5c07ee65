//! Who a request says it is, read once per request: the session credential (cookie or
//! bearer), an API key, a pending sign-in awaiting its second factor, a started WebAuthn
//! ceremony, and the anti-CSRF token. Routes ask the [`Caller`] and never read those headers
//! themselves.

use std::sync::OnceLock;

use subtle::ConstantTimeEq;

use super::cookies::Cookie;
use super::parse::{self, Credential};
use super::request::Request;
use crate::Sesame;
use crate::api_keys::API_KEY_PREFIX;
use crate::error::{Error, ErrorCode};
use crate::sessions::SessionInfo;
use crate::tokens::is_access_token;

/// What a request carries to say who sends it, parsed once when the request arrives.
pub(crate) struct Caller<'r> {
    /// The request it was read from.
    req: &'r Request,
    /// The session credential: `Authorization: Bearer`, else the deployment's session cookie.
    credential: Option<Credential>,
    /// The token of `Authorization: Bearer`, whatever it is (session, access token, API key).
    bearer: Option<String>,
    /// The pending-sign-in cookie.
    pending: Option<String>,
    /// The ceremony cookie.
    ceremony: Option<String>,
    /// The return-to cookie (see [`Cookie::Return`]).
    return_to: Option<String>,
    /// The anti-CSRF token sent, read only when a route needs it (it may mean parsing a form).
    csrf_token: OnceLock<Option<String>>,
    /// The user of the login a route found live, for the adapter's log.
    user_id: OnceLock<String>,
}

impl<'r> Caller<'r> {
    /// Reads what `req` carries, with the cookie names of the deployment `config` describes.
    pub(crate) fn of(req: &'r Request, config: &crate::config::Config) -> Self {
        Caller {
            req,
            credential: parse::credential(req, config),
            bearer: parse::bearer(req),
            pending: parse::cookie(req, Cookie::Pending.name(config)),
            ceremony: parse::cookie(req, Cookie::Ceremony.name(config)),
            return_to: parse::cookie(req, Cookie::Return.name(config)),
            csrf_token: OnceLock::new(),
            user_id: OnceLock::new(),
        }
    }

    /// The user whose live login a route checked during this request, if any.
    pub(crate) fn user_id(&self) -> Option<&str> {
        self.user_id.get().map(String::as_str)
    }

    /// The session credential, if the request carries one.
    pub(crate) fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }

    /// Whether the request authenticates with `Authorization: Bearer` (which a browser never
    /// attaches by itself).
    pub(crate) fn has_bearer(&self) -> bool {
        self.bearer.is_some()
    }

    /// The API key sent as `Authorization: Bearer`, if that is what the bearer token is.
    pub(crate) fn api_key(&self) -> Option<&str> {
        self.bearer
            .as_deref()
            .filter(|token| token.starts_with(API_KEY_PREFIX))
    }

    /// The access token sent as `Authorization: Bearer`, if that is what the bearer token is.
    pub(crate) fn access_token(&self) -> Option<&str> {
        self.bearer
            .as_deref()
            .filter(|token| is_access_token(token))
    }

    /// The pending sign-in's token: `from_body` (the `tf_token` field, for clients without
    /// cookies) when given, else the pending-sign-in cookie.
    pub(crate) fn pending_token(&self, from_body: Option<String>) -> Option<String> {
        from_body.or_else(|| self.pending.clone())
    }

    /// The started ceremony's token: `from_body` (the `state` field) when given, else the
    /// ceremony cookie.
    pub(crate) fn ceremony_state(&self, from_body: Option<String>) -> Option<String> {
        from_body.or_else(|| self.ceremony.clone())
    }

    /// The return-to cookie's value, if sent.
    pub(crate) fn return_to(&self) -> Option<&str> {
        self.return_to.as_deref()
    }

    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token
            .get_or_init(|| parse::csrf_token(self.req))
            .as_deref()
    }

    /// The caller's live login (session or token login). For state-changing requests
    /// authenticated by cookie, also checks the session's anti-CSRF token (header
    /// `X-CSRF-Token` or form field `csrf_token`), compared in constant time.
    pub(crate) fn signed_in(
        &self,
        sesame: &Sesame<'_>,
    ) -> Result<(SessionInfo, &Credential), Error> {
        let (info, credential) = self.login(sesame)?;
        if matches!(credential, Credential::Cookie(_)) && !is_safe_method(&self.req.method) {
            let sent = self.csrf_token().unwrap_or_default();
            let matches: bool = sent.as_bytes().ct_eq(info.csrf_token.as_bytes()).into();
            if !matches {
                return Err(Error::rejected(
                    ErrorCode::CsrfRejected,
                    "Send this session's CSRF token in the X-CSRF-Token header or the csrf_token form field.",
                ));
            }
        }
        Ok((info, credential))
    }

    /// The caller's live login as a `GET` would see it, without the CSRF check: for showing a
    /// form again after a refused post, with the token it needs.
    pub(crate) fn login(&self, sesame: &Sesame<'_>) -> Result<(SessionInfo, &Credential), Error> {
        let credential = self.credential().ok_or(Error::NoSession("no credential"))?;
        // Access tokens count only as `Authorization: Bearer`: a cookie never carries one, so
        // a planted cookie cannot stand in for a session and its CSRF token.
        let info = match credential {
            Credential::Bearer(token) if is_access_token(token) => {
                sesame.validate_access_token(token)?
            }
            other => sesame.validate_session(other.token())?,
        };
        let _ = self.user_id.set(info.user.id.clone());
        Ok((info, credential))
    }
}

/// Whether `method` only reads (and so needs no CSRF or origin check).
pub(crate) fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}
