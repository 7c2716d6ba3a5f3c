//! The `Detector` API with the real yolov3-tiny: sharing between threads,
//! letterbox, class filter, per-call options, hostile bytes, load errors.

use yoloo_testkit::assets;

use std::sync::Arc;

use yoloo_core::detector::{DetectOptions, DetectorConfig};
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{Detector, Error, ResizeMode};

fn detector(config: DetectorConfig) -> Detector {
    Detector::builder(assets::tiny_cfg())
        .config(config)
        .build()
        .unwrap()
}

fn bus() -> image::DynamicImage {
    open_image(&assets::image("bus.jpg"), &DecodeLimits::default()).unwrap()
}

#[test]
fn detector_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Detector>();
}

#[test]
fn many_threads_share_one_detector_and_agree() {
    let det = Arc::new(detector(DetectorConfig {
        threads: 1,
        ..Default::default()
    }));
    let image = Arc::new(bus());
    let expected = det.detect(&image).unwrap().detections;
    assert!(expected.iter().filter(|d| d.label == "person").count() >= 3);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (det, image) = (det.clone(), image.clone());
            std::thread::spawn(move || {
                (0..3)
                    .map(|_| det.detect(&image).unwrap().detections)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        for got in h.join().unwrap() {
            assert_eq!(got, expected);
        }
    }
    // Two-thread inference gives the same boxes (to float rounding).
    let det2 = detector(DetectorConfig {
        threads: 2,
        ..Default::default()
    });
    let got = det2.detect(&image).unwrap().detections;
    assert_eq!(got.len(), expected.len());
    for (a, b) in got.iter().zip(&expected) {
        assert_eq!(a.class_id, b.class_id);
        assert!((a.confidence - b.confidence).abs() < 1e-4);
        assert!(a.bbox.iou(&b.bbox) > 0.999);
    }
}

#[test]
fn letterbox_finds_the_same_people_inside_the_image() {
    let det = detector(DetectorConfig {
        threads: 2,
        ..Default::default()
    });
    let image = bus();
    let stretch = det.detect(&image).unwrap().detections;
    // Letterboxing shows the tiny model a smaller picture (810×1080 → 312×416
    // inside the frame), so its scores are lower: compare at 0.3.
    let opts = DetectOptions {
        resize: ResizeMode::Letterbox,
        confidence: 0.3,
        ..Default::default()
    };
    let letterbox = det.detect_with(&image, &opts).unwrap().detections;
    let people: Vec<_> = letterbox.iter().filter(|d| d.label == "person").collect();
    assert!(people.len() >= 3, "{letterbox:?}");
    for d in &letterbox {
        assert!(d.bbox.x1 >= 0.0 && d.bbox.y1 >= 0.0 && d.bbox.x2 <= 810.0 && d.bbox.y2 <= 1080.0);
    }
    // Each stretch person has a letterbox twin: the box mapping is right in both modes.
    for s in stretch.iter().filter(|d| d.label == "person") {
        let best = people
            .iter()
            .map(|p| p.bbox.iou(&s.bbox))
            .fold(0.0, f32::max);
        assert!(
            best > 0.6,
            "stretch {s:?} has no letterbox twin (best IoU {best})"
        );
    }
}

#[test]
fn options_change_results_as_documented() {
    let det = detector(DetectorConfig {
        threads: 2,
        ..Default::default()
    });
    let image = bus();
    let low = DetectOptions {
        confidence: 0.1,
        ..Default::default()
    };
    let all = det.detect_with(&image, &low).unwrap().detections;
    assert!(
        all.windows(2).all(|w| w[0].confidence >= w[1].confidence),
        "sorted by confidence"
    );
    assert!(all.iter().any(|d| d.label != "person"), "{all:?}");
    let person = det.labels().id("person").unwrap();
    let only = DetectOptions {
        classes: Some(vec![person]),
        ..low.clone()
    };
    let people = det.detect_with(&image, &only).unwrap().detections;
    assert!(!people.is_empty() && people.iter().all(|d| d.class_id == person));
    assert_eq!(
        people.len(),
        all.iter().filter(|d| d.class_id == person).count()
    );
    let two = DetectOptions {
        max_detections: 2,
        ..low.clone()
    };
    assert_eq!(
        det.detect_with(&image, &two).unwrap().detections,
        all[..2].to_vec()
    );
    let agnostic = DetectOptions {
        agnostic: true,
        ..low.clone()
    };
    assert!(det.detect_with(&image, &agnostic).unwrap().detections.len() <= all.len());
    let bad = DetectOptions {
        confidence: f32::NAN,
        ..low
    };
    assert!(matches!(
        det.detect_with(&image, &bad),
        Err(Error::InvalidParameter(_))
    ));
}

#[test]
fn hostile_bytes_are_typed_errors() {
    let det = detector(DetectorConfig {
        threads: 1,
        limits: DecodeLimits {
            max_pixels: 1_000_000,
            ..Default::default()
        },
        ..Default::default()
    });
    let opts = DetectOptions::default();
    assert!(matches!(
        det.detect_bytes(b"", &opts),
        Err(Error::Decode(_))
    ));
    assert!(matches!(
        det.detect_bytes(&[0x5a; 4096], &opts),
        Err(Error::Decode(_))
    ));
    let jpeg = std::fs::read(assets::image("bus.jpg")).unwrap();
    assert!(matches!(
        det.detect_bytes(&jpeg[..jpeg.len() / 2], &opts),
        Err(Error::Decode(_))
    ));
    // bus.jpg is 810×1080 = 874,800 pixels: under 1,000,000; zidane.jpg (921,600) too; a
    // 1,000×1,001 image is over.
    assert!(det.detect_bytes(&jpeg, &opts).is_ok());
    let big = image::RgbImage::new(1000, 1001);
    let mut png = Vec::new();
    big.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(matches!(
        det.detect_bytes(&png, &opts),
        Err(Error::TooManyPixels {
            width: 1000,
            height: 1001,
            ..
        })
    ));
}

#[test]
fn load_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("yolov3-tiny.cfg");
    std::fs::copy(assets::tiny_cfg(), &cfg).unwrap();
    // No weights beside the cfg.
    let err = Detector::load(&cfg).unwrap_err();
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("yolov3-tiny.weights"),
        "{err}"
    );
    // Truncated weights: expected and actual sizes.
    let weights = std::fs::read(assets::tiny_weights()).unwrap();
    std::fs::write(dir.path().join("yolov3-tiny.weights"), &weights[..1000]).unwrap();
    let err = Detector::load(&cfg).unwrap_err().to_string();
    assert!(
        err.contains("35434956 bytes") && err.contains("1000 bytes"),
        "{err}"
    );
    // Unknown model type.
    let err = Detector::load(dir.path().join("model.pt")).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter(_)), "{err}");
}

