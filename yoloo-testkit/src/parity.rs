//! Detections against a family's reference, as recorded in a fixture of
//! `scripts/make_opencv_reference.py` or `scripts/make_family_reference.py`:
//! `{"images": {name: {"width", "height", "thresholds": {"0.5": {"detections":
//! [{"label", "confidence", "x1", "y1", "x2", "y2"}], …}}}}}`.
//!
//! Tolerances ([`FP32`], the same for every family): same classes and
//! counts, every matched box IoU ≥ 0.97 and |Δconfidence| ≤ 0.02; a
//! detection whose score is within 0.02 of the threshold, on either side,
//! may flip in or out, and is reported.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;
use yoloo_core::detector::DetectOptions;
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{BBox, Detection, Detector};

/// How far a detection may be from the reference's.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Every matched box has at least this IoU with the reference's.
    pub min_iou: f32,
    /// And its confidence is at most this far.
    pub max_dconf: f32,
    /// A detection this close to the threshold may be missing or extra.
    pub flip_margin: f32,
}

/// The fp32 tolerances.
pub const FP32: Tolerance = Tolerance {
    min_iou: 0.97,
    max_dconf: 0.02,
    flip_margin: 0.02,
};

/// What one comparison measured.
#[derive(Debug, Default)]
pub struct Report {
    pub matched: usize,
    pub worst_iou: f32,
    pub worst_dconf: f32,
    pub flips: Vec<String>,
    pub failures: Vec<String>,
}

impl Report {
    /// Prints the figures (under `what`) and fails on any failure, or when
    /// fewer than `min_matched` detections were compared.
    pub fn assert_ok(&self, what: &str, min_matched: usize) {
        eprintln!(
            "parity {what}: {} matched detections; worst IoU {:.4}, worst |Δconf| {:.4}, {} flips",
            self.matched,
            self.worst_iou,
            self.worst_dconf,
            self.flips.len()
        );
        for f in &self.flips {
            eprintln!("parity {what}: allowed flip: {f}");
        }
        assert!(
            self.matched >= min_matched,
            "{what}: too few detections compared ({}); is the fixture right?",
            self.matched
        );
        assert!(
            self.failures.is_empty(),
            "{what}: parity failures:\n{}",
            self.failures.join("\n")
        );
    }
}

/// The photo `name` with OpenCV's pixels: a JPEG re-encoded losslessly as
/// PNG after `cv2.imread` (`$YOLOO_PYTHON`, else `python3`, with OpenCV:
/// `scripts/requirements-test.txt`), a PNG as it is.
///
/// JPEG decoders differ by a few levels per pixel (the `image` crate's vs
/// libjpeg-turbo in OpenCV); comparing on the same pixels measures the
/// model pipeline alone.
pub fn opencv_pixels(name: &str) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    // Tests run in parallel: one converts, the others wait for it.
    static CONVERTING: Mutex<()> = Mutex::new(());
    let src = crate::assets::image(name);
    if !name.to_ascii_lowercase().ends_with(".jpg") {
        return src;
    }
    let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
    let png = dir.path().join(Path::new(name).with_extension("png"));
    let _one_at_a_time = CONVERTING.lock().unwrap_or_else(|e| e.into_inner());
    if !png.is_file() {
        let python = std::env::var("YOLOO_PYTHON").unwrap_or_else(|_| "python3".into());
        let status = std::process::Command::new(&python)
            .args([
                "-c",
                "import sys, cv2; cv2.imwrite(sys.argv[2], cv2.imread(sys.argv[1], cv2.IMREAD_COLOR))",
            ])
            .arg(&src)
            .arg(&png)
            .status()
            .unwrap_or_else(|e| panic!("running {python}: {e}"));
        assert!(
            status.success() && png.is_file(),
            "{python} could not decode {} with OpenCV (pip install -r scripts/requirements-test.txt)",
            src.display()
        );
    }
    png
}

/// Reads a fixture of `yoloo-core/tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let path = crate::assets::root()
        .join("yoloo-core/tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Compares `detector` with every image and threshold of `fixture`, each
/// image read from `image_path(name)`, with `options(threshold)`.
pub fn compare(
    detector: &Detector,
    fixture: &Value,
    image_path: impl Fn(&str) -> std::path::PathBuf,
    options: impl Fn(f32) -> DetectOptions,
    tol: Tolerance,
) -> Report {
    let mut report = Report {
        worst_iou: 1.0,
        ..Report::default()
    };
    for (name, entry) in fixture["images"].as_object().unwrap() {
        let image = open_image(&image_path(name), &DecodeLimits::default()).unwrap();
        assert_eq!(
            u64::from(image.width()),
            entry["width"].as_u64().unwrap(),
            "{name}"
        );
        for (threshold, expected) in entry["thresholds"].as_object().unwrap() {
            let t: f32 = threshold.parse().unwrap();
            let ours = detector
                .detect_with(&image, &options(t))
                .unwrap()
                .detections;
            let at = format!("{name}@{t}");
            let size = (image.width(), image.height());
            compare_one(&mut report, &at, t, &ours, expected, size, tol);
        }
    }
    report
}

/// Compares one image's detections at threshold `t` with the reference ones.
pub fn compare_one(
    report: &mut Report,
    at: &str,
    t: f32,
    ours: &[Detection],
    expected: &Value,
    (width, height): (u32, u32),
    tol: Tolerance,
) {
    let Tolerance {
        min_iou,
        max_dconf,
        flip_margin,
    } = tol;
    let (w, h) = (width as f32, height as f32);
    let reference: Vec<(String, f32, BBox)> = expected["detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let f = |k: &str| d[k].as_f64().unwrap() as f32;
            (
                d["label"].as_str().unwrap().to_owned(),
                f("confidence"),
                // Our boxes are clipped to the image; clip the reference the same way.
                BBox::new(f("x1"), f("y1"), f("x2"), f("y2")).clamp(w, h),
            )
        })
        .collect();
    let mut used = vec![false; ours.len()];
    for (label, confidence, bbox) in &reference {
        let best = ours
            .iter()
            .enumerate()
            .filter(|(i, d)| !used[*i] && d.label == *label)
            .map(|(i, d)| (i, d.bbox.iou(bbox)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((i, iou)) if iou >= 0.5 => {
                used[i] = true;
                report.matched += 1;
                let dconf = (ours[i].confidence - confidence).abs();
                report.worst_iou = report.worst_iou.min(iou);
                report.worst_dconf = report.worst_dconf.max(dconf);
                if iou < min_iou || dconf > max_dconf {
                    report.failures.push(format!(
                        "{at}: {label} {confidence:.3} matched ours {:.3} with IoU {iou:.4}, Δconf {dconf:.4}",
                        ours[i].confidence
                    ));
                }
            }
            _ if (confidence - t).abs() <= flip_margin => report.flips.push(format!(
                "{at}: reference {label} {confidence:.4} not found (within {flip_margin} of the threshold)"
            )),
            _ => report.failures.push(format!(
                "{at}: reference {label} {confidence:.3} at {bbox:?} not found"
            )),
        }
    }
    for (d, _) in ours.iter().zip(&used).filter(|(_, u)| !**u) {
        if (d.confidence - t).abs() <= flip_margin {
            report.flips.push(format!(
                "{at}: extra {} {:.4} (within {flip_margin} of the threshold)",
                d.label, d.confidence
            ));
        } else {
            report.failures.push(format!(
                "{at}: extra detection {} {:.3} [{:.1}, {:.1}, {:.1}, {:.1}]",
                d.label, d.confidence, d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2
            ));
        }
    }
}
