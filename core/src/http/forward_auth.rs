//! Forward-auth for reverse proxies (nginx `auth_request`, Traefik `forwardAuth`, Caddy
//! `forward_auth`, Envoy `ext_authz`): `GET /auth/check`.
//!
//! Without access rules it answers whether someone is signed in and holds what the query asks
//! for (`?role=R&permission=P&scope=S`). With rules (`SESAME_ACCESS_RULES`), it reads the
//! request being checked from a trusted proxy's headers, decides by the rules, and sends a
//! browser that must sign in to Sesame's sign-in page with the original URL in `rd`.
//!
//! Envoy's HTTP `ext_authz` sends the request being checked as its own method and path below
//! a prefix; with `path_prefix: /auth/check` it arrives as `<METHOD> /auth/check/<path>`, the
//! host in `Host` and the scheme in `X-Forwarded-Proto`.

use super::answer::{Answer, Format};
use super::bodies::Status;
use super::parse;
use super::request::Request;
use super::router::{Call, Route, sanitize_to};
use crate::access::{self, Decision, PersonFacts, SignInNeeded, Target};
use crate::error::{Error, ErrorCode};

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 2] = [
    Route::json("GET", "/auth/check", auth_check),
    Route::proxy_protocol(ENVOY_PREFIX, envoy_check),
];

/// Where Envoy's `ext_authz` (with `path_prefix: /auth/check`) puts the request it checks.
const ENVOY_PREFIX: &str = "/auth/check/";

/// The longest role, permission or scope name echoed back in a refusal.
const NAME_LIMIT: usize = 64;

/// What identity header values escape: everything but printable ASCII, and `%` itself, so
/// the encoding is reversible and two different names never give one value.
const IDENTITY_ESCAPED: &percent_encoding::AsciiSet =
    &percent_encoding::CONTROLS.add(b' ').add(b'%').add(b',');

fn auth_check(call: &Call<'_>) -> Result<Answer, Error> {
    match &call.sesame.config().access.rules {
        Some(rules) => by_rules(call, rules),
        None => by_query(call),
    }
}

/// Envoy's check: by the rules, or without rules, whether someone is signed in (the query
/// belongs to the request being checked, so nothing is asked for in it).
fn envoy_check(call: &Call<'_>) -> Result<Answer, Error> {
    match &call.sesame.config().access.rules {
        Some(rules) => by_rules(call, rules),
        None => {
            let (info, _) = call.caller.login(call.sesame)?;
            Ok(person_allowed(call, &info.user))
        }
    }
}

/// 200 with identity headers when signed in and holding every `role` and `permission` asked
/// for in the query, 401 when not signed in, 403 when something is missing.
///
/// An API key counts only where the caller asks for at least one `scope`: a route guarded by
/// roles, permissions or nothing at all is for users, and a service's key must not pass it.
fn by_query(call: &Call<'_>) -> Result<Answer, Error> {
    let query = parse::query_pairs(call.req)?;
    if let Some(key) = call.caller.api_key() {
        if !query.iter().any(|(name, _)| name == "scope") {
            return Err(Error::rejected(
                ErrorCode::Unauthenticated,
                "An API key passes only a check that asks for a scope (?scope=...).",
            ));
        }
        return service_check(call, key, &query);
    }
    let (info, _) = call.caller.signed_in(call.sesame)?;
    let permissions = call.sesame.permissions_of(&info.user)?;
    for (name, value) in &query {
        let held = match name.as_str() {
            "role" => info.user.roles.contains(value),
            "permission" => permissions.contains(value),
            // Scopes belong to API keys; a user never holds one.
            "scope" => false,
            _ => {
                return Err(Error::rejected(
                    ErrorCode::InvalidRequest,
                    "Only 'role', 'permission' and 'scope' may be asked for.",
                ));
            }
        };
        if !held {
            return Err(missing(name, value));
        }
    }
    Ok(person_allowed(call, &info.user))
}

/// `/auth/check` for a service presenting an API key: 200 when the key is live and holds every
/// `scope` asked for.
fn service_check(call: &Call<'_>, key: &str, query: &[(String, String)]) -> Result<Answer, Error> {
    let info = call.sesame.verify_api_key(key)?;
    for (name, value) in query {
        if name != "scope" {
            return Err(Error::rejected(
                ErrorCode::InvalidRequest,
                "An API key is checked for 'scope' only.",
            ));
        }
        if !info.scopes.contains(value) {
            return Err(missing(name, value));
        }
    }
    Ok(key_allowed(call, &info))
}

