//! The HTTP edge: the router, the security headers, the OpenAPI document
//! of the JSON API. Handlers read the request, call the upload flow
//! ([`crate::process`]) or the stores, and map what fails to an answer
//! ([`errors`]).

pub mod api;
pub mod csrf;
pub mod errors;
pub mod form;
pub mod health;
pub mod media;
pub mod pages;
pub mod session;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use utoipa::OpenApi;

use crate::state::SharedState;

/// The OpenAPI description of the JSON API and the readiness probe
/// ([`yoloo_server::health::openapi_json`] adds the shared routes).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "yoloo-viewer-svc",
        description = "Upload photos, detect objects, browse the annotated results: the JSON API of the gallery (its pages are HTML at `/`)."
    ),
    paths(
        api::list,
        api::create,
        api::get_one,
        api::delete,
        api::retry,
        api::classes,
        health::readyz
    ),
    tags((name = "images", description = "Uploaded images and their detections"))
)]
pub struct ApiDoc;

/// Every route.
pub fn router(state: SharedState) -> Router {
    let body_limit = form::body_limit(&state.config);
    let app = yoloo_server::health::common_routes(Router::new(), ApiDoc::openapi)
        .route("/", get(pages::index))
        .route("/upload", post(pages::upload))
        .route("/images/{id}", get(pages::detail))
        .route("/images/{id}/retry", post(pages::retry))
        .route(
            "/images/{id}/delete",
            get(pages::confirm_delete).post(pages::delete),
        )
        .route(
            "/sign-in",
            get(session::sign_in_form).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
        .route("/api/images", get(api::list).post(api::create))
        .route("/api/images/{id}", get(api::get_one).delete(api::delete))
        .route("/api/images/{id}/retry", post(api::retry))
        .route("/api/classes", get(api::classes))
        .route("/media/{*key}", get(media::get_media))
        .route("/static/{file}", get(media::get_static))
        .route("/favicon.ico", get(media::favicon))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(errors::not_found)
        .layer(middleware::from_fn(csrf::refuse_cross_site))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state);
    yoloo_server::layers::around(app)
}

/// Security headers on every response.
async fn security_headers(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&state.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}
