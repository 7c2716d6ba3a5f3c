//! What the fuzz targets share: a tiny Darknet network (so that a whole
//! model fits in a fuzzer input and an inference takes microseconds), its
//! weights, and a detector built from them.

use yoloo_core::darknet::{DarknetModel, cfg::Cfg, weights};
use yoloo_core::detector::DetectorConfig;
use yoloo_core::image_io::DecodeLimits;
use yoloo_core::{Backend, Detector};

/// A YOLO network at 32×32: one conv with batch norm, a max-pool, a 1×1
/// head conv and a YOLO layer of 2 classes. Small, but every layer kind the
/// weights loader reads for a head.
pub const TINY_CFG: &str = "\
[net]
width=32
height=32
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
size=1
stride=1
pad=1
filters=21
activation=linear

[yolo]
mask=0,1,2
anchors=10,14, 23,27, 37,58
classes=2
num=3
";

/// A valid weights file for [`TINY_CFG`]: the 0.2.0 header (`seen` as
/// i64), then small deterministic floats.
pub fn tiny_weights() -> Vec<u8> {
    let cfg = Cfg::parse(TINY_CFG).expect("the tiny cfg parses");
    let floats = weights::expected_floats(&cfg).expect("the tiny cfg has weights");
    let mut out = Vec::with_capacity(20 + 4 * floats);
    for v in [0i32, 2, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&0i64.to_le_bytes());
    for i in 0..floats {
        // Variances (and everything else) positive, small.
        let v = 0.05 + (i % 17) as f32 * 0.01;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// The decoding limits the image target runs under: what a service sets,
/// scaled to a fuzzer's memory (libFuzzer's default RSS limit is 2 GB).
pub const LIMITS: DecodeLimits = DecodeLimits {
    max_pixels: 4_000_000,
    max_alloc: 256 * 1024 * 1024,
};

/// A detector for [`TINY_CFG`] on tract, one thread, under [`LIMITS`].
pub fn tiny_detector() -> Detector {
    let model = DarknetModel::parse(TINY_CFG, &tiny_weights()).expect("the tiny model parses");
    let config = DetectorConfig {
        threads: 1,
        backend: Backend::Tract,
        limits: LIMITS,
        ..DetectorConfig::default()
    };
    Detector::from_darknet(&model, None, config).expect("the tiny model loads")
}