/// Who asks, as the rules see them: a live API key, a live login, or nobody. A credential that
/// is not live (expired, revoked, unknown) makes the caller anonymous, who may be sent to
/// sign in; a broken store is an error.
enum Asker {
    Anonymous,
    Person(Box<crate::sessions::SessionInfo>),
    ApiKey(crate::api_keys::ApiKeyInfo),
}

fn asker(call: &Call<'_>) -> Result<Asker, Error> {
    let not_live = |e: &Error| crate::error::AuthError::from(e).code.http_status() == 401;
    if let Some(key) = call.caller.api_key() {
        return match call.sesame.verify_api_key(key) {
            Ok(info) => Ok(Asker::ApiKey(info)),
            Err(e) if not_live(&e) => Ok(Asker::Anonymous),
            Err(e) => Err(e),
        };
    }
    // A `GET` from the proxy: no CSRF token to check.
    match call.caller.login(call.sesame) {
        Ok((info, _)) => Ok(Asker::Person(Box::new(info))),
        Err(e) if not_live(&e) => Ok(Asker::Anonymous),
        Err(e) => Err(e),
    }
}

/// The decision of the access rules on the request the proxy forwards.
fn by_rules(call: &Call<'_>, rules: &access::AccessRules) -> Result<Answer, Error> {
    let envoy = call.req.path().starts_with(ENVOY_PREFIX);
    if !envoy && !parse::query_pairs(call.req)?.is_empty() {
        return Err(Error::rejected(
            ErrorCode::Forbidden,
            "With access rules, /auth/check takes no query: say what is needed in the rules.",
        ));
    }
    let checked = checked_request(call)
        .map_err(|why| Error::rejected(ErrorCode::Forbidden, format!("Denied: {why}.")))?;
    let asker = asker(call)?;
    let caller = match &asker {
        Asker::Anonymous => access::Caller::Anonymous,
        Asker::ApiKey(info) => access::Caller::ApiKey {
            scopes: &info.scopes,
        },
        Asker::Person(info) => {
            let (authenticated_at_ms, two_factor_at_ms) = if rules.asks_auth_age() {
                let times = call.sesame.authentication_times(info)?;
                (times.any_ms, times.two_factor_ms)
            } else {
                (info.authenticated_at_ms, info.two_factor_at_ms)
            };
            access::Caller::Person(PersonFacts {
                id: &info.user.id,
                email: &info.user.email,
                username: info.user.username.as_deref(),
                roles: &info.user.roles,
                second_factor: info.second_factor,
                authenticated_at_ms,
                two_factor_at_ms,
            })
        }
    };
    // A person's permissions are read from the store only when a rule names one.
    let mut permissions: Option<Vec<String>> = None;
    let verdict = rules.decide(
        &checked.target,
        call.req.client_address(),
        &caller,
        call.sesame.now_ms(),
        |wanted| {
            let Asker::Person(info) = &asker else {
                return Ok(false);
            };
            if permissions.is_none() {
                permissions = Some(call.sesame.permissions_of(&info.user)?);
            }
            Ok::<_, Error>(permissions.iter().flatten().any(|p| p == wanted))
        },
    )?;
    match verdict.decision {
        Decision::Allow => Ok(match &asker {
            Asker::Person(info) => person_allowed(call, &info.user),
            Asker::ApiKey(info) => key_allowed(call, info),
            Asker::Anonymous => anonymous_allowed(call),
        }),
        Decision::Deny => Err(Error::rejected(
            ErrorCode::Forbidden,
            "The access rules do not let you reach this.",
        )),
        Decision::SignIn(why) => Ok(sign_in_first(call, &checked, why)),
    }
}

