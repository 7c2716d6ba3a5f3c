//! How a failed request is answered: each domain error mapped to its error
//! code (and so its status) and to what clients may see, as JSON for the API
//! or as an HTML page for the browser routes.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use yoloo_api::ErrorCode;
use yoloo_api::client::ClientError;

use crate::error::{AppError, BlobError, DetectError, RecordError};

/// Why a request failed: the upload flow or a store, or the request itself
/// (a malformed form or query).
#[derive(Debug)]
pub enum Failure {
    /// The domain.
    App(AppError),
    /// The request.
    Request(yoloo_server::ApiError),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<RecordError> for Failure {
    fn from(e: RecordError) -> Self {
        Self::App(e.into())
    }
}

impl From<BlobError> for Failure {
    fn from(e: BlobError) -> Self {
        Self::App(e.into())
    }
}

impl From<DetectError> for Failure {
    fn from(e: DetectError) -> Self {
        Self::App(e.into())
    }
}

impl From<yoloo_server::ApiError> for Failure {
    fn from(e: yoloo_server::ApiError) -> Self {
        Self::Request(e)
    }
}

impl Failure {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Request(e) => e.code,
            Self::App(e) => match e {
                AppError::Upload { reason, .. } => reason.code(),
                AppError::NotFound(_) => ErrorCode::NotFound,
                AppError::Records(_) => ErrorCode::RecordStoreUnavailable,
                AppError::Blobs(_) => ErrorCode::ImageStoreUnavailable,
                AppError::Detect(DetectError::Remote(ClientError::Unavailable(_))) => {
                    ErrorCode::DetectorUnavailable
                }
                AppError::Detect(_) => ErrorCode::DetectionFailed,
                AppError::Internal(_) => ErrorCode::Internal,
            },
        }
    }

    /// The message shown to clients (server-side details are logged, not shown).
    pub fn public_message(&self) -> String {
        match self {
            Self::Request(e) => e.message.clone(),
            Self::App(e) => match e {
                AppError::Upload { .. } | AppError::Detect(_) => e.to_string(),
                AppError::NotFound(id) => format!("no image with id {id}"),
                AppError::Records(_) => "the record store is unavailable; nothing was saved".into(),
                AppError::Blobs(_) => "the image store is unavailable; nothing was saved".into(),
                AppError::Internal(_) => "internal error".into(),
            },
        }
    }

    /// The answer: the code, its status and `Retry-After` as JSON.
    fn answer(&self) -> yoloo_server::ApiError {
        yoloo_server::ApiError::new(self.code(), self.public_message())
    }

    fn log(&self) {
        let code = self.code();
        let detail = match self {
            Self::Request(e) => e.message.clone(),
            Self::App(e) => e.to_string(),
        };
        if code.http_status() >= 500 {
            tracing::error!(error = %detail, %code, "request failed");
        } else {
            tracing::info!(error = %detail, %code, "request refused");
        }
    }
}

/// A [`Failure`] answered as `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct JsonError(pub Failure);

impl<E: Into<Failure>> From<E> for JsonError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        self.0.log();
        self.0.answer().into_response()
    }
}

/// A [`Failure`] answered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub Failure);

impl<E: Into<Failure>> From<E> for PageError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        let answer = self.0.answer();
        let mut response = error_page(answer.code, &answer.message);
        answer.decorate(&mut response);
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Option<crate::routes::session::Nav>,
    status: u16,
    reason: &'a str,
    code: &'a str,
    message: &'a str,
}

/// A rendered template as an HTML answer (500 when rendering failed).
pub fn html(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        Ok(s) => (status, Html(s)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// An HTML error page for `code`, with its status.
pub fn error_page(code: ErrorCode, message: &str) -> Response {
    let status = yoloo_server::error::status(code);
    let page = ErrorPage {
        nav: None,
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("Error"),
        code: code.as_str(),
        message,
    };
    html(status, page.render())
}

/// Unknown paths: JSON under `/api/`, a page elsewhere.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        yoloo_server::ApiError::new(ErrorCode::NotFound, "no such API route").into_response()
    } else {
        error_page(ErrorCode::NotFound, "There is no page here.")
    }
}
