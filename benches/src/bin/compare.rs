//! yoloo's side of the engine comparison (`benches/compare.py`).
//!
//! Each subcommand measures one thing in this process and prints one JSON
//! object on stdout; the Python driver runs ONNX Runtime and OpenCV on the
//! same files and builds the table. Run it through `benches/compare.py`; by
//! hand:
//!
//! ```text
//! compare prepare --cache DIR                       # seeded YOLOv3, ONNX exports, synthetic heads
//! compare latency --model M.cfg --threads T --image I [--iters N --warmup W]
//! compare throughput --model M.cfg --workers K --threads T --image I [--rounds R --per-round P]
//! compare preprocess --image I [--iters N]
//! compare decode-nms --heads DIR/heads.json [--iters N]
//! compare pipeline --model M.cfg --threads T --image I.jpg [--iters N]
//! compare pipeline-throughput --model M.cfg --threads T --image I.jpg [--batch] [--rounds R --per-round P]
//! compare detections --model M --threads T --images DIR --names a.png,b.jpg --thresholds 0.5,0.25
//! ```
//!
//! Every model-running subcommand takes `--backend tract|onnxruntime|openvino`
//! and `--precision fp32|bf16|int8`; `--model` is a Darknet cfg or an `.onnx`
//! file (a QDQ one for int8).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use ndarray::{Array4, ArrayD};
use rand::{Rng, SeedableRng};
use serde_json::json;
use yoloo_benches::fixtures;
use yoloo_core::decode::{Candidate, YoloHead, decode};
use yoloo_core::detector::DetectOptions;
use yoloo_core::engine::EngineConfig;
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::layout::Family;
use yoloo_core::nms::{NmsConfig, nms};
use yoloo_core::preprocess::{Preprocessor, Transform, preprocess, preprocess_format};
use yoloo_core::quantize::{QuantizeOptions, quantize_with_photos};
use yoloo_core::{Backend, Detector, Labels, Precision, ResizeMode, darknet};

/// Seed of the generated full-YOLOv3 weights (every engine reads the same file).
const FULL_SEED: u64 = 20_260_611;
/// Seed of the synthetic head outputs for decode + NMS.
const HEADS_SEED: u64 = 42;

#[derive(Parser)]
#[command(about = "yoloo's measurements for benches/compare.py (JSON on stdout)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Writes the seeded full YOLOv3 (cfg + weights), the ONNX exports of it
    /// and of yolov3-tiny, and synthetic full-size head outputs, into DIR
    /// (files already there are kept).
    Prepare {
        #[arg(long)]
        cache: PathBuf,
        #[arg(long, default_value_t = 416)]
        size: usize,
    },
    /// One inference on a preprocessed input, `iters` times.
    Latency {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        threads: usize,
        #[arg(long)]
        image: PathBuf,
        #[command(flatten)]
        reps: Reps,
    },
    /// Inferences per second: `workers` callers share one detector whose
    /// inferences use `threads` threads each.
    Throughput {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        workers: usize,
        #[arg(long)]
        threads: usize,
        #[arg(long)]
        image: PathBuf,
        #[command(flatten)]
        rounds: Rounds,
    },
    /// Decoded image → `[1, 3, 416, 416]` planes (stretch), one thread:
    /// `Preprocessor::preprocess_into` a reused buffer, and `preprocess`.
    Preprocess {
        #[arg(long)]
        image: PathBuf,
        #[arg(long, default_value_t = 416)]
        size: u32,
        #[command(flatten)]
        reps: Reps,
    },
    /// Decode + class-agnostic NMS of the synthetic heads `prepare` wrote.
    DecodeNms {
        #[arg(long)]
        heads: PathBuf,
        #[command(flatten)]
        reps: Reps,
    },
    /// Encoded image → detections (`Detector::detect_bytes`).
    Pipeline {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        threads: usize,
        #[arg(long)]
        image: PathBuf,
        #[command(flatten)]
        reps: Reps,
    },
    /// Detections (confidence, class-agnostic NMS 0.4, stretch) for each
    /// named photo at each threshold, as JSON (for the fidelity columns).
    Detections {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long, default_value_t = 2)]
        threads: usize,
        #[arg(long)]
        images: PathBuf,
        #[arg(long, value_delimiter = ',')]
        names: Vec<String>,
        #[arg(long, value_delimiter = ',', default_value = "0.5,0.25")]
        thresholds: Vec<f32>,
    },
    /// Encoded images → detections per second: `Detector::detect_bytes_batch`
    /// (images in parallel) with --batch, else one `detect_bytes` after another.
    PipelineThroughput {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        threads: usize,
        #[arg(long)]
        image: PathBuf,
        #[arg(long)]
        batch: bool,
        #[command(flatten)]
        rounds: Rounds,
    },
}