/// Sends a browser to the sign-in page with the original URL, or tells a program to sign in.
fn sign_in_first(call: &Call<'_>, checked: &CheckedRequest, why: SignInNeeded) -> Answer {
    let (code, message) = match why {
        SignInNeeded::NotSignedIn => (ErrorCode::Unauthenticated, "Sign in to reach this."),
        SignInNeeded::SecondFactor => (
            ErrorCode::SecondFactorRequired,
            "This needs a sign-in with a second factor or a passkey.",
        ),
        SignInNeeded::Stale => (
            ErrorCode::ReauthenticationRequired,
            "This needs a recent sign-in: sign in again.",
        ),
    };
    let body = Answer::refusal(&Error::rejected(code, message));
    if call.format != Format::Html {
        return body;
    }
    let location = format!(
        "{}/login?rd={}",
        call.sesame.config().public_url,
        parse::encode_query_value(&checked.target.url())
    );
    // nginx's `auth_request` understands only 2xx, 401 and 403: it gets 401 and the place to
    // go in `Location`, which its `error_page` turns into the redirect. Other proxies pass
    // the answer through, so they get the redirect itself.
    if checked.nginx {
        // 401 whatever the reason: nginx treats a 403 as final.
        body.with_status(401).with_header("location", location)
    } else {
        Answer::redirect(302, location)
    }
}

/// The request being checked, and whether it came the nginx way (`X-Original-URL`).
struct CheckedRequest {
    target: Target,
    nginx: bool,
}

/// Reads the request being checked from the proxy's headers, which count only from a trusted
/// proxy.
fn checked_request(call: &Call<'_>) -> Result<CheckedRequest, access::Malformed> {
    let req = call.req;
    if !call.sesame.config().trusted_proxies.vouch_for(req.peer) {
        return Err(access::Malformed(
            "it did not come from a trusted proxy (SESAME_TRUSTED_PROXIES)",
        ));
    }
    if req.path().starts_with(ENVOY_PREFIX) {
        // The path below the prefix, with its query: `/auth/check/x?y` checks `/x?y`. The
        // request itself is the description; another one beside it is refused.
        // The host is `Host`, which Envoy keeps; an `X-Forwarded-Host` beside it would be a
        // second one a client could choose where a configuration forwards it.
        for name in [
            "x-original-url",
            "x-original-method",
            "x-forwarded-method",
            "x-forwarded-uri",
            "x-forwarded-host",
        ] {
            if one_header(req, name)?.is_some() {
                return Err(access::Malformed("it describes the request twice"));
            }
        }
        let uri = &req.path_with_query[ENVOY_PREFIX.len() - 1..];
        let host = one_header(req, "host")?.ok_or(access::Malformed("the host is missing"))?;
        let proto = one_header(req, "x-forwarded-proto")?
            .ok_or(access::Malformed("X-Forwarded-Proto is missing"))?;
        return Ok(CheckedRequest {
            target: Target::from_parts(&req.method, proto, host, uri)?,
            nginx: false,
        });
    }
    // Exactly one of the two forms, whole. Proxies pass the client's other headers on to the
    // check (Caddy and Traefik copy them all), so a form chosen by which headers are present
    // would let a client pick its own description of the request: both forms at once is
    // refused, and neither form borrows a part from the other.
    let original_url = one_header(req, "x-original-url")?;
    let original_method = one_header(req, "x-original-method")?;
    let forwarded_method = one_header(req, "x-forwarded-method")?;
    let forwarded_uri = one_header(req, "x-forwarded-uri")?;
    let nginx = original_url.is_some() || original_method.is_some();
    if nginx && (forwarded_method.is_some() || forwarded_uri.is_some()) {
        return Err(access::Malformed(
            "it carries both X-Original-* and X-Forwarded-Method/-Uri",
        ));
    }
    if nginx {
        let url = original_url.ok_or(access::Malformed("X-Original-URL is missing"))?;
        let method = original_method.ok_or(access::Malformed("X-Original-Method is missing"))?;
        return Ok(CheckedRequest {
            target: Target::from_url(method, url)?,
            nginx: true,
        });
    }
    let part = |name: &'static str, missing: &'static str| {
        one_header(req, name)?.ok_or(access::Malformed(missing))
    };
    let target = Target::from_parts(
        forwarded_method.ok_or(access::Malformed("X-Forwarded-Method is missing"))?,
        part("x-forwarded-proto", "X-Forwarded-Proto is missing")?,
        part("x-forwarded-host", "X-Forwarded-Host is missing")?,
        forwarded_uri.ok_or(access::Malformed("X-Forwarded-Uri is missing"))?,
    )?;
    Ok(CheckedRequest {
        target,
        nginx: false,
    })
}

