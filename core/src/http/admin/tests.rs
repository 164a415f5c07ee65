use super::ROUTES;
use crate::http::Request;
use crate::http::tests::{body_json, error_code};
use crate::roles::Role;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture};

/// A key with `scopes`, as `Authorization` header value.
fn key(f: &Fixture, scopes: &[&str]) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    let created = f.sesame().create_api_key("test", &scopes).unwrap();
    format!("Bearer {}", created.key.as_str())
}

/// A request with the admin key `auth`, a JSON `body` for posts.
fn call(
    f: &Fixture,
    auth: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> crate::http::Response {
    let mut req = Request::new(method, path).with_header("authorization", auth);
    if method == "POST" {
        req = req
            .with_header("content-type", "application/json")
            .with_body(body.to_string().into_bytes());
    }
    f.send(req)
}

/// Ada's session cookie pair and CSRF token, signed in just now.
fn ada_signs_in(f: &Fixture) -> (String, String) {
    let body = serde_json::json!({"email": ADA_EMAIL, "password": ADA_PASSWORD});
    let r = f.json_with("POST", "/login", &[], &body.to_string());
    assert_eq!(r.status, 200);
    let cookie = r.header("set-cookie").unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let csrf = body_json(&r)["csrf_token"].as_str().unwrap().to_owned();
    (pair, csrf)
}

/// Every admin route, with a body that would be accepted.
fn every_route() -> Vec<(&'static str, &'static str)> {
    ROUTES.iter().map(|r| (r.method, r.path)).collect()
}

#[test]
fn strangers_and_plain_users_are_refused_everywhere() {
    let f = Fixture::registered();
    let (cookie, csrf) = ada_signs_in(&f);
    let other_key = key(&f, &["deploy"]);
    for (method, path) in every_route() {
        let anonymous = f.send(Request::new(method, path));
        assert_eq!(anonymous.status, 401, "{method} {path}");
        assert_eq!(error_code(&anonymous), "unauthenticated");

        let r = call(&f, &other_key, method, path, serde_json::json!({}));
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (403, "forbidden"),
            "{method} {path}"
        );

        let r = f.send(
            Request::new(method, path)
                .with_header("cookie", &cookie)
                .with_header("x-csrf-token", &csrf)
                .with_header("content-type", "application/json")
                .with_body(b"{}".to_vec()),
        );
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (403, "forbidden"),
            "{method} {path}"
        );
    }
}

