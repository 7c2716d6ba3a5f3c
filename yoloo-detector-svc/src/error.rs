//! Errors as HTTP answers: `{"error": {"code", "message"}}` with the right
//! status. Nothing a client sends can produce a 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Seconds a client is told to wait when the service is overloaded or not ready.
pub const RETRY_AFTER_SECS: u32 = 1;

/// A machine-readable error code, stable across versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A query parameter or form field is invalid (400).
    InvalidParameter,
    /// The request has no image (400).
    MissingImage,
    /// The multipart body is malformed (400).
    InvalidMultipart,
    /// The API key is missing or wrong (401).
    Unauthorized,
    /// No such route (404).
    NotFound,
    /// The body is over `YOLOO_MAX_BODY_BYTES` (413).
    PayloadTooLarge,
    /// The Content-Type is not an image, octet-stream or multipart (415).
    UnsupportedMediaType,
    /// The body is not a decodable image (422).
    UndecodableImage,
    /// The image is over `YOLOO_MAX_PIXELS` (422).
    TooManyPixels,
    /// The queue is full: retry after `Retry-After` seconds (503).
    Overloaded,
    /// The model is still loading, or the service is shutting down (503).
    NotReady,
    /// A bug: please report it (500).
    Internal,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidParameter | Self::MissingImage | Self::InvalidMultipart => {
                StatusCode::BAD_REQUEST
            }
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UndecodableImage | Self::TooManyPixels => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Overloaded | Self::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// What kind of error.
    pub code: ErrorCode,
    /// For people.
    pub message: String,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// 400 for a bad parameter.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameter, message)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// Adds `Retry-After` to 503s.
    fn decorate(&self, response: &mut Response) {
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
    }
}

impl From<yoloo_core::Error> for ApiError {
    fn from(e: yoloo_core::Error) -> Self {
        use yoloo_core::Error as E;
        let code = match &e {
            E::Decode(_) => ErrorCode::UndecodableImage,
            E::TooManyPixels { .. } => ErrorCode::TooManyPixels,
            E::InvalidParameter(_) => ErrorCode::InvalidParameter,
            _ => ErrorCode::Internal,
        };
        Self::new(code, e.to_string())
    }
}

/// The JSON body of an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.code == ErrorCode::Internal {
            tracing::error!(message = %self.message, "internal error");
        }
        let status = self.status();
        let mut response = (
            status,
            axum::Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code,
                    message: self.message.clone(),
                },
            }),
        )
            .into_response();
        self.decorate(&mut response);
        response
    }
}

/// The same error in DeepStack's envelope: `{"success": false, "error": "..."}`.
///
/// DeepStack answers bad input with 400; the status codes here stay the
/// precise ones (413, 415, 422 → 400 for DeepStack clients, which only know
/// 200/400/500), 401 and 503 are kept.
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
