//! The ONNX / Ultralytics metadata parser: `key\0value` pairs, one per line
//! (`names` is a Python dict literal, `imgsz`/`stride` lists, `args` a dict).
#![no_main]

use libfuzzer_sys::fuzz_target;
use yoloo_core::metadata::{ModelMetadata, parse_names};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let props: Vec<(&str, &str)> = text
        .split('\n')
        .map(|line| line.split_once('\0').unwrap_or(("names", line)))
        .collect();
    if let Ok(meta) = ModelMetadata::from_props(props.iter().copied()) {
        let _ = meta.is_ultralytics();
    }
    let _ = parse_names(&text);
});
