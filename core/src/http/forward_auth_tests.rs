//! `/auth/check` with access rules: the request read from a trusted proxy's headers only, the
//! portal's redirect for browsers and 401/403 for programs, identity headers, the return to
//! the application after sign-in (and never elsewhere), and the shared session cookie.

use std::net::IpAddr;
use std::sync::Arc;

use super::tests::{body_json, error_code, set_cookies};
use super::*;
use crate::access::AccessRules;
use crate::testing::Fixture;

const RULES: &str = r#"
[[rule]]
domain = "public.example.com"
policy = "bypass"

[[rule]]
domain = "app.example.com"
path = "/admin"
subject = "role:admin"
policy = "two_factor"

[[rule]]
domain = "app.example.com"
path = "/admin"
policy = "deny"

[[rule]]
domain = ["app.example.com", "wiki.example.com"]
policy = "one_factor"
"#;

const PROXY: &str = "10.0.0.2";

fn fixture() -> Fixture {
    let mut f = Fixture::new();
    f.config.access.rules = Some(Arc::new(AccessRules::parse(RULES).unwrap()));
    f.config.trusted_proxies = PROXY.parse().unwrap();
    f.config.public_url = "https://auth.example.com".into();
    f
}

/// Ada's session cookie pair.
fn ada(f: &Fixture) -> String {
    let sesame = f.sesame();
    sesame
        .register("ada@example.com", "analytical engine", Some("ada"))
        .unwrap();
    let login = Request::new("POST", "/login")
        .with_header("content-type", "application/json")
        .with_body(br#"{"email":"ada@example.com","password":"analytical engine"}"#.to_vec());
    let r = f.send(login);
    assert_eq!(r.status, 200);
    set_cookies(&r)[0].split(';').next().unwrap().to_owned()
}

/// A Traefik/Caddy-style check of `method url` from the proxy.
fn traefik(method: &str, url: &str) -> Request {
    let (proto, rest) = url.split_once("://").unwrap();
    let (host, uri) = rest.split_at(rest.find('/').unwrap());
    Request::new("GET", "/auth/check")
        .with_peer(PROXY.parse().unwrap())
        .with_header("x-forwarded-method", method)
        .with_header("x-forwarded-proto", proto)
        .with_header("x-forwarded-host", host)
        .with_header("x-forwarded-uri", uri)
}

/// An nginx-style check (`X-Original-URL`).
fn nginx(method: &str, url: &str) -> Request {
    Request::new("GET", "/auth/check")
        .with_peer(PROXY.parse().unwrap())
        .with_header("x-original-method", method)
        .with_header("x-original-url", url)
}

#[test]
fn rules_decide_with_identity_headers_for_people() {
    let f = fixture();
    let pair = ada(&f);
    let r = f.send(traefik("GET", "https://app.example.com/x").with_header("cookie", &pair));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("remote-user"), Some("ada"));
    assert_eq!(r.header("remote-email"), Some("ada@example.com"));
    assert_eq!(r.header("remote-groups"), Some(""));
    assert_eq!(r.header("x-sesame-email"), Some("ada@example.com"));
    let r = f.send(traefik("GET", "https://app.example.com/admin/").with_header("cookie", &pair));
    assert_eq!((r.status, error_code(&r).as_str()), (403, "forbidden"));
    // Bypass: anyone, and an empty identity for nobody (so a proxy copying it overwrites a
    // forged one).
    let r = f.send(traefik("POST", "https://public.example.com/"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("remote-user"), Some(""));
    assert_eq!(r.header("x-sesame-user"), Some(""));
    // Not covered by a rule: the default, deny.
    let r = f.send(traefik("GET", "https://other.example.com/").with_header("cookie", &pair));
    assert_eq!(r.status, 403);
}

#[test]
fn a_browser_is_sent_to_sign_in_and_a_program_gets_401() {
    let f = fixture();
    let r = f.send(
        traefik("GET", "https://app.example.com/a%20b?x=1").with_header("accept", "text/html"),
    );
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2Fa%2520b%3Fx%3D1")
    );
    // nginx's auth_request takes only 401 and 403: the place to go is in Location.
    let r = f.send(nginx("GET", "https://app.example.com/x").with_header("accept", "text/html"));
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("location"),
        Some("https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2Fx")
    );
    let r = f.send(
        traefik("GET", "https://app.example.com/x").with_header("accept", "application/json"),
    );
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (401, "unauthenticated")
    );
    assert_eq!(r.header("location"), None);
}

