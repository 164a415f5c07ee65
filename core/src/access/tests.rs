//! The rules as a table: request and caller in, decision out; the normaliser's readings and
//! refusals; and the line numbers of refused documents.

use std::net::IpAddr;

use super::*;

const RULES: &str = r#"
default_policy = "deny"

[[rule]]
domain = "public.example.com"
policy = "bypass"

[[rule]]
domain = "app.example.com"
path = ["/static/", "/health"]
policy = "bypass"

[[rule]]
domain = "app.example.com"
path = "/admin"
subject = ["role:admin"]
policy = "two_factor"

[[rule]]
domain = "app.example.com"
path = "/admin"
policy = "deny"

[[rule]]
domain = "app.example.com"
path_regex = "^/api/v[0-9]+/"
method = ["POST", "PUT", "DELETE"]
subject = ["permission:api:write", "scope:ci"]
policy = "one_factor"

[[rule]]
domain = "app.example.com"
path_regex = "^/api/v[0-9]+/"
method = ["POST", "PUT", "DELETE"]
policy = "deny"

[[rule]]
domain = "app.example.com"
path = "/billing"
policy = "one_factor"
max_auth_age_secs = 300

[[rule]]
domain = "*.internal.example.com"
network = ["10.0.0.0/8", "fd00::/8"]
policy = "one_factor"

[[rule]]
domain = "*.internal.example.com"
policy = "deny"

[[rule]]
domain = "wiki.example.com"
subject = ["user:ada@example.com", "user:grace"]
policy = "one_factor"

[[rule]]
domain = "wiki.example.com"
method = ["GET", "HEAD"]
policy = "bypass"

[[rule]]
domain = ["app.example.com", "*.apps.example.com"]
policy = "one_factor"
"#;

const NOW: u64 = 10_000_000;

fn ada() -> Caller<'static> {
    Caller::Person(PersonFacts {
        id: "u-ada",
        email: "ada@example.com",
        username: Some("ada"),
        roles: &[],
        second_factor: false,
        authenticated_at_ms: NOW - 1_000,
        two_factor_at_ms: 0,
    })
}

fn admin(second_factor: bool) -> Caller<'static> {
    static ROLES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    Caller::Person(PersonFacts {
        id: "u-root",
        email: "root@example.com",
        username: None,
        roles: ROLES.get_or_init(|| vec!["admin".to_owned()]),
        second_factor,
        authenticated_at_ms: NOW - 1_000,
        two_factor_at_ms: if second_factor { NOW - 1_000 } else { 0 },
    })
}

fn grace(age_secs: u64) -> Caller<'static> {
    Caller::Person(PersonFacts {
        id: "u-grace",
        email: "grace@example.com",
        username: Some("grace"),
        roles: &[],
        second_factor: true,
        authenticated_at_ms: NOW - age_secs * 1000,
        two_factor_at_ms: NOW - age_secs * 1000,
    })
}

fn ci_key() -> Caller<'static> {
    static SCOPES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    Caller::ApiKey {
        scopes: SCOPES.get_or_init(|| vec!["ci".to_owned()]),
    }
}

fn other_key() -> Caller<'static> {
    static SCOPES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    Caller::ApiKey {
        scopes: SCOPES.get_or_init(|| vec!["metrics".to_owned()]),
    }
}

use Decision::{Allow, Deny};
const SIGN_IN: Decision = Decision::SignIn(SignInNeeded::NotSignedIn);
const SECOND: Decision = Decision::SignIn(SignInNeeded::SecondFactor);
const STALE: Decision = Decision::SignIn(SignInNeeded::Stale);

/// Grace holds `api:write` through a role; nobody else holds a permission.
fn has_permission_for(caller: &Caller<'_>) -> impl FnMut(&str) -> Result<bool, ()> + use<> {
    let is_grace = matches!(caller, Caller::Person(p) if p.id == "u-grace");
    move |permission| Ok(is_grace && permission == "api:write")
}

