//! Reading an uploaded image from a request: a raw body (`image/*`,
//! `application/octet-stream`) or a `multipart/form-data` form.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, header};
use yoloo_api::upload::inspect;
pub use yoloo_server::body::discard;
use yoloo_server::body::{
    Reading, declared_length, field_name, multipart_error, not_multipart, read_raw, refuse_declared,
};

use crate::error::{ApiError, ErrorCode};

/// The multipart field that carries the image (as in DeepStack and the
/// original detector).
pub const IMAGE_FIELD: &str = "image";

/// Text fields (parts without a file name) longer than this are refused
/// with 400: they are parameters, not data.
pub const MAX_TEXT_FIELD: usize = 4096;

/// What a request carried.
#[derive(Debug, Default)]
pub struct Upload {
    /// The image bytes, if any.
    pub image: Option<Bytes>,
    /// Text fields of a multipart form (empty for a raw body).
    pub fields: HashMap<String, String>,
}

/// How the body is encoded.
enum BodyKind {
    Raw,
    Multipart,
}

fn body_kind(headers: &HeaderMap, allow_raw: bool) -> Result<BodyKind, ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        // No type at all: take the bytes and let the decoder sniff them.
        return if allow_raw {
            Ok(BodyKind::Raw)
        } else {
            Err(unsupported("none", allow_raw))
        };
    };
    let text = value.to_str().unwrap_or("");
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "multipart/form-data" => Ok(BodyKind::Multipart),
        "application/octet-stream" if allow_raw => Ok(BodyKind::Raw),
        t if allow_raw && t.starts_with("image/") => Ok(BodyKind::Raw),
        _ => Err(unsupported(text, allow_raw)),
    }
}

fn unsupported(got: &str, allow_raw: bool) -> ApiError {
    let expected = if allow_raw {
        "image/* or application/octet-stream (the raw image), or multipart/form-data with a file field \"image\""
    } else {
        "multipart/form-data with a file field \"image\""
    };
    ApiError::new(
        ErrorCode::UnsupportedMediaType,
        format!("unsupported Content-Type {got:?}: send {expected}"),
    )
}

/// Reads the upload. `allow_raw` = false accepts multipart only.
///
/// A declared `Content-Length` over `limit` is refused before any byte of the
/// body is stored; a body that grows past it while streaming is cut off; a
/// text field over [`MAX_TEXT_FIELD`] bytes, or not UTF-8, is refused (400).
/// While it reads, the request counts in `yoloo_requests_reading_body`.
pub async fn read(req: Request, limit: usize, allow_raw: bool) -> Result<Upload, ApiError> {
    let req = refuse_declared(req, limit)?;
    let declared = declared_length(req.headers());
    let kind = match body_kind(req.headers(), allow_raw) {
        Ok(kind) => kind,
        Err(e) => {
            discard(req.into_body());
            return Err(e);
        }
    };
    let _reading = Reading::start();
    match kind {
        BodyKind::Raw => {
            let bytes = read_raw(req.into_body(), limit, declared).await?;
            Ok(Upload {
                image: Some(bytes),
                fields: HashMap::new(),
            })
        }
        BodyKind::Multipart => {
            let mut form = Multipart::from_request(req, &())
                .await
                .map_err(|rejection| not_multipart(&rejection))?;
            let mut upload = Upload::default();
            loop {
                let field = form
                    .next_field()
                    .await
                    .map_err(|e| multipart_error(&e, limit))?;
                let Some(field) = field else { break };
                let name = field_name(field.name())?.to_owned();
                let is_file = field.file_name().is_some();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| multipart_error(&e, limit))?;
                if name == IMAGE_FIELD {
                    if upload.image.is_none() {
                        upload.image = Some(bytes);
                    }
                } else if !is_file {
                    upload
                        .fields
                        .insert(name.clone(), text_field(&name, &bytes)?);
                }
                // Other files are ignored.
            }
            Ok(upload)
        }
    }
}

/// A text field's value: at most [`MAX_TEXT_FIELD`] bytes of UTF-8.
fn text_field(name: &str, bytes: &[u8]) -> Result<String, ApiError> {
    if bytes.len() > MAX_TEXT_FIELD {
        return Err(ApiError::invalid(format!(
            "form field {name:?} is {} bytes long; text fields take at most {MAX_TEXT_FIELD}",
            bytes.len()
        )));
    }
    String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::invalid(format!("form field {name:?} is not UTF-8 text")))
}

/// Refuses, before queueing, what is empty, not an image in a supported
/// format or over the pixel limit (read from the header: nothing is
/// allocated for the pixels). The body is already within the byte limit.
pub fn precheck(bytes: &[u8], max_bytes: usize, max_pixels: u64) -> Result<(), ApiError> {
    inspect(bytes, max_bytes, max_pixels)?;
    Ok(())
}
