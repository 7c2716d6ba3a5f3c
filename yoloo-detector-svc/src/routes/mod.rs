//! The HTTP routes and the middleware around them.

pub mod deepstack;
pub mod detect;
pub mod health;
mod jobs;
pub mod upload;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::telemetry;

/// The request-id header: honoured when the client sends one, generated otherwise, echoed back.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The OpenAPI description of every route.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "yoloo-detector-svc",
        description = "Object detection with Darknet YOLOv3 models (yoloo-core on tract). JSON, annotated images, and the DeepStack API."
    ),
    paths(
        detect::detect,
        detect::models,
        deepstack::detection,
        health::healthz,
        health::readyz,
        health::metrics,
        openapi_json,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crate::error::ErrorCode,
        crate::error::DeepStackErrorBody,
    )),
    tags(
        (name = "detection", description = "Object detection"),
        (name = "deepstack", description = "DeepStack / CodeProject.AI compatible API"),
        (name = "operations", description = "Probes, metrics and this description"),
    )
)]
pub struct ApiDoc;

/// This OpenAPI 3.1 description.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::new(
            ErrorCode::Internal,
            format!("cannot render the OpenAPI document: {e}"),
        )
        .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route; see /openapi.json")
}

/// Counts requests and their latency per route, and requests in flight.
async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let in_flight = metrics::gauge!(telemetry::IN_FLIGHT);
    in_flight.increment(1.0);
    // Decrement even if the client goes away and this future is dropped.
    struct Guard(metrics::Gauge);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.decrement(1.0);
        }
    }
    let _guard = Guard(in_flight);
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(telemetry::REQUESTS, "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!(telemetry::REQUEST_DURATION, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config().max_body_bytes;
    let api = Router::new()
        .route("/v1/detect", post(detect::detect))
        .route("/v1/vision/detection", post(deepstack::detection))
        .route("/v1/models", get(detect::models))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .route_layer(middleware::from_fn(record_metrics))
        .with_state(state);
    api.layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
