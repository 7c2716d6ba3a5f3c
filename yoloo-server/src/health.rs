//! What every service answers the same way: liveness, and its OpenAPI document.

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use yoloo_api::ErrorCode;

use crate::error::ApiError;

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `ok`, or why not (`loading`, `draining`, …).
    pub status: &'static str,
}

/// Liveness: the process answers HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Status)))]
pub async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// `doc` as an `application/json` answer (`GET /openapi.json`).
pub fn openapi(doc: &utoipa::openapi::OpenApi) -> Response {
    match doc.to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::new(
            ErrorCode::Internal,
            format!("cannot render the OpenAPI document: {e}"),
        )
        .into_response(),
    }
}