#[test]
fn a_one_factor_admin_is_asked_for_a_second_factor() {
    let f = fixture();
    let pair = ada(&f);
    let sesame = f.sesame();
    sesame
        .put_role(&crate::roles::Role {
            name: "admin".into(),
            description: String::new(),
            permissions: vec![],
        })
        .unwrap();
    sesame.grant_role("ada@example.com", "admin").unwrap();
    let r = f.send(traefik("GET", "https://app.example.com/admin").with_header("cookie", &pair));
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (403, "second-factor-required")
    );
}

#[test]
fn forwarded_headers_count_only_from_a_trusted_proxy_and_only_once() {
    let f = fixture();
    let pair = ada(&f);
    let mut stranger = traefik("GET", "https://app.example.com/x").with_header("cookie", &pair);
    stranger.peer = Some("203.0.113.7".parse::<IpAddr>().unwrap());
    let r = f.send(stranger);
    assert_eq!((r.status, error_code(&r).as_str()), (403, "forbidden"));
    assert!(
        body_json(&r)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("trusted proxy")
    );
    // Two readings of one request: refused.
    let doubled = traefik("GET", "https://app.example.com/x")
        .with_header("cookie", &pair)
        .with_header("x-forwarded-uri", "/admin");
    assert_eq!(f.send(doubled).status, 403);
    // Missing parts: refused, never guessed.
    let bare = Request::new("GET", "/auth/check")
        .with_peer(PROXY.parse().unwrap())
        .with_header("cookie", &pair);
    assert_eq!(f.send(bare).status, 403);
    let no_method = Request::new("GET", "/auth/check")
        .with_peer(PROXY.parse().unwrap())
        .with_header("x-original-url", "https://app.example.com/x")
        .with_header("cookie", &pair);
    assert_eq!(f.send(no_method).status, 403);
    // With rules, the query is not a second way to ask.
    let queried = traefik("GET", "https://app.example.com/x").with_header("cookie", &pair);
    let mut queried = queried;
    queried.path_with_query = "/auth/check?role=admin".into();
    assert_eq!(f.send(queried).status, 403);
}

/// Authelia's CVE-2021-32637 class: a request the checker cannot read, or reads differently
/// from the application, must never be let through.
#[test]
fn malformed_or_ambiguous_urls_are_denied_never_allowed() {
    let f = fixture();
    let pair = ada(&f);
    for url in [
        "https://app.example.com/x/..%2Fadmin",
        "https://app.example.com/public/..;/admin",
        "https://app.example.com/%2e%2e/admin",
        "https://app.example.com/a%00",
        "https://app.example.com/a%zz",
        "https://app.example.com/a\\..\\admin",
        "https://app.example.com/a%252e%252e/admin",
        "https://app.example.com/a b",
        "https://app.example.com",
        "app.example.com/x",
        "https://app.example.com:99999/x",
        "https://user:pw@app.example.com/x",
        "https://app example.com/x",
    ] {
        for request in [nginx("GET", url), traefik_raw(url)] {
            let r = f.send(request.with_header("cookie", &pair));
            assert_eq!(r.status, 403, "{url}: {}", String::from_utf8_lossy(&r.body));
        }
    }
    // A public bypass cannot be stretched onto the admin area by dot segments.
    let r = f.send(
        nginx("GET", "https://app.example.com/admin/../admin/x").with_header("cookie", &pair),
    );
    assert_eq!(r.status, 403);
    let r = f.send(nginx("GET", "https://app.example.com//admin").with_header("cookie", &pair));
    assert_eq!(r.status, 403);
    let r = f.send(nginx("GET", "https://app.example.com/%61dmin").with_header("cookie", &pair));
    assert_eq!(r.status, 403);
}

/// The URL split the way Traefik forwards it, without checking it first.
fn traefik_raw(url: &str) -> Request {
    let (proto, rest) = url.split_once("://").unwrap_or(("", url));
    let (host, uri) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    Request::new("GET", "/auth/check")
        .with_peer(PROXY.parse().unwrap())
        .with_header("x-forwarded-method", "GET")
        .with_header("x-forwarded-proto", proto)
        .with_header("x-forwarded-host", host)
        .with_header("x-forwarded-uri", uri)
}

