//! Token logins for clients that keep tokens themselves: `/tokens` (issue, end),
//! `/tokens/refresh` (rotate) and `/.well-known/jwks.json` (the keys that verify access
//! tokens). These routes answer JSON only.

use serde::{Deserialize, Serialize};

use super::answer::Answer;
use super::bodies::Status;
use super::parse;
#[cfg(feature = "fuzzing")]
use super::parse::BodyParser;
use super::router::{Call, Route};
use crate::accounts::User;
use crate::error::{Error, ErrorCode};
use crate::tokens::{TOKEN_LOGIN_ID_PREFIX, TokenPair};

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 4] = [
    Route::json("POST", "/tokens", issue_tokens),
    Route::json("DELETE", "/tokens", revoke_tokens),
    Route::json("POST", "/tokens/refresh", refresh_tokens),
    Route::json("GET", "/.well-known/jwks.json", jwks),
];

#[derive(Deserialize)]
struct TokensBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    username: Option<String>,
    password: String,
}

/// `POST /tokens`: a token login from a password (JSON body) or from the caller's session (no
/// body; a cookie session must send its CSRF token).
fn issue_tokens(call: &Call<'_>) -> Result<Answer, Error> {
    let client = call.req.client();
    let pair = if call.req.body.is_empty() {
        let (info, credential) = call.caller.signed_in(call.sesame)?;
        if info.id.starts_with(TOKEN_LOGIN_ID_PREFIX) {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "Use /tokens/refresh to renew an access token.",
            ));
        }
        call.sesame
            .issue_tokens_for_session(credential.token(), &client)?
    } else {
        const NO_IDENTITY: &str =
            "Give an email (or username) and a password, or send no body to use your session.";
        let body: TokensBody = parse::body(call.req)?;
        let identity = parse::identity(body.email, body.username, NO_IDENTITY)?;
        call.sesame
            .issue_tokens(&identity, &body.password, &client)?
    };
    Ok(token_pair_answer(&pair))
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

fn refresh_tokens(call: &Call<'_>) -> Result<Answer, Error> {
    let body: RefreshBody = parse::body(call.req)?;
    let pair = call.sesame.refresh_tokens(&body.refresh_token)?;
    Ok(token_pair_answer(&pair))
}

/// `DELETE /tokens`: ends the token login of the bearer access token, or of the refresh token
/// in the body.
fn revoke_tokens(call: &Call<'_>) -> Result<Answer, Error> {
    let token = if call.req.body.is_empty() {
        call.caller.access_token().map(str::to_owned).ok_or_else(|| {
            Error::rejected(
                ErrorCode::Unauthenticated,
                "Send the access token as 'Authorization: Bearer', or the refresh token in the body.",
            )
        })?
    } else {
        parse::body::<RefreshBody>(call.req)?.refresh_token
    };
    call.sesame.revoke_tokens(&token)?;
    Ok(Answer::json(200, &Status { status: "revoked" }))
}

/// The body of an issued token pair (OAuth 2 names).
#[derive(Serialize)]
struct IssuedTokens<'a> {
    access_token: &'a str,
    expires_in: u64,
    refresh_expires_at_ms: u64,
    refresh_token: &'a str,
    token_type: &'static str,
    user: &'a User,
}

fn token_pair_answer(pair: &TokenPair) -> Answer {
    Answer::json(
        200,
        &IssuedTokens {
            access_token: pair.access_token.as_str(),
            expires_in: pair.expires_in_secs,
            refresh_expires_at_ms: pair.refresh_expires_at_ms,
            refresh_token: pair.refresh_token.as_str(),
            token_type: "Bearer",
            user: &pair.user,
        },
    )
}

fn jwks(call: &Call<'_>) -> Result<Answer, Error> {
    Ok(Answer::json(200, &call.sesame.keyring()?.jwks()))
}

/// This group's body types, by the names the fuzz targets know them by.
#[cfg(feature = "fuzzing")]
pub(crate) const BODIES: [BodyParser; 2] = [
    BodyParser::of::<TokensBody>("tokens"),
    BodyParser::of::<RefreshBody>("refresh"),
];
