//! The host's in-process tests: the component under the real runtime (typed exports, HTTP
//! routes, the sandbox's limits, the embedding cases), and the parts of the host that need more
//! than a unit's worth of set-up (native hashing's queue, the mail queue over SMTP, webhook
//! delivery over HTTP).

mod embed_cases;
mod hashing;
mod mail_queue;
mod routes;
mod sandbox;
mod support;
mod webhooks;
mod wit_api;
mod wit_two_factor;
mod wit_webauthn;
