//! The router: the table of routes, the checks every request meets before its route runs, and
//! the error answers. Each row of the table carries what its route needs beyond its handler
//! (the form a browser sees again after an error, the cookies an error clears), so nothing
//! here knows any route by its path.

use super::answer::{Answer, Format, Page};
use super::caller::{Caller, is_safe_method};
use super::cookies::Cookie;
use super::pages;
use super::parse::Credential;
use super::request::Request;
use super::response::{Response, fault_response_in};
use super::view::View;
use crate::Sesame;
use crate::client_addr;
use crate::error::{AuthError, Error, ErrorCode};
use crate::i18n::Language;

/// One request on its way through a route: the service, the request, who sends it and the
/// form of answer it wants.
pub(crate) struct Call<'r> {
    /// The service the route calls.
    pub sesame: &'r Sesame<'r>,
    /// The request.
    pub req: &'r Request,
    /// Who the request says it is.
    pub caller: Caller<'r>,
    /// JSON or HTML.
    pub format: Format,
    /// The language of pages and messages, from `Accept-Language` among the allowed ones.
    pub lang: Language,
}

impl Call<'_> {
    /// What this request's pages are rendered with: its language and the deployment's brand.
    pub(crate) fn view(&self) -> View<'_> {
        View::new(self.lang, self.sesame.config())
    }

    /// The first value of query parameter `name`.
    pub(crate) fn query_value(&self, name: &str) -> Result<Option<String>, Error> {
        Ok(super::parse::query_pairs(self.req)?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v))
    }
}

/// What a route answers a client that does not ask for HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answers {
    /// JSON, described by the OpenAPI document (`GET /openapi.json`).
    Json,
    /// An HTML page whatever the client asks for (its errors are still JSON).
    Page,
    /// A script for the pages.
    Script,
}

/// A route's handler.
pub(crate) type Handler = fn(&Call<'_>) -> Result<Answer, Error>;

/// The page a browser sees when its request to a route failed with `error`: usually the
/// route's form again, with the message. `None` leaves it to the generic error page.
pub(crate) type ErrorPage = fn(&Call<'_>, &AuthError) -> Option<Page>;

/// One method of one route: the router dispatches from these tables and nothing else, so the
/// 405 answers, their `Allow` header and the OpenAPI document's test all read the same list.
pub(crate) struct Route {
    /// Upper-case method.
    pub method: &'static str,
    /// Path, without query.
    pub path: &'static str,
    /// What it answers a JSON client.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the OpenAPI document's test reads it")
    )]
    pub answers: Answers,
    /// What runs it.
    handler: Handler,
    /// What a browser sees when it fails.
    error_page: Option<ErrorPage>,
    /// Whether a failure for want of a sign-in also clears the pending-sign-in cookie: the
    /// routes that finish a pending sign-in end it when it is gone.
    ends_pending_sign_in: bool,
    /// Whether `path` is a prefix and every method is answered: a proxy protocol that puts the
    /// request being checked into the path and method (Envoy's `ext_authz`). Such routes are
    /// not part of the JSON API.
    pub proxy_protocol: bool,
    /// Whether requests from any origin are answered: endpoints that never read cookies
    /// (OAuth's token, userinfo, revocation, introspection), which browser scripts of other
    /// sites call by design.
    cross_origin: bool,
}

impl Route {
    /// A route answering JSON (or a page, for browsers).
    pub(crate) const fn json(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Route::new(method, path, Answers::Json, handler)
    }

    /// A route answering a page whatever the client asks for.
    pub(crate) const fn page(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Route::new(method, path, Answers::Page, handler)
    }

    /// A route answering a script for the pages.
    pub(crate) const fn script(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Route::new(method, path, Answers::Script, handler)
    }

    const fn new(
        method: &'static str,
        path: &'static str,
        answers: Answers,
        handler: Handler,
    ) -> Self {
        Route {
            method,
            path,
            answers,
            handler,
            error_page: None,
            ends_pending_sign_in: false,
            proxy_protocol: false,
            cross_origin: false,
        }
    }

    /// The same route, answering requests from any origin (see `cross_origin`).
    pub(crate) const fn cross_origin(mut self) -> Self {
        self.cross_origin = true;
        self
    }

