//! What the service says about itself: `/` (name and version, or the start page),
//! `/healthz` (liveness), `/readyz` (readiness: the store answers) and `/openapi.json` (the
//! document of the JSON API).

use serde::Serialize;

use super::answer::{Answer, Page};
use super::bodies::Status;
use super::router::{Call, Route};
use super::view;
use crate::error::Error;

/// The OpenAPI 3.1 document of the JSON API (`GET /openapi.json`); its `info.version` is set
/// to this crate's version when served.
pub const OPENAPI_DOCUMENT: &str = include_str!("openapi.json");

/// The routes this group answers.
pub(crate) const ROUTES: [Route; 5] = [
    Route::json("GET", "/", index),
    Route::json("GET", "/healthz", healthz),
    Route::json("GET", "/readyz", readyz),
    Route::json("GET", "/openapi.json", openapi),
    Route::script("GET", "/sesame.css", stylesheet),
];

/// The body of `GET /`.
#[derive(Serialize)]
struct ServiceName {
    service: &'static str,
    version: &'static str,
}

fn index(call: &Call<'_>) -> Result<Answer, Error> {
    let name = ServiceName {
        service: "sesame",
        version: env!("CARGO_PKG_VERSION"),
    };
    Answer::try_of(call.format, 200, &name, || {
        let html = call.view().render("index.html", minijinja::context! {})?;
        Ok(Page::Html(html))
    })
}

fn healthz(_: &Call<'_>) -> Result<Answer, Error> {
    Ok(Answer::json(200, &Status { status: "ok" }))
}

/// Ready when the component answers (it is loaded) and one read of the store succeeds: one
/// key lookup, so probes cost next to nothing. A store that fails answers 503
/// `store-unavailable`, and the load balancer sends requests elsewhere.
fn readyz(call: &Call<'_>) -> Result<Answer, Error> {
    call.sesame.probe_store()?;
    Ok(Answer::json(200, &Status { status: "ready" }))
}

/// `GET /openapi.json`: [`OPENAPI_DOCUMENT`] with this build's version.
fn openapi(_: &Call<'_>) -> Result<Answer, Error> {
    let mut document: serde_json::Value = serde_json::from_str(OPENAPI_DOCUMENT)
        .map_err(|e| Error::Config(format!("the OpenAPI document does not parse: {e}")))?;
    if let Some(info) = document.get_mut("info").and_then(|i| i.as_object_mut()) {
        info.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    }
    Ok(Answer::json(200, &document))
}

/// `GET /sesame.css`: the pages' stylesheet with the brand colour. Asked for with the
/// current content hash (`?v=`, as pages link it), browsers may keep it for a year; any
/// other request gets it uncached, so an old hash never pins a stale sheet and made-up
/// versions never fill a shared cache.
fn stylesheet(call: &Call<'_>) -> Result<Answer, Error> {
    let config = call.sesame.config();
    let current = call.query_value("v")?.as_deref() == Some(&view::stylesheet_version(config));
    let max_age = if current { 365 * 24 * 3600 } else { 0 };
    Ok(Answer::cached(
        "text/css; charset=utf-8",
        view::stylesheet(config),
        max_age,
    ))
}
