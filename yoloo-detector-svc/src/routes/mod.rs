//! The HTTP routes and the middleware around them.

pub mod deepstack;
pub mod detect;
pub mod health;
mod jobs;
pub mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use utoipa::OpenApi;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The OpenAPI description of the detector's own routes
/// ([`yoloo_server::health::openapi_json`] adds the shared ones).
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
        health::readyz,
        health::metrics,
    ),
    components(schemas(crate::error::DeepStackErrorBody)),
    tags(
        (name = "detection", description = "Object detection"),
        (name = "deepstack", description = "DeepStack / CodeProject.AI compatible API"),
    )
)]
pub struct ApiDoc;

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route; see /openapi.json")
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config().max_body_bytes;
    let api = yoloo_server::health::common_routes(Router::new(), ApiDoc::openapi())
        .route("/v1/detect", post(detect::detect))
        .route("/v1/vision/detection", post(deepstack::detection))
        .route("/v1/models", get(detect::models))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state);
    yoloo_server::layers::around(api)
}
