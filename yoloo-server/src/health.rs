//! What every service answers, and documents, the same way: liveness, its
//! OpenAPI document, the error body and codes.

use axum::Json;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa::ToSchema;
use yoloo_api::{ErrorBody, ErrorCode, ErrorDetail};

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

/// What every service's OpenAPI document has.
#[derive(OpenApi)]
#[openapi(
    paths(healthz, openapi_json),
    components(schemas(Status, ErrorBody, ErrorDetail, ErrorCode)),
    tags((name = "operations", description = "Probes, metrics and this description"))
)]
struct Common;

/// `GET /openapi.json`: a service's own document (its `#[derive(OpenApi)]`)
/// with [`healthz`], this route, the error body and codes merged in, as
/// JSON ([`common_routes`] routes it).
#[utoipa::path(
    get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This OpenAPI 3.1 document", content_type = "application/json"))
)]
pub fn openapi_json(mut doc: utoipa::openapi::OpenApi) -> Response {
    doc.merge(Common::openapi());
    match doc.to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::new(
            ErrorCode::Internal,
            format!("cannot render the OpenAPI document: {e}"),
        )
        .into_response(),
    }
}

/// `router` with the routes every service answers the same way:
/// `GET /healthz`, and `GET /openapi.json` serving `doc` (the service's own
/// document) with the shared parts merged in ([`openapi_json`]).
pub fn common_routes<S>(router: Router<S>, doc: utoipa::openapi::OpenApi) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.route("/healthz", get(healthz)).route(
        "/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { openapi_json(doc) }
        }),
    )
}
