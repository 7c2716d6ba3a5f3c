//! The JSON API: `/api/images…`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yoloo_api::upload::UploadRefused;
use yoloo_api::{ErrorBody, ErrorCode};
use yoloo_server::ApiError;

use crate::deletion;
use crate::process;
use crate::routes::errors::JsonError;
use crate::routes::form::{self, read_uploads};
use crate::routes::session::{Reader, Writer};
use crate::state::SharedState;
use crate::store::Record;

/// The largest page `limit` takes.
pub const MAX_PAGE: usize = 100;

/// `?class=&cursor=&limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only records whose counts name one of these labels, comma-separated
    /// (`dog,person`: either); empty or absent = every record.
    // The same rule as `ClassFilter::parse`; schemathesis holds the two
    // together from both sides (valid values accepted, others refused).
    #[param(pattern = r"^([^,\x00-\x1F\x7F-\x9F]{1,100}(,[^,\x00-\x1F\x7F-\x9F]{1,100}){0,19})?$")]
    pub class: Option<String>,
    /// Id of the last record of the previous page (its `next_cursor`): a
    /// ULID; empty means the first page.
    #[param(pattern = "^([0-7][0-9A-HJKMNP-TV-Z]{25})?$")]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default `YOLOO_PAGE_SIZE`).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// One page of the gallery, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImagePage {
    /// The records.
    pub images: Vec<Record>,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The upload form: one image in field `input_image` (other fields are
/// ignored).
#[derive(Debug, ToSchema)]
pub struct UploadForm {
    /// The image file (JPEG, PNG, GIF, BMP, WebP or TIFF, by content).
    #[schema(value_type = String, format = Binary, min_length = 1)]
    pub input_image: Vec<u8>,
}

/// The records, newest first, a page at a time.
#[utoipa::path(
    get, path = "/api/images", tag = "images",
    params(ListQuery),
    responses(
        (status = 200, body = ImagePage),
        (status = 400, description = "`cursor` is not an image id, or `class` is not a list of labels", body = ErrorBody),
        (status = 401, description = "Sign-in is on and the gallery is private: HTTP Basic needed", body = ErrorBody),
        (status = 503, description = "The record store is unavailable; see Retry-After", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<SharedState>,
    _reader: Reader,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<ImagePage>, JsonError> {
    let q = form::query(q)?;
    let limit = match q.limit {
        None => state.config.page_size.clamp(1, MAX_PAGE),
        Some(n @ 1..=MAX_PAGE) => n,
        Some(n) => {
            return Err(ApiError::invalid(format!("limit {n} is not in 1–{MAX_PAGE}")).into());
        }
    };
    let cursor = form::cursor(q.cursor.as_deref())?;
    let filter = form::class_filter(q.class.as_deref())?;
    let page = state.records.list(&filter, cursor, limit).await?;
    Ok(Json(ImagePage {
        images: page.records,
        next_cursor: page.next_cursor,
    }))
}

/// One record.
#[utoipa::path(
    get, path = "/api/images/{id}", tag = "images",
    params(("id" = String, Path, description = "The record's id (a ULID)")),
    responses(
        (status = 200, body = Record),
        (status = 404, description = "No such image", body = ErrorBody),
        (status = 503, description = "The record store is unavailable; see Retry-After", body = ErrorBody),
    )
)]
pub async fn get_one(
    State(state): State<SharedState>,
    _reader: Reader,
    Path(id): Path<String>,
) -> Result<Json<Record>, JsonError> {
    Ok(Json(process::find(&state, &id).await?))
}

/// Uploads one image: checked, stored, detected, annotated, recorded. The
/// record's `status` is `failed` when detection failed (the original is
/// kept for a retry).
#[utoipa::path(
    post, path = "/api/images", tag = "images",
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Recorded; `Location` is the record's URL", body = Record),
        (status = 400, description = "Not a form, no image, more than one, or an empty file", body = ErrorBody),
        (status = 401, description = "Sign-in is on: HTTP Basic needed", body = ErrorBody),
        UploadRefused,
        (status = 429, description = "Too many wrong passwords from this address; see Retry-After", body = ErrorBody),
        (status = 503, description = "A store is unavailable (nothing was saved); see Retry-After", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<SharedState>,
    Writer(user): Writer,
    req: Request,
) -> Result<Response, JsonError> {
    let req = form::refuse_declared(&state.config, req)?;
    // Before the body is read: waiting uploads hold neither body nor pixels.
    let _permit = state.upload_permit().await?;
    let mut uploads = read_uploads(&state.config, req).await?;
    let upload = match uploads.len() {
        0 => {
            return Err(ApiError::new(
                ErrorCode::MissingImage,
                "no image uploaded (field input_image)",
            )
            .into());
        }
        1 => uploads.remove(0),
        _ => return Err(ApiError::invalid("the API takes one image per request").into()),
    };
    let v = process::validate(&state, upload).await?;
    let record = process::ingest(&state, v, user).await?;
    let location = format!("/api/images/{}", record.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(record),
    )
        .into_response())
}

/// Detects again on a record whose detection failed; a `done` record is
/// returned as it is.
#[utoipa::path(
    post, path = "/api/images/{id}/retry", tag = "images",
    params(("id" = String, Path, description = "The record's id (a ULID)")),
    responses(
        (status = 200, description = "The updated record (`done`, or still `failed` with the new error)", body = Record),
        (status = 401, description = "Sign-in is on: HTTP Basic needed", body = ErrorBody),
        (status = 404, description = "No such image (or deleted during the retry)", body = ErrorBody),
        (status = 503, description = "A store is unavailable; see Retry-After", body = ErrorBody),
    )
)]
pub async fn retry(
    State(state): State<SharedState>,
    _writer: Writer,
    Path(id): Path<String>,
) -> Result<Json<Record>, JsonError> {
    let _permit = state.upload_permit().await?;
    Ok(Json(process::retry(&state, &id).await?))
}

/// Deletes a record, then its images (an image that cannot be removed at
/// once is retried later; the record is gone either way). A second delete
/// of the same id answers 404.
#[utoipa::path(
    delete, path = "/api/images/{id}", tag = "images",
    params(("id" = String, Path, description = "The record's id (a ULID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Sign-in is on: HTTP Basic needed", body = ErrorBody),
        (status = 404, description = "No such image", body = ErrorBody),
        (status = 503, description = "The record store is unavailable (nothing was deleted); see Retry-After", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<SharedState>,
    _writer: Writer,
    Path(id): Path<String>,
) -> Result<StatusCode, JsonError> {
    deletion::delete(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every class detected so far, with the objects counted over all `done`
/// records (the counts hash), most first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassList {
    /// `{"label": …, "count": …}`, most first.
    pub classes: Vec<ClassCount>,
}

/// One class and its total.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassCount {
    /// The label.
    pub label: String,
    /// Objects counted over all `done` records.
    pub count: u64,
}

/// The classes detected so far, with their totals: what `?class=` can filter on.
#[utoipa::path(
    get, path = "/api/classes", tag = "images",
    responses(
        (status = 200, body = ClassList),
        (status = 401, description = "Sign-in is on and the gallery is private: HTTP Basic needed", body = ErrorBody),
        (status = 503, description = "The record store is unavailable; see Retry-After", body = ErrorBody),
    )
)]
pub async fn classes(
    State(state): State<SharedState>,
    _reader: Reader,
) -> Result<Json<ClassList>, JsonError> {
    let totals = state.records.class_totals().await?;
    Ok(Json(ClassList {
        classes: totals
            .into_iter()
            .map(|(label, count)| ClassCount { label, count })
            .collect(),
    }))
}
