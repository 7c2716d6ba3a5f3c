//! # yoloo-core
//!
//! YOLO object detection in Rust: Darknet `.cfg` + `.weights` files (YOLOv3,
//! YOLOv4 and their tiny versions) and the ONNX exports of Ultralytics
//! (YOLOv8, YOLO11, YOLOv5) and YOLOX, run with
//! [`tract-onnx`](https://docs.rs/tract-onnx), with the same boxes as each
//! family's own pipeline.
//!
//! The pipeline, one module per stage:
//!
//! | stage | module |
//! |---|---|
//! | decode an encoded image safely (pixel limit, EXIF orientation) | [`image_io`] |
//! | resize to the network input (stretch or the family's letterbox) | [`preprocess`] |
//! | read what a model says about itself (Ultralytics metadata) | [`metadata`], [`model`] |
//! | Darknet `.cfg`/`.weights` → ONNX | `darknet` (feature `runtime`) |
//! | run the network | `Detector` (feature `runtime`) |
//! | recognise the head layout, decode it into scored boxes | [`layout`], [`decode`] |
//! | non-maximum suppression | [`nms`] |
//! | draw labelled boxes | `draw` (feature `draw`) |
//!
//! Features: `runtime` (tract; the [`Detector`](crate::Detector) and Darknet import),
//! `draw` (imageproc + ab_glyph), `serde` (serialisable results). All are on by
//! default; with `default-features = false` the crate is decoding, NMS and
//! preprocessing only, without tract.
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
