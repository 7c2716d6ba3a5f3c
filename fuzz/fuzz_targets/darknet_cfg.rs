//! The Darknet cfg parser, and what is computed from a parsed cfg: layer
//! shapes, YOLO heads, the weights it expects.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yoloo_core::darknet::{cfg::Cfg, weights};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(cfg) = Cfg::parse(&text) {
        let _ = cfg.heads();
        let _ = weights::expected_floats(&cfg);
        // Shapes at the cfg's own size and at a small one.
        let _ = cfg.shapes(cfg.width, cfg.height);
        let _ = cfg.shapes(64, 64);
    }
});
