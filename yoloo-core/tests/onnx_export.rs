//! The converter's ONNX runs in ONNX Runtime with the same raw head outputs
//! as tract (max |Δ| ≤ 1e-3) on a real photo.
//!
//! Needs Python with `onnxruntime` and `numpy` (`scripts/requirements-test.txt`);
//! the interpreter is `$YOLOO_PYTHON`, else `python3`.

use yoloo_testkit::assets;
use yoloo_testkit::onnx_runtime as ort;

use yoloo_core::detector::DetectorConfig;
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{Detector, Labels, ResizeMode, darknet, preprocess};

#[test]
fn converted_model_matches_onnx_runtime() {
    let model = darknet::load(assets::tiny_cfg(), assets::tiny_weights()).unwrap();
    let labels = Labels::from_file(assets::coco_names()).unwrap();
    let proto = model.to_onnx(416, 416, Some(labels.names())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    darknet::write_onnx(&proto, dir.path().join("model.onnx")).unwrap();

    // The written file loads back through the ONNX path, names and heads included.
    let from_file = Detector::builder(dir.path().join("model.onnx"))
        .threads(1)
        .build()
        .unwrap();
    assert_eq!(from_file.labels(), &labels);
    assert_eq!(from_file.heads(), model.cfg.heads().as_slice());

    let detector = Detector::from_darknet(
        &model,
        Some(labels),
        DetectorConfig {
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let image = open_image(&assets::image("bus.jpg"), &DecodeLimits::default()).unwrap();
    let (input, _) = preprocess::preprocess(&image, 416, 416, ResizeMode::Stretch).unwrap();
    ort::assert_matches_tract(&proto, &detector, input.into_dyn(), 1e-3);
}