#[test]
fn the_table_of_decisions() {
    let rules = AccessRules::parse(RULES).unwrap();
    let anonymous = Caller::Anonymous;
    let office: Option<IpAddr> = Some("10.1.2.3".parse().unwrap());
    let outside: Option<IpAddr> = Some("203.0.113.9".parse().unwrap());
    let v6_inside: Option<IpAddr> = Some("fd00::7".parse().unwrap());
    let rows: Vec<(&str, &str, Option<IpAddr>, Caller<'_>, Decision)> = vec![
        // bypass by domain, whoever asks
        (
            "GET",
            "https://public.example.com/",
            outside,
            anonymous,
            Allow,
        ),
        (
            "POST",
            "https://public.example.com/form",
            outside,
            anonymous,
            Allow,
        ),
        ("GET", "https://public.example.com/x", outside, ada(), Allow),
        (
            "GET",
            "https://PUBLIC.Example.COM./x",
            outside,
            anonymous,
            Allow,
        ),
        // bypass by path prefix, on segment boundaries
        (
            "GET",
            "https://app.example.com/static/app.css",
            outside,
            anonymous,
            Allow,
        ),
        (
            "GET",
            "https://app.example.com/health",
            outside,
            anonymous,
            Allow,
        ),
        (
            "GET",
            "https://app.example.com/health/deep",
            outside,
            anonymous,
            Allow,
        ),
        (
            "GET",
            "https://app.example.com/healthz",
            outside,
            anonymous,
            SIGN_IN,
        ),
        (
            "GET",
            "https://app.example.com/static",
            outside,
            anonymous,
            SIGN_IN,
        ),
        // normalisation cannot smuggle a path out of a bypass prefix: dot segments are refused
        (
            "GET",
            "https://app.example.com/static/../admin",
            outside,
            anonymous,
            Deny,
        ),
        (
            "GET",
            "https://app.example.com/static/%2e%2e/admin",
            outside,
            anonymous,
            Deny,
        ),
        (
            "GET",
            "https://app.example.com/static/%2e%2e/admin",
            outside,
            ada(),
            Deny,
        ),
        (
            "GET",
            "https://app.example.com//static/../admin/",
            outside,
            ada(),
            Deny,
        ),
        (
            "GET",
            "https://app.example.com/static/./x",
            outside,
            anonymous,
            Deny,
        ),
        (
            "GET",
            "https://app.example.com/%61dmin",
            outside,
            ada(),
            Deny,
        ),
        // admin: role and two factors, everyone else denied
        (
            "GET",
            "https://app.example.com/admin",
            outside,
            anonymous,
            SIGN_IN,
        ),
        ("GET", "https://app.example.com/admin", outside, ada(), Deny),
        (
            "GET",
            "https://app.example.com/admin/users",
            outside,
            admin(false),
            SECOND,
        ),
        (
            "GET",
            "https://app.example.com/admin/users",
            outside,
            admin(true),
            Allow,
        ),
        (
            "GET",
            "https://app.example.com/administrator",
            outside,
            ada(),
            Allow,
        ),
        (
            "GET",
            "https://app.example.com/admin",
            outside,
            ci_key(),
            Deny,
        ),
        // API writes by permission or CI key scope; reads fall to the last rule
        (
            "POST",
            "https://app.example.com/api/v1/items",
            outside,
            grace(1),
            Allow,
        ),
        (
            "POST",
            "https://app.example.com/api/v1/items",
            outside,
            ada(),
            Deny,
        ),
        (
            "POST",
            "https://app.example.com/api/v2/items",
            outside,
            ci_key(),
            Allow,
        ),
        (
            "DELETE",
            "https://app.example.com/api/v2/items/1",
            outside,
            other_key(),
            Deny,
        ),
        (
            "POST",
            "https://app.example.com/api/v1/items",
            outside,
            anonymous,
            SIGN_IN,
        ),
        (
            "GET",
            "https://app.example.com/api/v1/items",
            outside,
            ada(),
            Allow,
        ),
        (
            "GET",
            "https://app.example.com/api/v1/items",
            outside,
            anonymous,
            SIGN_IN,
        ),
        (
            "GET",
            "https://app.example.com/api/v1/items",
            outside,
            ci_key(),
            Deny,
        ),
        (
            "POST",
            "https://app.example.com/api/vx/items",
            outside,
            ada(),
            Allow,
        ),
        (
            "post",
            "https://app.example.com/api/v1/items",
            outside,
            ada(),
            Deny,
        ),
        (
            "PATCH",
            "https://app.example.com/api/v1/items",
            outside,
            ada(),
            Allow,
        ),
        // billing needs a recent sign-in
        (
            "GET",
            "https://app.example.com/billing",
            outside,
            grace(10),
            Allow,
        ),
        (
            "GET",
            "https://app.example.com/billing/invoices",
            outside,
            grace(299),
            Allow,
        ),
        (
            "GET",
            "https://app.example.com/billing",
            outside,
            grace(301),
            STALE,
        ),
        (
            "GET",
            "https://app.example.com/billing",
            outside,
            anonymous,
            SIGN_IN,
        ),
        (
            "GET",
            "https://app.example.com/billing",
            outside,
            ci_key(),
            Deny,
        ),
        // internal hosts only from the office network
        (
            "GET",
            "https://git.internal.example.com/",
            office,
            ada(),
            Allow,
        ),
        (
            "GET",
            "https://git.internal.example.com/",
            v6_inside,
            ada(),
            Allow,
        ),
        (
            "GET",
            "https://git.internal.example.com/",
            outside,
            ada(),
            Deny,
        ),
        (
            "GET",
            "https://git.internal.example.com/",
            None,
            ada(),
            Deny,
        ),
        (
            "GET",
            "https://git.internal.example.com/",
            office,
            anonymous,
            SIGN_IN,
        ),
        (
            "GET",
            "https://a.b.internal.example.com/",
            office,
            ada(),
            Allow,
        ),
        ("GET", "https://internal.example.com/", office, ada(), Deny),
        (
            "GET",
            "https://evilinternal.example.com/",
            office,
            ada(),
            Deny,
        ),
        // the wiki: two named users write, anyone reads
        (
            "GET",
            "https://wiki.example.com/page",
            outside,
            anonymous,
            SIGN_IN,
        ),
        (
            "GET",
            "https://wiki.example.com/page",
            outside,
            ada(),
            Allow,
        ),
        (
            "POST",
            "https://wiki.example.com/page",
            outside,
            ada(),
            Allow,
        ),
        (
            "POST",
            "https://wiki.example.com/page",
            outside,
            grace(1),
            Allow,
        ),
        (
            "POST",
            "https://wiki.example.com/page",
            outside,
            admin(true),
            Deny,
        ),
        (
            "GET",
            "https://wiki.example.com/page",
            outside,
            admin(true),
            Allow,
        ),
        (
            "HEAD",
            "https://wiki.example.com/page",
            outside,
            admin(true),
            Allow,
        ),
        // app catch-all and wildcard apps
        ("GET", "https://app.example.com/", outside, ada(), Allow),
        (
            "GET",
            "https://app.example.com/",
            outside,
            anonymous,
            SIGN_IN,
        ),
        ("GET", "https://app.example.com/", outside, ci_key(), Deny),
        (
            "GET",
            "https://app.example.com:8443/x",
            outside,
            ada(),
            Allow,
        ),
        (
            "GET",
            "https://one.apps.example.com/x",
            outside,
            ada(),
            Allow,
        ),
        ("GET", "https://apps.example.com/x", outside, ada(), Deny),
        // default policy: deny, signed in or not
        ("GET", "https://unknown.example.org/", outside, ada(), Deny),
        (
            "GET",
            "https://unknown.example.org/",
            outside,
            anonymous,
            Deny,
        ),
        ("GET", "https://example.com/", outside, admin(true), Deny),
        ("GET", "http://app.example.com/", outside, ada(), Allow),
    ];
    assert!(rows.len() >= 60, "{}", rows.len());
    for (method, url, client, caller, expected) in rows {
        let decided = match Target::from_url(method, url) {
            Ok(target) => {
                rules
                    .decide(&target, client, &caller, NOW, has_permission_for(&caller))
                    .unwrap()
                    .decision
            }
            // A method or URL that cannot be read is denied.
            Err(_) => Deny,
        };
        assert_eq!(
            decided, expected,
            "{method} {url} from {client:?} as {caller:?}"
        );
    }
}