#[test]
fn identity_headers_are_sanitised_and_chosen_by_setting() {
    let mut f = fixture();
    let pair = ada(&f);
    let sesame = f.sesame();
    for role in ["ops", "a,b"] {
        sesame
            .put_role(&crate::roles::Role {
                name: role.into(),
                description: String::new(),
                permissions: vec![],
            })
            .ok();
        sesame.grant_role("ada@example.com", role).ok();
    }
    let r = f.send(traefik("GET", "https://app.example.com/").with_header("cookie", &pair));
    let groups = r.header("remote-groups").unwrap();
    assert!(groups.split(',').all(|g| g != "a" && g != "b"), "{groups}");
    for (_, value) in &r.headers {
        assert!(!value.contains('\r') && !value.contains('\n'));
    }
    f.config.access.identity_headers.remote = false;
    let r = f.send(traefik("GET", "https://app.example.com/").with_header("cookie", &pair));
    assert_eq!(r.header("remote-user"), None);
    assert_eq!(r.header("x-sesame-email"), Some("ada@example.com"));
}

#[test]
fn after_sign_in_the_browser_goes_back_only_to_a_protected_host() {
    let f = fixture();
    let pair = ada(&f);
    let login_page = |rd: &str| {
        f.send(
            Request::new(
                "GET",
                &format!("/login?rd={}", parse::encode_query_value(rd)),
            )
            .with_header("accept", "text/html"),
        )
    };
    let r = login_page("https://wiki.example.com/page?x=1");
    let kept = set_cookies(&r);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].starts_with("__Host-sesame_rd="), "{}", kept[0]);
    let rd_pair = kept[0].split(';').next().unwrap().to_owned();
    let me = f.send(
        Request::new("GET", "/me")
            .with_header("accept", "text/html")
            .with_header("cookie", &format!("{pair}; {rd_pair}")),
    );
    assert_eq!(me.status, 303);
    assert_eq!(
        me.header("location"),
        Some("https://wiki.example.com/page?x=1")
    );
    assert!(
        set_cookies(&me)
            .iter()
            .any(|c| c.starts_with("__Host-sesame_rd=;"))
    );
    // Elsewhere, plain HTTP, or not a URL: the sign-in page keeps nothing.
    for rd in [
        "https://evil.example/",
        "https://app.example.com.evil.example/",
        "http://app.example.com/",
        "//app.example.com/",
        "javascript:alert(1)",
        "https://app.example.com\\@evil.example/",
        "https://app.example.com:6666/x",
    ] {
        assert!(set_cookies(&login_page(rd)).is_empty(), "{rd}");
    }
    // The default port, named, is the same place.
    assert_eq!(
        set_cookies(&login_page("https://app.example.com:443/x")).len(),
        1
    );
    // A forged return-to cookie is checked again when read.
    let forged = format!(
        "{pair}; __Host-sesame_rd={}",
        return_to::cookie_value("https://evil.example/")
    );
    let me = f.send(
        Request::new("GET", "/me")
            .with_header("accept", "text/html")
            .with_header("cookie", &forged),
    );
    assert_eq!(me.status, 200);
}

#[test]
fn a_shared_session_cookie_names_its_domain_and_drops_host_only() {
    let mut f = fixture();
    f.config.access.cookie_domain = Some("example.com".into());
    let pair = ada(&f);
    assert!(pair.starts_with("__Secure-sesame_session="), "{pair}");
    let login = Request::new("POST", "/login")
        .with_header("content-type", "application/json")
        .with_body(br#"{"email":"ada@example.com","password":"analytical engine"}"#.to_vec());
    let cookie = f.send(login).header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("; Domain=example.com") && cookie.contains("; Secure"),
        "{cookie}"
    );
    // The host-only name is not read any more; the shared one is.
    let host_only = pair.replace("__Secure-", "__Host-");
    let r = f.send(Request::new("GET", "/me").with_header("cookie", &host_only));
    assert_eq!(r.status, 401);
    let r = f.send(traefik("GET", "https://wiki.example.com/").with_header("cookie", &pair));
    assert_eq!(r.status, 200);
    // The domain must cover Sesame's own host.
    let refused = crate::Config::from_vars([
        (
            "SESAME_SECRET",
            "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
        ),
        ("SESAME_PUBLIC_URL", "https://auth.example.com"),
        ("SESAME_COOKIE_DOMAIN", "example.org"),
    ]);
    assert!(refused.is_err());
    let accepted = crate::Config::from_vars([
        (
            "SESAME_SECRET",
            "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
        ),
        ("SESAME_PUBLIC_URL", "https://auth.example.com"),
        ("SESAME_COOKIE_DOMAIN", ".example.com"),
    ])
    .unwrap();
    assert_eq!(
        accepted.access.cookie_domain.as_deref(),
        Some("example.com")
    );
}

