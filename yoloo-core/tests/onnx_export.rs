//! The converter's ONNX runs in ONNX Runtime with the same raw head outputs
//! as tract (max |Δ| ≤ 1e-3) on a real photo.
//!
//! Needs Python with `onnxruntime` and `numpy` (`scripts/requirements-test.txt`);
//! the interpreter is `$YOLOO_PYTHON`, else `python3`.

use yoloo_testkit::assets;

use std::process::Command;

use serde_json::json;
use yoloo_core::detector::DetectorConfig;
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{Detector, Labels, ResizeMode, darknet, preprocess};

fn write_f32(path: &std::path::Path, data: impl Iterator<Item = f32>) {
    let bytes: Vec<u8> = data.flat_map(f32::to_le_bytes).collect();
    std::fs::write(path, bytes).unwrap();
}

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
    write_f32(&dir.path().join("input.f32"), input.iter().copied());
    let outputs = detector.run(input.into_dyn()).unwrap();
    let graph = proto.graph.as_ref().unwrap();
    assert_eq!(graph.output.len(), outputs.len());
    let mut meta_outputs = Vec::new();
    for (i, (info, out)) in graph.output.iter().zip(&outputs).enumerate() {
        let file = format!("out{i}.f32");
        write_f32(&dir.path().join(&file), out.iter().copied());
        meta_outputs.push(json!({"name": info.name, "shape": out.shape(), "file": file}));
    }
    let meta = json!({"input": {"name": darknet::onnx::INPUT_NAME, "shape": [1, 3, 416, 416], "file": "input.f32"}, "outputs": meta_outputs});
    std::fs::write(dir.path().join("meta.json"), meta.to_string()).unwrap();

    let python = std::env::var("YOLOO_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = assets::root().join("scripts/ort_compare.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(dir.path())
        .args(["--tol", "1e-3"])
        .output()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "ONNX Runtime outputs differ from tract's, or onnxruntime is missing (pip install -r scripts/requirements-test.txt)"
    );
}
