#![doc = include_str!("../README.md")]

pub mod assets;
pub mod docs;
pub mod graphs;
pub mod hostile;
pub mod http;
pub mod onnx_runtime;
pub mod parity;
pub mod programs;
pub mod service;
pub mod slow;

pub use assets::{coco_names, image, image_bytes, read, root, tiny_cfg, tiny_weights};
pub use service::Service;
