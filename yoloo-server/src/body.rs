//! Reading request bodies within a byte limit and a deadline: raw bodies
//! frame by frame, multipart fields, declared lengths refused before
//! anything is read, and refused bodies drained (in the background) so the
//! connection stays usable.
//!
//! Every request body runs behind a [`Deadline`] ([`crate::Server::start`]
//! puts it there): a body that has not arrived within `YOLOO_BODY_TIMEOUT`
//! of the request's headers fails with [`BodyTimeout`], and [`read_raw`] and
//! [`multipart_error`] answer it with 408 `request_timeout`. A body already
//! received in full is still read after the deadline (a request that waited
//! for a place with its body in hand is served); only a body still arriving
//! fails.

use std::error::Error as StdError;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::{HeaderMap, StatusCode, header};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::time::Sleep;
use yoloo_api::ErrorCode;

use crate::error::ApiError;

/// `yoloo_requests_reading_body`: requests holding a place (the detector's
/// admission, the viewer's upload slot) while their body is still being read.
pub const READING: &str = "yoloo_requests_reading_body";

/// The error a body gives when it did not arrive in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTimeout(pub Duration);

/// Puts request bodies behind a deadline (`None`: no deadline).
#[derive(Debug, Clone, Copy, Default)]
pub struct Deadline(Option<Duration>);

impl Deadline {
    /// A deadline of `limit` after each request's headers.
    pub fn new(limit: Option<Duration>) -> Self {
        Self(limit)
    }

    /// `req` with its body behind the deadline.
    pub fn wrap(self, req: Request) -> Request {
        match self.0 {
            None => req,
            Some(limit) => req.map(|body| {
                Body::new(DeadlineBody {
                    inner: body,
                    limit,
                    timer: Box::pin(tokio::time::sleep(limit)),
                })
            }),
        }
    }
}

/// A body that fails with [`BodyTimeout`] when it waits for data after
/// `timer` (`limit` after the request's headers) has fired.
struct DeadlineBody {
    inner: Body,
    limit: Duration,
    timer: Pin<Box<Sleep>>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimeout(this.limit))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether `e`, or an error it wraps, is a [`BodyTimeout`].
pub fn is_timeout(e: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<BodyTimeout>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// 408 for a body that did not arrive in time.
pub fn timed_out(e: &(dyn StdError + 'static)) -> ApiError {
    ApiError::new(ErrorCode::RequestTimeout, e.to_string())
}

/// Counts a request in [`READING`] while it holds a place and reads its body
/// (until dropped).
#[derive(Debug)]
pub struct Reading(());

impl Reading {
    /// One more request reading its body.
    pub fn start() -> Self {
        metrics::gauge!(READING).increment(1.0);
        Self(())
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        metrics::gauge!(READING).decrement(1.0);
    }
}

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

/// Refuses a request whose declared `Content-Length` is over `limit`, before
/// any place is taken or byte read: `Err` gives the 413 to answer at once,
/// the body is drained in the background ([`discard`]).
///
/// # Errors
///
/// The 413, with the body handed to [`discard`].
pub fn refuse_declared(req: Request, limit: usize) -> Result<Request, ApiError> {
    if declared_length(req.headers()).is_some_and(|n| n > limit as u64) {
        discard(req.into_body());
        return Err(too_large(limit));
    }
    Ok(req)
}

/// Drains a refused body in the background ([`drain`]), so the answer goes
/// out now while the client finishes sending; nothing is held meanwhile.
pub fn discard(body: Body) {
    tokio::spawn(drain(body, 0));
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
        let frame = frame.map_err(|e| {
            if is_timeout(&e) {
                timed_out(&e)
            } else {
                ApiError::invalid(format!("cannot read the body: {e}"))
            }
        })?;
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

/// What a multipart field's name may be, as a regular expression (the
/// OpenAPI documents' `propertyNames`): printable ASCII, at least one
/// character. Every field name the services read is such a name.
pub const FIELD_NAME_PATTERN: &str = "^[ -~]+$";

/// A multipart field's name, refused (400 `invalid_multipart`) unless it
/// matches [`FIELD_NAME_PATTERN`].
///
/// # Errors
///
/// The 400 for a missing, empty or non-printable name.
pub fn field_name(name: Option<&str>) -> Result<&str, ApiError> {
    match name {
        Some(n) if !n.is_empty() && n.bytes().all(|b| (b' '..=b'~').contains(&b)) => Ok(n),
        _ => Err(ApiError::new(
            ErrorCode::InvalidMultipart,
            format!(
                "a form field's name must be printable ASCII, got {:?}",
                name.unwrap_or_default()
            ),
        )),
    }
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
/// ran over `limit` bytes, 408 when it did not arrive in time, else 400.
pub fn multipart_error(e: &MultipartError, limit: usize) -> ApiError {
    if is_timeout(e) {
        timed_out(e)
    } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::new(ErrorCode::InvalidMultipart, e.body_text())
    }
}
