//! The viewer's typed errors: stores, detection, the upload flow. No HTTP
//! here; `routes::errors` maps them to answers.

use yoloo_api::client::ClientError;
use yoloo_api::upload::Rejection;

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
    /// The remote detector: unreachable, refusing the image, or answering
    /// something unexpected.
    #[error(transparent)]
    Remote(#[from] ClientError),
    /// A blocking task died.
    #[error("detection task failed: {0}")]
    Join(String),
}

/// Everything the upload flow and the stores can fail with. How each is
/// answered over HTTP (code, status, message) is `routes::errors`'s business.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// An uploaded file was refused (the client's fault).
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