#[test]
fn batches_run_in_parallel_keep_order_and_errors_in_place() {
    let det = detector(DetectorConfig {
        threads: 2,
        ..Default::default()
    });
    let one = detector(DetectorConfig {
        threads: 1,
        ..Default::default()
    });
    let zidane = open_image(&assets::image("zidane.jpg"), &DecodeLimits::default()).unwrap();
    let images = [bus(), zidane.clone(), bus(), zidane];
    // Batch inferences are single-threaded: the same arithmetic as `one`.
    let expected: Vec<_> = images
        .iter()
        .map(|i| one.detect(i).unwrap().detections)
        .collect();
    assert_ne!(expected[0], expected[1]);
    let got: Vec<_> = det
        .detect_batch(&images)
        .into_iter()
        .map(|r| r.unwrap().detections)
        .collect();
    assert_eq!(got, expected);

    let bytes = std::fs::read(assets::image("bus.jpg")).unwrap();
    let inputs: [&[u8]; 3] = [&bytes, b"not an image", &bytes];
    let opts = DetectOptions::default();
    let got = det.detect_bytes_batch(&inputs, &opts);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].as_ref().unwrap().detections, expected[0]);
    assert!(got[1].is_err());
    assert_eq!(got[2].as_ref().unwrap().detections, expected[0]);
    assert!(det.detect_batch(&[]).is_empty());
}