#[test]
fn an_api_key_passes_only_rules_naming_its_scope() {
    let mut f = fixture();
    f.config.access.rules = Some(Arc::new(
        AccessRules::parse(
            "[[rule]]\ndomain = \"ci.example.com\"\nsubject = \"scope:deploy\"\npolicy = \"one_factor\"\n\n\
             [[rule]]\ndomain = \"app.example.com\"\npolicy = \"one_factor\"\n",
        )
        .unwrap(),
    ));
    let key = f
        .sesame()
        .create_api_key("ci", &["deploy".to_owned()])
        .unwrap();
    let bearer = format!("Bearer {}", key.key.as_str());
    let r =
        f.send(traefik("POST", "https://ci.example.com/run").with_header("authorization", &bearer));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-sesame-scopes"), Some("deploy"));
    let r =
        f.send(traefik("GET", "https://app.example.com/").with_header("authorization", &bearer));
    assert_eq!(r.status, 403);
    let r = f.send(
        traefik("GET", "https://ci.example.com/")
            .with_header("authorization", "Bearer sesame_ak_unknown"),
    );
    assert_eq!(r.status, 401);
}

#[test]
fn envoy_checks_the_request_carried_in_its_own_method_and_path() {
    let f = fixture();
    let pair = ada(&f);
    let envoy = |method: &str, path: &str, host: &str| {
        Request::new(method, &format!("/auth/check{path}"))
            .with_peer(PROXY.parse().unwrap())
            .with_header("host", host)
            .with_header("x-forwarded-proto", "https")
    };
    let r = f.send(
        envoy("DELETE", "/items/1?force=true", "app.example.com").with_header("cookie", &pair),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("remote-user"), Some("ada"));
    let r = f.send(envoy("POST", "/admin/x", "app.example.com").with_header("cookie", &pair));
    assert_eq!(r.status, 403);
    // The application's own cross-origin posts are the rules' to judge, not Sesame's CSRF
    // check (which is for requests to Sesame).
    let r = f.send(
        envoy("POST", "/items", "api.example.com")
            .with_header("cookie", &pair)
            .with_header("origin", "https://app.example.com"),
    );
    assert_eq!(
        r.status, 403,
        "api.example.com has no rule: the default denies"
    );
    assert_eq!(error_code(&r), "forbidden");
    let r = f.send(
        envoy("POST", "/items", "wiki.example.com")
            .with_header("cookie", &pair)
            .with_header("origin", "https://app.example.com"),
    );
    assert_eq!(r.status, 200);
    let r = f.send(envoy("GET", "/x", "app.example.com").with_header("accept", "text/html"));
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2Fx")
    );
    let r = f.send(envoy("GET", "/x/..%2Fadmin", "app.example.com").with_header("cookie", &pair));
    assert_eq!(r.status, 403);
    let mut stranger = envoy("GET", "/x", "app.example.com").with_header("cookie", &pair);
    stranger.peer = Some("203.0.113.7".parse::<IpAddr>().unwrap());
    assert_eq!(f.send(stranger).status, 403);
}

