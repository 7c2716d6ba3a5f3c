//! The ONNX head layouts that no real file on the registries has — YOLOv5's
//! anchor-based `[1, N, 5+C]` and the NMS-included `[1, K, 6]` — on small
//! generated graphs (`graphs/mod.rs`) whose output is known, through the
//! whole Detector: layout and family from the model, the family's
//! letterbox, decoding, NMS (or none) and boxes mapped back. And the
//! models yoloo must refuse, with typed errors.

use yoloo_testkit::graphs;

use yoloo_core::detector::{DetectOptions, DetectorConfig};
use yoloo_core::layout::{Family, HeadLayout};
use yoloo_core::{BBox, Detector, Error};

fn config() -> DetectorConfig {
    DetectorConfig {
        threads: 1,
        ..Default::default()
    }
}

/// A 128×64 image: the Ultralytics letterbox into 64×64 halves it and puts
/// it 16 rows down, so a network box `(x, y)` is `(2x, 2(y − 16))` here.
fn image() -> image::DynamicImage {
    image::DynamicImage::new_rgb8(128, 64)
}

fn close(a: BBox, b: BBox) -> bool {
    [(a.x1, b.x1), (a.y1, b.y1), (a.x2, b.x2), (a.y2, b.y2)]
        .iter()
        .all(|(p, q)| (p - q).abs() < 1e-3)
}

/// 64×64 input: N = 3·(8² + 4² + 2²) = 252 rows of `cx, cy, w, h, obj, c0, c1`.
fn yolov5_rows() -> Vec<f32> {
    let mut rows = vec![0.0f32; 252 * 7];
    let mut set = |i: usize, r: [f32; 7]| rows[i * 7..i * 7 + 7].copy_from_slice(&r);
    set(3, [20.0, 30.0, 10.0, 8.0, 0.9, 0.1, 0.9]); // class 1, 0.81
    set(70, [21.0, 30.0, 10.0, 8.0, 0.9, 0.2, 0.8]); // class 1, 0.72: overlaps → suppressed
    set(71, [20.0, 30.0, 10.0, 8.0, 0.75, 0.8, 0.1]); // class 0, 0.60: other class, kept
    set(200, [40.0, 40.0, 4.0, 4.0, 0.2, 1.0, 1.0]); // objectness below 0.25
    rows
}

#[test]
fn yolov5_anchor_based_layout() {
    let proto = graphs::constant_output(
        64,
        &[1, 252, 7],
        &yolov5_rows(),
        &[("stride", "32"), ("names", "{0: 'cat', 1: 'dog'}")],
    );
    let detector = Detector::from_onnx_proto(proto, None, config()).unwrap();
    let m = detector.model();
    assert_eq!(m.layout, HeadLayout::AnchorBased { classes: 2 });
    assert_eq!(m.family, Family::Yolov5);
    assert_eq!(detector.labels().names(), ["cat", "dog"]);
    // YOLOv5's detect.py defaults.
    let o = detector.options();
    assert_eq!((o.confidence, o.iou, o.max_detections), (0.25, 0.45, 1000));
    let found = detector.detect(&image()).unwrap().detections;
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        (found[0].label.as_str(), found[1].label.as_str()),
        ("dog", "cat")
    );
    assert!((found[0].confidence - 0.81).abs() < 1e-6);
    assert!((found[1].confidence - 0.6).abs() < 1e-6);
    // (15, 26)–(25, 34) in the network → (30, 20)–(50, 36) in the image.
    assert!(
        close(found[0].bbox, BBox::new(30.0, 20.0, 50.0, 36.0)),
        "{:?}",
        found[0].bbox
    );
    // Class-agnostic NMS drops the cat too.
    let agnostic = DetectOptions {
        agnostic: true,
        ..o.clone()
    };
    assert_eq!(
        detector
            .detect_with(&image(), &agnostic)
            .unwrap()
            .detections
            .len(),
        1
    );
}

