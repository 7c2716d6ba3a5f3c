//! The HTTP routes and the middleware around them.

pub mod deepstack;
pub mod detect;
pub mod health;
mod jobs;
pub mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Response;
use axum::routing::{get, post};
use utoipa::OpenApi;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

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
        yoloo_server::health::healthz,
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
    yoloo_server::health::openapi(&ApiDoc::openapi())
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route; see /openapi.json")
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config().max_body_bytes;
    let api = Router::new()
        .route("/v1/detect", post(detect::detect))
        .route("/v1/vision/detection", post(deepstack::detection))
        .route("/v1/models", get(detect::models))
        .route("/healthz", get(yoloo_server::health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state);
    yoloo_server::layers::around(api)
}
