//! Handing an image to the inference engine and waiting for it.

use axum::body::Bytes;
use axum::extract::Request;
use yoloo_core::detector::DetectOptions;

use yoloo_server::body::refuse_declared;

use crate::error::{ApiError, ErrorCode};
use crate::inference::{Admission, Outcome, Render, Submit};
use crate::routes::upload;
use crate::state::AppState;
use crate::telemetry;

/// Takes a place in the engine before the body of `req` is read, so the
/// bodies held in memory are bounded by the engine's places, not by the
/// number of clients (a body that does not arrive within
/// `YOLOO_BODY_TIMEOUT` gets 408 and gives its place back). A declared
/// `Content-Length` over the limit is refused first (413), taking no place.
/// Without a free place (or a loaded model) the request is refused at once,
/// 503 `overloaded` (or `not_ready`), its body drained in the background.
pub fn admit(state: &AppState, req: Request) -> Result<(Admission, Request), ApiError> {
    let req = refuse_declared(req, state.config().max_body_bytes)?;
    let admitted = state
        .engine_or_503()
        .and_then(|engine| engine.admit().ok_or_else(overloaded));
    match admitted {
        Ok(admission) => Ok((admission, req)),
        Err(e) => {
            upload::discard(req.into_body());
            Err(e)
        }
    }
}

fn overloaded() -> ApiError {
    metrics::counter!(telemetry::REJECTED, "reason" => "overloaded").increment(1);
    ApiError::new(
        ErrorCode::Overloaded,
        "all inference workers are busy and the queue is full; retry shortly",
    )
}

/// Checks the image, queues it and waits for the outcome. If the caller's
/// future is dropped (client gone), the job is skipped by the worker.
pub async fn detect(
    state: &AppState,
    admission: Admission,
    bytes: Bytes,
    options: DetectOptions,
    render: Render,
) -> Result<Outcome, ApiError> {
    options.validate()?;
    let engine = state.engine_or_503()?;
    upload::precheck(
        &bytes,
        state.config().max_body_bytes,
        state.limits().max_pixels,
    )?;
    let reply = engine
        .submit(admission, bytes, options, render)
        .map_err(|e| match e {
            Submit::Full => overloaded(),
            Submit::Closed => ApiError::new(ErrorCode::NotReady, "the service is shutting down"),
        })?;
    match reply.await {
        Ok(outcome) => Ok(outcome?),
        Err(_) => Err(ApiError::new(
            ErrorCode::NotReady,
            "the service stopped before the image was processed",
        )),
    }
}
