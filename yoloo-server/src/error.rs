//! Errors as HTTP answers: `{"error": {"code", "message"}}` with the code's
//! status, and `Retry-After` on a 503.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yoloo_api::upload::Rejection;
use yoloo_api::{ErrorBody, ErrorCode};

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
        status(self.code)
    }

    /// Adds `Retry-After` when the code has one (the 503s).
    pub fn decorate(&self, response: &mut Response) {
        if let Some(secs) = self.code.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
}

/// The HTTP status of `code`.
pub fn status(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        Self::new(r.code(), r.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.code == ErrorCode::Internal {
            tracing::error!(message = %self.message, "internal error");
        }
        let mut response = (
            self.status(),
            axum::Json(ErrorBody::new(self.code, self.message.clone())),
        )
            .into_response();
        self.decorate(&mut response);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_retry_after_follow_the_code() {
        let r = ApiError::new(ErrorCode::Overloaded, "busy").into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let r = ApiError::new(ErrorCode::RecordStoreUnavailable, "down").into_response();
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
        let r = ApiError::from(Rejection::Empty).into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(!r.headers().contains_key(header::RETRY_AFTER));
    }
}
