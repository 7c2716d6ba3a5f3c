#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod bbox;
pub mod decode;
pub mod detection;
pub mod error;
pub mod image_io;
pub mod labels;
pub mod layout;
pub mod metadata;
pub mod model;
pub mod nms;
pub mod preprocess;
pub mod resize;

#[cfg(feature = "runtime")]
pub mod darknet;
#[cfg(feature = "runtime")]
pub mod detector;
#[cfg(feature = "runtime")]
pub mod engine;
#[cfg(feature = "runtime")]
pub mod quantize;

#[cfg(feature = "draw")]
pub mod draw;

pub use bbox::BBox;
pub use detection::Detection;
pub use error::{Error, Result};
pub use labels::Labels;
pub use preprocess::ResizeMode;

#[cfg(feature = "runtime")]
pub use detector::{Detector, DetectorConfig};
#[cfg(feature = "runtime")]
pub use engine::{Backend, Precision};
