//! The Darknet weights loader: the header, then the floats for a cfg, and
//! the whole model (cfg + weights) converted to ONNX in memory.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use yoloo_core::darknet::{DarknetModel, cfg::Cfg, weights};
use yoloo_fuzz::TINY_CFG;

fn cfg() -> &'static Cfg {
    static CFG: OnceLock<Cfg> = OnceLock::new();
    CFG.get_or_init(|| Cfg::parse(TINY_CFG).expect("the tiny cfg parses"))
}

fuzz_target!(|data: &[u8]| {
    let _ = weights::read_header(data);
    if let Ok(w) = weights::parse(cfg(), data) {
        let model = DarknetModel {
            cfg: cfg().clone(),
            weights: w,
        };
        let _ = model.to_onnx(32, 32, None);
    }
});
