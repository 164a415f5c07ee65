//! Sesame's routes, exported twice: as `sesame:auth/routes` (one typed call, what the `sesame`
//! server uses) and as `wasi:http/incoming-handler` (for every other wasi:http host). Both
//! turn their request into core's [`sesame_core::http::Request`] through
//! [`sesame_wasi::request`], let core answer, and hand the response back.

use sesame_core::http::{self, Request, Response};
use sesame_wasi::http::{IncomingRequest, PeerSource, ResponseOutparam, or_fault};
use sesame_wasi::request::{RequestHead, peer_address};

use crate::bindings::exports::sesame::auth::routes;
use crate::bindings::exports::wasi::http::incoming_handler::Guest;
use crate::{Component, with_sesame};

impl Guest for Component {
    /// `wasi:http` tells nothing of the connection's peer (see [`PeerSource::Unknown`]).
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        sesame_wasi::http::serve(request, response_out, PeerSource::Unknown, answer);
    }
}

impl routes::Guest for Component {
    fn handle(request: routes::Request) -> routes::Response {
        let head = RequestHead {
            method: request.method,
            path_with_query: Some(request.path_with_query),
            authority: None,
            headers: request.headers,
            peer: peer_address(request.client_address.as_deref()),
        };
        let response = answer(&head.into_request(request.body));
        let mut headers = response.headers;
        // For the host's request log and metrics; the host removes them before answering.
        if let Some(route) = response.route {
            headers.push((INTERNAL_ROUTE_HEADER.to_owned(), route.to_owned()));
        }
        if let Some(user) = response.user_id {
            headers.push((INTERNAL_USER_HEADER.to_owned(), user));
        }
        routes::Response {
            status: response.status,
            headers,
            body: response.body,
        }
    }
}

/// The header naming the route that answered, in `routes` answers only (see the WIT `routes`
/// interface).
const INTERNAL_ROUTE_HEADER: &str = "sesame-internal-route";

/// The header naming the signed-in user a route checked, in `routes` answers only.
const INTERNAL_USER_HEADER: &str = "sesame-internal-user";

/// Core's answer to `req`.
fn answer(req: &Request) -> Response {
    or_fault(with_sesame(|sesame| Ok(http::handle(sesame, req))))
}
