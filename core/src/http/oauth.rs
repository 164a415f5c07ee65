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

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::answer::{Answer, Page};
use super::cookies::Cookie;
use super::pages::{escape, layout, notice, post_button};
use super::parse::{self, Credential};
use super::router::{Call, Route};
use crate::error::{Error, ErrorCode};
use crate::oauth::{
    AuthorizationRequest, AuthorizeOutcome, AuthorizeRefusal, OAuthClient, OAuthError,
    RegistrationRequest, TokenRequest, paths,
};
use crate::sessions::SessionInfo;

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 16] = [
    Route::json("GET", "/.well-known/openid-configuration", metadata).cross_origin(),
    Route::json("GET", "/.well-known/oauth-authorization-server", metadata).cross_origin(),
    Route::page("GET", paths::AUTHORIZE, authorize),
    Route::page("POST", paths::AUTHORIZE, consent_answer),
    Route::json("POST", paths::TOKEN, token).cross_origin(),
    Route::json("OPTIONS", paths::TOKEN, preflight).cross_origin(),
    Route::json("GET", paths::USERINFO, userinfo).cross_origin(),
    Route::json("POST", paths::USERINFO, userinfo).cross_origin(),
    Route::json("OPTIONS", paths::USERINFO, preflight).cross_origin(),
    Route::json("POST", paths::REVOKE, revoke).cross_origin(),
    Route::json("POST", paths::INTROSPECT, introspect).cross_origin(),
    Route::json("POST", paths::REGISTER, register).cross_origin(),
    Route::page("GET", paths::LOGOUT, logout),
    Route::page("POST", paths::LOGOUT, logout_confirmed),
    Route::json("GET", "/oauth/consents", consents),
    Route::json("POST", "/oauth/consents/revoke", revoke_consent),
];

/// Answers a browser script may read from any origin; none carries credentials.
fn open_to_scripts(answer: Answer) -> Answer {
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
    Ok(open_to_scripts(Answer::json(204, &serde_json::json!({})))
        .with_header("access-control-allow-methods", "GET, POST".to_owned())
        .with_header(
            "access-control-allow-headers",
            "Authorization, Content-Type, DPoP".to_owned(),
        )
        .with_header("access-control-max-age", "600".to_owned()))
}

/// The browser's Sesame session, from its cookie only: the authorization endpoint is a
/// browser's, and a bearer token is no sign-in there.
fn browser_session(call: &Call<'_>) -> Result<Option<SessionInfo>, Error> {
    match call.caller.credential() {
        Some(Credential::Cookie(token)) => match call.sesame.validate_session(token) {
            Ok(info) => Ok(Some(info)),
            Err(Error::NoSession(_)) => Ok(None),
            Err(Error::Rejected(e)) if e.code == ErrorCode::Unauthenticated => Ok(None),
            Err(e) => Err(e),
        },
        _ => Ok(None),
    }
}

fn checked_request(
    call: &Call<'_>,
    params: Vec<(String, String)>,
) -> Result<Result<AuthorizationRequest, Answer>, Error> {
    match call.sesame.check_authorization_request(params) {
        Ok(request) => Ok(Ok(request)),
        Err(AuthorizeRefusal::Page(message)) => Ok(Err(Answer::of(
            call.format,
            400,
            &OAuthErrorBody {
                error: "invalid_request",
                error_description: &message,
            },
            || Page::Html(super::pages::error(400, &message)),
        ))),
        Err(AuthorizeRefusal::Redirect(url)) => Ok(Err(Answer::redirect(302, url))),
        Err(AuthorizeRefusal::Sesame(e)) => Err(e),
    }
}

/// `GET /oauth/authorize`.
fn authorize(call: &Call<'_>) -> Result<Answer, Error> {
    let params = parse::query_pairs(call.req)?;
    let request = match checked_request(call, params)? {
        Ok(request) => request,
        Err(answer) => return Ok(answer),
    };
    let session = browser_session(call)?;
    let back = || {
        Cookie::Return.set(
            call.sesame,
            &super::return_to::cookie_value(&format!(
                "{}?{}",
                paths::AUTHORIZE,
                request.resume_query()
            )),
        )
    };
    Ok(match call.sesame.authorize(&request, session.as_ref())? {
        AuthorizeOutcome::SignIn => Answer::redirect(303, "/login".to_owned()).with_cookie(back()),
        AuthorizeOutcome::Reauthenticate => {
            Answer::redirect(303, "/verify".to_owned()).with_cookie(back())
        }
        AuthorizeOutcome::Consent => {
            let session = session.ok_or(Error::NoSession("consent without a session"))?;
            consent_page(&request, &session.csrf_token)
        }
        AuthorizeOutcome::Redirect(url) => Answer::redirect(302, url),
    })
}

