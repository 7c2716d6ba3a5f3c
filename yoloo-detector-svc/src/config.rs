//! Service configuration: command-line flags, each with an environment
//! variable (12-factor). `yoloo-detector-svc --help` lists them all.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use yoloo_core::preprocess::ResizeMode;
use yoloo_core::{Backend, Precision};

/// Which engine runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendSetting {
    /// The first of [`yoloo_core::engine::auto_order`] whose library is present.
    Auto,
    /// This one, or fail at start-up.
    Fixed(Backend),
}

impl std::fmt::Display for BackendSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendSetting::Auto => f.write_str("auto"),
            BackendSetting::Fixed(b) => b.fmt(f),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, one line per event.
    Pretty,
    /// One JSON object per line (for log collectors).
    Json,
}

/// A stateless HTTP object-detection service around yoloo-core.
///
/// Every flag can also be set through the environment variable named after it.
#[derive(Debug, Clone, Parser)]
#[command(name = "yoloo-detector-svc", version, about, long_about = None)]
pub struct Config {
    /// Model: a Darknet `.cfg` (with its `.weights` beside it) or an `.onnx` file.
    #[arg(long, env = "YOLOO_MODEL", default_value = "models/yolov3-tiny.cfg")]
    pub model: PathBuf,

    /// Darknet weights, when not next to the `.cfg` under the same stem.
    #[arg(long, env = "YOLOO_WEIGHTS")]
    pub weights: Option<PathBuf>,

    /// Class names, one per line (default: `coco.names` beside the model, else
    /// the names stored in the ONNX, else `class0`, `class1`, …).
    #[arg(long, env = "YOLOO_NAMES")]
    pub names: Option<PathBuf>,

    /// Network input size WxH (multiples of 32), e.g. `416x416` or `608`; default: the model's own.
    #[arg(long, env = "YOLOO_INPUT_SIZE", value_parser = parse_size)]
    pub input_size: Option<(u32, u32)>,

    /// Inference engine: `auto` (the first of onnxruntime, openvino, tract
    /// whose library is present; bf16 only openvino), `tract`, `onnxruntime` or `openvino`.
    #[arg(long, env = "YOLOO_BACKEND", default_value = "auto", value_parser = parse_backend)]
    pub backend: BackendSetting,

    /// Inference precision: `fp32`, `bf16` (OpenVINO on a CPU with AVX-512 BF16/AMX) or `int8`.
    #[arg(long, env = "YOLOO_PRECISION", default_value = "fp32", value_parser = parse_precision)]
    pub precision: Precision,

    /// Calibration photos (a folder) for `int8` on a float model; not needed for a QDQ `.onnx`.
    #[arg(long, env = "YOLOO_CALIBRATION_DIR")]
    pub calibration_dir: Option<PathBuf>,

    /// Address to listen on (port 0 picks a free port; the bound address is logged).
    #[arg(long, env = "YOLOO_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// Default minimum confidence, in [0, 1] (per request: `?confidence=`).
    #[arg(long, env = "YOLOO_CONFIDENCE", default_value_t = 0.5)]
    pub confidence: f32,

    /// Default NMS IoU threshold, in [0, 1] (per request: `?iou=`).
    #[arg(long, env = "YOLOO_IOU", default_value_t = 0.4)]
    pub iou: f32,

    /// Default resize mode: `stretch` (as OpenCV's blobFromImage) or `letterbox`.
    #[arg(long, env = "YOLOO_RESIZE", default_value = "stretch", value_parser = parse_resize)]
    pub resize: ResizeMode,

    /// Default maximum number of detections per image.
    #[arg(long, env = "YOLOO_MAX_DETECTIONS", default_value_t = 100)]
    pub max_detections: usize,

    /// Largest request body accepted, in bytes (larger → 413).
    #[arg(long, env = "YOLOO_MAX_BODY_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest image accepted, in pixels (width × height; larger → 422, checked
    /// from the header before any pixel memory is allocated).
    #[arg(long, env = "YOLOO_MAX_PIXELS", default_value_t = 40_000_000)]
    pub max_pixels: u64,

