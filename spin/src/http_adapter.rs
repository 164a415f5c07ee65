//! The Spin HTTP trigger's entry point: the `wasi:http/incoming-handler` export, answered by
//! core's router through [`sesame_wasi::http`], with the client's address from Spin's view of
//! the connection.
//!
//! The export is the `wasi` crate's (`wasi::http::proxy::export!`) rather than spin-sdk's
//! `#[http_component]`, so the request and response are the very binding types sesame-wasi
//! reads and writes, with no handle conversion between two copies of them.

use sesame_core::http;
use sesame_wasi::http::{IncomingRequest, PeerSource, ResponseOutparam, or_fault};

use crate::store::SpinStore;
use crate::{variables, with_sesame, with_store};
use sesame_wasi::env::Held;

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
        queue_held(held);
        sweep_now_and_then();
        deliver_due();
    }
}

wasi::http::proxy::export!(SpinHttp);

/// Queues the mail and events the request caused, now that its answer is written (see
/// [`sesame_wasi::env::QueueingEnv::holding`] for why not before).
fn queue_held(held: Held) {
    if held.is_empty() {
        return;
    }
    let settings = match variables::settings() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("sesame: queueing mail and events: {e}");
            held.log_mail();
            return;
        }
    };
    let mut held = Some(held);
    let queued = with_store(&settings.store, |store| {
        if let Some(held) = held.take() {
            sesame_wasi::env::queue_held(store, &settings.config.outbound, held);
        }
        Ok(())
    });
    if let Err(e) = queued {
        eprintln!("sesame: queueing mail and events: {e}");
        if let Some(held) = held {
            held.log_mail();
        }
    }
}

/// Deletes a batch of expired records on one request in [`SWEEP_ONE_IN`]. Failures only delay
/// the sweep, so they are logged and otherwise ignored.
fn sweep_now_and_then() {
    let mut roll = [0u8; 1];
    if sesame_wasi::env::fill_random(&mut roll).is_err() || roll[0] % SWEEP_ONE_IN != 0 {
        return;
    }
    if let Err(e) = variables::store_choice()
        .and_then(|choice| SpinStore::open(&choice))
        .map_err(|e| e.to_string())
        .and_then(|store| store.sweep_expired().map_err(|e| e.to_string()))
    {
        eprintln!("sesame: sweeping expired records: {e}");
    }
}

/// Delivers a few queued mails and events, after the answer is written, so a slow or absent
/// provider never slows a request down (see [`sesame_wasi::outgoing::deliver_due`] for the
/// bounds). Nothing to do, and nothing read beyond the variables, when no mail API or webhook
/// is set.
fn deliver_due() {
    let Ok(settings) = variables::settings() else {
        // The request's answer already said why, and the log has it.
        return;
    };
    if !settings.config.outbound.enabled() {
        return;
    }
    let delivered = with_store(&settings.store, |store| {
        sesame_wasi::outgoing::deliver_due(store, &settings.config.outbound);
        Ok(())
    });
    if let Err(e) = delivered {
        eprintln!("sesame: delivering queued mail and events: {e}");
    }
}
