//! The OpenAPI document served by the real binary: `GET /openapi.json` answers the document
//! core holds, with this build's version, and every operation it describes answers a request
//! without credentials or a usable body with one of the statuses it documents, in JSON. The
//! passkey ceremonies, which need an authenticator, are checked against the document here with
//! the software one; `scripts/test-openapi` checks the other flows and runs schemathesis.

use serde_json::{Value, json};
use sesame_tests::authenticator::{Alg, SoftCredential};
use sesame_tests::{Host, Reply, Server};

fn served(server: &Server) -> Value {
    let r = server.get("/openapi.json", &[("accept", "application/json")]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

#[test]
fn the_live_server_serves_the_document() {
    let server = Host::Sesame.start_fresh();
    let doc = served(&server);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let mut checked_in: Value = serde_json::from_str(sesame_core::http::OPENAPI_DOCUMENT).unwrap();
    checked_in["info"]["version"] = env!("CARGO_PKG_VERSION").into();
    assert_eq!(
        doc, checked_in,
        "the component serves the document core holds"
    );
    // Browsers asking for HTML get the same JSON: the document has no page.
    let r = server.get("/openapi.json", &[("accept", "text/html")]);
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn every_operation_answers_a_documented_status() {
    let server = Host::Sesame.start_fresh();
    let doc = served(&server);
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_ascii_uppercase();
            let r = if method == "GET" {
                server.get(path, &[])
            } else {
                server.send(
                    &method,
                    path,
                    &[("content-type", "application/json")],
                    b"{}",
                )
            };
            let documented = operation["responses"]
                .as_object()
                .unwrap()
                .contains_key(&r.status.to_string());
            assert!(
                documented && r.status < 500,
                "{method} {path}: {} is not documented: {}",
                r.status,
                r.text()
            );
            assert_eq!(
                r.header("content-type"),
                Some("application/json"),
                "{method} {path}"
            );
            let oauth = operation["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t == "oauth"));
            if r.status >= 400 && oauth && r.json()["error"].is_string() {
                // The OAuth endpoints answer clients in the RFCs' shape (RFC 6749 §5.2).
                assert!(
                    r.json()["error_description"].is_string(),
                    "{method} {path}: {}",
                    r.text()
                );
            } else if r.status >= 400 {
                let code = r.error_code();
                let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
                assert!(
                    codes.as_array().unwrap().iter().any(|c| c == &code),
                    "{method} {path}: {code}"
                );
            }
            operations += 1;
        }
    }
    assert!(operations > 30, "only {operations} operations");
}

/// What `value` breaks of `schema` (the subset of JSON Schema the document uses: `$ref`, `type`,
/// `properties`, `required`, `items`, `enum`, `const`, `oneOf`, `minimum`), as readable lines.
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(target) = schema["$ref"].as_str() {
        let pointer = target.strip_prefix('#').expect("local references");
        return violations(
            doc,
            doc.pointer(pointer).expect("the reference resolves"),
            value,
            at,
        );
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("{at}: odd type {types}"),
        };
        let fits = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => panic!("{at}: unknown type {other}"),
        });
        if !fits {
            found.push(format!("{at}: {value} is not {types:?}"));
            return found;
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        found.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        found.push(format!("{at}: {value} is not {constant}"));
    }
    if let (Some(minimum), Some(number)) = (schema["minimum"].as_f64(), value.as_f64())
        && number < minimum
    {
        found.push(format!("{at}: {number} < {minimum}"));
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let fitting = options
            .iter()
            .filter(|option| violations(doc, option, value, at).is_empty())
            .count();
        if fitting != 1 {
            found.push(format!("{at}: fits {fitting} of the oneOf options"));
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                found.push(format!("{at}: no {name}"));
            }
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (name, property) in properties {
                if let Some(inner) = object.get(name) {
                    found.extend(violations(doc, property, inner, &format!("{at}.{name}")));
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            found.extend(violations(doc, items, item, &format!("{at}[{i}]")));
        }
    }
    found
}

