#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

#[cfg(feature = "client")]
pub mod client;
pub mod detection;
pub mod error;
pub mod upload;

pub use detection::{Counts, DetectParams, DetectResponse, Detection, Timings, counts, ms};
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
