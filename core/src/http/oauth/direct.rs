//! The endpoints clients call directly, from their servers or browser scripts: token,
//! userinfo, revocation, introspection and registration. They authenticate the client (or an
//! API key), never read cookies, and answer errors in the RFCs' shape.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::super::answer::Answer;
use super::super::parse;
use super::super::router::Call;
use super::{OAuthErrorBody, oauth_error, open_to_scripts};
use crate::error::{Error, ErrorCode};
use crate::oauth::{OAuthClient, OAuthError, RegistrationRequest, TokenRequest};

#[derive(Deserialize, Default)]
struct ClientBody {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    grant_type: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    code_verifier: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

/// The client a direct request names, its secret, and whether they came as HTTP Basic.
struct ClientCredentials {
    id: Option<String>,
    secret: Option<Zeroizing<String>>,
    basic: bool,
}

/// The client a direct request names and its secret: from `Authorization: Basic` (RFC 6749
/// §2.3.1: form-encoded id and secret) or the body, never both.
fn client_credentials(call: &Call<'_>, body: &ClientBody) -> Result<ClientCredentials, OAuthError> {
    let mut sent = call.req.headers_named("authorization");
    let basic = match (sent.next(), sent.next()) {
        (Some(value), None) => value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
            .map(|(_, encoded)| encoded.trim().to_owned()),
        (Some(_), Some(_)) => return Err(OAuthError::invalid_client()),
        _ => None,
    };
    match basic {
        Some(encoded) => {
            if body.client_secret.is_some() {
                return Err(OAuthError::new(
                    "invalid_request",
                    "Authenticate the client one way: Basic or client_secret, not both.",
                ));
            }
            let decoded = STANDARD
                .decode(encoded)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(OAuthError::invalid_client)?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(OAuthError::invalid_client)?;
            let id = parse::decode_component(id).map_err(|_| OAuthError::invalid_client())?;
            let secret =
                parse::decode_component(secret).map_err(|_| OAuthError::invalid_client())?;
            if body.client_id.as_ref().is_some_and(|b| *b != id) {
                return Err(OAuthError::invalid_client());
            }
            Ok(ClientCredentials {
                id: Some(id),
                secret: Some(Zeroizing::new(secret)),
                basic: true,
            })
        }
        None => Ok(ClientCredentials {
            id: body.client_id.clone(),
            secret: body.client_secret.clone().map(Zeroizing::new),
            basic: false,
        }),
    }
}

/// The body of a direct OAuth request, or the OAuth error for one that cannot be read.
fn client_body(call: &Call<'_>) -> Result<ClientBody, OAuthError> {
    parse::body::<ClientBody>(call.req).map_err(|e| OAuthError::new("invalid_request", e.message))
}

/// `POST /oauth/token`.
pub(super) fn token(call: &Call<'_>) -> Result<Answer, Error> {
    let body = match client_body(call) {
        Ok(body) => body,
        Err(e) => return oauth_error(e, false),
    };
    let credentials = match client_credentials(call, &body) {
        Ok(credentials) => credentials,
        Err(e) => return oauth_error(e, false),
    };
    let basic = credentials.basic;
    let request = TokenRequest {
        grant_type: body.grant_type.clone().unwrap_or_default(),
        client_id: credentials.id,
        client_secret: credentials.secret,
        code: body.code,
        redirect_uri: body.redirect_uri,
        code_verifier: body.code_verifier,
        refresh_token: body.refresh_token.map(Zeroizing::new),
        scope: body.scope,
    };
    let address = call.req.client().address;
    match call.sesame.exchange_token(&request, address.as_deref()) {
        Ok(issued) => Ok(open_to_scripts(Answer::json(
            200,
            &IssuedTokens {
                access_token: issued.access_token.as_str(),
                token_type: "Bearer",
                expires_in: issued.expires_in,
                scope: &issued.scope,
                refresh_token: issued.refresh_token.as_ref().map(|t| t.as_str()),
                id_token: issued.id_token.as_deref(),
            },
        ))
        .with_header("pragma", "no-cache".to_owned())),
        Err(e) => oauth_error(e, basic),
    }
}

/// The token endpoint's answer (RFC 6749 §5.1).
#[derive(Serialize)]
struct IssuedTokens<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
}