/// The consent page: which application asks for what, with a form whose answer goes to the
/// authorization endpoint. Its form-action policy also names the application's redirect
/// origin, where the answer redirects (browsers check the redirect of a form against it).
fn consent_page(request: &AuthorizationRequest, csrf_token: &str) -> Answer {
    let scopes: String = request
        .scopes
        .iter()
        .map(|s| format!("<li>{}</li>", escape(scope_description(s))))
        .collect();
    let mut fields: Vec<(&str, &str)> = request
        .params()
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    fields.push(("decision", "allow"));
    let allow = post_button(paths::AUTHORIZE, csrf_token, "Allow", &fields);
    if let Some(last) = fields.last_mut() {
        *last = ("decision", "deny");
    }
    let deny = post_button(paths::AUTHORIZE, csrf_token, "Deny", &fields);
    let html = layout(
        "Allow access",
        &format!(
            "<h1>{} wants to use your Sesame account</h1>\n<p>It asks to:</p>\n<ul>{scopes}</ul>\n\
             <p>You will be sent back to <code>{}</code>.</p>\n{allow}\n{deny}",
            escape(&request.client.name),
            escape(&request.redirect_uri)
        ),
    );
    let origin = crate::oauth::redirect_origin(&request.redirect_uri).unwrap_or_default();
    let policy = format!(
        "default-src 'none'; form-action 'self' {origin}; frame-ancestors 'none'; base-uri 'none'"
    );
    Answer::page(200, Page::Html(html)).with_header("content-security-policy", policy)
}

/// What a scope lets an application do, in words.
fn scope_description(scope: &str) -> &'static str {
    match scope {
        "openid" => "know who you are (your Sesame account id)",
        "profile" => "see your username",
        "email" => "see your email address and whether it is confirmed",
        "offline_access" => "stay signed in while you are away (until you sign out of Sesame)",
        "roles" => "see your roles",
        _ => "an unknown permission",
    }
}

#[derive(Deserialize)]
struct ConsentDecision {
    decision: String,
}

/// `POST /oauth/authorize`: the consent form's answer.
fn consent_answer(call: &Call<'_>) -> Result<Answer, Error> {
    let (session, credential) = call.caller.signed_in(call.sesame)?;
    if !matches!(credential, Credential::Cookie(_)) {
        return Err(Error::rejected(
            ErrorCode::Unauthenticated,
            "Consent is given in the browser signed in to Sesame.",
        ));
    }
    let mut params = form_pairs(call)?;
    let decision: ConsentDecision = parse::body(call.req)?;
    params.retain(|(name, _)| name != "decision" && name != "csrf_token");
    let request = match checked_request(call, params)? {
        Ok(request) => request,
        Err(answer) => return Ok(answer),
    };
    let url = call
        .sesame
        .answer_consent(&request, &session, decision.decision == "allow")?;
    Ok(Answer::redirect(303, url))
}

/// The fields of a form body, in order.
fn form_pairs(call: &Call<'_>) -> Result<Vec<(String, String)>, Error> {
    let value: serde_json::Value = parse::body(call.req)?;
    Ok(value
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default())
}

/// An OAuth error body (RFC 6749 §5.2).
#[derive(Serialize)]
struct OAuthErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