#[test]
fn a_rule_naming_a_permission_asks_the_store_only_when_reached() {
    let rules = AccessRules::parse(RULES).unwrap();
    let target = Target::from_url("GET", "https://public.example.com/").unwrap();
    let asked = std::cell::Cell::new(0);
    let verdict = rules
        .decide(&target, None, &ada(), NOW, |_| {
            asked.set(asked.get() + 1);
            Ok::<_, ()>(false)
        })
        .unwrap();
    assert_eq!(verdict.decision, Allow);
    assert_eq!(verdict.rule_line, Some(4));
    assert_eq!(asked.get(), 0);
}

/// A password-only re-verification makes the sign-in recent for one-factor rules, never for
/// a two-factor rule's age.
#[test]
fn a_password_reverification_is_not_a_recent_second_factor() {
    let rules = AccessRules::parse(
        "[[rule]]\npath = \"/a\"\npolicy = \"two_factor\"\nmax_auth_age_secs = 60\n\n\
         [[rule]]\npath = \"/b\"\npolicy = \"one_factor\"\nmax_auth_age_secs = 60\n",
    )
    .unwrap();
    let reverified_by_password = Caller::Person(PersonFacts {
        id: "u",
        email: "u@example.com",
        username: None,
        roles: &[],
        second_factor: true,
        authenticated_at_ms: NOW - 10_000,
        two_factor_at_ms: NOW - 3_600_000,
    });
    let decide = |path: &str| {
        let target = Target::from_url("GET", &format!("https://h.example{path}")).unwrap();
        rules
            .decide(&target, None, &reverified_by_password, NOW, |_| {
                Ok::<_, ()>(false)
            })
            .unwrap()
            .decision
    };
    assert_eq!(decide("/a"), STALE);
    assert_eq!(decide("/b"), Allow);
}