/// Asserts that `reply` is a documented answer of `method path`, its body fitting the schema.
fn conforms(doc: &Value, method: &str, path: &str, reply: &Reply) -> Value {
    let operation = &doc["paths"][path][method.to_ascii_lowercase()];
    let mut response = &operation["responses"][reply.status.to_string()];
    assert!(
        !response.is_null(),
        "{method} {path}: {} is not documented: {}",
        reply.status,
        reply.text()
    );
    if let Some(target) = response["$ref"].as_str() {
        response = doc.pointer(target.strip_prefix('#').unwrap()).unwrap();
    }
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    let schema = &response["content"]["application/json"]["schema"];
    let wrong = violations(doc, schema, &body, "body");
    assert!(wrong.is_empty(), "{method} {path}: {wrong:?} in {body}");
    body
}

/// The passkey ceremonies, which the other checks cannot finish without an authenticator:
/// every answer, successful or not, fits the document.
#[test]
fn passkey_answers_fit_the_document() {
    const EMAIL: &str = "ada@example.com";
    let server = Host::Sesame.start_fresh();
    let origin = server.base.clone();
    let doc = served(&server);
    server.register(EMAIL, "analytical engine");
    let ada = server.sign_in(EMAIL, "analytical engine");
    let signed = |path: &str, body: &Value| {
        let reply = server.post_signed(&ada, path, body);
        (conforms(&doc, "POST", path, &reply), reply.status)
    };
    let mut key = SoftCredential::new(Alg::Es256, 7);

    let (started, _) = signed(
        "/wan-register",
        &json!({"name": "laptop", "usage": "first"}),
    );
    let answer = key.register(&started["options"], &origin);
    let (done, status) = signed(
        "/wan-register-response",
        &json!({"state": started["state"], "credential": answer}),
    );
    assert_eq!((status, &done["status"]), (200, &json!("registered")));
    let (again, status) = signed(
        "/wan-register-response",
        &json!({"state": started["state"], "credential": answer}),
    );
    assert_eq!(status, 400, "{again}");
    let listed = server.get("/wan-register", &[("cookie", &ada.cookie)]);
    conforms(&doc, "GET", "/wan-register", &listed);

    let (started, _) = signed("/wan-verify", &json!({}));
    let answer = key.assert(&started["options"], &origin);
    let (verified, status) = signed(
        "/wan-verify-response",
        &json!({"state": started["state"], "credential": answer}),
    );
    assert_eq!((status, &verified["status"]), (200, &json!("verified")));

    let started = server.post_json("/wan-signin", &json!({"identity": EMAIL}), &[]);
    let started = conforms(&doc, "POST", "/wan-signin", &started);
    let answer = key.assert(&started["options"], &origin);
    let body = json!({"state": started["state"], "credential": answer, "include_token": true});
    let session = server.post_json("/wan-signin-response", &body, &[]);
    assert_eq!(session.status, 200, "{}", session.text());
    conforms(&doc, "POST", "/wan-signin-response", &session);
    let replayed = server.post_json("/wan-signin-response", &body, &[]);
    assert!(replayed.status >= 400);
    conforms(&doc, "POST", "/wan-signin-response", &replayed);

    let (deleted, status) = signed("/wan-delete", &json!({"name": "laptop"}));
    assert_eq!((status, &deleted["status"]), (200, &json!("deleted")));
    let (_, status) = signed("/wan-delete", &json!({"name": "laptop"}));
    assert_eq!(status, 404);
}

/// The checker above finds what it must.
#[test]
fn the_checker_sees_violations() {
    let doc: Value = serde_json::from_str(sesame_core::http::OPENAPI_DOCUMENT).unwrap();
    let credential = json!({"$ref": "#/components/schemas/Credential"});
    let wrong = json!({"id": 1, "name": "x", "usage": "third"});
    let found = violations(&doc, &credential, &wrong, "body");
    assert!(found.iter().any(|v| v.starts_with("body.id:")), "{found:?}");
    assert!(
        found.iter().any(|v| v.starts_with("body.usage:")),
        "{found:?}"
    );
    assert!(found.iter().any(|v| v == "body: no backed_up"), "{found:?}");
    let login = &doc["paths"]["/login"]["post"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    let neither = json!({"csrf_token": "t"});
    assert!(!violations(&doc, login, &neither, "body").is_empty());
}
