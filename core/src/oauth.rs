//! Sesame as an OpenID Connect provider and OAuth 2.1 authorization server: other
//! applications, in any language, sign their users in through Sesame with the authorization
//! code flow and PKCE, and receive ID tokens, access tokens and (with `offline_access`)
//! refresh tokens.
//!
//! - `clients`: the registry (`sesame client add`, dynamic registration behind a setting);
//! - `redirect`: which redirect URIs may be registered and how they are matched;
//! - `authorize`: checking an authorization request, deciding whether the person must sign
//!   in, re-authenticate or consent, and issuing single-use codes bound to the client, the
//!   redirect URI, the PKCE challenge and the person's authentication;
//! - `consent`: what each user let each client have, until withdrawn;
//! - `token`: client authentication and the token endpoint's two grants;
//! - `id_token`: ID tokens and reading them back as `id_token_hint`;
//! - `resource`: userinfo, revocation (RFC 7009) and introspection (RFC 7662);
//! - `discovery`: the metadata documents and dynamic client registration (RFC 7591).
//!
//! Logins made through OAuth are token families ([`crate::tokens`]) that name their client
//! and scopes and the session they were made from: they end when that session ends (signing
//! out of Sesame ends the grants made for it), their refresh tokens rotate with reuse
//! detection, and they are refreshed only by their own client. Their access tokens carry the
//! client as `aud`, so they never pass as Sesame tokens on Sesame's own routes.

pub mod clients;
pub mod settings;

mod authorize;
mod consent;
mod discovery;
mod id_token;
mod redirect;
mod resource;
mod token;

pub(crate) use authorize::with_query;
pub use authorize::{AuthorizationRequest, AuthorizeOutcome, AuthorizeRefusal};
pub use clients::{CreatedOAuthClient, NewOAuthClient, OAuthClient};
pub use consent::Consent;
pub use discovery::{RegistrationRequest, paths};
pub use id_token::IdTokenHint;
pub(crate) use id_token::session_sid;
pub(crate) use redirect::origin as redirect_origin;
pub use resource::Introspection;
pub use token::{TokenRequest, TokenResponse};

/// The scopes Sesame knows.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "offline_access", "roles"];

/// An error the OAuth protocol defines, answered to the client in the form the RFCs give
/// (`{"error": ..., "error_description": ...}` or `?error=...` on the redirect URI).
#[derive(Debug)]
pub enum OAuthError {
    /// A protocol error: its code (`invalid_grant`, ...) and description.
    Protocol {
        /// The RFC 6749 / OpenID Connect error code.
        code: &'static str,
        /// A human message.
        description: String,
        /// The HTTP status of a direct answer (400, or 401 for `invalid_client`).
        status: u16,
    },
    /// Something in Sesame failed (the store, a throttle): answered as Sesame answers it.
    Sesame(crate::Error),
}

impl OAuthError {
    /// A protocol error with status 400.
    pub(crate) fn new(code: &'static str, description: impl Into<String>) -> Self {
        OAuthError::Protocol {
            code,
            description: description.into(),
            status: 400,
        }
    }

    /// `invalid_client` (401): unknown client, wrong secret, or the wrong way to prove it.
    pub(crate) fn invalid_client() -> Self {
        OAuthError::Protocol {
            code: "invalid_client",
            description: "Client authentication failed.".into(),
            status: 401,
        }
    }

    /// `invalid_grant`: the code or refresh token is not valid for this client.
    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        OAuthError::new("invalid_grant", description)
    }
}

impl From<crate::Error> for OAuthError {
    fn from(error: crate::Error) -> Self {
        OAuthError::Sesame(error)
    }
}

impl From<crate::store::StoreError> for OAuthError {
    fn from(error: crate::store::StoreError) -> Self {
        OAuthError::Sesame(error.into())
    }
}

/// A client-supplied word, printable and at most 80 characters, for messages.
pub(crate) fn clip(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(80)
        .collect()
}

/// The codecs of this module's stored records, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) const RECORD_CODECS: [crate::records::Codec; 3] = [
    clients::RECORD_CODECS[0],
    consent::RECORD_CODECS[0],
    authorize::RECORD_CODECS[0],
];

#[cfg(test)]
mod tests;
