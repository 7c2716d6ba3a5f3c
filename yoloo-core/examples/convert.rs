//! Convert Darknet `.cfg` + `.weights` into an `.onnx` file (raw YOLO head
//! outputs; anchors and class names in the model metadata).
//!
//! ```text
//! cargo run --release -p yoloo-core --example convert -- \
//!     models/yolov3-tiny.cfg models/yolov3-tiny.weights yolov3-tiny.onnx --size 416
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
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
    let proto = model.to_onnx(w, h, labels.as_ref().map(|l| l.names()))?;
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
