//! Reading what a request sends, once for the pages and the API: the upload
//! form (field `input_image`, the original PHP form's), the gallery's
//! `cursor` and `class` filter, and query strings.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Multipart, Query, Request};
use yoloo_api::ErrorCode;
use yoloo_server::ApiError;
use yoloo_server::body::{Reading, field_name, multipart_error, not_multipart};

use crate::config::Config;
use crate::process::Upload;
use crate::store::{ClassFilter, valid_id};

/// The form field of the original PHP upload form.
pub const FIELD: &str = "input_image";

/// Multipart framing allowance on top of the per-file limit.
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// The most one request may carry: `YOLOO_MAX_BODY_BYTES` of files (all of
/// an upload's files together), plus the multipart framing.
pub fn body_limit(config: &Config) -> usize {
    config.max_body_bytes.saturating_add(MULTIPART_OVERHEAD)
}

/// Refuses a declared `Content-Length` over [`body_limit`] at once (413),
/// before an upload slot is taken or a byte read.
pub fn refuse_declared(config: &Config, req: Request) -> Result<Request, ApiError> {
    yoloo_server::body::refuse_declared(req, body_limit(config))
}

/// A query string, or 400 `invalid_parameter` saying what is wrong with it
/// (answered in the route's own shape: JSON or a page).
pub fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::invalid(e.body_text()))
}

/// Reads every `input_image` file from a multipart body: at most
/// `YOLOO_MAX_FILES` files and `YOLOO_MAX_BODY_BYTES` together. Empty parts
/// with no file name (a form submitted without choosing a file) are skipped.
/// While it reads, the request counts in `yoloo_requests_reading_body`.
pub async fn read_uploads(config: &Config, req: Request) -> Result<Vec<Upload>, ApiError> {
    let _reading = Reading::start();
    let mut multipart = Multipart::from_request(req, &())
        .await
        .map_err(|e| not_multipart(&e))?;
    let limit = config.max_body_bytes;
    let mut uploads = Vec::new();
    let mut total = 0usize;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e, limit)),
        };
        if field_name(field.name())? != FIELD {
            continue;
        }
        let filename = field.file_name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| multipart_error(&e, limit))?;
        if filename.is_empty() && bytes.is_empty() {
            continue;
        }
        total = total.saturating_add(bytes.len());
        if !uploads.is_empty() && total > limit {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the files add up to more than {limit} bytes"),
            ));
        }
        if uploads.len() == config.max_files {
            return Err(ApiError::new(
                ErrorCode::TooManyFiles,
                format!("at most {} files per upload", config.max_files),
            ));
        }
        uploads.push(Upload { filename, bytes });
    }
    Ok(uploads)
}

/// Checks a page cursor (an id we generated; empty = the first page).
pub fn cursor(cursor: Option<&str>) -> Result<Option<&str>, ApiError> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) if valid_id(c) => Ok(Some(c)),
        Some(_) => Err(ApiError::invalid("cursor is not an image id")),
    }
}

/// Reads `?class=dog,person` (empty = every record).
pub fn class_filter(value: Option<&str>) -> Result<ClassFilter, ApiError> {
    ClassFilter::parse(value).map_err(|why| ApiError::invalid(format!("class: {why}")))
}
