//! Detect objects in images with a YOLO model of any family yoloo runs:
//! Darknet `.cfg`/`.weights` (YOLOv3, YOLOv4 and their tiny versions), or an
//! ONNX export (yoloo's `convert`, Ultralytics YOLOv8/YOLO11/YOLOv5, YOLOX).
//!
//! ```text
//! cargo run --release -p yoloo-core --example detect -- \
//!     --model models/yolov3-tiny.cfg --out out/ assets/images/bus.jpg
//! cargo run --release -p yoloo-core --example detect -- --model models/yolov8n.onnx assets/images/bus.jpg
//! ```
//!
//! Preprocessing and the defaults of `--resize`, `--confidence`, `--iou`
//! and NMS are the model family's own (Ultralytics: letterbox, 0.25, 0.7;
//! Darknet: stretch, 0.5, 0.4); the flags override them.
//!
//! With `--json`, one JSON object per image per line. `--backend onnxruntime`
//! or `openvino` needs the example built with the feature of the same name
//! (`--features yoloo-core/onnxruntime`) and the library fetched by
//! `python3 scripts/fetch_assets.py --runtimes`; `--precision int8` on a
//! float model needs `--calibrate DIR` (photos to calibrate on).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use serde_json::json;
use yoloo_core::detector::{DetectOptions, Detections, DetectorConfig};
use yoloo_core::draw::{DrawStyle, annotate};
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{Backend, Detector, Precision, ResizeMode};

