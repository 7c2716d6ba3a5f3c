//! Runs an ONNX model in ONNX Runtime (`scripts/ort_compare.py`, with
//! `$YOLOO_PYTHON`, else `python3`) and compares its outputs with tract's.

use std::path::Path;
use std::process::Command;

use ndarray::ArrayD;
use serde_json::json;
use yoloo_core::{Detector, darknet};

fn write_f32(path: &Path, data: impl Iterator<Item = f32>) {
    let bytes: Vec<u8> = data.flat_map(f32::to_le_bytes).collect();
    std::fs::write(path, bytes).unwrap();
}

/// Writes `proto`, runs `input` through `detector` (built from the same
/// model) and through ONNX Runtime, and asserts every output agrees within
/// `tol` (absolute). Returns the script's report.
pub fn assert_matches_tract(
    proto: &yoloo_core::darknet::onnx::pb::ModelProto,
    detector: &Detector,
    input: ArrayD<f32>,
    tol: f32,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    darknet::write_onnx(proto, dir.path().join("model.onnx")).unwrap();
    let shape = input.shape().to_vec();
    write_f32(&dir.path().join("input.f32"), input.iter().copied());
    let outputs = detector.run(input).unwrap();
    let graph = proto.graph.as_ref().unwrap();
    assert_eq!(graph.output.len(), outputs.len());
    let mut meta_outputs = Vec::new();
    for (i, (info, out)) in graph.output.iter().zip(&outputs).enumerate() {
        let file = format!("out{i}.f32");
        write_f32(&dir.path().join(&file), out.iter().copied());
        meta_outputs.push(json!({"name": info.name, "shape": out.shape(), "file": file}));
    }
    let meta = json!({
        "input": {"name": darknet::onnx::INPUT_NAME, "shape": shape, "file": "input.f32"},
        "outputs": meta_outputs,
    });
    std::fs::write(dir.path().join("meta.json"), meta.to_string()).unwrap();

    let python = std::env::var("YOLOO_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = crate::assets::root().join("scripts/ort_compare.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(dir.path())
        .args(["--tol", &tol.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{report}");
    assert!(
        out.status.success(),
        "ONNX Runtime outputs differ from tract's, or onnxruntime is missing (pip install -r scripts/requirements-test.txt)"
    );
    report
}