/// `[1, 300, 6]` rows of `x1, y1, x2, y2, score, class`, as Ultralytics'
/// `nms=True` exports write them.
fn nms_rows() -> Vec<f32> {
    let mut rows = vec![0.0f32; 300 * 6];
    let mut set = |i: usize, r: [f32; 6]| rows[i * 6..i * 6 + 6].copy_from_slice(&r);
    set(0, [10.0, 20.0, 30.0, 40.0, 0.9, 2.0]);
    set(1, [11.0, 20.0, 31.0, 40.0, 0.8, 2.0]); // overlaps the first: the model kept it, so do we
    set(2, [0.0, 16.0, 64.0, 48.0, 0.3, 0.0]);
    set(3, [0.0, 16.0, 64.0, 48.0, 0.1, 1.0]); // below 0.25
    rows
}

#[test]
fn nms_included_layout_is_passed_through() {
    let meta = [
        ("names", "{0: 'a', 1: 'b', 2: 'c'}"),
        ("task", "detect"),
        ("imgsz", "[64, 64]"),
        ("args", "{'batch': 1, 'nms': True}"),
    ];
    // Dynamic input size: fixed to the metadata's imgsz.
    for (size, metadata) in [(0, &meta[..]), (64, &[][..])] {
        let proto = graphs::constant_output(size, &[1, 300, 6], &nms_rows(), metadata);
        let detector = Detector::from_onnx_proto(proto, None, config()).unwrap();
        assert_eq!(detector.model().layout, HeadLayout::NmsIncluded);
        assert_eq!(detector.input_size(), (64, 64));
        let found = detector.detect(&image()).unwrap().detections;
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            close(found[0].bbox, BBox::new(20.0, 8.0, 60.0, 48.0)),
            "{:?}",
            found[0].bbox
        );
        assert!(close(found[2].bbox, BBox::new(0.0, 0.0, 128.0, 64.0)));
        let labels: Vec<&str> = found.iter().map(|d| d.label.as_str()).collect();
        if metadata.is_empty() {
            assert_eq!(labels, ["class_2", "class_2", "class_0"]);
        } else {
            assert_eq!(labels, ["c", "c", "a"]);
        }
        // max_detections and classes still apply.
        let o = DetectOptions {
            max_detections: 1,
            ..detector.options().clone()
        };
        assert_eq!(
            detector.detect_with(&image(), &o).unwrap().detections.len(),
            1
        );
        let o = DetectOptions {
            classes: Some(vec![0]),
            ..detector.options().clone()
        };
        assert_eq!(
            detector.detect_with(&image(), &o).unwrap().detections.len(),
            1
        );
    }
}

#[test]
fn outputs_that_fit_no_layout_are_refused_naming_their_shapes() {
    for shape in [vec![1i64, 7, 7], vec![1, 85, 100], vec![1, 2, 3, 4]] {
        let n: i64 = shape.iter().product();
        let proto = graphs::constant_output(64, &shape, &vec![0.0; n as usize], &[]);
        let err = Detector::from_onnx_proto(proto, None, config()).unwrap_err();
        let want: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
        assert!(
            matches!(&err, Error::UnknownLayout { shapes, .. } if shapes == std::slice::from_ref(&want)),
            "{err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("{want:?}")) && msg.contains("[1, 4+C, N]"),
            "{msg}"
        );
    }
    // An Ultralytics segmentation model: its task is named.
    let proto = graphs::constant_output(
        64,
        &[1, 40, 84],
        &vec![0.0; 40 * 84],
        &[("task", "segment")],
    );
    let err = Detector::from_onnx_proto(proto, None, config()).unwrap_err();
    assert!(err.to_string().contains("\"segment\""), "{err}");
}

#[test]
fn bad_metadata_and_sizes_are_typed_errors() {
    let rows = vec![0.0; 300 * 6];
    for names in [
        "person, car",
        "{0: person}",
        "__import__('os')",
        "{'0': 'a'}",
    ] {
        let proto = graphs::constant_output(64, &[1, 300, 6], &rows, &[("names", names)]);
        let err = Detector::from_onnx_proto(proto, None, config()).unwrap_err();
        assert!(
            matches!(&err, Error::Metadata { key, .. } if key == "names"),
            "{names}: {err}"
        );
        assert!(err.to_string().contains("dict literal"), "{err}");
    }
    // A graph fixed at 64×64 cannot run at another size.
    let proto = graphs::constant_output(64, &[1, 300, 6], &rows, &[]);
    let err = Detector::from_onnx_proto(
        proto,
        None,
        DetectorConfig {
            input_size: Some((96, 96)),
            ..config()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter(_)) && err.to_string().contains("64×64"),
        "{err}"
    );
}
