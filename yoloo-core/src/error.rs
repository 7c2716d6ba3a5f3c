//! The library's typed errors.

use std::path::PathBuf;

#[cfg(feature = "runtime")]
use crate::engine::{Backend, Precision};

/// Everything that can go wrong in yoloo-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A Darknet `.cfg` file is malformed or uses something unsupported.
    #[error("{}", cfg_message(.section, .line, .message))]
    Cfg {
        /// 0-based index of the layer section (`[net]` is not counted), when known.
        section: Option<usize>,
        /// 1-based line number in the file, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },

    /// A Darknet `.weights` file does not fit the architecture.
    #[error("weights: {message}")]
    Weights {
        /// What is wrong (expected and actual sizes when it is a size problem).
        message: String,
    },

    /// A model's metadata (e.g. the `names` Ultralytics writes) is not what
    /// its key must hold.
    #[error("model metadata `{key}`: {message}")]
    Metadata {
        /// The metadata key.
        key: String,
        /// What was expected and what was found.
        message: String,
    },

    /// A model's outputs fit none of the head layouts yoloo decodes.
    #[error(
        "the model's outputs {shapes:?} fit no known head layout: {reason} (expected Darknet \
         [yolo] heads, [1, 4+C, N] (Ultralytics YOLOv8/YOLO11), [1, N, 5+C] (YOLOv5/YOLOv7, or YOLOX \
         before grid decoding) or [1, K, 6] (NMS inside), with N the grid cells over strides 8, 16, 32)"
    )]
    UnknownLayout {
        /// The output shapes seen.
        shapes: Vec<Vec<usize>>,
        /// Why none fits.
        reason: String,
    },

    /// An ONNX model could not be built, loaded or run.
    #[error("model: {0}")]
    Model(String),

    /// The input image could not be decoded.
    #[error("image decode failed: {0}")]
    Decode(String),

    /// The image is larger than the configured pixel limit.
    #[error("image is {width}x{height} = {pixels} pixels, over the limit of {limit}")]
    TooManyPixels {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// `width * height`.
        pixels: u64,
        /// The configured limit.
        limit: u64,
    },

    /// A parameter is outside its valid range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),

    /// A labels (names) file problem.
    #[error("labels: {0}")]
    Labels(String),

    /// The backend's cargo feature is off in this build.
    #[cfg(feature = "runtime")]
    #[error("backend {backend} is not built in: rebuild yoloo-core with the cargo feature `{}`", .backend.feature())]
    BackendNotBuilt {
        /// The backend asked for.
        backend: Backend,
    },

    /// The backend's shared library was not found.
    #[cfg(feature = "runtime")]
    #[error("{backend}: no {library} found (tried {}); run `python3 scripts/fetch_assets.py --runtimes`, or set {env} to the library", list_paths(.tried))]
    LibraryNotFound {
        /// The backend.
        backend: Backend,
        /// The library's file name pattern.
        library: &'static str,
        /// The environment variable that overrides the search.
        env: &'static str,
        /// Every path looked at, in order.
        tried: Vec<PathBuf>,
    },

    /// The backend's shared library exists but could not be loaded or used.
    #[cfg(feature = "runtime")]
    #[error("{backend}: cannot load {}: {message}; run `python3 scripts/fetch_assets.py --runtimes` to fetch a working copy", .path.display())]
    LibraryLoad {
        /// The backend.
        backend: Backend,
        /// The library file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// The backend's shared library is a version yoloo cannot use.
    #[cfg(feature = "runtime")]
    #[error("{backend}: {} is version {found}, yoloo needs {wanted}; run `python3 scripts/fetch_assets.py --runtimes` to fetch it", .path.display())]
    LibraryVersion {
        /// The backend.
        backend: Backend,
        /// The library file.
        path: PathBuf,
        /// The version found.
        found: String,
        /// The versions accepted.
        wanted: String,
    },

    /// The backend (or this CPU) cannot run the model at this precision.
    #[cfg(feature = "runtime")]
    #[error("{backend} cannot run {precision} here: {reason}")]
    PrecisionUnsupported {
        /// The backend.
        backend: Backend,
        /// The precision asked for.
        precision: Precision,
        /// Why not, and what would work.
        reason: String,
    },

    /// int8 was asked for a float model and no calibration photos were given.
    #[error("int8 needs a quantized (QDQ) model or calibration photos: {0}")]
    CalibrationRequired(String),

    /// A file could not be read or written (the cause is the error's `source()`).
    #[error("cannot access {}", .path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

fn cfg_message(section: &Option<usize>, line: &Option<usize>, message: &str) -> String {
    match (section, line) {
        (Some(s), Some(l)) => format!("cfg: section {s} (line {l}): {message}"),
        (Some(s), None) => format!("cfg: section {s}: {message}"),
        (None, Some(l)) => format!("cfg: line {l}: {message}"),
        (None, None) => format!("cfg: {message}"),
    }
}

#[cfg(feature = "runtime")]
fn list_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "nothing".into();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