#[derive(clap::Args)]
struct ModelArgs {
    /// Darknet cfg (weights beside it unless --weights).
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    weights: Option<PathBuf>,
    #[arg(long, default_value = "tract")]
    backend: Backend,
    #[arg(long, default_value = "fp32")]
    precision: Precision,
}

#[derive(clap::Args)]
struct Reps {
    #[arg(long, default_value_t = 20)]
    iters: usize,
    #[arg(long, default_value_t = 2)]
    warmup: usize,
}

#[derive(clap::Args)]
struct Rounds {
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    #[arg(long, default_value_t = 8)]
    per_round: usize,
    #[arg(long, default_value_t = 1)]
    warmup_rounds: usize,
}

/// The original app's settings: confidence 0.5, class-agnostic NMS at 0.4,
/// and no cap on the number of detections (the peers have none).
fn original_options() -> DetectOptions {
    DetectOptions {
        confidence: 0.5,
        iou: 0.4,
        agnostic: true,
        max_detections: usize::MAX,
        ..DetectOptions::default()
    }
}

fn detector(m: &ModelArgs, threads: usize) -> Result<(Detector, f64)> {
    let t = Instant::now();
    let mut b = Detector::builder(&m.model)
        .threads(threads)
        .backend(m.backend)
        .precision(m.precision)
        .options(original_options());
    if let Some(w) = &m.weights {
        b = b.weights(w);
    }
    let d = b
        .build()
        .with_context(|| format!("loading {}", m.model.display()))?;
    Ok((d, ms_since(t)))
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Runs `f` `warmup` times untimed, then `iters` times, returning each time in ms.
fn time_it(reps: &Reps, mut f: impl FnMut() -> Result<()>) -> Result<Vec<f64>> {
    for _ in 0..reps.warmup {
        f()?;
    }
    let mut out = Vec::with_capacity(reps.iters);
    for _ in 0..reps.iters.max(1) {
        let t = Instant::now();
        f()?;
        out.push(ms_since(t));
    }
    Ok(out)
}

/// The input the model's family feeds it: OpenCV's stretch for Darknet
/// models (the blob the peers get), the family's letterbox otherwise.
fn network_input(d: &Detector, image: &Path) -> Result<Array4<f32>> {
    let img = open_image(image, &DecodeLimits::default())?;
    let (w, h) = d.input_size();
    let m = d.model();
    let resize = if m.family == Family::Darknet {
        ResizeMode::Stretch
    } else {
        ResizeMode::Letterbox
    };
    Ok(preprocess_format(&img, w, h, resize, &m.format)?.0)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let out = match cli.cmd {
        Cmd::Prepare { cache, size } => prepare(&cache, size)?,
        Cmd::Latency {
            model,
            threads,
            image,
            reps,
        } => {
            let (d, load_ms) = detector(&model, threads)?;
            let x = network_input(&d, &image)?.into_dyn();
            let samples = time_it(&reps, || {
                black_box(d.run(x.clone())?);
                Ok(())
            })?;
            json!({ "load_ms": load_ms, "samples_ms": samples })
        }
        Cmd::Throughput {
            model,
            workers,
            threads,
            image,
            rounds,
        } => {
            let (d, load_ms) = detector(&model, threads)?;
            let x = network_input(&d, &image)?.into_dyn();
            let ips = throughput(&rounds, workers, || {
                black_box(d.run(x.clone())?);
                Ok(())
            })?;
            json!({ "load_ms": load_ms, "rounds_ips": ips })
        }
        Cmd::Preprocess { image, size, reps } => {
            let img = open_image(&image, &DecodeLimits::default())?;
            // The hot path: a reused Preprocessor writing into a reused buffer.
            let mut pre = Preprocessor::new();
            let mut buf = vec![0.0f32; 3 * size as usize * size as usize];
            let samples = time_it(&reps, || {
                let t = pre.preprocess_into(
                    black_box(&img),
                    size,
                    size,
                    ResizeMode::Stretch,
                    &mut buf,
                )?;
                black_box((&buf, t));
                Ok(())
            })?;
            // The one-off call: allocates (and zeroes) a new tensor each time.
            let alloc = time_it(&reps, || {
                black_box(preprocess(
                    black_box(&img),
                    size,
                    size,
                    ResizeMode::Stretch,
                )?);
                Ok(())
            })?;
            json!({ "samples_ms": samples, "alloc_samples_ms": alloc, "width": img.width(), "height": img.height() })
        }
        Cmd::DecodeNms { heads, reps } => decode_nms(&heads, &reps)?,
        Cmd::Detections {
            model,
            threads,
            images,
            names,
            thresholds,
        } => {
            let (d, load_ms) = detector(&model, threads)?;
            let mut out = serde_json::Map::new();
            for name in &names {
                let img = open_image(&images.join(name), &DecodeLimits::default())?;
                let mut per = serde_json::Map::new();
                for &t in &thresholds {
                    let opts = DetectOptions {
                        confidence: t,
                        max_detections: 1000,
                        ..original_options()
                    };
                    let found: Vec<_> = d
                        .detect_with(&img, &opts)?
                        .detections
                        .iter()
                        .map(|x| {
                            json!({"label": x.label, "confidence": x.confidence,
                                   "x1": x.bbox.x1, "y1": x.bbox.y1, "x2": x.bbox.x2, "y2": x.bbox.y2})
                        })
                        .collect();
                    per.insert(t.to_string(), json!(found));
                }
                out.insert(name.clone(), json!(per));
            }
            let e = d.engine();
            json!({ "load_ms": load_ms, "images": out, "backend": e.backend, "precision": e.precision, "version": e.version })
        }
        Cmd::Pipeline {
            model,
            threads,
            image,
            reps,
        } => {
            let (d, load_ms) = detector(&model, threads)?;
            let bytes = std::fs::read(&image).with_context(|| image.display().to_string())?;
            let opts = original_options();
            let mut found = 0;
            let samples = time_it(&reps, || {
                found = black_box(d.detect_bytes(&bytes, &opts)?).detections.len();
                Ok(())
            })?;
            json!({ "load_ms": load_ms, "samples_ms": samples, "detections": found })
        }
        Cmd::PipelineThroughput {
            model,
            threads,
            image,
            batch,
            rounds,
        } => {
            let (d, load_ms) = detector(&model, threads)?;
            let bytes = std::fs::read(&image).with_context(|| image.display().to_string())?;
            let opts = original_options();
            let one_round = |n: usize| -> Result<f64> {
                let t = Instant::now();
                if batch {
                    let all = vec![bytes.as_slice(); n];
                    for r in d.detect_bytes_batch(&all, &opts) {
                        black_box(r?);
                    }
                } else {
                    for _ in 0..n {
                        black_box(d.detect_bytes(&bytes, &opts)?);
                    }
                }
                Ok(n as f64 / t.elapsed().as_secs_f64())
            };
            for _ in 0..rounds.warmup_rounds {
                one_round(threads.max(2))?;
            }
            let ips = (0..rounds.rounds.max(1))
                .map(|_| one_round(rounds.per_round.max(1)))
                .collect::<Result<Vec<_>>>()?;
            json!({ "load_ms": load_ms, "rounds_ips": ips })
        }
    };
    println!("{out}");
    Ok(())
}

/// Images per second over `rounds` rounds of `per_round` calls of `f`,
/// shared by `workers` threads.
fn throughput(
    rounds: &Rounds,
    workers: usize,
    f: impl Fn() -> Result<()> + Sync,
) -> Result<Vec<f64>> {
    let workers = workers.max(1);
    let round = |n: usize| -> Result<f64> {
        let next = AtomicUsize::new(0);
        let t = Instant::now();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| -> Result<()> {
                        while next.fetch_add(1, Ordering::Relaxed) < n {
                            f()?;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles
                .into_iter()
                .try_for_each(|h| h.join().expect("worker panicked"))
        })?;
        Ok(n as f64 / t.elapsed().as_secs_f64())
    };
    for _ in 0..rounds.warmup_rounds {
        round(workers)?;
    }
    (0..rounds.rounds.max(1))
        .map(|_| round(rounds.per_round.max(1)))
        .collect()
}

fn prepare(cache: &Path, size: usize) -> Result<serde_json::Value> {
    std::fs::create_dir_all(cache).with_context(|| cache.display().to_string())?;
    let names = Labels::from_file(fixtures::coco_names()?)?;
    let t = Instant::now();

    // The full YOLOv3 with seeded weights: written once, read by every engine.
    let full_cfg = cache.join("yolov3-seeded.cfg");
    let full_weights = cache.join("yolov3-seeded.weights");
    let cfg_text = fixtures::yolov3_cfg(size, 80);
    let fresh = std::fs::read_to_string(&full_cfg).ok().as_deref() != Some(cfg_text.as_str());
    if fresh || !full_weights.is_file() {
        let cfg = darknet::cfg::Cfg::parse(&cfg_text)?;
        let weights = fixtures::random_weights(&cfg, FULL_SEED)?;
        std::fs::write(&full_weights, weights)?;
        std::fs::write(&full_cfg, &cfg_text)?;
    }
    // yoloo finds coco.names beside the cfg.
    let names_copy = cache.join("coco.names");
    if !names_copy.is_file() {
        std::fs::copy(fixtures::coco_names()?, &names_copy)?;
    }

    let mut onnx = serde_json::Map::new();
    for (key, cfg, weights) in [
        (
            "yolov3-tiny",
            fixtures::tiny_cfg()?,
            fixtures::tiny_weights()?,
        ),
        ("yolov3", full_cfg.clone(), full_weights.clone()),
    ] {
        let path = cache.join(format!("{key}-{size}.onnx"));
        let stale = match (std::fs::metadata(&path), std::fs::metadata(&weights)) {
            (Ok(o), Ok(w)) => o.modified()? < w.modified()?,
            _ => true,
        };
        if stale {
            let model = darknet::load(&cfg, &weights)?;
            let proto = model.to_onnx(size, size, Some(names.names()))?;
            darknet::write_onnx(&proto, &path)?;
        }
        onnx.insert(key.into(), json!(path));
    }

    // int8 QDQ files, calibrated on assets/calibration (none of them a test photo).
    let calibration = fixtures::calibration_dir()?;
    let mut int8 = serde_json::Map::new();
    for key in ["yolov3-tiny", "yolov3"] {
        let fp32 = PathBuf::from(onnx[key].as_str().context("onnx path")?);
        // The calibration method in the name: a new default makes a new file.
        let options = QuantizeOptions::default();
        let method = options.calibration.to_string().replace(' ', "");
        let path = cache.join(format!("{key}-{size}.int8-{method}.onnx"));
        let stale = match (std::fs::metadata(&path), std::fs::metadata(&fp32)) {
            (Ok(q), Ok(f)) => q.modified()? < f.modified()?,
            _ => true,
        };
        if stale {
            let proto = darknet::read_onnx(&fp32)?;
            let backend = if Backend::OnnxRuntime.is_built() {
                Backend::OnnxRuntime
            } else {
                Backend::Tract
            };
            let engine = EngineConfig::new(backend, Precision::Fp32, 2, (size as u32, size as u32));
            let (qdq, report) = quantize_with_photos(&proto, &calibration, &engine, &options)?;
            eprintln!("{key}: {report}");
            darknet::write_onnx(&qdq, &path)?;
        }
        int8.insert(key.into(), json!(path));
    }

    let heads = write_heads(cache)?;
    Ok(json!({
        "tiny_cfg": fixtures::tiny_cfg()?,
        "tiny_weights": fixtures::tiny_weights()?,
        "full_cfg": full_cfg,
        "full_weights": full_weights,
        "onnx": onnx,
        "int8": int8,
        "heads": heads,
        "seconds": t.elapsed().as_secs_f64(),
    }))
}

/// The three YOLOv3 heads at 416 (13², 26², 52² cells × 3 anchors = 10,647
/// candidates), with logits that look like a real network's: objectness
/// very negative except on 1 % of the anchors. Raw little-endian f32, one
/// file per head, described by `heads.json`.
fn write_heads(cache: &Path) -> Result<PathBuf> {
    let anchors = [
        [(116.0, 90.0), (156.0, 198.0), (373.0, 326.0)],
        [(30.0, 61.0), (62.0, 45.0), (59.0, 119.0)],
        [(10.0, 13.0), (16.0, 30.0), (33.0, 23.0)],
    ];
    let mut rng = rand::rngs::SmallRng::seed_from_u64(HEADS_SEED);
    let mut list = Vec::new();
    for (i, (g, anchors)) in [13usize, 26, 52].into_iter().zip(anchors).enumerate() {
        let mut bytes = Vec::with_capacity(255 * g * g * 4);
        for c in 0..255 {
            for _ in 0..g * g {
                let v: f32 = match c % 85 {
                    0..=3 => rng.random_range(-1.0..1.0),
                    4 if rng.random_bool(0.01) => rng.random_range(0.0..4.0),
                    4 => rng.random_range(-12.0..-4.0),
                    _ => rng.random_range(-8.0..2.0),
                };
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        let file = format!("head{i}.f32");
        std::fs::write(cache.join(&file), bytes)?;
        list.push(json!({ "file": file, "shape": [1, 255, g, g], "anchors": anchors }));
    }
    let meta = json!({ "input": [416, 416], "image": [810, 1080], "classes": 80, "heads": list });
    let path = cache.join("heads.json");
    std::fs::write(&path, serde_json::to_string_pretty(&meta)?)?;
    Ok(path)
}

fn decode_nms(meta_path: &Path, reps: &Reps) -> Result<serde_json::Value> {
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(meta_path)?)?;
    let dir = meta_path.parent().unwrap_or(Path::new("."));
    let num = |v: &serde_json::Value| -> Result<u64> { v.as_u64().context("number") };
    let (iw, ih) = (
        num(&meta["input"][0])? as u32,
        num(&meta["input"][1])? as u32,
    );
    let (w, h) = (
        num(&meta["image"][0])? as u32,
        num(&meta["image"][1])? as u32,
    );
    let classes = num(&meta["classes"])? as usize;
    let mut outs = Vec::new();
    let mut heads = Vec::new();
    for head in meta["heads"].as_array().context("heads")? {
        let shape: Vec<usize> = head["shape"]
            .as_array()
            .context("shape")?
            .iter()
            .map(|v| num(v).map(|n| n as usize))
            .collect::<Result<_>>()?;
        let bytes = std::fs::read(dir.join(head["file"].as_str().context("file")?))?;
        let data: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        outs.push(ArrayD::from_shape_vec(shape, data)?);
        let anchors = head["anchors"]
            .as_array()
            .context("anchors")?
            .iter()
            .map(|a| {
                Ok((
                    a[0].as_f64().context("a")? as f32,
                    a[1].as_f64().context("a")? as f32,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        heads.push(YoloHead::new(anchors, classes));
    }
    if outs.is_empty() {
        bail!("no heads in {}", meta_path.display());
    }
    let views: Vec<_> = outs.iter().map(|o| o.view()).collect();
    let rows: usize = outs.iter().map(|o| o.len() / 85).sum();
    let opts = original_options();
    let cfg = NmsConfig {
        iou_threshold: opts.iou,
        agnostic: opts.agnostic,
        max_detections: opts.max_detections,
    };
    let transform = Transform::new(ResizeMode::Stretch, w, h, iw, ih);
    let mut candidates: Vec<Candidate> = Vec::with_capacity(1024);
    let (mut n_candidates, mut kept) = (0, 0);
    let samples = time_it(reps, || {
        candidates.clear();
        decode(&views, &heads, iw, ih, opts.confidence, &mut candidates)?;
        for c in &mut candidates {
            c.bbox = transform.to_source(c.bbox).clamp(w as f32, h as f32);
        }
        n_candidates = candidates.len();
        kept = black_box(nms(&candidates, &cfg)).len();
        Ok(())
    })?;
    Ok(json!({ "samples_ms": samples, "rows": rows, "candidates": n_candidates, "kept": kept }))
}
