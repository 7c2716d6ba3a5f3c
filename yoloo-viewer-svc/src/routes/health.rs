//! `/healthz`, `/readyz`, `/metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::SharedState;

/// The process is up.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// Ready for traffic: not shutting down, record store and image store
/// reachable. The remote detector's state is reported (`"degraded"`) but does
/// not make the viewer unready: without it the gallery still works and
/// uploads are kept as `failed` for a retry, whereas an unready viewer behind
/// a load balancer would take the whole site down with the detector.
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