#[test]
fn no_default_policy_means_deny() {
    let rules =
        AccessRules::parse("[[rule]]\ndomain = \"a.example\"\npolicy = \"bypass\"\n").unwrap();
    let target = Target::from_url("GET", "https://b.example/").unwrap();
    let verdict = rules
        .decide(&target, None, &ada(), NOW, has_permission_for(&ada()))
        .unwrap();
    assert_eq!(
        verdict,
        Verdict {
            decision: Deny,
            rule_line: None
        }
    );
}

#[test]
fn paths_are_decoded_and_resolved_once() {
    let path = |uri: &str| Target::from_parts("GET", "https", "h.example", uri).map(|t| t.path);
    assert_eq!(path("/").unwrap(), "/");
    assert_eq!(path("/a/b/").unwrap(), "/a/b/");
    assert_eq!(path("/%61%64min").unwrap(), "/admin");
    assert_eq!(path("/caf%C3%A9").unwrap(), "/café");
    assert_eq!(path("/a.b/c.d").unwrap(), "/a.b/c.d");
    assert_eq!(path("/a?x=/../admin;y").unwrap(), "/a");
    for malformed in [
        "",
        "a",
        "/..",
        "/a/../..",
        "/%2e%2e/x",
        "/a%2fb",
        "/a%2Fb",
        "/a%5cb",
        "/a\\b",
        "/a%25",
        "/a%252e",
        "/a%zz",
        "/a%4",
        "/a%00b",
        "/a%0d%0a",
        "/a b",
        "/a\tb",
        "/a#frag",
        "/café",
        "/a/..;/admin",
        "//",
        "//a///b",
        "//static/admin",
        "/a//b",
        "/a/b//",
        "/a/.;x/b",
        "/a/./b",
        "/a/b/..",
        "/a/.",
        "/static/../admin",
        "/static/%2e%2e/admin",
        "/static/%2E/x",
        "/admin/secret//../../static/x",
        "/a;b/c",
        "/admin;x",
        "/admin%3bx/y",
        "/admin.",
        "/admin%20",
        "/admin%2e",
        "/%c3%28",
        "/a?b c",
    ] {
        assert!(
            path(malformed).is_err(),
            "{malformed:?} read as {:?}",
            path(malformed)
        );
    }
}

