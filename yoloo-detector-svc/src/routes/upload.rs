//! Reading an uploaded image from a request: a raw body (`image/*`,
//! `application/octet-stream`) or a `multipart/form-data` form.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;
use yoloo_core::image_io::peek_dimensions;

use crate::error::{ApiError, ErrorCode};

/// The multipart field that carries the image (as in DeepStack and the
/// original detector).
pub const IMAGE_FIELD: &str = "image";

/// Text fields longer than this are refused (they are parameters, not data).
const MAX_TEXT_FIELD: usize = 4096;

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

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the body is over the limit of {limit} bytes"),
    )
}

/// After refusing an oversized body, read and discard up to this much more so
/// the client finishes sending and sees the 413 (like nginx's lingering close)
/// instead of a broken pipe; beyond it the connection is simply closed.
const DRAIN_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// ... and for at most this long.
const DRAIN_MAX_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads and discards what is left of a refused body, within the bounds above.
///
/// Answering before the body is read would leave it unread on the
/// connection: the server then closes it, and a client that already put the
/// connection back in its pool fails its next request. Draining keeps the
/// connection reusable.
pub async fn drain(body: axum::body::Body, already: u64) {
    let mut body = body;
    let mut seen = already;
    let _ = tokio::time::timeout(DRAIN_MAX_TIME, async {
        while seen < DRAIN_MAX_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => {
                    seen += frame.data_ref().map_or(0, |d| d.len() as u64);
                }
                _ => break,
            }
        }
    })
    .await;
}

/// Reads a raw body into memory, up to `limit` bytes. With a declared length
/// (already checked against `limit`) the buffer is allocated once.
async fn read_raw(
    body: axum::body::Body,
    limit: usize,
    declared: Option<u64>,
) -> Result<Bytes, ApiError> {
    let mut body = body;
    let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
    let mut buf = Vec::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::invalid(format!("cannot read the body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > limit {
            let read = (buf.len() + data.len()) as u64;
            drop(buf);
            drain(body, read).await;
            return Err(too_large(limit));
        }
        buf.extend_from_slice(&data);
    }
    Ok(Bytes::from(buf))
}

/// Reads the upload. `allow_raw` = false accepts multipart only.
///
/// A declared `Content-Length` over `limit` is refused before any byte of the
/// body is stored; a body that grows past it while streaming is cut off.
pub async fn read(req: Request, limit: usize, allow_raw: bool) -> Result<Upload, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        drain(req.into_body(), 0).await;
        return Err(too_large(limit));
    }
    let kind = match body_kind(req.headers(), allow_raw) {
        Ok(kind) => kind,
        Err(e) => {
            drain(req.into_body(), 0).await;
            return Err(e);
        }
    };
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
                .map_err(|rejection| {
                    ApiError::new(ErrorCode::InvalidMultipart, rejection.body_text())
                })?;
            let mut upload = Upload::default();
            loop {
                let field = form
                    .next_field()
                    .await
                    .map_err(|e| multipart_error(&e, limit))?;
                let Some(field) = field else { break };
                let name = field.name().unwrap_or("").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| multipart_error(&e, limit))?;
                if name == IMAGE_FIELD && upload.image.is_none() {
                    upload.image = Some(bytes);
                } else if bytes.len() <= MAX_TEXT_FIELD {
                    // Larger unknown parts (other files) are ignored.
                    if let Ok(text) = String::from_utf8(bytes.to_vec()) {
                        upload.fields.insert(name, text);
                    }
                }
            }
            Ok(upload)
        }
    }
}

fn multipart_error(e: &axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::new(ErrorCode::InvalidMultipart, e.body_text())
    }
}

/// Refuses, before queueing, what cannot be decoded or is over the pixel
/// limit (read from the header: nothing is allocated for the pixels).
pub fn precheck(bytes: &[u8], max_pixels: u64) -> Result<(), ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::new(
            ErrorCode::MissingImage,
            "the image is empty (0 bytes)",
        ));
    }
    let (width, height) = peek_dimensions(bytes)?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(yoloo_core::Error::TooManyPixels {
            width,
            height,
            pixels,
            limit: max_pixels,
        }
        .into());
    }
    Ok(())
}
