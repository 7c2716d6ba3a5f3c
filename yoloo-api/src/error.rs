//! Error codes and the error body: `{"error": {"code", "message"}}`, the same
//! in every service.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A machine-readable error code, stable across versions. Each code has one
/// HTTP status ([`ErrorCode::http_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A query parameter or form field is invalid (400).
    InvalidParameter,
    /// The request has no image, or the image is empty (400).
    MissingImage,
    /// The multipart body is malformed, or the body is not multipart where a
    /// form is expected (400).
    InvalidMultipart,
    /// The API key is missing or wrong (401).
    Unauthorized,
    /// A state-changing request sent from another site (its `Origin` or
    /// `Sec-Fetch-Site` says so): refused (403).
    CrossSiteRequest,
    /// No such route, or no such record (404).
    NotFound,
    /// The body did not arrive within `YOLOO_BODY_TIMEOUT` (408).
    RequestTimeout,
    /// Too many wrong passwords from this address: retry after
    /// `Retry-After` seconds (429).
    TooManyAttempts,
    /// The body is over `YOLOO_MAX_BODY_BYTES` (413).
    PayloadTooLarge,
    /// More files in one form than `YOLOO_MAX_FILES` (413).
    TooManyFiles,
    /// The Content-Type is not one the route takes, or the bytes are no image
    /// in a supported format (JPEG, PNG, GIF, BMP, WebP, TIFF) (415).
    UnsupportedMediaType,
    /// An image in a supported format that cannot be decoded: truncated or
    /// corrupt (422).
    UndecodableImage,
    /// The image is over `YOLOO_MAX_PIXELS`, read from its header (422).
    TooManyPixels,
    /// Every place is taken: retry after `Retry-After` seconds (503).
    Overloaded,
    /// The model is still loading, or the service is shutting down (503).
    NotReady,
    /// The record store does not answer; nothing was saved (503).
    RecordStoreUnavailable,
    /// The image store does not answer; nothing was saved (503).
    ImageStoreUnavailable,
    /// The detector service cannot be reached (503).
    DetectorUnavailable,
    /// Detection failed on our side (500).
    DetectionFailed,
    /// A bug: please report it (500).
    Internal,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub const fn http_status(self) -> u16 {
        match self {
            Self::InvalidParameter | Self::MissingImage | Self::InvalidMultipart => 400,
            Self::Unauthorized => 401,
            Self::CrossSiteRequest => 403,
            Self::NotFound => 404,
            Self::RequestTimeout => 408,
            Self::PayloadTooLarge | Self::TooManyFiles => 413,
            Self::UnsupportedMediaType => 415,
            Self::UndecodableImage | Self::TooManyPixels => 422,
            Self::TooManyAttempts => 429,
            Self::Overloaded
            | Self::NotReady
            | Self::RecordStoreUnavailable
            | Self::ImageStoreUnavailable
            | Self::DetectorUnavailable => 503,
            Self::DetectionFailed | Self::Internal => 500,
        }
    }

    /// Seconds a client is told to wait (`Retry-After`) for a 503: one for a
    /// busy or starting detector, five for a backing store.
    pub const fn retry_after_secs(self) -> Option<u32> {
        match self {
            Self::Overloaded | Self::NotReady => Some(1),
            Self::RecordStoreUnavailable
            | Self::ImageStoreUnavailable
            | Self::DetectorUnavailable => Some(5),
            _ => None,
        }
    }

    /// The code as it appears in error bodies, e.g. `"payload_too_large"`.
    ///
    /// ```
    /// use yoloo_api::ErrorCode;
    /// assert_eq!(ErrorCode::UndecodableImage.as_str(), "undecodable_image");
    /// assert_eq!(ErrorCode::UndecodableImage.http_status(), 422);
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidParameter => "invalid_parameter",
            Self::MissingImage => "missing_image",
            Self::InvalidMultipart => "invalid_multipart",
            Self::Unauthorized => "unauthorized",
            Self::CrossSiteRequest => "cross_site_request",
            Self::NotFound => "not_found",
            Self::RequestTimeout => "request_timeout",
            Self::PayloadTooLarge => "payload_too_large",
            Self::TooManyFiles => "too_many_files",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::UndecodableImage => "undecodable_image",
            Self::TooManyPixels => "too_many_pixels",
            Self::TooManyAttempts => "too_many_attempts",
            Self::Overloaded => "overloaded",
            Self::NotReady => "not_ready",
            Self::RecordStoreUnavailable => "record_store_unavailable",
            Self::ImageStoreUnavailable => "image_store_unavailable",
            Self::DetectorUnavailable => "detector_unavailable",
            Self::DetectionFailed => "detection_failed",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON body of an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub message: String,
}

impl ErrorBody {
    /// The body for `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serialised_codes() {
        for code in [
            ErrorCode::InvalidParameter,
            ErrorCode::MissingImage,
            ErrorCode::InvalidMultipart,
            ErrorCode::Unauthorized,
            ErrorCode::CrossSiteRequest,
            ErrorCode::NotFound,
            ErrorCode::RequestTimeout,
            ErrorCode::PayloadTooLarge,
            ErrorCode::TooManyFiles,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::UndecodableImage,
            ErrorCode::TooManyPixels,
            ErrorCode::TooManyAttempts,
            ErrorCode::Overloaded,
            ErrorCode::NotReady,
            ErrorCode::RecordStoreUnavailable,
            ErrorCode::ImageStoreUnavailable,
            ErrorCode::DetectorUnavailable,
            ErrorCode::DetectionFailed,
            ErrorCode::Internal,
        ] {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
            let s = code.http_status();
            assert!((400..600).contains(&s), "{code}: {s}");
            assert_eq!(code.retry_after_secs().is_some(), s == 503, "{code}");
        }
    }
}
