//! Errors as HTTP answers: `{"error": {"code", "message"}}` with the code's
//! status ([`ApiError`], shared with the viewer), or DeepStack's envelope.
//! Nothing a client sends can produce a 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
pub use yoloo_api::{ErrorBody, ErrorCode, ErrorDetail};
pub use yoloo_server::ApiError;

/// The same error in DeepStack's envelope: `{"success": false, "error": "..."}`.
///
/// DeepStack answers bad input with 400: 413, 415 and 422 become 400 for
/// DeepStack clients (which only know 200/400/500); 401, 408 (the body did
/// not arrive in time) and 503 are kept.
#[derive(Debug)]
pub struct DeepStackError(pub ApiError);

impl From<ApiError> for DeepStackError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

/// DeepStack's error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeepStackErrorBody {
    /// Always `false`.
    pub success: bool,
    /// What went wrong.
    pub error: String,
}

impl IntoResponse for DeepStackError {
    fn into_response(self) -> Response {
        let status = match self.0.status() {
            s @ (StatusCode::UNAUTHORIZED
            | StatusCode::REQUEST_TIMEOUT
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::INTERNAL_SERVER_ERROR) => s,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut response = (
            status,
            axum::Json(DeepStackErrorBody {
                success: false,
                error: self.0.message.clone(),
            }),
        )
            .into_response();
        self.0.decorate(&mut response);
        response
    }
}
