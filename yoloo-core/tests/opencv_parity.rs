//! Parity with the reference implementation: OpenCV's Darknet importer on
//! the real yolov3-tiny, as the original app ran it (stretch to 416×416,
//! threshold on the class score, class-agnostic NMS at 0.4).
//!
//! Reference: `tests/fixtures/opencv_reference.json`, made by
//! `scripts/make_opencv_reference.py` (opencv-python-headless 4.14.0.94).
//!
//! Tolerances: every matched box IoU ≥ 0.97 and |Δconfidence| ≤ 0.02 (the
//! resizers differ by rounding: OpenCV's fixed-point bilinear vs ours).
//! Same classes and counts, except that a detection whose score is within
//! 0.02 of the threshold, on either side, may flip in or out; the test
//! reports each flip.

use yoloo_testkit::assets;

use serde_json::Value;
use yoloo_core::detector::{DetectOptions, DetectorConfig};
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{BBox, Detection, Detector, ResizeMode};

const MIN_IOU: f32 = 0.97;
const MAX_DCONF: f32 = 0.02;
const FLIP_MARGIN: f32 = 0.02;

struct Reference {
    label: String,
    confidence: f32,
    bbox: BBox,
}

#[test]
fn detections_match_opencv_on_real_photos() {
    let text = std::fs::read_to_string(
        assets::root().join("yoloo-core/tests/fixtures/opencv_reference.json"),
    )
    .unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fixture["input_size"], 416);
    assert_eq!(fixture["resize"], "stretch");

    let detector = Detector::builder(assets::tiny_cfg())
        .weights(assets::tiny_weights())
        .names(assets::coco_names())
        .config(DetectorConfig {
            threads: 2,
            ..Default::default()
        })
        .build()
        .unwrap();

    let images = fixture["images"].as_object().unwrap();
    assert_eq!(images.len(), 8, "the eight photos of the acceptance list");
    let (mut worst_iou, mut worst_dconf, mut matched, mut flips) = (1.0f32, 0.0f32, 0, Vec::new());
    let mut failures = Vec::new();

    for (name, entry) in images {
        let image = open_image(&assets::image(name), &DecodeLimits::default()).unwrap();
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
                        if iou < MIN_IOU || dconf > MAX_DCONF {
                            failures.push(format!(
                                "{name}@{t}: {} {:.3} matched ours {:.3} with IoU {iou:.4}, Δconf {dconf:.4}",
                                r.label, r.confidence, ours[i].confidence
                            ));
                        }
                    }
                    _ if (r.confidence - t).abs() <= FLIP_MARGIN => {
                        flips.push(format!("{name}@{t}: reference {} {:.4} not found (within {FLIP_MARGIN} of the threshold)", r.label, r.confidence));
                    }
                    _ => failures.push(format!(
                        "{name}@{t}: reference {} {:.3} at {:?} not found",
                        r.label, r.confidence, r.bbox
                    )),
                }
            }
            for (d, _) in ours.iter().zip(&used).filter(|(_, u)| !**u) {
                if (d.confidence - t).abs() <= FLIP_MARGIN {
                    flips.push(format!(
                        "{name}@{t}: extra {} {:.4} (within {FLIP_MARGIN} of the threshold)",
                        d.label, d.confidence
                    ));
                } else {
                    failures.push(format!("{name}@{t}: extra detection {}", describe(d)));
                }
            }
        }
    }
    eprintln!(
        "parity: {matched} matched detections; worst IoU {worst_iou:.4}, worst |Δconf| {worst_dconf:.4}"
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
        "parity failures:\n{}",
        failures.join("\n")
    );
}

fn describe(d: &Detection) -> String {
    format!(
        "{} {:.3} [{:.1}, {:.1}, {:.1}, {:.1}]",
        d.label, d.confidence, d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2
    )
}
