//! Handing an image to the inference engine and waiting for it.

use axum::body::Bytes;
use yoloo_core::detector::DetectOptions;

use crate::error::{ApiError, ErrorCode};
use crate::inference::{Outcome, Render, Submit};
use crate::routes::upload;
use crate::state::AppState;
use crate::telemetry;

/// Checks the image, queues it and waits for the outcome. If the caller's
/// future is dropped (client gone), the job is skipped by the worker.
pub async fn detect(
    state: &AppState,
    bytes: Bytes,
    options: DetectOptions,
    render: Render,
) -> Result<Outcome, ApiError> {
    options.validate()?;
    let engine = state.engine_or_503()?;
    upload::precheck(&bytes, state.limits().max_pixels)?;
    let reply = engine.submit(bytes, options, render).map_err(|e| match e {
        Submit::Full => {
            metrics::counter!(telemetry::REJECTED, "reason" => "overloaded").increment(1);
            ApiError::new(
                ErrorCode::Overloaded,
                "all inference workers are busy and the queue is full; retry shortly",
            )
        }
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