/// `GET|POST /oauth/userinfo` with the access token as `Authorization: Bearer`.
pub(super) fn userinfo(call: &Call<'_>) -> Result<Answer, Error> {
    let refused = |error: &str, description: &str, status: u16| {
        Ok(open_to_scripts(Answer::json(
            status,
            &OAuthErrorBody {
                error,
                error_description: description,
            },
        ))
        .with_header(
            "www-authenticate",
            format!("Bearer error=\"{error}\", error_description=\"{description}\""),
        ))
    };
    let Some(token) = call.caller.access_token() else {
        return refused(
            "invalid_token",
            "Send the access token as Authorization: Bearer.",
            401,
        );
    };
    match call.sesame.userinfo(token) {
        Ok(claims) => Ok(open_to_scripts(Answer::json(200, &claims))),
        Err(Error::Rejected(e)) if e.code == ErrorCode::Forbidden => refused(
            "insufficient_scope",
            "The token lacks the openid scope.",
            403,
        ),
        Err(Error::Rejected(_)) => refused(
            "invalid_token",
            "The access token is invalid, expired or revoked.",
            401,
        ),
        Err(e) => Err(e),
    }
}

/// The client a direct request authenticates as (revocation, introspection).
fn authenticated_client(
    call: &Call<'_>,
    body: &ClientBody,
) -> Result<(OAuthClient, bool), OAuthError> {
    let credentials = client_credentials(call, body)?;
    let client_id = credentials.id.ok_or_else(OAuthError::invalid_client)?;
    let address = call.req.client().address;
    let client = call.sesame.authenticate_client(
        &client_id,
        credentials.secret.as_ref().map(|s| s.as_str()),
        address.as_deref(),
    )?;
    Ok((client, credentials.basic))
}

/// `POST /oauth/revoke` (RFC 7009): 200 whether or not the token was live.
pub(super) fn revoke(call: &Call<'_>) -> Result<Answer, Error> {
    let body = match client_body(call) {
        Ok(body) => body,
        Err(e) => return oauth_error(e, false),
    };
    let (client, _) = match authenticated_client(call, &body) {
        Ok(found) => found,
        Err(e) => return oauth_error(e, true),
    };
    let Some(token) = body.token.as_deref() else {
        return oauth_error(
            OAuthError::new("invalid_request", "token is missing"),
            false,
        );
    };
    call.sesame.revoke_oauth_token(&client, token)?;
    Ok(open_to_scripts(Answer::json(200, &serde_json::json!({}))))
}

/// `POST /oauth/introspect` (RFC 7662): for an API key with scope `introspect`, or a client
/// asking about its own tokens.
pub(super) fn introspect(call: &Call<'_>) -> Result<Answer, Error> {
    let body = match client_body(call) {
        Ok(body) => body,
        Err(e) => return oauth_error(e, false),
    };
    let client = if let Some(key) = call.caller.api_key() {
        let info = call.sesame.verify_api_key(key)?;
        if !info.scopes.iter().any(|s| s == "introspect") {
            return Err(Error::rejected(
                ErrorCode::Forbidden,
                "This API key lacks the introspect scope.",
            ));
        }
        None
    } else {
        match authenticated_client(call, &body) {
            Ok((client, _)) => Some(client),
            Err(e) => return oauth_error(e, true),
        }
    };
    let Some(token) = body.token.as_deref() else {
        return oauth_error(
            OAuthError::new("invalid_request", "token is missing"),
            false,
        );
    };
    match call.sesame.introspect(token, client.as_ref()) {
        Ok(answer) => Ok(Answer::json(200, &answer)),
        Err(e) => oauth_error(e, false),
    }
}

/// `POST /oauth/register` (RFC 7591), when the setting allows it.
pub(super) fn register(call: &Call<'_>) -> Result<Answer, Error> {
    let request: RegistrationRequest = match parse::body(call.req) {
        Ok(request) => request,
        Err(e) => {
            return oauth_error(OAuthError::new("invalid_client_metadata", e.message), false);
        }
    };
    let address = call.req.client().address;
    match call.sesame.register_client(&request, address.as_deref()) {
        Ok(created) => {
            let client = &created.client;
            let mut body = serde_json::json!({
                "client_id": client.id,
                "client_id_issued_at": client.created_at_ms / 1000,
                "client_name": client.name,
                "redirect_uris": client.redirect_uris,
                "post_logout_redirect_uris": client.post_logout_redirect_uris,
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "scope": client.scopes.join(" "),
                "id_token_signed_response_alg": client.id_token_alg,
                "token_endpoint_auth_method": if client.confidential { "client_secret_basic" } else { "none" },
            });
            if let Some(secret) = &created.secret {
                body["client_secret"] = secret.as_str().into();
                body["client_secret_expires_at"] = 0.into();
            }
            Ok(open_to_scripts(Answer::json(201, &body)))
        }
        Err(e) => oauth_error(e, false),
    }
}
