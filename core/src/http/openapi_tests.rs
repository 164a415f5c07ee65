//! The OpenAPI document (`openapi.json`) against the router and the error codes: it must
//! describe every JSON route and nothing else, and name exactly the codes Sesame answers.

use std::collections::BTreeSet;

use super::router::Answers;
use super::tests::error_code;
use super::*;
use crate::error::ErrorCode;
use crate::testing::Fixture;

fn document() -> serde_json::Value {
    serde_json::from_str(OPENAPI_DOCUMENT).expect("openapi.json is JSON")
}

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document's operations as (METHOD, path).
fn documented_operations(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item is an object");
            item.keys()
                .filter(|k| HTTP_METHODS.contains(&k.as_str()))
                .map(|m| (m.to_ascii_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn document_is_openapi_3_1_and_served_with_this_version() {
    let doc = document();
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let f = Fixture::new();
    let r = f.send(Request::new("GET", "/openapi.json"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let served: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(served["info"]["version"], env!("CARGO_PKG_VERSION"));
    let mut expected = doc;
    expected["info"]["version"] = env!("CARGO_PKG_VERSION").into();
    assert_eq!(
        served, expected,
        "served as checked in, but for the version"
    );
}

/// The router's tables are the only dispatch, so a route added anywhere shows up here.
#[test]
fn document_describes_exactly_the_json_routes() {
    let routes: Vec<(String, String)> = ROUTER
        .routes()
        .filter(|r| r.answers == Answers::Json && !r.proxy_protocol)
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let unique: BTreeSet<(String, String)> = routes.iter().cloned().collect();
    assert_eq!(unique.len(), routes.len(), "a route is listed twice");
    let documented = documented_operations(&document());
    let missing: Vec<_> = unique.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&unique).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "undocumented routes: {missing:?}; documented but not routed: {extra:?}"
    );
    // Pages and scripts stay out of it.
    assert!(!documented.contains(&("GET".to_owned(), "/login".to_owned())));
    assert!(!documented.contains(&("GET".to_owned(), "/wan.js".to_owned())));
}

/// A wrong method is refused with the documented methods in `Allow`.
#[test]
fn documented_paths_allow_their_methods() {
    let f = Fixture::new();
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let r = f.send(Request::new("PATCH", path));
        assert_eq!(
            (r.status, error_code(&r).as_str()),
            (405, "method-not-allowed"),
            "{path}"
        );
        let allow: BTreeSet<&str> = r.header("allow").unwrap().split(", ").collect();
        for method in item.as_object().unwrap().keys() {
            let method = method.to_ascii_uppercase();
            assert!(allow.contains(method.as_str()), "{path}: {allow:?}");
        }
    }
}

#[test]
fn document_names_exactly_the_error_codes() {
    let doc = document();
    let documented: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("the ErrorCode schema is an enum")
        .iter()
        .map(|c| c.as_str().expect("codes are strings"))
        .collect();
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(documented, codes);
    // Every code's status has a response to use (405 is described once, in `info`).
    let responses = doc["components"]["responses"].as_object().unwrap();
    let described: BTreeSet<u16> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .flat_map(|op| op["responses"].as_object().unwrap().keys())
        .filter_map(|status| status.parse().ok())
        .collect();
    for code in ErrorCode::ALL {
        if code != ErrorCode::MethodNotAllowed {
            assert!(
                described.contains(&code.http_status()),
                "no operation answers {} ({})",
                code.http_status(),
                code.as_str()
            );
        }
    }
    assert!(!responses.is_empty());
}

/// Every `$ref` points at something in the document.
#[test]
fn document_references_resolve() {
    fn walk(value: &serde_json::Value, doc: &serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    let pointer = target.strip_prefix('#').expect("local references only");
                    assert!(doc.pointer(pointer).is_some(), "dangling {target}");
                }
                map.values().for_each(|v| walk(v, doc));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, doc)),
            _ => {}
        }
    }
    let doc = document();
    walk(&doc, &doc);
}
