//! The browser's side: the authorization endpoint and its consent page, RP-initiated logout,
//! and the user's own list of consents. These are Sesame's pages and keep every check
//! (session cookie, CSRF token, same origin).

use serde::Deserialize;

use super::super::answer::{Answer, Page};
use super::super::bodies::Status;
use super::super::cookies::Cookie;
use super::super::pages::{self, notice};
use super::super::parse::{self, Credential};
use super::super::return_to;
use super::super::router::Call;
use super::super::view::View;
use super::OAuthErrorBody;
use crate::error::{Error, ErrorCode, Result};
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
            || refusal_page(call, &message),
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
            consent_page(call, request, &session.csrf_token)?
        }
        AuthorizeOutcome::Redirect(url) => Answer::redirect(redirect_status, url),
        AuthorizeOutcome::ErrorPage(message) => Answer::page(400, refusal_page(call, &message)),
    })
}

/// The consent page: which application asks for what, with a form whose answer goes to the
/// authorization endpoint. Its form-action policy also names the application's redirect
/// origin, where the answer redirects (browsers check the redirect of a form against it).
fn consent_page(
    call: &Call<'_>,
    request: &AuthorizationRequest,
    csrf_token: &str,
) -> Result<Answer> {
    let view = call.view();
    let product = product(call);
    let scopes: Vec<String> = request
        .scopes
        .iter()
        .map(|s| scope_description(&view, s, &product))
        .collect();
    // The buttons carry the decision; a `decision` or token in the request itself would
    // only make the answer ambiguous.
    let fields = hidden_fields(request.params(), &["decision", "csrf_token"]);
    let html = view.render(
        "oauth-consent.html",
        minijinja::context! {
            client => request.client.name.clone(),
            unverified => request.client.dynamic,
            scopes,
            redirect_uri => request.redirect_uri.clone(),
            action => paths::AUTHORIZE,
            csrf_token,
            fields,
        },
    )?;
    let origin = crate::oauth::redirect_origin(&request.redirect_uri).unwrap_or_default();
    let policy = super::super::answer::page_policy(call.sesame.config(), false, &origin);
    Ok(Answer::page(200, Page::Html(html)).with_header("content-security-policy", policy))
}

/// The deployment's name for itself, where the pages said "Sesame".
fn product(call: &Call<'_>) -> String {
    call.sesame.config().branding.product_name.clone()
}

/// A form's hidden fields (`name`, `value`) for `params`, leaving out the names in `skip`.
fn hidden_fields(params: &[(String, String)], skip: &[&str]) -> Vec<minijinja::Value> {
    params
        .iter()
        .filter(|(name, _)| !skip.contains(&name.as_str()))
        .map(|(name, value)| minijinja::context! { name, value })
        .collect()
}

/// What a scope lets an application do, in words.
fn scope_description(view: &View<'_>, scope: &str, product: &str) -> String {
    let id = match scope {
        "openid" => "oauth-scope-openid",
        "profile" => "oauth-scope-profile",
        "email" => "oauth-scope-email",
        "offline_access" => "oauth-scope-offline-access",
        "roles" => "oauth-scope-roles",
        _ => "oauth-scope-unknown",
    };
    view.text(id, &[("product", product.into())])
}

/// The page of a request the application got wrong, never a redirect to it.
fn refusal_page(call: &Call<'_>, english: &str) -> Page {
    let view = call.view();
    Page::Html(pages::error(
        &view,
        400,
        &refusal_text(&view, english, &product(call)),
    ))
}

/// The messages core refuses an authorization request with (in English, which the JSON
/// answer and the log keep), and their catalog ids: the page shows the catalog's text in the
/// reader's language with the deployment's name. A message without values, then the start
/// and end around the one value of the others.
const REFUSALS: [(&str, &str); 4] = [
    (
        "oauth-request-no-client",
        "The request names no client (client_id).",
    ),
    (
        "oauth-request-unknown-client",
        "The application that sent you here is not known to Sesame.",
    ),
    (
        "oauth-request-no-redirect",
        "The request has no redirect_uri.",
    ),
    (
        "oauth-request-unregistered-redirect",
        "The application asked to send you to an address it has not registered.",
    ),
];

