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
        description = "Object detection with YOLO models (Darknet YOLOv3/v4, Ultralytics, YOLOX) on tract, ONNX Runtime or OpenVINO. JSON, annotated images, and the DeepStack API."
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

/// The document as served: [`ApiDoc`], and once the model is loaded, its
/// class names as the only values `classes` takes (a pattern of
/// comma-separated names), so that a client or fuzzer generating requests
/// from it sends names the model knows.
pub fn openapi(state: &AppState) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    use utoipa::openapi::{RefOr, Schema};
    let mut doc = ApiDoc::openapi();
    // Both forms take other text fields too (ignored), each at most
    // MAX_TEXT_FIELD bytes like the ones they read.
    let text = Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(upload::MAX_TEXT_FIELD))
            .build(),
    );
    for path in ["/v1/detect", "/v1/vision/detection"] {
        let body = doc
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.request_body.as_mut());
        let Some(RefOr::T(body)) = body else { continue };
        if let Some(RefOr::T(form)) = body.content.get_mut("multipart/form-data")
            && let Some(RefOr::T(Schema::Object(o))) = form.schema.as_mut()
        {
            o.additional_properties = Some(Box::new(AdditionalProperties::RefOr(RefOr::T(
                text.clone(),
            ))));
        }
    }
    let Some(engine) = state.engine() else {
        return doc;
    };
    let names: Vec<String> = engine
        .detector()
        .labels()
        .names()
        .iter()
        .map(|n| regex_escape(n))
        .collect();
    let one = format!("({})", names.join("|"));
    let pattern = format!("^{one}(,{one})*$");
    let detect = doc
        .paths
        .paths
        .get_mut("/v1/detect")
        .and_then(|item| item.post.as_mut());
    let params = detect.and_then(|op| op.parameters.as_mut());
    for p in params.into_iter().flatten() {
        if let RefOr::T(p) = p
            && p.name == "classes"
            && let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut()
        {
            o.pattern = Some(pattern.clone());
        }
    }
    doc
}

/// `s` with the characters that mean something in a regular expression escaped.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$-/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route; see /openapi.json")
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config().max_body_bytes;
    let doc_state = state.clone();
    let api = yoloo_server::health::common_routes(Router::new(), move || openapi(&doc_state))
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
