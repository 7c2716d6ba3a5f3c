//! The layers around every service's routes: metrics, request ids, tracing.
//! One place for what every request goes through.

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderName;
use axum::middleware;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The request-id header: honoured when the client sends one, generated
/// (a UUID) otherwise, echoed back, and in every log line of the request.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `app` with the layers every service has, outermost first: request id
/// (set, then propagated to the answer), a tracing span per request
/// (method, URI, request id), the HTTP metrics (`yoloo_http_*`, by matched
/// route; unmatched paths count as `unmatched`).
pub fn around(app: Router) -> Router {
    app.layer(middleware::from_fn(crate::metrics::record))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