#[test]
fn hosts_methods_and_urls_are_read_strictly() {
    let t = Target::from_url("get", "HTTPS://App.Example.COM.:8443/x?y=1").unwrap();
    assert_eq!(
        (t.method.as_str(), t.host.as_str(), t.port),
        ("GET", "app.example.com", Some(8443))
    );
    assert_eq!(t.url(), "https://app.example.com:8443/x?y=1");
    let v6 = Target::from_url("GET", "http://[FD00::1]:80/").unwrap();
    assert_eq!(v6.host, "[fd00::1]");
    let spaced = Target::from_url("GET", "https://h.example/a%20b/caf%C3%A9").unwrap();
    assert_eq!(spaced.url(), "https://h.example/a%20b/caf%C3%A9");
    for (method, url) in [
        ("G ET", "https://h.example/"),
        ("", "https://h.example/"),
        ("GET1", "https://h.example/"),
        ("GET", "ftp://h.example/"),
        ("GET", "//h.example/"),
        ("GET", "https://h.example"),
        ("GET", "https://user@h.example/"),
        ("GET", "https://h_ex ample/"),
        ("GET", "https://h.example:0/"),
        ("GET", "https://h.example:65536/"),
        ("GET", "https://h.example:80a/"),
        ("GET", "https://[::1/"),
        ("GET", "https://[zz::1]/"),
        ("GET", "https://h..example/"),
        ("GET", "https:///x"),
        ("GET", "https://h.example/\r\nx"),
    ] {
        assert!(Target::from_url(method, url).is_err(), "{method} {url}");
    }
    let long = format!("https://h.example/{}", "a".repeat(target::MAX_URL_BYTES));
    assert!(Target::from_url("GET", &long).is_err());
}

#[test]
fn a_refused_document_names_its_line_and_reason() {
    let refused = |text: &str| AccessRules::parse(text).unwrap_err();
    let e = refused(
        "default_policy = \"deny\"\n\n[[rule]]\ndomain = \"a.example\"\npolicy = \"maybe\"\n",
    );
    assert_eq!(e.line, 5, "{e}");
    let e = refused(
        "[[rule]]\npolicy = \"bypass\"\n\n[[rule]]\npath_regex = \"(\"\npolicy = \"deny\"\n",
    );
    assert_eq!(e.line, 4, "{e}");
    assert!(e.reason.contains("path_regex"), "{e}");
    let e = refused("[[rule]]\nnetwork = \"10.0.0.0/33\"\npolicy = \"deny\"\n");
    assert!(e.reason.contains("network"), "{e}");
    let e = refused("[[rule]]\ndomain = \"*.\"\npolicy = \"deny\"\n");
    assert!(e.reason.contains("domain"), "{e}");
    let e = refused("[[rule]]\nsubject = \"group:x\"\npolicy = \"deny\"\n");
    assert!(e.reason.contains("subject"), "{e}");
    let e = refused("[[rule]]\npath = \"/a/../b\"\npolicy = \"deny\"\n");
    assert!(e.reason.contains("path"), "{e}");
    let e = refused("[[rule]]\nmethod = \"get\"\npolicy = \"deny\"\n");
    assert!(e.reason.contains("method"), "{e}");
    let e = refused("[[rule]]\npolicy = \"bypass\"\nmax_auth_age_secs = 5\n");
    assert!(e.reason.contains("max_auth_age_secs"), "{e}");
    let e = refused("[[rule]]\npolicy = \"deny\"\ncolour = \"red\"\n");
    assert_eq!(e.line, 3, "{e}");
    let e = refused("[[rule]\n");
    assert_eq!(e.line, 1, "{e}");
    let regexes = format!(
        "[[rule]]\npath_regex = \"^/{}\"\npolicy = \"deny\"\n",
        "a".repeat(900)
    )
    .repeat(20);
    assert!(refused(&regexes).reason.contains("in all"));
    let long = format!(
        "[[rule]]\npath_regex = \"^/{}\"\npolicy = \"deny\"\n",
        "a".repeat(2000)
    );
    assert!(refused(&long).reason.contains("path_regex"));
    let counted =
        "[[rule]]\npath_regex = \"^/a\"\npolicy = \"deny\"\n".repeat(rules::MAX_REGEXES + 1);
    assert!(refused(&counted).reason.contains("regexes"));
    let compiled_large = "[[rule]]\npath_regex = \"b{2040}\"\npolicy = \"deny\"\n";
    assert!(refused(compiled_large).reason.contains("path_regex"));
    let big = format!("# {}\n", "x".repeat(rules::MAX_DOCUMENT_BYTES));
    assert!(refused(&big).reason.contains("larger"));
    let many = "[[rule]]\npolicy = \"deny\"\n".repeat(rules::MAX_RULES + 1);
    assert!(refused(&many).reason.contains("more than"));
}

#[test]
fn protected_domains_are_the_rules_domains() {
    let rules = AccessRules::parse(RULES).unwrap();
    assert!(rules.protects("app.example.com"));
    assert!(rules.protects("x.apps.example.com"));
    assert!(!rules.protects("apps.example.com"));
    assert!(!rules.protects("evil.example"));
    assert!(!rules.protects("example.com"));
}