/// The one value of header `name`: absent is `None`; sent twice, or not UTF-8, is malformed
/// (two readings of one request would be a way around the rules).
fn one_header<'r>(req: &'r Request, name: &str) -> Result<Option<&'r str>, access::Malformed> {
    let mut values = req.headers.iter().filter(|(n, _)| n == name);
    let Some((_, first)) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(access::Malformed("a forwarded header is sent twice"));
    }
    std::str::from_utf8(first)
        .map(|text| Some(text.trim()))
        .map_err(|_| access::Malformed("a forwarded header is not UTF-8"))
}

/// 200 for a person, with the identity headers the deployment chose.
fn person_allowed(call: &Call<'_>, user: &crate::accounts::User) -> Answer {
    let chosen = call.sesame.config().access.identity_headers;
    // A key's headers are answered empty, so a proxy copying them overwrites a client's own.
    let mut answer = without_key(Answer::json(200, &Status { status: "ok" }));
    let email = header_value(&user.email);
    // Each role encoded on its own, so a comma inside one (escaped) never splits it.
    let groups: Vec<String> = user.roles.iter().map(|role| header_value(role)).collect();
    if chosen.sesame {
        answer = answer
            .with_header("x-sesame-user", header_value(&user.id))
            .with_header("x-sesame-email", email.clone())
            .with_header("x-sesame-roles", groups.join(","));
    }
    if chosen.remote {
        let name = user.username.as_deref().unwrap_or(&user.email);
        answer = answer
            .with_header("remote-user", header_value(name))
            .with_header("remote-email", email)
            .with_header("remote-groups", groups.join(","));
    }
    answer
}

/// 200 for nobody (a bypass rule), with every chosen identity header present and empty: a
/// proxy that copies them (Caddy's `copy_headers`, Traefik's `authResponseHeaders`) then
/// overwrites whatever the client sent under those names instead of letting it through.
fn anonymous_allowed(call: &Call<'_>) -> Answer {
    without_key(without_person(
        call,
        Answer::json(200, &Status { status: "ok" }),
    ))
}

/// `answer` with every chosen person's identity header present and empty.
fn without_person(call: &Call<'_>, answer: Answer) -> Answer {
    let chosen = call.sesame.config().access.identity_headers;
    let mut names: Vec<&str> = Vec::new();
    if chosen.sesame {
        names.extend(["x-sesame-user", "x-sesame-email", "x-sesame-roles"]);
    }
    if chosen.remote {
        names.extend(["remote-user", "remote-email", "remote-groups"]);
    }
    empty_headers(answer, &names)
}

/// `answer` with a service key's identity headers present and empty.
fn without_key(answer: Answer) -> Answer {
    empty_headers(
        answer,
        &[
            "x-sesame-api-key",
            "x-sesame-api-key-name",
            "x-sesame-scopes",
        ],
    )
}

fn empty_headers(mut answer: Answer, names: &[&str]) -> Answer {
    for name in names {
        answer = answer.with_header(name, String::new());
    }
    answer
}

/// 200 for a service's API key, with its identity headers (and a person's, empty).
fn key_allowed(call: &Call<'_>, info: &crate::api_keys::ApiKeyInfo) -> Answer {
    without_person(call, Answer::json(200, &Status { status: "ok" }))
        .with_header("x-sesame-api-key", info.id.clone())
        .with_header("x-sesame-api-key-name", sanitize_to(&info.name, NAME_LIMIT))
        .with_header("x-sesame-scopes", info.scopes.join(","))
}

/// A value fit for a header that names exactly one identity: UTF-8 percent-encoded outside
/// printable ASCII, with `%`, `,` and spaces escaped too (so `adé` is `ad%C3%A9` and can never
/// be confused with an `ad%C3%A9` someone registered, a comma never splits a group, and
/// nothing is dropped or cut).
fn header_value(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, IDENTITY_ESCAPED).to_string()
}

/// [`header_value`], for the tests.
#[cfg(test)]
pub(crate) fn header_value_for_tests(text: &str) -> String {
    header_value(text)
}

/// The refusal of a caller that lacks the `kind` (role, permission, scope) named `value`.
fn missing(kind: &str, value: &str) -> Error {
    Error::rejected(
        ErrorCode::Forbidden,
        format!(
            "This needs the {kind} '{}'.",
            sanitize_to(value, NAME_LIMIT)
        ),
    )
}
