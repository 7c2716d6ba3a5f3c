//! Probes and metrics: `/healthz`, `/readyz`, `/metrics`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use yoloo_server::health::Status;

use crate::state::AppState;

/// Readiness: the model is loaded and warmed up, and the service is not
/// shutting down.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "Loading or draining", body = Status)
    )
)]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let (code, status) = if state.is_draining() {
        (StatusCode::SERVICE_UNAVAILABLE, "draining")
    } else if state.engine().is_none() {
        (StatusCode::SERVICE_UNAVAILABLE, "loading")
    } else {
        (StatusCode::OK, "ok")
    };
    (code, axum::Json(Status { status }))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    yoloo_server::metrics::response(state.render_metrics())
}