/// See [`REFUSALS`]: the messages with a value (`name`, or the `reason`, which stays as core
/// words it: a protocol detail naming parameters).
const REFUSALS_WITH_VALUE: [(&str, &str, &str, &str); 3] = [
    (
        "oauth-request-repeated",
        "name",
        "The parameter ",
        " was given more than once.",
    ),
    (
        "oauth-request-invalid",
        "reason",
        "The application's request is invalid: ",
        ".",
    ),
    (
        "oauth-request-failed",
        "reason",
        "The application's request failed: ",
        ".",
    ),
];

/// The page text of core's refusal `english`; `english` itself when it is none of the
/// messages the catalogs know (core's wording changed).
fn refusal_text(view: &View<'_>, english: &str, product: &str) -> String {
    if let Some((id, _)) = REFUSALS.iter().find(|(_, text)| *text == english) {
        return view.text(id, &[("product", product.into())]);
    }
    for (id, name, start, end) in REFUSALS_WITH_VALUE {
        if let Some(value) = english
            .strip_prefix(start)
            .and_then(|rest| rest.strip_suffix(end))
        {
            return view.text(id, &[(name, value.into())]);
        }
    }
    english.to_owned()
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
    let view = call.view();
    let product = product(call);
    // The message of catalog entry `id`, on an error page.
    let page = |id: &str| {
        let message = view.text(id, &[("product", product.as_str().into())]);
        Ok(Err(Answer::page(
            400,
            Page::Html(pages::error(&view, 400, &message)),
        )))
    };
    let hint = match get("id_token_hint") {
        Some(token) => match call.sesame.read_id_token_hint(token)? {
            Some(hint) => Some(hint),
            None => return page("oauth-logout-bad-hint"),
        },
        None => None,
    };
    let client_id = match (get("client_id"), &hint) {
        (Some(given), Some(hint)) if given != hint.client_id => {
            return page("oauth-logout-hint-mismatch");
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
        Some(_) if hint.is_none() => return page("oauth-logout-needs-hint"),
        Some(uri) => {
            let client = match &client_id {
                Some(id) => call.sesame.oauth_client(id)?,
                None => None,
            };
            let registered =
                client.is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return page("oauth-request-unregistered-redirect");
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
    let html = call.view().render(
        "oauth-logout.html",
        minijinja::context! {
            action => paths::LOGOUT,
            csrf_token => session.csrf_token.clone(),
            // The form sends its own token; one in the query would make it ambiguous.
            fields => hidden_fields(&params, &["csrf_token"]),
        },
    )?;
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
                let product = product(call);
                let message = view.text("oauth-signed-out", &[("product", product.into())]);
                // Signed out already: should a replaced template fail, the plain page still
                // says so.
                Page::Html(
                    notice(&view, &title, &message)
                        .unwrap_or_else(|_| pages::error(&view, 500, &message)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Request, Response};
    use crate::i18n::Language;
    use crate::oauth::NewOAuthClient;
    use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture};

    /// A fixture calling itself `product`, with ada signed in (her session cookie) and a
    /// client named Wiki.
    fn signed_in(product: &str) -> (Fixture, String, String) {
        let mut f = Fixture::registered();
        f.config.branding.product_name = product.into();
        let client = f
            .sesame()
            .add_oauth_client(&NewOAuthClient {
                name: "Wiki".into(),
                confidential: true,
                redirect_uris: vec!["https://app.example/cb".into()],
                ..Default::default()
            })
            .unwrap()
            .client;
        let session = f
            .sesame()
            .login(ADA_EMAIL, ADA_PASSWORD, &Default::default())
            .unwrap();
        let cookie = format!("__Host-sesame_session={}", session.token.expose());
        (f, cookie, client.id)
    }

    fn get(f: &Fixture, path: &str, cookie: &str, lang: &str) -> Response {
        f.send(
            Request::new("GET", path)
                .with_header("accept", "text/html")
                .with_header("accept-language", lang)
                .with_header("cookie", cookie),
        )
    }

    #[test]
    fn the_consent_page_names_the_client_and_the_product_in_the_readers_language() {
        let (f, cookie, client_id) = signed_in("Acme");
        let path = format!(
            "/oauth/authorize?response_type=code&client_id={client_id}\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid%20offline_access\
             &state=s1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256"
        );
        let r = get(&f, &path, &cookie, "fr");
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let policy = r.header("content-security-policy").unwrap_or_default();
        assert!(
            policy.contains("form-action 'self' https://app.example"),
            "{policy}"
        );
        let page = String::from_utf8_lossy(&r.body);
        assert!(page.contains("<html lang=\"fr\">"), "{page}");
        assert!(
            page.contains("<h1>Wiki souhaite utiliser votre compte Acme</h1>"),
            "{page}"
        );
        assert!(
            page.contains("<li>savoir qui vous êtes (l’identifiant de votre compte Acme)</li>")
        );
        assert!(page.contains("name=\"decision\" value=\"allow\""), "{page}");
        assert!(page.contains(">Autoriser l’accès</button>"), "{page}");
        assert!(page.contains("<input type=\"hidden\" name=\"state\" value=\"s1\">"));
        assert!(
            !page.contains("Sesame") && !page.contains("style="),
            "{page}"
        );
        // In English the allowing button is the one that says "Allow".
        let page = String::from_utf8_lossy(&get(&f, &path, &cookie, "en").body).into_owned();
        assert!(page.contains(">Allow access</button>") && page.contains(">Deny</button>"));
        assert!(page.contains("wants to use your Acme account"), "{page}");
    }

    #[test]
    fn a_sign_out_asked_by_an_application_is_confirmed_in_the_readers_language() {
        let (f, cookie, _) = signed_in("Acme");
        let r = get(&f, "/oauth/logout?state=x", &cookie, "es");
        assert_eq!(r.status, 200);
        let page = String::from_utf8_lossy(&r.body);
        assert!(
            page.contains("<h1>¿Cerrar la sesión de Acme?</h1>"),
            "{page}"
        );
        assert!(page.contains("<input type=\"hidden\" name=\"state\" value=\"x\">"));
        assert!(page.contains(">Cerrar sesión</button>"), "{page}");
        // Without a sign-in there is nothing to ask: the page says it is done.
        let r = get(&f, "/oauth/logout", "", "en");
        assert_eq!(r.status, 200);
        let page = String::from_utf8_lossy(&r.body);
        assert!(page.contains("<h1>Signed out</h1>"), "{page}");
        assert!(page.contains("You are signed out of Acme."), "{page}");
        // A hint Acme did not issue: an error page that says so, with the product's name.
        let r = get(&f, "/oauth/logout?id_token_hint=nope", &cookie, "de");
        assert_eq!(r.status, 400);
        let page = String::from_utf8_lossy(&r.body);
        assert!(
            page.contains("kein ID-Token, das Acme ausgestellt hat"),
            "{page}"
        );
    }

    #[test]
    fn cores_refusals_read_the_same_from_the_catalog_and_are_translated() {
        let f = Fixture::new();
        let en = View::new(Language::En, &f.config);
        for (_, english) in REFUSALS {
            assert_eq!(refusal_text(&en, english, "Sesame"), english);
        }
        let repeated = "The parameter scope was given more than once.";
        assert_eq!(refusal_text(&en, repeated, "Sesame"), repeated);
        let fr = View::new(Language::Fr, &f.config);
        assert_eq!(
            refusal_text(&fr, repeated, "Sesame"),
            "Le paramètre scope a été donné plus d’une fois."
        );
        assert_eq!(
            refusal_text(&fr, REFUSALS[1].1, "Acme"),
            "L’application qui vous a envoyé ici n’est pas connue de Acme."
        );
        let failed = "The application's request failed: login_required.";
        assert_eq!(refusal_text(&en, failed, "Sesame"), failed);
        // A wording the catalogs do not know is shown as core wrote it.
        assert_eq!(
            refusal_text(&fr, "Something new.", "Acme"),
            "Something new."
        );
    }
}