#[derive(Parser, Debug)]
#[command(about = "Detect objects in images with a YOLO model (Darknet .cfg/.weights or .onnx)")]
struct Args {
    /// Model: a Darknet .cfg (weights beside it) or an .onnx export.
    #[arg(long)]
    model: PathBuf,
    /// Darknet weights [default: the cfg's path with .weights].
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Class names, one per line [default: coco.names beside the model].
    #[arg(long)]
    names: Option<PathBuf>,
    /// Network input size (a multiple of 32) [default: the model's].
    #[arg(long)]
    size: Option<u32>,
    /// How images are fitted to the input (`stretch` or `letterbox`, the
    /// family's own letterbox) [default: the model family's].
    #[arg(long)]
    resize: Option<ResizeMode>,
    /// Minimum confidence [default: the model family's, e.g. 0.5 Darknet, 0.25 Ultralytics].
    #[arg(long)]
    confidence: Option<f32>,
    /// NMS IoU threshold [default: the model family's, e.g. 0.4 Darknet, 0.7 Ultralytics].
    #[arg(long)]
    iou: Option<f32>,
    /// Class-agnostic NMS [default: the model family's].
    #[arg(long)]
    agnostic: bool,
    /// At most this many detections per image [default: the model family's].
    #[arg(long)]
    max_detections: Option<usize>,
    /// Threads per inference [default: all cores].
    #[arg(long)]
    threads: Option<usize>,
    /// Inference engine: tract, onnxruntime or openvino.
    #[arg(long, default_value = "tract")]
    backend: Backend,
    /// Inference precision: fp32, bf16 or int8.
    #[arg(long, default_value = "fp32")]
    precision: Precision,
    /// The engine's shared library, file or folder [default: YOLOO_ORT_LIB /
    /// YOLOO_OPENVINO_LIB, else runtimes/<backend>/].
    #[arg(long)]
    library: Option<PathBuf>,
    /// Calibration photos (a folder) for --precision int8 on a float model.
    #[arg(long)]
    calibrate: Option<PathBuf>,
    /// Run each image R times and report each stage's median time.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Print one JSON object per image per line.
    #[arg(long)]
    json: bool,
    /// Write annotated images into this folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Images to process.
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool> {
    let args = Args::parse();
    let mut config = DetectorConfig::default();
    if let Some(s) = args.size {
        config.input_size = Some((s, s));
    }
    if let Some(t) = args.threads {
        config.threads = t;
    }
    config.backend = args.backend;
    config.precision = args.precision;
    config.library = args.library.clone();
    config.calibration = args.calibrate.clone();
    let mut builder = Detector::builder(&args.model).config(config);
    if let Some(w) = &args.weights {
        builder = builder.weights(w);
    }
    if let Some(n) = &args.names {
        builder = builder.names(n);
    }
    let detector = builder
        .build()
        .with_context(|| format!("loading {}", args.model.display()))?;
    let options = options(&args, detector.options());
    options.validate()?;
    let engine = detector.engine();
    if !args.json {
        let m = detector.model();
        eprintln!(
            "{}: {} ({} head), {}×{} input, classes: {}; confidence {}, IoU {}, {}; on {} {} ({}), {}, {} threads",
            detector.name(),
            m.family,
            m.layout.name(),
            m.input.0,
            m.input.1,
            detector.labels().len(),
            options.confidence,
            options.iou,
            options.resize,
            engine.backend,
            engine.version,
            engine
                .library
                .as_ref()
                .map_or_else(|| "built in".into(), |p| p.display().to_string()),
            engine.precision,
            engine.threads
        );
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    }

    let mut all_ok = true;
    for path in &args.images {
        if let Err(e) = process(&detector, &options, &args, path) {
            all_ok = false;
            if args.json {
                println!(
                    "{}",
                    json!({"image": path.display().to_string(), "error": format!("{e:#}")})
                );
            } else {
                eprintln!("{}: {e:#}", path.display());
            }
        }
    }
    Ok(all_ok)
}

/// The model family's defaults, overridden by the flags given.
fn options(args: &Args, defaults: &DetectOptions) -> DetectOptions {
    DetectOptions {
        confidence: args.confidence.unwrap_or(defaults.confidence),
        iou: args.iou.unwrap_or(defaults.iou),
        agnostic: args.agnostic || defaults.agnostic,
        resize: args.resize.unwrap_or(defaults.resize),
        max_detections: args.max_detections.unwrap_or(defaults.max_detections),
        classes: None,
    }
}

fn process(detector: &Detector, options: &DetectOptions, args: &Args, path: &Path) -> Result<()> {
    let image = open_image(path, &DecodeLimits::default())?;
    let mut runs: Vec<Detections> = Vec::with_capacity(args.repeat as usize);
    for _ in 0..args.repeat {
        runs.push(detector.detect_with(&image, options)?);
    }
    let stage = |f: fn(&Detections) -> Duration| ms(median(runs.iter().map(f).collect()));
    let (pre, inf, post) = (
        stage(|r| r.timings.preprocess),
        stage(|r| r.timings.inference),
        stage(|r| r.timings.postprocess),
    );
    let result = runs.pop().context("no run")?;

    if args.json {
        let detections: Vec<_> = result
            .detections
            .iter()
            .map(|d| {
                json!({"class_id": d.class_id, "label": d.label, "confidence": d.confidence,
                       "x1": d.bbox.x1, "y1": d.bbox.y1, "x2": d.bbox.x2, "y2": d.bbox.y2})
            })
            .collect();
        println!(
            "{}",
            json!({"image": path.display().to_string(), "width": result.width, "height": result.height,
                   "detections": detections,
                   "timings_ms": {"preprocess": pre, "inference": inf, "postprocess": post}})
        );
    } else {
        println!(
            "{} ({}x{}): {} detections; preprocess {pre} ms, inference {inf} ms, postprocess {post} ms",
            path.display(),
            result.width,
            result.height,
            result.detections.len()
        );
        for d in &result.detections {
            let b = d.bbox;
            println!(
                "  {d:<20} [{:.0}, {:.0}, {:.0}, {:.0}]",
                b.x1, b.y1, b.x2, b.y2
            );
        }
    }
    if let Some(out) = &args.out {
        let annotated = annotate(&image, &result.detections, &DrawStyle::default());
        let stem = path
            .file_stem()
            .map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
        let dest = out.join(format!("{stem}.jpg"));
        annotated
            .save(&dest)
            .with_context(|| format!("writing {}", dest.display()))?;
        if !args.json {
            println!("  wrote {}", dest.display());
        }
    }
    Ok(())
}
