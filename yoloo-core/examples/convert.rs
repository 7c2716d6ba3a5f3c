//! Convert Darknet `.cfg` + `.weights` into an `.onnx` file (raw YOLO head
//! outputs; anchors and class names in the model metadata).
//!
//! ```text
//! cargo run --release -p yoloo-core --example convert -- \
//!     models/yolov3-tiny.cfg models/yolov3-tiny.weights yolov3-tiny.onnx --size 416
//! ```
//!
//! With `--int8 --calibrate DIR` the file is a QDQ int8 model instead,
//! calibrated on the photos in DIR (see `yoloo_core::quantize`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use yoloo_core::engine::{Backend, EngineConfig, Precision};
use yoloo_core::quantize::{Calibration, QuantizeOptions, quantize_with_photos};
use yoloo_core::{Labels, darknet};

#[derive(Parser, Debug)]
#[command(about = "Convert a Darknet .cfg + .weights pair to ONNX")]
struct Args {
    /// Darknet network description.
    cfg: PathBuf,
    /// Darknet weights.
    weights: PathBuf,
    /// Output .onnx file.
    out: PathBuf,
    /// Input size (a multiple of 32) [default: the cfg's width/height].
    #[arg(long)]
    size: Option<usize>,
    /// Class names to embed [default: coco.names beside the cfg, if present].
    #[arg(long)]
    names: Option<PathBuf>,
    /// Write an int8 QDQ model (needs --calibrate).
    #[arg(long, requires = "calibrate")]
    int8: bool,
    /// Folder of calibration photos for --int8.
    #[arg(long)]
    calibrate: Option<PathBuf>,
    /// Activation range selection: minmax, percentile[:P] or entropy.
    #[arg(long, default_value = "minmax")]
    calibration: Calibration,
    /// Also keep the N most sensitive convolutions in float (a per-layer pass).
    #[arg(long, default_value_t = 0)]
    keep_float: usize,
    /// Quantize the first convolution too (default: kept in float).
    #[arg(long)]
    quantize_first: bool,
    /// Quantize the head convolutions too (default: kept in float).
    #[arg(long)]
    quantize_heads: bool,
    /// 7-bit weights, for u8×s8 kernels without VNNI.
    #[arg(long)]
    reduce_range: bool,
    /// Engine the calibration runs on (fp32).
    #[arg(long, default_value = "tract")]
    backend: Backend,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let model = darknet::load(&args.cfg, &args.weights).with_context(|| {
        format!(
            "reading {} and {}",
            args.cfg.display(),
            args.weights.display()
        )
    })?;
    let (w, h) = args
        .size
        .map_or((model.cfg.width, model.cfg.height), |s| (s, s));
    if w % 32 != 0 || h % 32 != 0 {
        anyhow::bail!("input size {w}×{h} is not a multiple of 32");
    }
    let names_path = args
        .names
        .clone()
        .or_else(|| Some(args.cfg.with_file_name("coco.names")).filter(|p| p.is_file()));
    let labels = names_path.map(Labels::from_file).transpose()?;
    let mut proto = model.to_onnx(w, h, labels.as_ref().map(|l| l.names()))?;
    if args.int8 {
        let dir = args
            .calibrate
            .as_deref()
            .context("--int8 needs --calibrate DIR")?;
        let engine = EngineConfig::new(args.backend, Precision::Fp32, 2, (w as u32, h as u32));
        let options = QuantizeOptions {
            calibration: args.calibration,
            float_first_conv: !args.quantize_first,
            float_head_convs: !args.quantize_heads,
            float_most_sensitive: args.keep_float,
            reduce_range: args.reduce_range,
            ..QuantizeOptions::default()
        };
        let (qdq, report) = quantize_with_photos(&proto, dir, &engine, &options)
            .with_context(|| format!("calibrating on {}", dir.display()))?;
        println!("{report}");
        proto = qdq;
    }
    darknet::write_onnx(&proto, &args.out)?;
    let heads = model.cfg.heads();
    println!(
        "wrote {} ({w}×{h} input, {} layers, {} YOLO heads, {} classes{})",
        args.out.display(),
        model.cfg.layers.len(),
        heads.len(),
        heads.first().map_or(0, |h| h.num_classes),
        labels.map_or(String::new(), |l| format!(", {} names embedded", l.len())),
    );
    Ok(())
}
