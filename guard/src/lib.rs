//! sesame-guard: a Spin component that puts Sesame in front of another component of the same
//! Spin app.
//!
//! For every request on its routes it asks Sesame `GET /auth/check` (by Spin's local service
//! chaining, `http://sesame.spin.internal`), with the client's `Cookie` and `Authorization`
//! and the request itself described in `X-Forwarded-Method/-Proto/-Host/-Uri` on the app's
//! configured public URL (never the client's `Host`), so Sesame's access rules judge it when
//! there are some. Header fields over 64 KiB in all are answered `431 headers-too-large`
//! without asking. Then:
//!
//! - 200: the request goes on to the app (`app_url`, e.g. `http://app.spin.internal`, a
//!   private component), its body and the app's answer streamed, with the identity headers of
//!   Sesame's answer (`Remote-User`, `X-Sesame-User`, ...) in place of any the client sent,
//!   and without Sesame's own cookies or API key;
//! - 401: a browser navigation (`GET`/`HEAD` accepting HTML) is sent to sign in (Sesame's own
//!   redirect under access rules, else its sign-in page with the URL to return to in `rd`);
//!   anything else gets Sesame's 401;
//! - any other refusal (403, 429, ...): Sesame's answer;
//! - Sesame unreachable, failing or answering what a check never answers: 503
//!   `auth-unavailable`, and nothing reaches the app (the guard fails closed).
//!
//! It holds no secret, reads no token itself and keeps nothing between requests: Sesame
//! decides, the guard only carries the question and the answer. [`rules`] holds every decision
//! (which headers go where, what each answer means), tested natively; [`wire`] the `wasi:http`
//! calls. It depends on neither sesame-core nor spin-sdk, so it stays small.

mod config;
mod rules;
mod wire;

use wasi::http::types::{IncomingRequest, ResponseOutparam};

use crate::rules::{Verdict, error_body};

/// The headers of the guard's own JSON errors.
fn json_headers() -> rules::Fields {
    vec![
        ("content-type".into(), b"application/json".to_vec()),
        ("cache-control".into(), b"no-store".to_vec()),
    ]
}

/// Sesame's headers passed on with its refusal: what says how to read the body and how to
/// authenticate; nothing that would set state on the app's origin.
const REFUSAL_HEADERS: [&str; 4] = [
    "content-type",
    "content-language",
    "www-authenticate",
    "retry-after",
];

/// The component as a wasi:http handler.
struct Guard;

impl wasi::exports::http::incoming_handler::Guest for Guard {
    /// Answers one request (Spin runs each in a fresh instance).
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let settings = match config::settings() {
            Ok(settings) => settings,
            Err(e) => {
                eprintln!("sesame-guard: {}", e.0);
                let body = error_body(
                    "guard-misconfigured",
                    "The guard in front of this app is misconfigured; see the log.",
                );
                return wire::respond(out, 500, &json_headers(), &body);
            }
        };
        let original = wire::original(&request, &settings.public);
        // Counted before any list is built from them: past the host's limit on the lists the
        // guard sends, the host would trap rather than fail.
        if rules::fields_size(&original.headers) > rules::CLIENT_HEADERS_LIMIT {
            let body = error_body(
                "headers-too-large",
                "The request's header fields are too large.",
            );
            return wire::respond(out, 431, &json_headers(), &body);
        }
        let answer = match wire::check(&settings.sesame, &settings.check_query, &original) {
            Ok(answer) => answer,
            Err(e) => return unavailable(out, &e.0),
        };
        match rules::verdict(
            &original,
            answer.status,
            &answer.headers,
            &settings.sign_in_url,
        ) {
            Verdict::Forward(identity) => {
                let headers = rules::app_headers(&original, &identity);
                if let Err((e, out)) =
                    wire::forward(&settings.app, &original, &headers, request, out)
                {
                    eprintln!("sesame-guard: the app could not be reached: {}", e.0);
                    let body = error_body("app-unavailable", "The app cannot be reached now.");
                    wire::respond(out, 502, &json_headers(), &body);
                }
            }
            Verdict::SignIn(location) => {
                let headers = vec![
                    ("location".into(), location.into_bytes()),
                    ("cache-control".into(), b"no-store".to_vec()),
                ];
                wire::respond(out, 302, &headers, &[]);
            }
            Verdict::Refuse => {
                let headers: rules::Fields = answer
                    .headers
                    .into_iter()
                    .filter(|(n, _)| REFUSAL_HEADERS.contains(&n.to_ascii_lowercase().as_str()))
                    .chain([("cache-control".into(), b"no-store".to_vec())])
                    .collect();
                wire::respond(out, answer.status, &headers, &answer.body);
            }
            Verdict::Unavailable => {
                let why = format!("Sesame's check answered {}", answer.status);
                unavailable(out, &why);
            }
        }
    }
}

/// 503: Sesame could not say who the client is, so nothing goes through.
fn unavailable(out: ResponseOutparam, why: &str) {
    eprintln!("sesame-guard: no answer from Sesame, request kept out: {why}");
    let body = error_body(
        "auth-unavailable",
        "Sign-in cannot be checked now; try again later.",
    );
    wire::respond(out, 503, &json_headers(), &body);
}

wasi::http::proxy::export!(Guard);