    /// A route for every method of every path below `prefix` (see `proxy_protocol`).
    pub(crate) const fn proxy_protocol(prefix: &'static str, handler: Handler) -> Self {
        let mut route = Route::new("*", prefix, Answers::Json, handler);
        route.proxy_protocol = true;
        route
    }

    /// Whether the route answers `method` on `path`.
    fn answers(&self, method: &str, path: &str) -> bool {
        if self.proxy_protocol {
            path.starts_with(self.path)
        } else {
            self.path == path && self.method == method
        }
    }

    /// The same route, showing `page` to browsers when it fails.
    pub(crate) const fn with_error_page(mut self, page: ErrorPage) -> Self {
        self.error_page = Some(page);
        self
    }

    /// The same route, clearing the pending-sign-in cookie when it fails for want of one.
    pub(crate) const fn ending_pending_sign_in(mut self) -> Self {
        self.ends_pending_sign_in = true;
        self
    }
}

/// Every route Sesame answers, as the route groups list them. A path's methods are listed in
/// the order its `Allow` header names them.
pub(crate) struct Router {
    /// The route groups' tables.
    pub groups: &'static [&'static [Route]],
}

impl Router {
    /// Every route.
    pub(crate) fn routes(&self) -> impl Iterator<Item = &'static Route> + use<> {
        self.groups.iter().flat_map(|group| group.iter())
    }

    /// The methods `path` answers, as an `Allow` header names them; `None` for no such route.
    fn allowed_methods(&self, path: &str) -> Option<String> {
        let methods: Vec<&str> = self
            .routes()
            .filter(|r| r.path == path)
            .map(|r| r.method)
            .collect();
        (!methods.is_empty()).then(|| methods.join(", "))
    }

    /// The route whose rules apply to errors of `req`: its own route, or, for a method the
    /// path does not answer, the path's first route.
    fn route_of(&self, req: &Request) -> Option<&'static Route> {
        let path = req.path();
        self.routes()
            .find(|r| r.answers(&req.method, path))
            .or_else(|| self.routes().find(|r| r.path == path))
    }

    /// Answers one request, but for the headers every answer carries.
    pub(crate) fn answer(&self, sesame: &Sesame<'_>, req: &Request) -> Response {
        // Once, before any route reads it, with this deployment's trusted proxies.
        let forwarding = req.settle_client_address(&sesame.config().trusted_proxies);
        let call = Call {
            sesame,
            req,
            caller: Caller::of(req, sesame.config()),
            format: Format::of(req),
            lang: language_of(req, sesame),
        };
        sesame.set_language(call.lang);
        let mut response = check_forwarding(forwarding)
            .and_then(|()| self.dispatch(&call))
            .map(Answer::into_response)
            .unwrap_or_else(|error| self.error_response(&call, &error));
        let is_page = response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html"));
        if is_page && response.header("content-language").is_none() {
            response = response.with_header("content-language", call.lang.tag().to_owned());
        }
        response.route = self.route_of(req).map(|r| r.path);
        response.user_id = call.caller.user_id().map(str::to_owned);
        response
    }

    fn dispatch(&self, call: &Call<'_>) -> Result<Answer, Error> {
        let (path, method) = (call.req.path(), call.req.method.as_str());
        if let Some(route) = self.routes().find(|r| r.answers(method, path)) {
            // A proxy protocol's request is the application's, checked by the rules, not a
            // request to Sesame that another site could have made the browser send.
            if !route.proxy_protocol && !route.cross_origin {
                check_origin(call)?;
            }
            return (route.handler)(call);
        }
        check_origin(call)?;
        if self.allowed_methods(path).is_some() {
            return Err(Error::rejected(
                ErrorCode::MethodNotAllowed,
                format!("{} is not allowed on this route.", sanitize(method)),
            ));
        }
        Err(Error::rejected(
            ErrorCode::NotFound,
            "There is no such route.",
        ))
    }

    /// Turns an error into its response: JSON, or for browsers the route's error page.
    fn error_response(&self, call: &Call<'_>, error: &Error) -> Response {
        let public = AuthError::from(error);
        let status = public.code.http_status();
        let route = self.route_of(call.req);
        let mut response = match call.format {
            Format::Json => fault_response_in(error, call.lang),
            Format::Html => {
                let mut public = public.clone();
                public.message = call.lang.error_message(public.code, &public.message);
                route
                    .and_then(|r| r.error_page)
                    .and_then(|page| page(call, &public))
                    .unwrap_or_else(|| {
                        Page::Html(pages::error(&call.view(), status, &public.message))
                    })
                    .render(status)
            }
        };
        if public.code == ErrorCode::Unauthenticated {
            // A sign-in in progress that is gone says nothing of the session: it stays, and
            // so does its cookie.
            if matches!(call.caller.credential(), Some(Credential::Cookie(_)))
                && !matches!(error, Error::NoFlow(_))
            {
                response = response.with_header("set-cookie", Cookie::Session.clear(call.sesame));
            }
            if route.is_some_and(|r| r.ends_pending_sign_in) {
                response = response.with_header("set-cookie", Cookie::Pending.clear(call.sesame));
            }
        }
        if let Error::Throttled { retry_after_ms } = error {
            response =
                response.with_header("retry-after", retry_after_ms.div_ceil(1000).to_string());
        }
        // A full hashing queue: the client may retry, and should wait at least a second.
        if let Error::HashingBusy { retry_after_ms } = error {
            response = response.with_header(
                "retry-after",
                retry_after_ms.div_ceil(1000).max(1).to_string(),
            );
        }
        // The breach check could not be made: the range service may answer again soon.
        if public.code == ErrorCode::BreachCheckUnavailable {
            response = response.with_header(
                "retry-after",
                crate::password::breach::RETRY_AFTER_SECS.to_string(),
            );
        }
        if let (ErrorCode::MethodNotAllowed, Some(allow)) =
            (public.code, self.allowed_methods(call.req.path()))
        {
            response = response.with_header("allow", allow);
        }
        if matches!(
            public.code,
            ErrorCode::Internal | ErrorCode::StoreUnavailable
        ) {
            // The client is told to look in the log; this is what the log must say.
            response.fault = Some(format!("{} {}: {error}", call.req.method, call.req.path()));
        }
        response
    }
}

