//! Reading request bodies within a byte limit: raw bodies frame by frame,
//! multipart fields, and refused bodies drained so the connection stays
//! usable.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;
use yoloo_api::ErrorCode;

use crate::error::ApiError;

/// After refusing an oversized body, read and discard up to this much more so
/// the client finishes sending and sees the 413 (like nginx's lingering close)
/// instead of a broken pipe; beyond it the connection is simply closed.
const DRAIN_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// ... and for at most this long.
const DRAIN_MAX_TIME: Duration = Duration::from_secs(5);

/// 413 for a body over `limit` bytes.
pub fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the body is over the limit of {limit} bytes"),
    )
}

/// The `Content-Length` the client declared, if any.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Reads and discards what is left of a refused body (`already` bytes of it
/// seen), within the bounds above.
///
/// Answering before the body is read would leave it unread on the
/// connection: the server then closes it, and a client that already put the
/// connection back in its pool fails its next request. Draining keeps the
/// connection reusable.
pub async fn drain(body: Body, already: u64) {
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

/// Reads a raw body into memory, up to `limit` bytes; a body that grows past
/// it is cut off (and drained). With a `declared` length (already checked
/// against `limit`) the buffer is allocated once.
pub async fn read_raw(body: Body, limit: usize, declared: Option<u64>) -> Result<Bytes, ApiError> {
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

/// The answer to a body that is not a multipart form.
pub fn not_multipart(rejection: &MultipartRejection) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidMultipart,
        format!(
            "expected a multipart/form-data body: {}",
            rejection.body_text()
        ),
    )
}

/// The answer to a multipart form that failed while being read: 413 when it
/// ran over `limit` bytes, else 400.
pub fn multipart_error(e: &MultipartError, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::new(ErrorCode::InvalidMultipart, e.body_text())
    }
}
