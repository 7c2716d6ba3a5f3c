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

/// A probe's answer (`ProbeStatus` in OpenAPI documents, where services
/// have a `Status` of their own).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProbeStatus)]
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
    printable_form_field_names(&mut doc);
    match doc.to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::new(
            ErrorCode::Internal,
            format!("cannot render the OpenAPI document: {e}"),
        )
        .into_response(),
    }
}

/// The names a multipart form field can have ([`crate::body::field_name`]:
/// printable ASCII, not empty). Every form of `doc` (the
/// `multipart/form-data` request bodies) gets it as its `propertyNames`: the
/// forms take extra fields (and ignore them), but refuse names outside it.
pub fn printable_form_field_names(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{RefOr, Schema};
    let names = Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(crate::body::FIELD_NAME_PATTERN))
            .build(),
    );
    for item in doc.paths.paths.values_mut() {
        let body = item.post.as_mut().and_then(|op| op.request_body.as_mut());
        let Some(RefOr::T(body)) = body else { continue };
        let form = body.content.get_mut("multipart/form-data");
        if let Some(RefOr::T(form)) = form
            && let Some(RefOr::T(Schema::Object(o))) = form.schema.as_mut()
        {
            o.property_names = Some(Box::new(names.clone()));
        }
    }
}

/// `router` with the routes every service answers the same way:
/// `GET /healthz`, and `GET /openapi.json` serving `doc()` (the service's own
/// document, made per request, so it can say what is only known once the
/// service runs, such as the model's class names) with the shared parts
/// merged in ([`openapi_json`]).
pub fn common_routes<S, D>(router: Router<S>, doc: D) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    D: Fn() -> utoipa::openapi::OpenApi + Clone + Send + Sync + 'static,
{
    router.route("/healthz", get(healthz)).route(
        "/openapi.json",
        get(move || {
            let doc = doc();
            async move { openapi_json(doc) }
        }),
    )
}
