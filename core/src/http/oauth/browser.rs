//! The browser's side: the authorization endpoint and its consent page, RP-initiated logout,
//! and the user's own list of consents. These are Sesame's pages and keep every check
//! (session cookie, CSRF token, same origin).

use serde::Deserialize;

use super::super::answer::{Answer, Page};
use super::super::bodies::Status;
use super::super::cookies::Cookie;
use super::super::pages::{self, escape, layout, notice, post_button};
use super::super::parse::{self, Credential};
use super::super::return_to;
use super::super::router::Call;
use super::OAuthErrorBody;
use crate::error::{Error, ErrorCode};
use crate::oauth::{AuthorizationRequest, AuthorizeOutcome, AuthorizeRefusal, paths};
use crate::sessions::SessionInfo;

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
            || Page::Html(pages::error(&call.view(), 400, &message)),
        ))),
        Err(AuthorizeRefusal::Redirect(url)) => Ok(Err(Answer::redirect(302, url))),
        Err(AuthorizeRefusal::Sesame(e)) => Err(e),
    }
}

/// `GET /oauth/authorize`.
pub(super) fn authorize(call: &Call<'_>) -> Result<Answer, Error> {
    let params = parse::query_pairs(call.req)?;
    let request = match checked_request(call, params)? {
        Ok(request) => request,
        Err(answer) => return Ok(answer),
    };
    let session = browser_session(call)?;
    let outcome = call.sesame.authorize(&request, session.as_ref())?;
    outcome_answer(call, &request, session.as_ref(), outcome, 302)
}

/// The browser's next step for an authorization `outcome`; `redirect_status` for a redirect to
/// the client (302 after the `GET`, 303 after the consent form's `POST`).
fn outcome_answer(
    call: &Call<'_>,
    request: &AuthorizationRequest,
    session: Option<&SessionInfo>,
    outcome: AuthorizeOutcome,
    redirect_status: u16,
) -> Result<Answer, Error> {
    let back = || -> Result<String, Error> {
        let resume = format!(
            "{}?{}",
            paths::AUTHORIZE,
            request.resume_query(call.sesame)?
        );
        Ok(Cookie::Return.set(call.sesame, &return_to::cookie_value(&resume)))
    };
    Ok(match outcome {
        AuthorizeOutcome::SignIn => {
            let login = match &request.login_hint {
                Some(hint) => format!("/login?login_hint={}", parse::encode_query_value(hint)),
                None => "/login".to_owned(),
            };
            Answer::redirect(303, login).with_cookie(back()?)
        }
        AuthorizeOutcome::Reauthenticate => {
            Answer::redirect(303, "/verify".to_owned()).with_cookie(back()?)
        }
        AuthorizeOutcome::Consent => {
            let session = session.ok_or(Error::NoSession("consent without a session"))?;
            consent_page(call, request, &session.csrf_token)
        }
        AuthorizeOutcome::Redirect(url) => Answer::redirect(redirect_status, url),
        AuthorizeOutcome::ErrorPage(message) => {
            Answer::page(400, Page::Html(pages::error(&call.view(), 400, &message)))
        }
    })
}

/// The consent page: which application asks for what, with a form whose answer goes to the
/// authorization endpoint. Its form-action policy also names the application's redirect
/// origin, where the answer redirects (browsers check the redirect of a form against it).
fn consent_page(call: &Call<'_>, request: &AuthorizationRequest, csrf_token: &str) -> Answer {
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
            "<h1>{} wants to use your Sesame account</h1>\n{}<p>It asks to:</p>\n<ul>{scopes}</ul>\n\
             <p>You will be sent back to <code>{}</code>.</p>\n{allow}\n{deny}",
            escape(&request.client.name),
            if request.client.dynamic {
                "<p><strong>This application registered itself; its name was not checked by \
                 anyone. Allow it only if you started this sign-in.</strong></p>\n"
            } else {
                ""
            },
            escape(&request.redirect_uri)
        ),
    );
    let origin = crate::oauth::redirect_origin(&request.redirect_uri).unwrap_or_default();
    let policy = super::super::answer::page_policy(call.sesame.config(), false, &origin);
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
pub(super) fn consent_answer(call: &Call<'_>) -> Result<Answer, Error> {
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
    let outcome = call
        .sesame
        .answer_consent(&request, &session, decision.decision == "allow")?;
    outcome_answer(call, &request, Some(&session), outcome, 303)
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
            Page::Html(pages::error(&call.view(), 400, message)),
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
        // Without the application's ID token nothing shows the request comes from it, and a
        // registered URI of a self-registered client is anyone's (OpenID RP-Initiated Logout
        // §3: no post-logout redirection without other means of confirming it).
        Some(_) if hint.is_none() => {
            return page(
                "Sesame sends you back to the application only when it names your sign-in (id_token_hint).",
            );
        }
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
pub(super) fn logout(call: &Call<'_>) -> Result<Answer, Error> {
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
        super::super::answer::page_policy(call.sesame.config(), false, &origin),
    ))
}

/// `POST /oauth/logout`: the confirmation.
pub(super) fn logout_confirmed(call: &Call<'_>) -> Result<Answer, Error> {
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
            &Status {
                status: "signed-out",
            },
            || {
                let view = call.view();
                let title = view.t("oauth-signed-out-title");
                Page::Html(
                    notice(&view, &title, &view.t("oauth-signed-out"))
                        .unwrap_or_else(|_| pages::error(&view, 500, &title)),
                )
            },
        ),
    }
}

/// `GET /oauth/consents`: the applications the user let in.
pub(super) fn consents(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let list = call.sesame.consents(&info.user.id)?;
    Ok(Answer::json(200, &serde_json::json!({ "consents": list })))
}

#[derive(Deserialize)]
struct RevokeConsentBody {
    client_id: String,
}

/// `POST /oauth/consents/revoke`: withdraws a consent and ends the application's sign-ins.
pub(super) fn revoke_consent(call: &Call<'_>) -> Result<Answer, Error> {
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let body: RevokeConsentBody = parse::body(call.req)?;
    call.sesame.revoke_consent(&info.user.id, &body.client_id)?;
    Ok(Answer::of(
        call.format,
        200,
        &Status { status: "revoked" },
        || Page::Redirect("/me"),
    ))
}
