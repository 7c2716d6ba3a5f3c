//! The router and the layers every response goes through.

pub mod api;
pub mod health;
pub mod media;
pub mod pages;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::state::SharedState;

/// Multipart framing allowance on top of the per-file limit.
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route.
pub fn router(state: SharedState) -> Router {
    // One request carries at most YOLOO_MAX_BODY_BYTES of files (all of an
    // upload's files together), plus the multipart framing.
    let body_limit = state
        .config
        .max_body_bytes
        .saturating_add(MULTIPART_OVERHEAD);
    Router::new()
        .route("/", get(pages::index))
        .route("/upload", post(pages::upload))
        .route("/images/{id}", get(pages::detail))
        .route("/images/{id}/retry", post(pages::retry))
        .route("/api/images", get(api::list).post(api::create))
        .route("/api/images/{id}", get(api::get_one))
        .route("/api/images/{id}/retry", post(api::retry))
        .route("/media/{*key}", get(media::get_media))
        .route("/static/{file}", get(media::get_static))
        .route("/favicon.ico", get(media::favicon))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), headers_and_metrics))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .headers()
                .get(&X_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Security headers on every response; request count and latency per route.
async fn headers_and_metrics(
    State(state): State<SharedState>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&state.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let status = resp.status().as_u16().to_string();
    metrics::counter!("viewer_http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("viewer_http_request_seconds", "method" => method, "path" => path)
        .record(start.elapsed().as_secs_f64());
    resp
}
