//! Who the request comes from: the client address behind trusted proxies, which session cookie
//! counts, and what an API key may pass at `/auth/check`.

use super::tests::{body_json, error_code};
use super::*;
use crate::testing::Fixture;

const PW: &str = "analytical engine";

fn registered(f: &Fixture) {
    let r = f.send(
        Request::new("POST", "/register")
            .with_header("content-type", "application/json")
            .with_body(format!(r#"{{"email":"ada@example.com","password":"{PW}"}}"#).into_bytes()),
    );
    assert_eq!(r.status, 202);
}

/// A login for `email` with `password` from the connection `peer`, with extra headers.
fn login(email: &str, password: &str, peer: &str, headers: &[(&str, &str)]) -> Request {
    let mut req = Request::new("POST", "/login")
        .with_header("content-type", "application/json")
        .with_peer(peer.parse().unwrap())
        .with_body(format!(r#"{{"email":"{email}","password":"{password}"}}"#).into_bytes());
    for (name, value) in headers {
        req = req.with_header(name, value);
    }
    req
}

/// Ada's sign-in from the connection `peer`, with extra headers.
fn ada_from(f: &Fixture, peer: &str, headers: &[(&str, &str)]) -> Response {
    f.send(login("ada@example.com", PW, peer, headers))
}

/// A sign-in of `email` with a wrong password from the connection `peer`, with extra headers.
fn wrong_from(f: &Fixture, email: &str, peer: &str, headers: &[(&str, &str)]) -> Response {
    f.send(login(email, "wrong wrong", peer, headers))
}

fn behind_proxy(list: &str) -> Fixture {
    let mut f = Fixture::new();
    f.config.trusted_proxies = list.parse().unwrap();
    f.config.throttle.login_per_address = 3;
    f
}

/// A fixture trusting the proxies `list` in which Ada has registered.
fn registered_behind(list: &str) -> Fixture {
    let f = behind_proxy(list);
    registered(&f);
    f
}

/// The address `/sessions` recorded for the session `r` started.
fn recorded_address(f: &Fixture, r: &Response) -> serde_json::Value {
    let pair = r.header("set-cookie").unwrap().split(';').next().unwrap();
    let list = f.send(Request::new("GET", "/sessions").with_header("cookie", pair));
    body_json(&list)["sessions"][0]["address"].clone()
}

#[test]
fn a_trusted_proxy_names_the_client_for_records_and_throttles() {
    let f = registered_behind("10.0.0.0/8");
    let r = ada_from(
        &f,
        "10.0.0.2",
        &[("x-forwarded-for", "203.0.113.1, 192.0.2.7")],
    );
    assert_eq!(r.status, 200);
    assert_eq!(recorded_address(&f, &r), "192.0.2.7");

    // Each client behind the proxy has its own allowance.
    let attempt = |client: &str, i: u32| {
        wrong_from(
            &f,
            &format!("user{i}@example.com"),
            "10.0.0.2",
            &[("x-forwarded-for", client)],
        )
        .status
    };
    for i in 0..3 {
        assert_eq!(attempt("198.51.100.1", i), 401);
    }
    assert_eq!(attempt("198.51.100.1", 3), 429);
    assert_eq!(attempt("198.51.100.2", 4), 401);
    // A client that prepends someone else's address stays in its own bucket: the throttled
    // one cannot escape, the other is not pushed into the throttled one.
    assert_eq!(attempt("198.51.100.2, 198.51.100.1", 5), 429);
    assert_eq!(attempt("198.51.100.1, 198.51.100.2", 6), 401);
    // Forwarded works the same.
    let r = wrong_from(
        &f,
        "user7@example.com",
        "10.0.0.2",
        &[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")],
    );
    assert_eq!(r.status, 401);
}

#[test]
fn forwarding_headers_from_anyone_else_are_ignored() {
    // No trusted proxy at all.
    let f = registered_behind("");
    let r = ada_from(
        &f,
        "10.0.0.2",
        &[
            ("x-forwarded-for", "192.0.2.7"),
            ("forwarded", "for=192.0.2.7"),
        ],
    );
    assert_eq!(recorded_address(&f, &r), "10.0.0.2");
    // A peer outside the trusted proxies.
    let f = registered_behind("10.0.0.0/8");
    let r = ada_from(&f, "198.51.100.3", &[("x-forwarded-for", "192.0.2.7")]);
    assert_eq!(recorded_address(&f, &r), "198.51.100.3");
    for i in 0..3 {
        let spoofed = format!("192.0.2.{i}");
        let r = wrong_from(
            &f,
            &format!("user{i}@example.com"),
            "198.51.100.4",
            &[("x-forwarded-for", &spoofed)],
        );
        assert_eq!(r.status, 401);
    }
    let r = wrong_from(
        &f,
        "user9@example.com",
        "198.51.100.4",
        &[("x-forwarded-for", "192.0.2.99")],
    );
    assert_eq!(r.status, 429, "the spoofed header picked no new bucket");
}

#[test]
fn mail_throttles_read_the_same_client_address() {
    let mut f = behind_proxy("10.0.0.0/8");
    f.config.throttle.register_per_address = 1;
    let register = |client: &str, i: u32| {
        f.send(
            Request::new("POST", "/register")
                .with_header("content-type", "application/json")
                .with_peer("10.0.0.2".parse().unwrap())
                .with_header("x-forwarded-for", client)
                .with_body(
                    format!(r#"{{"email":"u{i}@example.com","password":"{PW}"}}"#).into_bytes(),
                ),
        )
        .status
    };
    assert_eq!(register("2001:db8:1:2::1", 0), 202);
    // The same /64.
    assert_eq!(register("2001:db8:1:2::2", 1), 429);
    assert_eq!(register("2001:db8:1:3::1", 2), 202);
}

#[test]
fn a_secure_deployment_ignores_a_plain_named_session_cookie() {
    let f = Fixture::new();
    assert!(f.config.cookie_secure);
    registered(&f);
    let r = ada_from(&f, "192.0.2.7", &[]);
    let pair = r.header("set-cookie").unwrap().split(';').next().unwrap();
    let token = pair.strip_prefix("__Host-sesame_session=").unwrap();
    let me = |cookie: &str| f.send(Request::new("GET", "/me").with_header("cookie", cookie));
    assert_eq!(me(pair).status, 200);
    // The same token under the name a sibling subdomain or a plain-HTTP hop could set.
    let planted = me(&format!("sesame_session={token}"));
    assert_eq!(
        (planted.status, error_code(&planted).as_str()),
        (401, "unauthenticated")
    );
    // A planted plain cookie next to the real one changes nothing.
    assert_eq!(me(&format!("sesame_session=planted; {pair}")).status, 200);
}

#[test]
fn an_api_key_passes_auth_check_only_for_a_scope_asked_for() {
    let f = Fixture::new();
    let key = f
        .sesame()
        .create_api_key("billing", &["users:read".to_owned()])
        .unwrap()
        .key;
    let check = |query: &str| {
        f.send(
            Request::new("GET", &format!("/auth/check{query}"))
                .with_header("authorization", &format!("Bearer {}", key.as_str())),
        )
    };
    let r = check("?scope=users:read");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-sesame-api-key-name"), Some("billing"));
    for query in ["", "?role=admin", "?permission=posts:write"] {
        let r = check(query);
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (401, "unauthenticated"),
            "{query:?}"
        );
        assert!(r.header("x-sesame-api-key").is_none());
    }
    let r = check("?scope=users:write");
    assert_eq!((r.status, error_code(&r).as_str()), (403, "forbidden"));
}

#[test]
fn doubtful_forwarding_headers_from_a_trusted_proxy_are_refused() {
    let f = registered_behind("10.0.0.0/8");
    for headers in [
        // A client's own `Forwarded` passed through beside the proxy's `X-Forwarded-For`.
        &[
            ("forwarded", "for=198.51.100.7"),
            ("x-forwarded-for", "203.0.113.5"),
        ][..],
        // An unterminated quote the proxy passed on, right of any address.
        &[("forwarded", "for=\"203.0.113.5")][..],
        &[("x-forwarded-for", "203.0.113.5, not-an-address")][..],
    ] {
        let r = f.send(login("ada@example.com", PW, "10.0.0.1", headers));
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (400, "invalid-request"),
            "{headers:?}"
        );
    }
    for (peer, forwarded) in [
        // Disagreeing headers from a peer that is not a trusted proxy are ignored, not refused.
        ("192.0.2.9", "for=198.51.100.7"),
        // Agreeing, well-formed headers pass.
        ("10.0.0.1", "for=203.0.113.5"),
    ] {
        let headers = [("forwarded", forwarded), ("x-forwarded-for", "203.0.113.5")];
        assert_eq!(
            ada_from(&f, peer, &headers).status,
            200,
            "{peer} {forwarded}"
        );
    }
}

#[test]
fn a_client_address_header_is_not_an_address() {
    let f = Fixture::new();
    registered(&f);
    let r = f.send(
        Request::new("POST", "/login")
            .with_header("content-type", "application/json")
            .with_header("sesame-client-addr", "203.0.113.9")
            .with_body(format!(r#"{{"email":"ada@example.com","password":"{PW}"}}"#).into_bytes()),
    );
    assert_eq!(r.status, 200);
    assert_eq!(recorded_address(&f, &r), serde_json::Value::Null);
}
