//! Stored images (`/media/{key}`, immutable) and the embedded CSS/JS.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::routes::errors::JsonError;
use crate::routes::session::Reader;
use crate::state::SharedState;
use crate::store::blobs::mime_for_key;

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");
const ICON: &str = include_str!("../../static/favicon.svg");

/// Streams a stored image. Only keys of the generated shape are served.
pub async fn get_media(
    State(state): State<SharedState>,
    _reader: Reader,
    Path(key): Path<String>,
) -> Result<Response, JsonError> {
    let Some(mime) = mime_for_key(&key) else {
        return Err(AppError::NotFound(key).into());
    };
    let Some(got) = state.blobs.get(&key).await? else {
        return Err(AppError::NotFound(key).into());
    };
    let size = got.meta.size;
    let mut resp = Body::from_stream(got.into_stream()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(resp)
}

/// `app.css`, `app.js`, `favicon.svg` (compiled into the binary).
pub async fn get_static(Path(file): Path<String>) -> Response {
    let (body, mime) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (ICON, "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Browsers ask for `/favicon.ico` regardless of the page's icon link.
pub async fn favicon() -> Response {
    get_static(Path("favicon.svg".to_owned())).await
}