    /// Inference workers: images processed at the same time.
    #[arg(long, env = "YOLOO_WORKERS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,

    /// Threads each inference may use (0 = one per CPU core).
    #[arg(long, env = "YOLOO_THREADS", default_value_t = 0)]
    pub threads: usize,

    /// Requests allowed to wait for a worker; when full, new ones get 503 at once.
    #[arg(long, env = "YOLOO_QUEUE_SIZE", default_value_t = 16)]
    pub queue_size: usize,

    /// When set, the DeepStack route requires this `api_key` form field.
    #[arg(long, env = "YOLOO_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// Seconds to keep serving after SIGTERM with `/readyz` at 503, so load
    /// balancers stop sending traffic before the listener closes (SIGINT skips it).
    #[arg(long, env = "YOLOO_DRAIN_DELAY", default_value_t = 5.0)]
    pub drain_delay: f64,

    /// Seconds in-flight requests get to finish once the listener is closed.
    #[arg(long, env = "YOLOO_SHUTDOWN_GRACE", default_value_t = 20.0)]
    pub shutdown_grace: f64,

    /// Log format.
    #[arg(long, env = "YOLOO_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,

    /// Log filter, in `RUST_LOG` syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,
}

impl Config {
    /// The drain delay as a duration (negative or NaN → zero).
    pub fn drain_delay(&self) -> Duration {
        secs(self.drain_delay)
    }

    /// The shutdown grace as a duration (negative or NaN → zero).
    pub fn shutdown_grace(&self) -> Duration {
        secs(self.shutdown_grace)
    }

    /// Threads per inference, with 0 resolved to the number of cores.
    pub fn threads_per_inference(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        }
    }
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)
}

fn parse_backend(s: &str) -> Result<BackendSetting, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(BackendSetting::Auto);
    }
    s.parse()
        .map(BackendSetting::Fixed)
        .map_err(|e: yoloo_core::Error| e.to_string())
}

fn parse_precision(s: &str) -> Result<Precision, String> {
    s.parse().map_err(|e: yoloo_core::Error| e.to_string())
}

fn parse_resize(s: &str) -> Result<ResizeMode, String> {
    s.parse().map_err(|e: yoloo_core::Error| e.to_string())
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = match s.split_once(['x', 'X']) {
        Some((w, h)) => (w, h),
        None => (s, s),
    };
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0 && n % 32 == 0)
            .ok_or_else(|| format!("{s:?}: expected WIDTHxHEIGHT, multiples of 32 (e.g. 416x416)"))
    };
    Ok((parse(w)?, parse(h)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("416"), Ok((416, 416)));
        assert_eq!(parse_size("608x320"), Ok((608, 320)));
        assert!(parse_size("400").is_err());
        assert!(parse_size("0x0").is_err());
        assert!(parse_size("axb").is_err());
    }

    #[test]
    fn defaults_follow_the_issue() {
        let c = Config::parse_from(["yoloo-detector-svc"]);
        assert_eq!(c.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(c.max_body_bytes, 20 * 1024 * 1024);
        assert_eq!(c.shutdown_grace(), Duration::from_secs(20));
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert!(c.api_key.is_none());
        assert_eq!(c.backend, BackendSetting::Auto);
        assert_eq!(c.precision, Precision::Fp32);
        let c = Config::parse_from([
            "yoloo-detector-svc",
            "--backend",
            "ort",
            "--precision",
            "int8",
        ]);
        assert_eq!(c.backend, BackendSetting::Fixed(Backend::OnnxRuntime));
        assert_eq!(c.precision, Precision::Int8);
        assert!(Config::try_parse_from(["yoloo-detector-svc", "--backend", "cuda"]).is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Config::command().debug_assert();
    }
}
