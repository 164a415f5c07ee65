//! Sesame as an OpenID provider over HTTP: discovery, the authorization endpoint with its
//! consent page, the token endpoint, userinfo, revocation, introspection, RP-initiated logout,
//! dynamic registration, and the user's own list of consents. The logic is
//! [`crate::oauth`]'s; this group reads requests and writes the answers the RFCs prescribe
//! (`{"error": ..., "error_description": ...}` from the endpoints clients call directly).
//!
//! The endpoints clients call from their servers or from a browser script (token, userinfo,
//! revocation, introspection, registration, the metadata) never read cookies, answer any
//! origin (`Access-Control-Allow-Origin: *`) and skip the cross-site check; the pages
//! (authorize, consent, logout) are Sesame's own and keep every check.

mod browser;
mod direct;

use serde::Serialize;

use super::answer::Answer;
use super::router::{Call, Route};
use crate::error::Error;
use crate::oauth::{OAuthError, paths};

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 16] = [
    Route::json("GET", "/.well-known/openid-configuration", metadata).cross_origin(),
    Route::json("GET", "/.well-known/oauth-authorization-server", metadata).cross_origin(),
    Route::page("GET", paths::AUTHORIZE, browser::authorize),
    Route::page("POST", paths::AUTHORIZE, browser::consent_answer),
    Route::json("POST", paths::TOKEN, direct::token).cross_origin(),
    Route::json("OPTIONS", paths::TOKEN, preflight).cross_origin(),
    Route::json("GET", paths::USERINFO, direct::userinfo).cross_origin(),
    Route::json("POST", paths::USERINFO, direct::userinfo).cross_origin(),
    Route::json("OPTIONS", paths::USERINFO, preflight).cross_origin(),
    Route::json("POST", paths::REVOKE, direct::revoke).cross_origin(),
    Route::json("POST", paths::INTROSPECT, direct::introspect).cross_origin(),
    Route::json("POST", paths::REGISTER, direct::register).cross_origin(),
    Route::page("GET", paths::LOGOUT, browser::logout),
    Route::page("POST", paths::LOGOUT, browser::logout_confirmed),
    Route::json("GET", "/oauth/consents", browser::consents),
    Route::json("POST", "/oauth/consents/revoke", browser::revoke_consent),
];

/// Answers a browser script may read from any origin; none carries credentials.
pub(super) fn open_to_scripts(answer: Answer) -> Answer {
    answer.with_header("access-control-allow-origin", "*".to_owned())
}

fn metadata(call: &Call<'_>) -> Result<Answer, Error> {
    Ok(open_to_scripts(Answer::json(
        200,
        &call.sesame.provider_metadata(),
    )))
}

/// `OPTIONS` on the token and userinfo endpoints: the CORS preflight of a browser script.
fn preflight(_: &Call<'_>) -> Result<Answer, Error> {
    Ok(
        open_to_scripts(Answer::file("application/json", "").with_status(204))
            .with_header("access-control-allow-methods", "GET, POST".to_owned())
            .with_header(
                "access-control-allow-headers",
                "Authorization, Content-Type, DPoP".to_owned(),
            )
            .with_header("access-control-max-age", "600".to_owned()),
    )
}

/// An OAuth error body (RFC 6749 §5.2).
#[derive(Serialize)]
pub(super) struct OAuthErrorBody<'a> {
    pub error: &'a str,
    pub error_description: &'a str,
}

/// The answer to an OAuth error at an endpoint clients call directly.
pub(super) fn oauth_error(error: OAuthError, basic_used: bool) -> Result<Answer, Error> {
    match error {
        OAuthError::Protocol {
            code,
            description,
            status,
        } => {
            let answer = open_to_scripts(Answer::json(
                status,
                &OAuthErrorBody {
                    error: code,
                    error_description: &description,
                },
            ));
            Ok(if status == 401 && basic_used {
                answer.with_header("www-authenticate", "Basic realm=\"sesame\"".to_owned())
            } else {
                answer
            })
        }
        OAuthError::Sesame(e) => Err(e),
    }
}
