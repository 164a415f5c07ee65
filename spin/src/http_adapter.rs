//! The Spin HTTP trigger's entry point: the `wasi:http/incoming-handler` export, answered by
//! core's router through [`sesame_wasi::http`], with the client's address from Spin's view of
//! the connection.
//!
//! The export is the `wasi` crate's (`wasi::http::proxy::export!`) rather than spin-sdk's
//! `#[http_component]`, so the request and response are the very binding types sesame-wasi
//! reads and writes, with no handle conversion between two copies of them.

use sesame_core::http;
use sesame_wasi::http::{IncomingRequest, PeerSource, ResponseOutparam, or_fault};

use sesame_wasi::env::Held;

use crate::store::SpinStore;
use crate::{variables, with_sesame};

/// Header in which Spin passes the client's address (`ip:port`) to the component. Spin sets it
/// from the connection, replacing any copy the client sent.
const SPIN_CLIENT_ADDR: &str = "spin-client-addr";

/// One request in this many also deletes expired records, after the answer is written, so
/// the table does not grow with dead sessions without costing each request a statement.
const SWEEP_ONE_IN: u8 = 16;

/// The component as a wasi:http handler.
struct SpinHttp;

impl wasi::exports::http::incoming_handler::Guest for SpinHttp {
    /// Answers one request (Spin runs each in a fresh instance).
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let peer = PeerSource::Header(SPIN_CLIENT_ADDR);
        let mut held = Held::default();
        sesame_wasi::http::serve(request, response_out, peer, |req| {
            or_fault(with_sesame(&mut held, |sesame| {
                Ok(http::handle(sesame, req))
            }))
        });
        after_the_answer(held);
    }
}

wasi::http::proxy::export!(SpinHttp);

/// The work that waits until the answer is written, all on one read of the variables and one
/// open store: queueing the mail and events the request caused (see
/// [`sesame_wasi::env::QueueingEnv::holding`] for why not before), on one request in
/// [`SWEEP_ONE_IN`] deleting a batch of expired records, and, with a mail API or webhook set,
/// delivering a few due items (see [`sesame_wasi::outgoing::deliver_due`] for the bounds), so
/// a slow or absent provider never slows a request down. Failures are logged; a held mail that
/// cannot be queued is logged whole.
fn after_the_answer(held: Held) {
    let sweep = sweep_turn();
    let settings = match variables::settings() {
        Ok(settings) => settings,
        Err(e) => {
            // The request's answer already said why; only held mail still needs a place.
            if !held.is_empty() {
                eprintln!("sesame: queueing mail and events: {e}");
                held.log_mail();
            }
            return;
        }
    };
    let outbound = &settings.config.outbound;
    if held.is_empty() && !sweep && !outbound.enabled() {
        return;
    }
    let store = match SpinStore::open(&settings.store) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("sesame: after the answer: {e}");
            held.log_mail();
            return;
        }
    };
    if !held.is_empty() {
        sesame_wasi::env::queue_held(&store, outbound, held);
    }
    if sweep && let Err(e) = store.sweep_expired() {
        // Failures only delay the sweep.
        eprintln!("sesame: sweeping expired records: {e}");
    }
    if outbound.enabled() {
        sesame_wasi::outgoing::deliver_due(&store, outbound);
    }
}

/// Whether this request is the one in [`SWEEP_ONE_IN`] that sweeps.
fn sweep_turn() -> bool {
    let mut roll = [0u8; 1];
    sesame_wasi::env::fill_random(&mut roll).is_ok() && roll[0] % SWEEP_ONE_IN == 0
}