#[test]
fn an_admin_session_needs_csrf_and_fresh_authentication() {
    let f = Fixture::registered();
    let s = f.sesame();
    s.put_role(&Role {
        name: "ops".into(),
        description: String::new(),
        permissions: vec!["admin".into()],
    })
    .unwrap();
    s.grant_role(ADA_EMAIL, "ops").unwrap();
    let (cookie, csrf) = ada_signs_in(&f);
    let list = || f.send(Request::new("GET", "/admin/users").with_header("cookie", &cookie));
    assert_eq!(list().status, 200);
    let revoke = |csrf: Option<&str>| {
        let mut req = Request::new("POST", "/admin/user/sessions/revoke")
            .with_header("cookie", &cookie)
            .with_header("content-type", "application/json")
            .with_body(format!(r#"{{"user":"{ADA_EMAIL}","id":"nope"}}"#).into_bytes());
        if let Some(token) = csrf {
            req = req.with_header("x-csrf-token", token);
        }
        f.send(req)
    };
    assert_eq!(error_code(&revoke(None)), "csrf-rejected");
    assert_eq!(error_code(&revoke(Some(&csrf))), "not-found");
    f.advance(f.config.freshness.window_ms + 1);
    let stale = list();
    assert_eq!(
        (stale.status, error_code(&stale).as_str()),
        (401, "reauthentication-required")
    );
}

#[test]
fn an_area_key_reaches_its_area_only() {
    let f = Fixture::registered();
    let events = key(&f, &["admin:events"]);
    assert_eq!(
        call(&f, &events, "GET", "/admin/events", serde_json::Value::Null).status,
        200
    );
    let r = call(&f, &events, "GET", "/admin/users", serde_json::Value::Null);
    assert_eq!(r.status, 403);
    assert!(
        body_json(&r)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("admin:users")
    );
}

#[test]
fn an_operator_manages_a_user_from_creation_to_erasure() {
    let f = Fixture::new();
    let admin = key(&f, &["admin"]);
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/users",
        serde_json::json!({
            "email": "grace@example.com", "password": "compiler pioneer", "username": "grace"
        }),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = body_json(&r)["user"]["id"].as_str().unwrap().to_owned();
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/users",
        serde_json::json!({
            "email": "GRACE@example.com", "password": "compiler pioneer"
        }),
    );
    assert_eq!((r.status, error_code(&r).as_str()), (409, "already-exists"));

    let r = call(
        &f,
        &admin,
        "GET",
        "/admin/users?q=GRACE&limit=10",
        serde_json::Value::Null,
    );
    assert_eq!(body_json(&r)["users"][0]["id"], id.as_str());
    assert_eq!(body_json(&r)["next"], serde_json::Value::Null);
    let r = call(
        &f,
        &admin,
        "GET",
        "/admin/users?limit=0",
        serde_json::Value::Null,
    );
    assert_eq!(r.status, 400);

    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/user/update",
        serde_json::json!({
            "user": "grace@example.com", "username": null, "confirmed": true
        }),
    );
    assert_eq!(r.status, 200);
    assert_eq!(body_json(&r)["user"]["username"], serde_json::Value::Null);
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/user/update",
        serde_json::json!({
            "user": id, "actve": false
        }),
    );
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (400, "invalid-request")
    );

    let r = call(
        &f,
        &admin,
        "GET",
        &format!("/admin/user?user={id}"),
        serde_json::Value::Null,
    );
    let shown = body_json(&r);
    assert_eq!(shown["email"], "grace@example.com");
    assert_eq!(shown["has_password"], true);
    assert!(shown["confirmed_at_ms"].is_u64());

    // Grace signs in twice; the operator sees and ends one session, then the other.
    let body = serde_json::json!({"email": "grace@example.com", "password": "compiler pioneer"});
    f.json_with("POST", "/login", &[], &body.to_string());
    f.json_with("POST", "/login", &[], &body.to_string());
    let r = call(
        &f,
        &admin,
        "GET",
        &format!("/admin/user/sessions?user={id}"),
        serde_json::Value::Null,
    );
    let sessions = body_json(&r)["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/user/sessions/revoke",
        serde_json::json!({
            "user": id, "id": sessions[0]["id"]
        }),
    );
    assert_eq!(body_json(&r)["ended"], 1);
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/user/sessions/revoke",
        serde_json::json!({"user": id}),
    );
    assert_eq!(body_json(&r)["ended"], 1);

    let r = call(
        &f,
        &admin,
        "GET",
        &format!("/admin/user/factors?user={id}"),
        serde_json::Value::Null,
    );
    assert_eq!(body_json(&r)["totp_enabled"], false);
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/user/factors/reset-totp",
        serde_json::json!({"user": id}),
    );
    assert_eq!(body_json(&r)["was_enabled"], false);

    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/roles",
        serde_json::json!({
            "name": "editor", "permissions": ["write"]
        }),
    );
    assert_eq!(r.status, 200);
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/user/roles/grant",
        serde_json::json!({"user": id, "role": "editor"}),
    );
    assert_eq!(
        body_json(&r)["user"]["roles"],
        serde_json::json!(["editor"])
    );
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/roles/delete",
        serde_json::json!({"name": "editor"}),
    );
    assert_eq!(r.status, 200);
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/roles/delete",
        serde_json::json!({"name": "editor"}),
    );
    assert_eq!(r.status, 404);

    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/api-keys",
        serde_json::json!({"name": "ci", "scopes": ["deploy"]}),
    );
    assert_eq!(r.status, 201);
    let key_id = body_json(&r)["api_key"]["id"].as_str().unwrap().to_owned();
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/api-keys/revoke",
        serde_json::json!({"id": key_id}),
    );
    assert_eq!(r.status, 200);

    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/user/delete",
        serde_json::json!({"user": "grace@example.com"}),
    );
    assert_eq!(r.status, 200);
    let anonymous = body_json(&r)["anonymous_id"].as_str().unwrap().to_owned();
    let r = call(
        &f,
        &admin,
        "GET",
        &format!("/admin/user?user={id}"),
        serde_json::Value::Null,
    );
    assert_eq!(r.status, 404);

    // The journal names the key for every change, and the erased user only anonymously.
    let r = call(
        &f,
        &admin,
        "GET",
        "/admin/events?kind=admin-action&limit=500",
        serde_json::Value::Null,
    );
    let events = body_json(&r)["events"].as_array().unwrap().clone();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "user.create",
        "user.update",
        "user.sessions.revoke",
        "user.totp.reset",
        "role.put:editor",
        "user.role.grant:editor",
        "role.delete:editor",
        "user.delete",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(
        events
            .iter()
            .all(|e| e["actor"].as_str().unwrap().starts_with("api-key:"))
    );
    assert!(events.iter().all(|e| e["user_id"] != id.as_str()));
    assert!(events.iter().any(|e| e["user_id"] == anonymous.as_str()));
    let r = call(
        &f,
        &admin,
        "GET",
        "/admin/events?kind=nonsense",
        serde_json::Value::Null,
    );
    assert_eq!(r.status, 400);
}

#[test]
fn the_mail_queue_is_listed_retried_and_deleted() {
    let f = Fixture::new();
    let admin = key(&f, &["admin:mail"]);
    let value = r#"{"to":"a@example.com","subject":"Reset","text":"secret link","queued_at_ms":5,"attempts":12,"last_error":"550"}"#;
    crate::store::Store::put(
        &f.store,
        "mailq/dead/0000000000005-n-1",
        value.as_bytes(),
        None,
        None,
    )
    .unwrap();
    let r = call(
        &f,
        &admin,
        "GET",
        "/admin/mail?state=dead",
        serde_json::Value::Null,
    );
    assert_eq!(r.status, 200);
    let text = String::from_utf8_lossy(&r.body).to_string();
    assert!(!text.contains("secret link"), "{text}");
    assert_eq!(body_json(&r)["messages"][0]["attempts"], 12);
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/mail/retry",
        serde_json::json!({"id": "0000000000005-n-1"}),
    );
    assert_eq!(r.status, 200);
    let r = call(&f, &admin, "GET", "/admin/mail", serde_json::Value::Null);
    assert_eq!(body_json(&r)["messages"][0]["state"], "pending");
    let r = call(
        &f,
        &admin,
        "POST",
        "/admin/mail/delete",
        serde_json::json!({"id": "0000000000005-n-1"}),
    );
    assert_eq!(r.status, 200);
    let r = call(
        &f,
        &admin,
        "GET",
        "/admin/mail?state=neither",
        serde_json::Value::Null,
    );
    assert_eq!(r.status, 400);
}