/// The answer to an OAuth error at an endpoint clients call directly.
fn oauth_error(error: OAuthError, basic_used: bool) -> Result<Answer, Error> {
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
fn token(call: &Call<'_>) -> Result<Answer, Error> {
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
    match call.sesame.exchange_token(&request) {
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
fn userinfo(call: &Call<'_>) -> Result<Answer, Error> {
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
    let client = call
        .sesame
        .authenticate_client(&client_id, credentials.secret.as_ref().map(|s| s.as_str()))?;
    Ok((client, credentials.basic))
}

/// `POST /oauth/revoke` (RFC 7009): 200 whether or not the token was live.
fn revoke(call: &Call<'_>) -> Result<Answer, Error> {
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
fn introspect(call: &Call<'_>) -> Result<Answer, Error> {
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
fn register(call: &Call<'_>) -> Result<Answer, Error> {
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

/// The parameters of a logout request.
struct LogoutRequest {
    hint: Option<crate::oauth::IdTokenHint>,
    /// Where to send the browser afterwards, with `state`: only a registered URI.
    after: Option<String>,
}

fn logout_request(
    call: &Call<'_>,
    params: &[(String, String)],
) -> Result<Result<LogoutRequest, Answer>, Error> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let page = |message: &str| {
        Ok(Err(Answer::page(
            400,
            Page::Html(super::pages::error(400, message)),
        )))
    };
    let hint = match get("id_token_hint") {
        Some(token) => match call.sesame.read_id_token_hint(token)? {
            Some(hint) => Some(hint),
            None => return page("The id_token_hint is not an ID token Sesame issued."),
        },
        None => None,
    };
    let client_id = match (get("client_id"), &hint) {
        (Some(given), Some(hint)) if given != hint.client_id => {
            return page("client_id and id_token_hint name different applications.");
        }
        (Some(given), _) => Some(given.to_owned()),
        (None, Some(hint)) => Some(hint.client_id.clone()),
        (None, None) => None,
    };
    let after = match get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client = match &client_id {
                Some(id) => call.sesame.oauth_client(id)?,
                None => None,
            };
            let registered =
                client.is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return page(
                    "The application asked to send you to an address it has not registered.",
                );
            }
            let mut query: Vec<(&str, &str)> = Vec::new();
            if let Some(state) = get("state") {
                query.push(("state", state));
            }
            Some(crate::oauth::with_query(uri, &query))
        }
    };
    Ok(Ok(LogoutRequest { hint, after }))
}

/// `GET /oauth/logout` (RP-initiated logout): signs the browser out of Sesame when the
/// `id_token_hint` names its session, else asks first (a logout link anyone can send must
/// not sign people out unasked).
fn logout(call: &Call<'_>) -> Result<Answer, Error> {
    let params = parse::query_pairs(call.req)?;
    let request = match logout_request(call, &params)? {
        Ok(request) => request,
        Err(answer) => return Ok(answer),
    };
    let Some(session) = browser_session(call)? else {
        return Ok(after_logout(call, request.after));
    };
    let names_this_session = request.hint.as_ref().is_some_and(|hint| {
        hint.user_id == session.user.id
            && hint.sid.as_deref() == Some(crate::oauth::session_sid(&session.id).as_str())
    });
    if names_this_session {
        end_browser_session(call)?;
        return Ok(
            after_logout(call, request.after).with_cookie(Cookie::Session.clear(call.sesame))
        );
    }
    let fields: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let html = layout(
        "Sign out",
        &format!(
            "<h1>Sign out of Sesame?</h1>\n<p>An application asked to sign you out of Sesame.</p>\n{}\n<p><a href=\"/me\">Stay signed in</a></p>",
            post_button(paths::LOGOUT, &session.csrf_token, "Sign out", &fields)
        ),
    );
    let origin = request
        .after
        .as_deref()
        .and_then(crate::oauth::redirect_origin)
        .unwrap_or_default();
    Ok(Answer::page(200, Page::Html(html)).with_header(
        "content-security-policy",
        format!("default-src 'none'; form-action 'self' {origin}; frame-ancestors 'none'; base-uri 'none'"),
    ))
}

/// `POST /oauth/logout`: the confirmation.
fn logout_confirmed(call: &Call<'_>) -> Result<Answer, Error> {
    call.caller.signed_in(call.sesame)?;
    let mut params = form_pairs(call)?;
    params.retain(|(name, _)| name != "csrf_token");
    let request = match logout_request(call, &params)? {
        Ok(request) => request,
        Err(answer) => return Ok(answer),
    };
    end_browser_session(call)?;
    Ok(after_logout(call, request.after).with_cookie(Cookie::Session.clear(call.sesame)))
}

fn end_browser_session(call: &Call<'_>) -> Result<(), Error> {
    if let Some(Credential::Cookie(token)) = call.caller.credential() {
        call.sesame.logout(token)?;
    }
    Ok(())
}

fn after_logout(call: &Call<'_>, after: Option<String>) -> Answer {
    match after {
        Some(url) => Answer::redirect(303, url),
        None => Answer::of(
            call.format,
            200,
            &super::bodies::Status {
                status: "signed-out",
            },
            || Page::Html(notice("Signed out", "You are signed out of Sesame.")),
        ),
    }
}

/// `GET /oauth/consents`: the applications the user let in.
fn consents(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let list = call.sesame.consents(&info.user.id)?;
    Ok(Answer::json(200, &serde_json::json!({ "consents": list })))
}

#[derive(Deserialize)]
struct RevokeConsentBody {
    client_id: String,
}

/// `POST /oauth/consents/revoke`: withdraws a consent and ends the application's sign-ins.
fn revoke_consent(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: RevokeConsentBody = parse::body(call.req)?;
    call.sesame.revoke_consent(&info.user.id, &body.client_id)?;
    Ok(Answer::of(
        call.format,
        200,
        &super::bodies::Status { status: "revoked" },
        || Page::Redirect("/me"),
    ))
}
