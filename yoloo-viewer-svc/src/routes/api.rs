//! The JSON API: `/api/images…`.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use yoloo_api::ErrorCode;

use crate::error::{ApiError, AppError};
use crate::process::{self, Upload};
use crate::state::{AppState, SharedState};
use crate::store::valid_id;

/// The form field of the original PHP upload form.
pub const FIELD: &str = "input_image";

/// Reads every `input_image` file from a multipart body. Empty parts with no
/// file name (a form submitted without choosing a file) are skipped.
pub async fn read_uploads(
    state: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Vec<Upload>, AppError> {
    let mut multipart = multipart.map_err(|e| {
        AppError::client(
            ErrorCode::InvalidMultipart,
            format!("expected a multipart/form-data upload: {}", e.body_text()),
        )
    })?;
    let mut uploads = Vec::new();
    let mut total = 0usize;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(state, &e)),
        };
        if field.name() != Some(FIELD) {
            continue;
        }
        let filename = field.file_name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| multipart_error(state, &e))?;
        if filename.is_empty() && bytes.is_empty() {
            continue;
        }
        total = total.saturating_add(bytes.len());
        if !uploads.is_empty() && total > state.config.max_body_bytes {
            return Err(AppError::client(
                ErrorCode::PayloadTooLarge,
                format!(
                    "the files add up to more than {} bytes",
                    state.config.max_body_bytes
                ),
            ));
        }
        if uploads.len() == state.config.max_files {
            return Err(AppError::client(
                ErrorCode::TooManyFiles,
                format!("at most {} files per upload", state.config.max_files),
            ));
        }
        uploads.push(Upload { filename, bytes });
    }
    Ok(uploads)
}

fn multipart_error(state: &AppState, e: &axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::client(
            ErrorCode::PayloadTooLarge,
            format!(
                "the upload is over the limit of {} bytes per image",
                state.config.max_body_bytes
            ),
        )
    } else {
        AppError::client(ErrorCode::InvalidMultipart, e.body_text())
    }
}

/// `?cursor=&limit=`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Id of the last record of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100.
    pub limit: Option<usize>,
}

/// Checks a cursor (an id we generated).
pub fn check_cursor(cursor: Option<&str>) -> Result<Option<&str>, AppError> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) if valid_id(c) => Ok(Some(c)),
        Some(_) => Err(AppError::client(
            ErrorCode::InvalidParameter,
            "cursor is not an image id",
        )),
    }
}

/// `GET /api/images`.
pub async fn list(
    State(state): State<SharedState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(state.config.page_size).clamp(1, 100);
    let cursor = check_cursor(q.cursor.as_deref())?;
    let page = state.records.list(cursor, limit).await?;
    Ok(Json(json!({"images": page.records, "next_cursor": page.next_cursor})).into_response())
}

/// `GET /api/images/{id}`.
pub async fn get_one(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !valid_id(&id) {
        return Err(AppError::NotFound(id).into());
    }
    match state.records.get(&id).await? {
        Some(r) => Ok(Json(r).into_response()),
        None => Err(AppError::NotFound(id).into()),
    }
}

/// `POST /api/images` (multipart, one `input_image`) → 201 with the record
/// (`status` is `failed` when detection failed; the original is kept).
pub async fn create(
    State(state): State<SharedState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    // Before the body is read: waiting uploads hold neither body nor pixels.
    let _permit = state.upload_permit().await?;
    let mut uploads = read_uploads(&state, multipart).await?;
    let upload = match uploads.len() {
        0 => {
            return Err(AppError::client(
                ErrorCode::MissingImage,
                "no image uploaded (field input_image)",
            )
            .into());
        }
        1 => uploads.remove(0),
        _ => {
            return Err(AppError::client(
                ErrorCode::InvalidParameter,
                "the API takes one image per request",
            )
            .into());
        }
    };
    let v = process::validate(&state, upload).await?;
    let record = process::ingest(&state, v).await?;
    let location = format!("/api/images/{}", record.id);
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        Json(record),
    )
        .into_response())
}

/// `POST /api/images/{id}/retry` → the updated record.
pub async fn retry(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !valid_id(&id) {
        return Err(AppError::NotFound(id).into());
    }
    let _permit = state.upload_permit().await?;
    let record = process::retry(&state, &id).await?;
    Ok(Json(record).into_response())
}
