//! `Detector::detect_bytes`: sniffing, the pixel limit read from the
//! header, decoding (every format the `image` crate reads here), EXIF
//! orientation, preprocessing and a real inference on a tiny network.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use yoloo_core::Detector;
use yoloo_core::detector::DetectOptions;

fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(yoloo_fuzz::tiny_detector)
}

fuzz_target!(|data: &[u8]| {
    let d = detector();
    let _ = d.detect_bytes(data, &DetectOptions::default());
});
