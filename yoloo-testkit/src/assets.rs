//! The fetched model files and photos (`scripts/fetch_assets.py`), and the
//! generated full YOLOv3. A missing file panics with the command that fetches
//! it, so a test never passes vacuously for lack of its inputs.

use std::path::{Path, PathBuf};

use yoloo_benches::fixtures;
pub use yoloo_benches::fixtures::{
    images_dir, models_dir, root, runtime_dir, yolov3_cfg, yolov4_cfg, yolov4_tiny_cfg,
};

fn found(path: std::io::Result<PathBuf>) -> PathBuf {
    path.unwrap_or_else(|e| panic!("{e}"))
}

/// Path of a fetched file (absolute, or relative to the workspace root).
pub fn asset(path: impl AsRef<Path>) -> PathBuf {
    found(fixtures::fetched(root().join(path)))
}

/// `models/yolov3-tiny.cfg`.
pub fn tiny_cfg() -> PathBuf {
    found(fixtures::tiny_cfg())
}

/// `models/yolov3-tiny.weights`.
pub fn tiny_weights() -> PathBuf {
    found(fixtures::tiny_weights())
}

/// `models/coco.names`.
pub fn coco_names() -> PathBuf {
    found(fixtures::coco_names())
}

/// `assets/calibration/`: int8 calibration photos (none of them a test photo).
pub fn calibration_dir() -> PathBuf {
    found(fixtures::calibration_dir())
}

/// A file of `scripts/fetch_assets.py --extra-models` in `models/`.
pub fn extra_model(name: &str) -> PathBuf {
    found(fixtures::extra_model(name))
}

/// The real YOLOv4-tiny weights (`--extra-models`; 10 classes, no cfg).
pub fn yolov4_tiny_weights() -> PathBuf {
    found(fixtures::yolov4_tiny_weights())
}

/// A photo in `assets/images/`.
pub fn image(name: &str) -> PathBuf {
    found(fixtures::image(name))
}

/// The bytes of a photo in `assets/images/`.
pub fn image_bytes(name: &str) -> Vec<u8> {
    read(image(name))
}

/// A file's bytes.
pub fn read(path: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// Seeded weights for `cfg` ([`fixtures::random_weights`]).
pub fn random_weights(cfg: &yoloo_core::darknet::cfg::Cfg, seed: u64) -> Vec<u8> {
    fixtures::random_weights(cfg, seed).unwrap_or_else(|e| panic!("weights for the cfg: {e}"))
}
