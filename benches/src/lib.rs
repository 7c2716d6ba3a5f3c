//! What the engine comparison (`src/bin/compare.rs`) and the test suite both
//! feed the engines: the fetched model files and photos, and a full YOLOv3
//! with seeded weights (the real weights cannot be fetched here).
//!
//! ```
//! let text = yoloo_benches::fixtures::yolov3_cfg(416, 80);
//! let cfg = yoloo_core::darknet::cfg::Cfg::parse(&text)?;
//! assert_eq!(cfg.layers.len(), 107);
//! assert_eq!(text.matches("[yolo]").count(), 3);
//! # Ok::<(), yoloo_core::Error>(())
//! ```

pub mod fixtures;