/// The language to answer `req` in: its `Accept-Language` among the deployment's languages.
fn language_of(req: &Request, sesame: &Sesame<'_>) -> Language {
    let settings = &sesame.config().languages;
    Language::negotiate(
        req.header("accept-language"),
        &settings.allowed,
        settings.default,
    )
}

/// Refuses a request whose trusted proxy passed forwarding headers that cannot be read
/// reliably: falling back to the proxy's own address would let a client leave its throttle
/// bucket or fill the one such requests share.
fn check_forwarding(forwarding: client_addr::Forwarding) -> Result<(), Error> {
    if forwarding.doubtful {
        return Err(Error::rejected(
            ErrorCode::InvalidRequest,
            "The forwarding headers (Forwarded, X-Forwarded-For) are malformed or name different clients.",
        ));
    }
    Ok(())
}

/// Refuses state-changing requests that a browser sent from another origin. Bearer requests
/// are exempt (a browser never attaches them by itself); requests without `Origin` and
/// `Referer` (non-browser clients) pass here and meet the CSRF token check instead.
fn check_origin(call: &Call<'_>) -> Result<(), Error> {
    let req = call.req;
    if is_safe_method(&req.method) || call.caller.has_bearer() {
        return Ok(());
    }
    let claimed = req.header("origin").or_else(|| req.header("referer"));
    let Some(claimed) = claimed else {
        return Ok(());
    };
    let host = req.header("host").unwrap_or_default();
    let origin_host = claimed
        .strip_prefix("https://")
        .or_else(|| claimed.strip_prefix("http://"))
        .map(|rest| rest.split('/').next().unwrap_or_default());
    match origin_host {
        Some(origin_host) if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(Error::rejected(
            ErrorCode::CsrfRejected,
            "This request came from another site and was refused.",
        )),
    }
}

/// Keeps a client-supplied word printable and at most `limit` characters long before echoing
/// it in a message.
pub(crate) fn sanitize_to(word: &str, limit: usize) -> String {
    word.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(limit)
        .collect()
}

/// Keeps a client-supplied word printable and short before echoing it in a message.
fn sanitize(word: &str) -> String {
    sanitize_to(word, 16)
}
