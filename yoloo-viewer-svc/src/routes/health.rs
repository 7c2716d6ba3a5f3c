//! `/readyz` and `/metrics` (`/healthz` is the shared one).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::SharedState;

/// Ready for traffic: not shutting down, record store and image store
/// reachable. The remote detector's state is reported (`"degraded"`) but does
/// not make the viewer unready: without it the gallery still works and
/// uploads are kept as `failed` for a retry, whereas an unready viewer behind
/// a load balancer would take the whole site down with the detector.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready (`ready`), or `degraded` while a remote detector is away: `{\"status\", \"checks\": {\"records\", \"images\", \"detector\"}}`"),
        (status = 503, description = "Shutting down, or a store does not answer"),
    )
)]
pub async fn readyz(State(state): State<SharedState>) -> Response {
    if !state.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "shutting down"})),
        )
            .into_response();
    }
    let (records, blobs, detector) = tokio::join!(
        state.records.ping(),
        state.blobs.ping(),
        state.detector.ready()
    );
    let check = |r: Result<(), String>| match r {
        Ok(()) => json!("ok"),
        Err(e) => json!(e),
    };
    let ok = records.is_ok() && blobs.is_ok();
    let status = match (ok, detector.is_ok()) {
        (false, _) => "not ready",
        (true, false) => "degraded",
        (true, true) => "ready",
    };
    let body = json!({
        "status": status,
        "checks": {
            "records": check(records.map_err(|e| e.to_string())),
            "images": check(blobs.map_err(|e| e.to_string())),
            "detector": check(detector.map_err(|e| e.to_string())),
        }
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Prometheus text format.
pub async fn metrics(State(state): State<SharedState>) -> Response {
    yoloo_server::metrics::response(state.metrics.render())
}
