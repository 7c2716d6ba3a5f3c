//! Parity with the reference implementation: OpenCV's Darknet importer on
//! the real yolov3-tiny, as the original app ran it (stretch to 416×416,
//! threshold on the class score, class-agnostic NMS at 0.4).
//!
//! Reference: `tests/fixtures/opencv_reference.json`, made by
//! `scripts/make_opencv_reference.py` (opencv-python-headless 4.14.0.94).
//!
//! Tolerances, fp32 on every backend: every matched box IoU ≥ 0.97 and
//! |Δconfidence| ≤ 0.02 (the resizers differ by rounding: OpenCV's
//! fixed-point bilinear vs ours). Same classes and counts, except that a
//! detection whose score is within 0.02 of the threshold, on either side,
//! may flip in or out; the test reports each flip.
//!
//! The ONNX Runtime and OpenVINO backends (features `onnxruntime`,
//! `openvino`) run the same test on the libraries that
//! `python3 scripts/fetch_assets.py --runtimes` puts in `runtimes/`.

mod support;

use serde_json::Value;
use yoloo_core::detector::{DetectOptions, DetectorConfig};
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{BBox, Backend, Detection, Detector, Precision, ResizeMode};

/// The fp32 tolerances.
const FP32: Tolerance = Tolerance {
    min_iou: 0.97,
    max_dconf: 0.02,
    flip_margin: 0.02,
};

#[derive(Clone, Copy)]
struct Tolerance {
    min_iou: f32,
    max_dconf: f32,
    flip_margin: f32,
}

struct Reference {
    label: String,
    confidence: f32,
    bbox: BBox,
}

#[test]
fn detections_match_opencv_on_real_photos() {
    parity(Backend::Tract, Precision::Fp32, FP32);
}

#[cfg(feature = "onnxruntime")]
#[test]
fn onnxruntime_fp32_matches_opencv() {
    parity(Backend::OnnxRuntime, Precision::Fp32, FP32);
}

#[cfg(feature = "openvino")]
#[test]
fn openvino_fp32_matches_opencv() {
    parity(Backend::OpenVino, Precision::Fp32, FP32);
}

/// Builds yolov3-tiny on `backend` at `precision` and compares it with the
/// fixture at both thresholds; returns (matched, worst IoU, worst |Δconf|).
fn parity(backend: Backend, precision: Precision, tol: Tolerance) -> (usize, f32, f32) {
    let Tolerance {
        min_iou,
        max_dconf,
        flip_margin,
    } = tol;
    let text = std::fs::read_to_string(
        support::root().join("yoloo-core/tests/fixtures/opencv_reference.json"),
    )
    .unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fixture["input_size"], 416);
    assert_eq!(fixture["resize"], "stretch");

    let detector = Detector::builder(support::tiny_cfg())
        .weights(support::tiny_weights())
        .names(support::coco_names())
        .config(DetectorConfig {
            threads: 2,
            ..Default::default()
        })
        .backend(backend)
        .precision(precision)
        .library(support::runtime_dir(backend))
        .build()
        .unwrap_or_else(|e| panic!("{backend} {precision}: {e}"));

    let images = fixture["images"].as_object().unwrap();
    assert_eq!(images.len(), 8, "the eight photos of the acceptance list");
    let (mut worst_iou, mut worst_dconf, mut matched, mut flips) = (1.0f32, 0.0f32, 0, Vec::new());
    let mut failures = Vec::new();

    for (name, entry) in images {
        let image = open_image(&support::image(name), &DecodeLimits::default()).unwrap();
        assert_eq!(
            image.width() as u64,
            entry["width"].as_u64().unwrap(),
            "{name}"
        );
        for (threshold, expected) in entry["thresholds"].as_object().unwrap() {
            let t: f32 = threshold.parse().unwrap();
            let options = DetectOptions {
                confidence: t,
                iou: fixture["nms_iou"].as_f64().unwrap() as f32,
                agnostic: true,
                resize: ResizeMode::Stretch,
                max_detections: 1000,
                classes: None,
            };
            let ours = detector.detect_with(&image, &options).unwrap().detections;
            let (w, h) = (image.width() as f32, image.height() as f32);
            let reference: Vec<Reference> = expected["detections"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| Reference {
                    label: d["label"].as_str().unwrap().to_owned(),
                    confidence: d["confidence"].as_f64().unwrap() as f32,
                    // Our boxes are clipped to the image; clip the reference the same way.
                    bbox: BBox::new(
                        d["x1"].as_f64().unwrap() as f32,
                        d["y1"].as_f64().unwrap() as f32,
                        d["x2"].as_f64().unwrap() as f32,
                        d["y2"].as_f64().unwrap() as f32,
                    )
                    .clamp(w, h),
                })
                .collect();

            let mut used = vec![false; ours.len()];
            for r in &reference {
                let best = ours
                    .iter()
                    .enumerate()
                    .filter(|(i, d)| !used[*i] && d.label == r.label)
                    .map(|(i, d)| (i, d.bbox.iou(&r.bbox)))
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                match best {
                    Some((i, iou)) if iou >= 0.5 => {
                        used[i] = true;
                        matched += 1;
                        let dconf = (ours[i].confidence - r.confidence).abs();
                        worst_iou = worst_iou.min(iou);
                        worst_dconf = worst_dconf.max(dconf);
                        if iou < min_iou || dconf > max_dconf {
                            failures.push(format!(
                                "{name}@{t}: {} {:.3} matched ours {:.3} with IoU {iou:.4}, Δconf {dconf:.4}",
                                r.label, r.confidence, ours[i].confidence
                            ));
                        }
                    }
                    _ if (r.confidence - t).abs() <= flip_margin => {
                        flips.push(format!("{name}@{t}: reference {} {:.4} not found (within {flip_margin} of the threshold)", r.label, r.confidence));
                    }
                    _ => failures.push(format!(
                        "{name}@{t}: reference {} {:.3} at {:?} not found",
                        r.label, r.confidence, r.bbox
                    )),
                }
            }
            for (d, _) in ours.iter().zip(&used).filter(|(_, u)| !**u) {
                if (d.confidence - t).abs() <= flip_margin {
                    flips.push(format!(
                        "{name}@{t}: extra {} {:.4} (within {flip_margin} of the threshold)",
                        d.label, d.confidence
                    ));
                } else {
                    failures.push(format!("{name}@{t}: extra detection {}", describe(d)));
                }
            }
        }
    }
    eprintln!(
        "parity {backend} {precision}: {matched} matched detections; worst IoU {worst_iou:.4}, worst |Δconf| {worst_dconf:.4}, {} flips, {} failures",
        flips.len(),
        failures.len()
    );
    for f in &flips {
        eprintln!("parity: allowed flip: {f}");
    }
    assert!(
        matched >= 12,
        "too few detections compared ({matched}); is the fixture right?"
    );
    assert!(
        failures.is_empty(),
        "{backend} {precision} parity failures:\n{}",
        failures.join("\n")
    );
    (matched, worst_iou, worst_dconf)
}

fn describe(d: &Detection) -> String {
    format!(
        "{} {:.3} [{:.1}, {:.1}, {:.1}, {:.1}]",
        d.label, d.confidence, d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2
    )
}
