//! Typed errors, and how they become HTTP responses (JSON for the API, an
//! HTML page for the browser routes).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yoloo_api::upload::Rejection;
use yoloo_api::{ErrorBody, ErrorCode};

/// A failure of the record store.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The embedded database.
    #[error("record database: {0}")]
    Redb(String),
    /// Redis.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// A stored record that does not parse.
    #[error("stored record is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A blocking task died.
    #[error("record task failed: {0}")]
    Join(String),
}

/// A failure of the image store.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// object_store (local files, S3, GCS, Azure, memory).
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// Cloudinary's API.
    #[error("cloudinary: {0}")]
    Cloudinary(String),
    /// Fetching a stored image back over HTTP.
    #[error("fetching a stored image: {0}")]
    Http(#[from] reqwest::Error),
    /// The configuration names an unusable store.
    #[error("storage configuration: {0}")]
    Config(String),
}

/// A failure to detect.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// The in-process detector.
    #[error("detection failed: {0}")]
    Core(#[from] yoloo_core::Error),
    /// The remote detector could not be reached, timed out or is not ready.
    #[error("detector unavailable: {0}")]
    Unavailable(String),
    /// The remote detector refused the image.
    #[error("detector rejected the image ({code}): {message}")]
    Rejected {
        /// Its error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The remote detector answered something unexpected.
    #[error("unexpected detector response: {0}")]
    Protocol(String),
    /// A blocking task died.
    #[error("detection task failed: {0}")]
    Join(String),
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client sent something unusable (400, 413, 415, 422…).
    #[error("{message}")]
    Client {
        /// Stable machine-readable code (its HTTP status goes with it).
        code: ErrorCode,
        /// What is wrong, for people.
        message: String,
    },
    /// An uploaded file was refused.
    #[error("{filename}: {reason}.")]
    Upload {
        /// The (cleaned) file name.
        filename: String,
        /// Why.
        #[source]
        reason: Rejection,
    },
    /// No such image.
    #[error("no image with id {0}")]
    NotFound(String),
    /// Records.
    #[error(transparent)]
    Records(#[from] RecordError),
    /// Images.
    #[error(transparent)]
    Blobs(#[from] BlobError),
    /// Detection, where it cannot be recorded as a failed record.
    #[error(transparent)]
    Detect(#[from] DetectError),
    /// Anything else on our side.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A 4xx with a code and message.
    pub fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Client {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code().http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Client { code, .. } => *code,
            Self::Upload { reason, .. } => reason.code(),
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Records(_) => ErrorCode::RecordStoreUnavailable,
            Self::Blobs(_) => ErrorCode::ImageStoreUnavailable,
            Self::Detect(DetectError::Unavailable(_)) => ErrorCode::DetectorUnavailable,
            Self::Detect(_) => ErrorCode::DetectionFailed,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The message shown to clients (server-side details are logged, not shown).
    pub fn public_message(&self) -> String {
        match self {
            Self::Client { message, .. } => message.clone(),
            Self::Upload { .. } => self.to_string(),
            Self::NotFound(id) => format!("no image with id {id}"),
            Self::Records(_) => "the record store is unavailable; nothing was saved".into(),
            Self::Blobs(_) => "the image store is unavailable; nothing was saved".into(),
            Self::Detect(e) => e.to_string(),
            Self::Internal(_) => "internal error".into(),
        }
    }

    fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %self, code = self.code(), "request failed");
        } else {
            tracing::info!(error = %self, code = self.code(), "request refused");
        }
    }
}

/// An [`AppError`] rendered as `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

/// The JSON error body.
pub fn json_error(code: ErrorCode, message: &str) -> Response {
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, axum::Json(ErrorBody::new(code, message))).into_response();
    if let Some(secs) = code.retry_after_secs() {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        json_error(self.0.code(), &self.0.public_message())
    }
}

/// An [`AppError`] rendered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        crate::routes::pages::error_page(self.0.status(), self.0.code().as_str(), &self.0.public_message())
    }
}