/// A proxy passes the client's own headers to the check: a second description of the request
/// beside the proxy's is refused, never preferred.
#[test]
fn a_request_described_twice_is_denied() {
    let f = fixture();
    let pair = ada(&f);
    let forged_url = traefik("DELETE", "https://app.example.com/admin")
        .with_header("cookie", &pair)
        .with_header("x-original-url", "https://public.example.com/");
    assert_eq!(f.send(forged_url).status, 403);
    let forged_method = traefik("DELETE", "https://app.example.com/x")
        .with_header("cookie", &pair)
        .with_header("x-original-method", "GET");
    assert_eq!(f.send(forged_method).status, 403);
    let half = Request::new("GET", "/auth/check")
        .with_peer(PROXY.parse().unwrap())
        .with_header("cookie", &pair)
        .with_header("x-original-url", "https://app.example.com/x")
        .with_header("x-forwarded-method", "GET");
    assert_eq!(f.send(half).status, 403);
    let envoy = Request::new("GET", "/auth/check/x")
        .with_peer(PROXY.parse().unwrap())
        .with_header("host", "app.example.com")
        .with_header("x-forwarded-proto", "https")
        .with_header("x-original-url", "https://public.example.com/")
        .with_header("cookie", &pair);
    assert_eq!(f.send(envoy).status, 403);
    // On Envoy's route the host is Host: an X-Forwarded-Host naming a bypassed host beside it
    // is refused, not believed.
    let envoy_host = Request::new("GET", "/auth/check/admin")
        .with_peer(PROXY.parse().unwrap())
        .with_header("host", "app.example.com")
        .with_header("x-forwarded-proto", "https")
        .with_header("x-forwarded-host", "public.example.com");
    assert_eq!(f.send(envoy_host).status, 403);
}

/// Identity values are encoded, never trimmed: two accounts never share a header value.
#[test]
fn identity_values_are_encoded_reversibly() {
    let f = fixture();
    let sesame = f.sesame();
    sesame
        .register("e@example.com", "analytical engine", Some("adé"))
        .unwrap();
    let login = Request::new("POST", "/login")
        .with_header("content-type", "application/json")
        .with_body(br#"{"email":"e@example.com","password":"analytical engine"}"#.to_vec());
    let r = f.send(login);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let pair = set_cookies(&r)[0].split(';').next().unwrap().to_owned();
    let r = f.send(traefik("GET", "https://app.example.com/").with_header("cookie", &pair));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("remote-user"), Some("ad%C3%A9"));
    // `%`, commas and spaces are escaped too, so decoding gives back exactly the name.
    assert_eq!(header_value_of("a%b, c"), "a%25b%2C%20c");
}

fn header_value_of(text: &str) -> String {
    super::forward_auth::header_value_for_tests(text)
}

/// A token minted from a two-factor session after a password-only `/verify` carries the
/// session's two-factor time, not the password's: it is as stale for a two-factor rule's age
/// as the session itself.
#[test]
fn a_token_minted_after_a_password_reverification_is_no_fresher_second_factor() {
    let mut f = fixture();
    f.config.access.rules = Some(Arc::new(
        AccessRules::parse(
            "[[rule]]\ndomain = \"app.example.com\"\npolicy = \"two_factor\"\nmax_auth_age_secs = 60\n",
        )
        .unwrap(),
    ));
    let sesame = f.sesame();
    sesame
        .register("ada@example.com", "analytical engine", None)
        .unwrap();
    let user = sesame.list_users(None, 1).unwrap().remove(0);
    let client = crate::sessions::ClientInfo::default();
    let session = sesame
        .issue_session(
            user,
            &client,
            crate::sessions::SignInProof::PASSWORD_AND_CODE,
        )
        .unwrap();
    let pair = format!("__Host-sesame_session={}", session.token.expose());
    let check = |credential: (&str, &str)| {
        f.send(traefik("GET", "https://app.example.com/").with_header(credential.0, credential.1))
    };
    assert_eq!(check(("cookie", &pair)).status, 200);
    f.advance(120_000);
    let stale = check(("cookie", &pair));
    assert_eq!(
        (stale.status, error_code(&stale).as_str()),
        (401, "reauthentication-required")
    );
    // Re-verified with the password alone, then a token minted from the session.
    let sesame = f.sesame();
    let info = sesame.validate_session(session.token.expose()).unwrap();
    sesame
        .verify_password(&info, "analytical engine", &client)
        .unwrap();
    let tokens = sesame
        .issue_tokens_for_session(session.token.expose(), &client)
        .unwrap();
    let bearer = format!("Bearer {}", tokens.access_token.as_str());
    let r = check(("authorization", &bearer));
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (401, "reauthentication-required")
    );
    assert_eq!(check(("cookie", &pair)).status, 401);
    // A one-factor rule's age does count the password.
    let token_login = sesame
        .validate_access_token(tokens.access_token.as_str())
        .unwrap();
    let times = sesame.authentication_times(&token_login).unwrap();
    assert_eq!(times.any_ms, sesame.now_ms());
    assert_eq!(times.two_factor_ms, sesame.now_ms() - 120_000);
}
