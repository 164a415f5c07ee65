//! The OpenAPI document served by the real binary: `GET /openapi.json` answers the document
//! core holds, with this build's version, and every operation it describes answers a request
//! without credentials or a usable body with one of the statuses it documents, in JSON.
//! (`scripts/test-openapi` goes further with schemathesis.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failure here is a test failure"
)]

use serde_json::Value;
use sesame_tests::Server;

fn served(server: &Server) -> Value {
    let r = server.get("/openapi.json", &[("accept", "application/json")]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

#[test]
fn the_live_server_serves_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
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
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("sesame.db"));
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
            if r.status >= 400 {
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
