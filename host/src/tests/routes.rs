//! The component's two HTTP exports answer alike: `sesame:auth/routes`, which `sesame serve`
//! calls, and `wasi:http/incoming-handler`, which every other wasi:http host calls. The server
//! exercises only the first end to end, so this keeps the second from drifting.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};

use super::support::sqlite_runtime;
use crate::bindings::routes;

/// One answer, comparable across the two exports: status, headers without `content-length`
/// (the wasi:http side announces it as a header, the typed side leaves it to the host), body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// One request: method, path, headers, body.
type Probe = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static [u8],
);

/// The requests compared: a route without a session, a refusal of a malformed body, a
/// refusal of a missing session, an unknown route, and a forged client address.
fn requests() -> Vec<Probe> {
    let json = ("content-type", "application/json");
    vec![
        ("GET", "/healthz", vec![], b"".as_slice()),
        ("POST", "/login", vec![json], b"{\"email\": ".as_slice()),
        (
            "GET",
            "/me",
            vec![("accept", "application/json")],
            b"".as_slice(),
        ),
        ("GET", "/no-such-route", vec![], b"".as_slice()),
        (
            "POST",
            "/login",
            vec![json, ("sesame-client-addr", "203.0.113.9")],
            b"{}".as_slice(),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_http_exports_answer_alike() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![("SESAME_SECRET".to_owned(), format!("{}A", "D".repeat(42)))];
    let runtime = sqlite_runtime(dir.path(), env);
    let proxy = ProxyPre::new(runtime.instance_pre().clone()).unwrap();

    for (method, path, headers, body) in requests() {
        // Through the typed export, as `sesame serve` calls it.
        let (mut store, _) = runtime.new_store();
        let typed = runtime.instantiate_routes(&mut store).await.unwrap();
        let mut typed_headers: Vec<(String, Vec<u8>)> =
            vec![("host".to_owned(), b"auth.example".to_vec())];
        typed_headers.extend(
            headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec())),
        );
        let request = routes::Request {
            method: method.to_owned(),
            path_with_query: path.to_owned(),
            headers: typed_headers,
            body: body.to_vec(),
            client_address: None,
        };
        let answer = typed.call_handle(&mut store, &request).await.unwrap();
        // The typed export adds the facts for the host's log and metrics, which the host takes
        // out before answering; the rest must be what wasi:http answers.
        let (internal, mut typed_headers): (Vec<_>, Vec<_>) = answer
            .headers
            .into_iter()
            .partition(|(name, _)| name.starts_with("sesame-internal-"));
        let named = internal
            .iter()
            .any(|(name, _)| name == "sesame-internal-route");
        assert_eq!(
            named,
            path != "/no-such-route",
            "{method} {path}: the route named for the host: {internal:?}"
        );
        typed_headers.sort();
        let typed_answer: Answer = (answer.status, typed_headers, answer.body);

        // Through wasi:http, as any other wasi:http host calls it.
        let (mut store, _) = runtime.new_store();
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(format!("http://auth.example{path}"));
        for (name, value) in &headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(
                Full::new(Bytes::from_static(body))
                    .map_err(|never: std::convert::Infallible| -> ErrorCode { match never {} })
                    .boxed_unsync(),
            )
            .unwrap();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .unwrap();
        let out = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .unwrap();
        let proxy = proxy.instantiate_async(&mut store).await.unwrap();
        let call = tokio::spawn(async move {
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, out)
                .await
        });
        let response = receiver.await.unwrap().unwrap();
        let status = response.status().as_u16();
        let mut wasi_headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != "content-length")
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        wasi_headers.sort();
        let wasi_body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        call.await.unwrap().unwrap();
        let wasi_answer: Answer = (status, wasi_headers, wasi_body);

        assert_eq!(typed_answer, wasi_answer, "{method} {path}");
        assert!(typed_answer.0 < 500, "{method} {path}: {typed_answer:?}");
    }
}
