//! Reading what a request sends, once for the pages and the API: the upload
//! form (field `input_image`, the original PHP form's) and the gallery's
//! `cursor` and `class` filter.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use yoloo_api::ErrorCode;
use yoloo_server::ApiError;
use yoloo_server::body::{multipart_error, not_multipart};

use crate::config::Config;
use crate::process::Upload;
use crate::store::{ClassFilter, valid_id};

/// The form field of the original PHP upload form.
pub const FIELD: &str = "input_image";

/// Reads every `input_image` file from a multipart body: at most
/// `YOLOO_MAX_FILES` files and `YOLOO_MAX_BODY_BYTES` together. Empty parts
/// with no file name (a form submitted without choosing a file) are skipped.
pub async fn read_uploads(
    config: &Config,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Vec<Upload>, ApiError> {
    let mut multipart = multipart.map_err(|e| not_multipart(&e))?;
    let limit = config.max_body_bytes;
    let mut uploads = Vec::new();
    let mut total = 0usize;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e, limit)),
        };
        if field.name() != Some(FIELD) {
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
